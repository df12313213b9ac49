/**
 * Simulator of an Eaton ePDU's (G2 Marlin, G3 Shark) SNMP agent, EATON-EPDU-MIB: the outlet
 * tables of the first unit (strappingIndex 0), indexed strappingIndex.outletIndex —
 * outletTable (outletID "A1"…, outletName), outletVoltageTable (mV), outletCurrentTable (mA),
 * outletPowerTable (W, Wh) and outletControlTable, whose outletControlOffCmd and
 * outletControlOnCmd take a delay in seconds (0 = now; -1 cancels, read back when nothing is
 * pending) and whose outletControlStatus reads off(0)/on(1). Delayed commands are not
 * simulated: a delay above 0 is refused with wrongValue, as the IPV/IPC models refuse it.
 * OIDs from the MIB (snmptranslate -On).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";
import { integer, loadOf, outletRows, registerTables, stateOf, text } from "./_tables.ts";

const OUTLETS = "1.3.6.1.4.1.534.6.6.7.6";
/** strappingIndex of the first (or only) unit. */
const UNIT = 0;

/** `eaton-snmp`: an Eaton ePDU (EATON-EPDU-MIB). */
export const EATON_SNMP: SimulatorKind<Options> = {
  name: "eaton-snmp",
  summary: "Eaton ePDU SNMP agent (EATON-EPDU-MIB: outletControlOnCmd/OffCmd, " +
    "outletControlStatus, outletName, outlet volts/amps/watts/Wh)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent("eaton-snmp", device, settings, {
      on: 1,
      off: 0,
      sysObjectID: "1.3.6.1.4.1.534.6.6.7",
      tables: (context) => {
        const rows = outletRows([UNIT]);
        const command = (state: "on" | "off") => ({
          accepts: (value: number) => value === 0 || value === -1,
          apply: (row: { outlet: number }, value: number) => {
            if (value === 0) device.set(row.outlet, state);
          },
        });
        registerTables(context, [
          {
            name: "outletEntry",
            entry: `${OUTLETS}.1.1`,
            indexArcs: 2,
            rows,
            columns: [
              text(2, (r) => `A${r.outlet}`), // outletID
              text(3, (r) => `Outlet ${r.outlet}`), // outletName
            ],
          },
          {
            name: "outletVoltageEntry",
            entry: `${OUTLETS}.3.1`,
            indexArcs: 2,
            rows,
            columns: [integer(2, (r) => Math.round(loadOf(device, r.outlet).volts * 1000))],
          },
          {
            name: "outletCurrentEntry",
            entry: `${OUTLETS}.4.1`,
            indexArcs: 2,
            rows,
            columns: [integer(3, (r) => Math.round(loadOf(device, r.outlet).amps * 1000))],
          },
          {
            name: "outletPowerEntry",
            entry: `${OUTLETS}.5.1`,
            indexArcs: 2,
            rows,
            columns: [
              integer(3, (r) => Math.round(loadOf(device, r.outlet).watts)),
              integer(4, (r) => Math.round(loadOf(device, r.outlet).energyWh), true),
            ],
          },
          {
            name: "outletControlEntry",
            entry: `${OUTLETS}.6.1`,
            indexArcs: 2,
            rows,
            columns: [
              stateOf(device, 2, { on: 1, off: 0 }), // outletControlStatus
              { number: 3, type: "Integer", read: () => -1, write: command("off") },
              { number: 4, type: "Integer", read: () => -1, write: command("on") },
            ],
          },
        ]);
      },
      config: (_o, port) => ({
        mib: "EATON-EPDU-MIB",
        controlpoint: "outletControlOnCmd",
        snmpport: port,
      }),
    }),
};
