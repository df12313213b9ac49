/**
 * Simulator of a Raritan PX2/PX3 SNMP agent, PDU2-MIB, for PDU 1 of a chain (pduId 1):
 * outletSwitchControlTable (switchingOperation off(0) on(1) cycle(2); outletSwitchingState on(7)
 * off(8) — the switch and the state are different objects), outletConfigurationTable (outletLabel
 * "1"…, outletName), and per-outlet sensors indexed pduId.outletId.sensorType:
 * outletSensorMeasurementsTable (measurementsOutletSensorValue, unsigned) and
 * outletSensorConfigurationTable (outletSensorUnits, outletSensorDecimalDigits) for rmsCurrent(1)
 * in A with 3 digits, rmsVoltage(4) in V with 0, activePower(5) in W with 1 and activeEnergy(8)
 * in Wh with 0. OIDs from the MIB (snmptranslate -On).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";
import { integer, loadOf, outletRows, registerTables, type Row, stateOf, text } from "./_tables.ts";

const PDU2 = "1.3.6.1.4.1.13742.6";
const PDU_ID = 1;

/** Sensor types (SensorTypeEnumeration), their units (SensorUnitsEnumeration) and digits. */
const SENSORS = [
  { type: 1, units: 2, digits: 3, field: "amps" },
  { type: 4, units: 1, digits: 0, field: "volts" },
  { type: 5, units: 3, digits: 1, field: "watts" },
  { type: 8, units: 5, digits: 0, field: "energyWh" },
] as const;

/** `raritan-snmp`: a Raritan PX2/PX3 (PDU2-MIB). */
export const RARITAN_SNMP: SimulatorKind<Options> = {
  name: "raritan-snmp",
  summary: "Raritan PX2/PX3 SNMP agent (PDU2-MIB: switchingOperation, outletSwitchingState, " +
    "outletName, outlet sensors)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent("raritan-snmp", device, settings, {
      on: 7,
      off: 8,
      sysObjectID: "1.3.6.1.4.1.13742.6",
      tables: (context) => {
        const outlets = outletRows([PDU_ID]);
        const sensors = (d: typeof device): Row[] =>
          d.outlets().flatMap((outlet) =>
            SENSORS.map((s) => ({ outlet, index: [PDU_ID, outlet, s.type], sensor: s.type }))
          );
        const sensor = (row: Row) => SENSORS.find((s) => s.type === row.sensor)!;
        registerTables(context, [
          {
            name: "outletConfigurationEntry",
            entry: `${PDU2}.3.5.3.1`,
            indexArcs: 2,
            rows: outlets,
            columns: [
              text(2, (r) => String(r.outlet)), // outletLabel
              text(3, (r) => `Outlet ${r.outlet}`), // outletName
            ],
          },
          {
            name: "outletSensorConfigurationEntry",
            entry: `${PDU2}.3.5.4.1`,
            indexArcs: 3,
            rows: sensors,
            columns: [
              integer(6, (r) => sensor(r).units), // outletSensorUnits
              integer(7, (r) => sensor(r).digits, true), // outletSensorDecimalDigits
            ],
          },
          {
            name: "outletSwitchControlEntry",
            entry: `${PDU2}.4.1.2.1`,
            indexArcs: 2,
            rows: outlets,
            columns: [
              {
                number: 2, // switchingOperation
                type: "Integer",
                read: (r) => device.get(r.outlet) === "on" ? 1 : 0,
                write: {
                  accepts: (value) => value === 0 || value === 1 || value === 2,
                  apply(r, value) {
                    if (value === 2) {
                      // cycle: off, then on again (the device's cycle delay is not simulated).
                      device.set(r.outlet, "off");
                      device.set(r.outlet, "on");
                    } else device.set(r.outlet, value === 1 ? "on" : "off");
                  },
                },
              },
              stateOf(device, 3, { on: 7, off: 8 }), // outletSwitchingState
            ],
          },
          {
            name: "outletSensorMeasurementsEntry",
            entry: `${PDU2}.5.4.3.1`,
            indexArcs: 3,
            rows: sensors,
            columns: [
              integer(2, () => 1), // measurementsOutletSensorIsAvailable: true
              integer(3, () => 4), // measurementsOutletSensorState: normal
              integer(4, (r) => {
                const s = sensor(r);
                return Math.round(loadOf(device, r.outlet)[s.field] * 10 ** s.digits);
              }, true),
            ],
          },
        ]);
      },
      config: (_o, port) => ({
        mib: "PDU2-MIB",
        controlpoint: "switchingOperation",
        snmpport: port,
      }),
    }),
};
