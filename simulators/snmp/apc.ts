/**
 * Simulator of an APC switched PDU's SNMP agent: the PowerNet-MIB outlet table (sPDUOutletCtl
 * or rPDUOutletControlOutletCommand), with the model's sysObjectID, name column and status table,
 * on the agent of snmp.ts.
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { MIB_OBJECTS } from "../../drivers/snmp/mod.ts";
import { type Layout, OPTIONS, type Options, startAgent } from "./snmp.ts";

/**
 * What an APC agent shows besides the control column, as the devices do: a MasterSwitch
 * (sPDUOutletControlTable: sPDUOutletCtlName is column 4) and a Rack PDU (sysObjectID
 * rPDU, rPDUOutletControlOutletName column 2, and rPDUOutletStatusTable with the outlet state).
 */
const APC_LAYOUTS: Record<Options["controlpoint"], Partial<Layout>> = {
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
      template: `${MIB_OBJECTS["PowerNet-MIB"]![settings.options.controlpoint]}.*`,
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
