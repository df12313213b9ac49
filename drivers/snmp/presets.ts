/**
 * The SNMP presets: the MIB objects pdud knows by name (`mib` + `controlpoint`) and, for the
 * tables where switching is more than "SET an integer, GET the same column", how their outlets
 * are switched, read, named and metered. OIDs are the MIBs' own, translated with Net-SNMP's
 * `snmptranslate -On` from the MIB files as DotZero24/pysnmp-mibs (commit 3ff4d5d0) carries them
 * (EATON-EPDU-MIB, PDU2-MIB, Sentry3-MIB, POWER-ETHERNET-MIB as RFC 3621, PowerNet-MIB); NUT's
 * eaton-pdu-marlin-mib.c for the Eaton command semantics. Where another reference differs, the
 * MIB is followed and the comment says so.
 * @module
 */
import type { PowerReading } from "../driver.ts";

/** MIB object names pdud resolves itself (upstream's `mib` + `controlpoint`). */
export const MIB_OBJECTS: Record<string, Record<string, string>> = {
  "PowerNet-MIB": {
    sPDUOutletCtl: "1.3.6.1.4.1.318.1.1.4.4.2.1.3",
    rPDUOutletControlOutletCommand: "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4",
    rPDU2OutletSwitchedControlCommand: "1.3.6.1.4.1.318.1.1.26.9.2.4.1.5",
  },
  "CPS-MIB": {
    ePDUOutletControlOutletCommand: "1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4",
    /** CyberPower ePDU2 (PDU15/20/30 series): ePDU2OutletSwitchedControlIndex = outlet. */
    ePDU2OutletSwitchedControlCommand: "1.3.6.1.4.1.3808.1.1.6.6.1.5.1.5",
  },
  // Tables indexed by more than the outlet take the other indices in `controlpoint` with
  // `inside_number`, e.g. "switchingOperation.1.*" for PDU 1 of a daisy chain; without them the
  // preset's first unit (`unit` below).
  /** Raritan PX2/PX3: switchingOperation.pduId.outletId, off(0) on(1) cycle(2). */
  "PDU2-MIB": {
    switchingOperation: "1.3.6.1.4.1.13742.6.4.1.2.1.2",
  },
  /** ServerTech Sentry CDU: outletControlAction.tower.infeed.outlet, on(1) off(2) reboot(3). */
  "Sentry3-MIB": {
    outletControlAction: "1.3.6.1.4.1.1718.3.2.3.1.11",
  },
  /** RFC 3621 PoE switches: pethPsePortAdminEnable.group.port, true(1) false(2). */
  "POWER-ETHERNET-MIB": {
    pethPsePortAdminEnable: "1.3.6.1.2.1.105.1.1.1.3",
  },
  /**
   * Eaton ePDU G2/G3: separate command columns per outlet, index strappingIndex.outletIndex;
   * the value written is the delay in seconds (0 = now, -1 cancels). Either name stands for the
   * pair: on writes outletControlOnCmd, off writes outletControlOffCmd.
   */
  "EATON-EPDU-MIB": {
    outletControlOnCmd: "1.3.6.1.4.1.534.6.6.7.6.6.1.4",
    outletControlOffCmd: "1.3.6.1.4.1.534.6.6.7.6.6.1.3",
  },
  /** Liebert/Vertiv MPH2 and MPX: lgpPduRcpEntryControl.pdu.branch.receptacle, off(0) on(1). */
  "LIEBERT-GP-PDU-MIB": {
    lgpPduRcpEntryControl: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.100",
  },
};

/**
 * One power reading column, indexed as the outlet's control column is: the value times `scale`
 * is the reading in the field's unit. With `sensor`, the column is a sensor table indexed by the
 * outlet's index and then the sensor type, and `digits` (same index) holds the number of decimal
 * digits to divide by (Raritan's outletSensorDecimalDigits).
 */
export interface PowerColumn {
  field: keyof PowerReading;
  oid: string;
  scale?: number;
  sensor?: number;
  digits?: string;
  /** Values below this mean "not measured" (Eaton: a negative outletWatts). */
  min?: number;
}

/** How a table object is driven when it is not a plain "SET on/off, GET the same column". */
export interface MibBehaviour {
  /** The values for on and off when they are not upstream's defaults (1 and 2). */
  on?: number;
  off?: number;
  /** A pair of command columns (EATON-EPDU-MIB): the one written for on, the one for off. */
  pair?: { on: string; off: string };
  /** The column the outlet's state is read from, same index, and its on/off values. */
  state?: { oid: string; on: number; off: number };
  /**
   * The table's other indices before the outlet when `controlpoint` gives none: the first unit
   * of a daisy chain, the first PoE port group. Without `inside_number`, upstream would address
   * `column.outlet`, which does not exist in these tables.
   */
  unit?: string;
  /** The column holding each outlet's name, same index. */
  name?: string;
  /** What the device measures per outlet. */
  power?: PowerColumn[];
}

/** EATON-EPDU-MIB's command pair, written with 0 (now); outletControlStatus off(0) on(1). */
const EATON: MibBehaviour = {
  on: 0,
  off: 0,
  pair: { on: "1.3.6.1.4.1.534.6.6.7.6.6.1.4", off: "1.3.6.1.4.1.534.6.6.7.6.6.1.3" },
  state: { oid: "1.3.6.1.4.1.534.6.6.7.6.6.1.2", on: 1, off: 0 },
  // strappingIndex 0 is the first (master) unit of a daisy chain, as NUT's marlin subdriver has it.
  unit: "0",
  /** outletName (outletTable, strappingIndex.outletIndex). */
  name: "1.3.6.1.4.1.534.6.6.7.6.1.1.3",
  power: [
    // outletWatts: W, negative when not available; outletWh: Wh; outletCurrent: mA;
    // outletVoltage: mV. Each table is indexed strappingIndex.outletIndex.
    { field: "watts", oid: "1.3.6.1.4.1.534.6.6.7.6.5.1.3", min: 0 },
    { field: "energyWh", oid: "1.3.6.1.4.1.534.6.6.7.6.5.1.4" },
    { field: "volts", oid: "1.3.6.1.4.1.534.6.6.7.6.3.1.2", scale: 0.001 },
    { field: "amps", oid: "1.3.6.1.4.1.534.6.6.7.6.4.1.3", scale: 0.001 },
  ],
};

/** PDU2-MIB's outlet sensor readings: measurementsOutletSensorValue.pduId.outletId.sensorType. */
const RARITAN_SENSOR = "1.3.6.1.4.1.13742.6.5.4.3.1.4";
/** outletSensorDecimalDigits.pduId.outletId.sensorType. */
const RARITAN_DIGITS = "1.3.6.1.4.1.13742.6.3.5.4.1.7";

/** PowerNet-MIB rPDU2OutletMeteredStatusTable (AP88xx metered-by-outlet PDUs). */
const RPDU2_METERED = "1.3.6.1.4.1.318.1.1.26.9.4.3.1";

/** Behaviours by `mib::object`. */
export const BEHAVIOUR: Record<string, MibBehaviour> = {
  /** sPDUOutletCtlName, column 4 of sPDUOutletControlTable. */
  "PowerNet-MIB::sPDUOutletCtl": { name: "1.3.6.1.4.1.318.1.1.4.4.2.1.4" },
  /** rPDUOutletControlOutletName, column 2 of rPDUOutletControlTable. */
  "PowerNet-MIB::rPDUOutletControlOutletCommand": { name: "1.3.6.1.4.1.318.1.1.12.3.3.1.1.2" },
  /**
   * rPDU2: reading the command column answers immediateOn(1)/immediateOff(2), as the MIB says;
   * rPDU2OutletSwitchedControlName is column 3. Metered models report per outlet, same index:
   * rPDU2OutletMeteredStatusCurrent (tenths of A), …Power (W), …Energy (tenths of kWh).
   */
  "PowerNet-MIB::rPDU2OutletSwitchedControlCommand": {
    name: "1.3.6.1.4.1.318.1.1.26.9.2.4.1.3",
    power: [
      { field: "watts", oid: `${RPDU2_METERED}.7` },
      { field: "energyWh", oid: `${RPDU2_METERED}.11`, scale: 100 },
      { field: "amps", oid: `${RPDU2_METERED}.6`, scale: 0.1 },
    ],
  },
  /** CyberPower ePDU2: immediateOn(1) immediateOff(2); state outletStatusOn(1)/Off(2). */
  "CPS-MIB::ePDU2OutletSwitchedControlCommand": {
    state: { oid: "1.3.6.1.4.1.3808.1.1.6.6.1.4.1.5", on: 1, off: 2 },
  },
  /**
   * Raritan: switchingOperation off(0) on(1) cycle(2); outletSwitchingState on(7) off(8);
   * outletName (user-defined) in outletConfigurationTable; sensor types rmsCurrent(1),
   * rmsVoltage(4), activePower(5), activeEnergy(8), in A, V, W and Wh (SensorUnitsEnumeration).
   */
  "PDU2-MIB::switchingOperation": {
    on: 1,
    off: 0,
    state: { oid: "1.3.6.1.4.1.13742.6.4.1.2.1.3", on: 7, off: 8 },
    unit: "1",
    name: "1.3.6.1.4.1.13742.6.3.5.3.1.3",
    power: [
      { field: "watts", oid: RARITAN_SENSOR, sensor: 5, digits: RARITAN_DIGITS },
      { field: "energyWh", oid: RARITAN_SENSOR, sensor: 8, digits: RARITAN_DIGITS },
      { field: "volts", oid: RARITAN_SENSOR, sensor: 4, digits: RARITAN_DIGITS },
      { field: "amps", oid: RARITAN_SENSOR, sensor: 1, digits: RARITAN_DIGITS },
    ],
  },
  /**
   * ServerTech: outletControlAction on(1) off(2); outletStatus off(0) on(1); outletName column 3.
   * labgrid's sentry.py reads outletControlState (column 10, idleOn(1) wakeOn(3) on(5) off(4));
   * pdud reads outletStatus, which the MIB defines as the outlet's (sensed, where it can) state.
   */
  "Sentry3-MIB::outletControlAction": {
    state: { oid: "1.3.6.1.4.1.1718.3.2.3.1.5", on: 1, off: 0 },
    unit: "1.1",
    name: "1.3.6.1.4.1.1718.3.2.3.1.3",
  },
  /**
   * PoE: pethPsePortAdminEnable true(1) false(2) is also the state read. Group 1 by default, as
   * labgrid's poe_mib.py addresses it (1.3.6.1.2.1.105.1.1.1.3.1.port). RFC 3621 has no port
   * name and no per-port power.
   */
  "POWER-ETHERNET-MIB::pethPsePortAdminEnable": { unit: "1" },
  "EATON-EPDU-MIB::outletControlOnCmd": EATON,
  "EATON-EPDU-MIB::outletControlOffCmd": EATON,
  /** Liebert: off(0) on(1) cycle-power(2); lgpPduRcpEntryPwrState off(1) on(2). */
  "LIEBERT-GP-PDU-MIB::lgpPduRcpEntryControl": {
    on: 1,
    off: 0,
    state: { oid: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.95", on: 2, off: 1 },
  },
};

/** How an outlet number becomes a table index and back. */
export interface OutletIndex {
  /** The index after the column, with its leading dot: ".1.5". */
  of(outlet: number): string;
  /** The arcs every outlet's index begins with (".1"): a walk of column + fixed finds them all. */
  readonly fixed: string;
  /** The outlet whose index, after `fixed` and without its leading dot, is `rest`. */
  outletOf(rest: string): number | undefined;
}

/** An index from a template with `*` for the outlet: "*", "1.*", "1.*.1". */
export function templateIndex(template: string): OutletIndex {
  const arcs = template.split(".").filter((a) => a !== "");
  const star = arcs.indexOf("*");
  const fixedArcs = star < 0 ? arcs : arcs.slice(0, star);
  const fixed = fixedArcs.map((a) => `.${a}`).join("");
  const pattern = new RegExp(
    `^${
      arcs.slice(fixedArcs.length).map((a) => a === "*" ? "(\\d+)" : a.replaceAll(".", "\\."))
        .join("\\.")
    }$`,
  );
  return {
    of: (outlet) => arcs.map((a) => `.${a === "*" ? outlet : a}`).join(""),
    fixed,
    outletOf(rest) {
      if (star < 0) return undefined;
      const m = pattern.exec(rest);
      if (!m) return undefined;
      const numbers = m.slice(1).map(Number);
      // Every `*` stands for the same outlet.
      return numbers.every((n) => n === numbers[0]) ? numbers[0] : undefined;
    },
  };
}

/**
 * Sentry3's tower.infeed.outlet for outlets numbered through a tower's infeeds, `perInfeed` to
 * each: outlet 9 with 8 per infeed is tower.2.1 (labgrid's sentry.py numbers them so).
 */
export function sentryIndex(tower: number, perInfeed: number): OutletIndex {
  return {
    of(outlet) {
      const infeed = Math.floor((outlet - 1) / perInfeed) + 1;
      return `.${tower}.${infeed}.${((outlet - 1) % perInfeed) + 1}`;
    },
    fixed: `.${tower}`,
    outletOf(rest) {
      const m = /^(\d+)\.(\d+)$/.exec(rest);
      if (!m) return undefined;
      const [infeed, outlet] = [Number(m[1]), Number(m[2])];
      return outlet >= 1 && outlet <= perInfeed ? (infeed - 1) * perInfeed + outlet : undefined;
    },
  };
}
