/**
 * Simulator of an APC switched PDU's SNMP agent: the PowerNet-MIB outlet table (sPDUOutletCtl
 * or rPDUOutletControlOutletCommand), with the model's sysObjectID, name column and status table,
 * on the agent of snmp.ts; or a metered-by-outlet Rack PDU 2 (AP88xx,
 * rPDU2OutletSwitchedControlCommand): the rPDU2 switched control and status tables and
 * rPDU2OutletMeteredStatusTable (current in tenths of A, power in W, energy in tenths of kWh),
 * indexed by outlet, OIDs from the MIB (snmptranslate -On).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { MIB_OBJECTS } from "../../drivers/snmp/mod.ts";
import { type Layout, OPTIONS, type Options, startAgent } from "./snmp.ts";
import { integer, loadOf, outletRows, registerTables, stateOf, text } from "./_tables.ts";

/**
 * What an APC agent shows besides the control column, as the devices do: a MasterSwitch
 * (sPDUOutletControlTable: sPDUOutletCtlName is column 4) and a Rack PDU (sysObjectID
 * rPDU, rPDUOutletControlOutletName column 2, and rPDUOutletStatusTable with the outlet state).
 */
const APC_LAYOUTS: Record<Options["controlpoint"], Partial<Layout>> = {
  rPDU2OutletSwitchedControlCommand: { sysObjectID: "1.3.6.1.4.1.318.1.3.4.5" },
  sPDUOutletCtl: { sysObjectID: "1.3.6.1.4.1.318.1.3.4.2", nameColumn: 4 },
  rPDUOutletControlOutletCommand: {
    sysObjectID: "1.3.6.1.4.1.318.1.3.4.5",
    nameColumn: 2,
    statusTable: { entry: "1.3.6.1.4.1.318.1.1.12.3.5.1.1", nameColumn: 2, stateColumn: 4 },
  },
};

/** `apc-snmp`: an APC switched PDU's PowerNet-MIB outlet table. */
export const APC_SNMP: SimulatorKind<Options> = {
  name: "apc-snmp",
  summary: "APC PDU SNMP agent (PowerNet-MIB sPDUOutletCtl / rPDUOutletControlOutletCommand)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent("apc-snmp", device, settings, {
      ...(settings.options.controlpoint === "rPDU2OutletSwitchedControlCommand"
        ? { tables: (context) => registerTables(context, rpdu2Tables(context.device)) }
        : { template: `${MIB_OBJECTS["PowerNet-MIB"]![settings.options.controlpoint]}.*` }),
      on: 1,
      off: 2,
      // sPDUOutletCtl outletReboot(3), rPDUOutletControlOutletCommand immediateReboot(3).
      reboot: 3,
      ...APC_LAYOUTS[settings.options.controlpoint],
      config: (o, port) => ({
        mib: "PowerNet-MIB",
        controlpoint: o.controlpoint,
        onsetting: 1,
        offsetting: 2,
        snmpport: port,
      }),
    }),
};

const RPDU2 = "1.3.6.1.4.1.318.1.1.26.9";

/** rPDU2's switched status and control tables and its metered status table. */
function rpdu2Tables(device: Parameters<typeof loadOf>[0]) {
  const rows = outletRows([]);
  const ident = [
    integer(2, () => 1), // …Module: the Rack PDU's numeric id
    text(3, (r) => `Outlet ${r.outlet}`), // …Name
    integer(4, (r) => r.outlet), // …Number
  ];
  return [
    {
      name: "rPDU2OutletSwitchedStatusEntry",
      entry: `${RPDU2}.2.3.1`,
      indexArcs: 1,
      rows,
      columns: [...ident, stateOf(device, 5, { on: 2, off: 1 })], // …State off(1) on(2)
    },
    {
      name: "rPDU2OutletSwitchedControlEntry",
      entry: `${RPDU2}.2.4.1`,
      indexArcs: 1,
      rows,
      columns: [...ident, {
        // …Command: read immediateOn(1)/immediateOff(2); written 1, 2 or immediateReboot(3).
        number: 5,
        type: "Integer" as const,
        read: (r: { outlet: number }) => device.get(r.outlet) === "on" ? 1 : 2,
        write: {
          accepts: (value: number) => value === 1 || value === 2 || value === 3,
          apply(r: { outlet: number }, value: number) {
            if (value === 3) device.set(r.outlet, "off");
            device.set(r.outlet, value === 2 ? "off" : "on");
          },
        },
      }],
    },
    {
      name: "rPDU2OutletMeteredStatusEntry",
      entry: `${RPDU2}.4.3.1`,
      indexArcs: 1,
      rows,
      columns: [
        ...ident,
        integer(6, (r) => Math.round(loadOf(device, r.outlet).amps * 10)),
        integer(7, (r) => Math.round(loadOf(device, r.outlet).watts)),
        integer(11, (r) => Math.round(loadOf(device, r.outlet).energyWh / 100)),
      ],
    },
  ];
}
