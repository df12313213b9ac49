/**
 * `cyberpower81001`, `cyberpower41001`: CyberPower ePDUOutletControlOutletCommand
 * 1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.N over SNMPv1, 1 on / 2 off, `community` default "private".
 * @module
 */
import { MIB_OBJECTS } from "./snmp.ts";
import { fixedDescriptor } from "./_fixed.ts";

/** `cyberpower81001`, `cyberpower41001`. */
export const CYBERPOWER = fixedDescriptor(
  ["cyberpower81001", "cyberpower41001"],
  "CyberPower PDU81001/PDU41001 over SNMPv1 (ePDUOutletControlOutletCommand)",
  "CyberPower PDU",
  "private",
  `${MIB_OBJECTS["CPS-MIB"]!.ePDUOutletControlOutletCommand}.*`,
  1,
  2,
);
