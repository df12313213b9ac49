/**
 * Simulator of the CyberPower PDU81001/41001 SNMPv1 agent (ePDUOutletControlOutletCommand, 1 on /
 * 2 off), on the agent of snmp.ts.
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { MIB_OBJECTS } from "../../drivers/snmp/mod.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";

/** `cyberpower-snmp`: CyberPower PDU81001/41001. */
export const CYBERPOWER_SNMP: SimulatorKind<Options> = {
  name: "cyberpower-snmp",
  summary: "CyberPower PDU81001/41001 SNMP agent (ePDUOutletControlOutletCommand)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent("cyberpower-snmp", device, {
      ...settings,
      options: { ...settings.options, version: "1" },
    }, {
      template: `${MIB_OBJECTS["CPS-MIB"]!.ePDUOutletControlOutletCommand}.*`,
      on: 1,
      off: 2,
      driver: "cyberpower81001",
      config: (o, port) => ({ community: o.community, snmpport: port }),
    }),
};
