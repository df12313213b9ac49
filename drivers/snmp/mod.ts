/**
 * The snmp driver family: its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { SNMP_V1, SNMP_V2C, SNMP_V3 } from "./snmp.ts";
import { CYBERPOWER } from "./cyberpower.ts";
import { IP9258 } from "./ip9258.ts";

/** Every snmp driver descriptor. */
export const SNMP_DRIVERS: readonly AnyDriverDescriptor[] = [
  SNMP_V1,
  SNMP_V2C,
  SNMP_V3,
  CYBERPOWER,
  IP9258,
];

// What the simulators (simulators/snmp/) share with the drivers: one codec for both ends.
export { loadNetSnmp } from "../_libraries.ts";
export { MIB_OBJECTS } from "./snmp.ts";

/** Adds pdud's DES/AES privacy to net-snmp; loaded only when an SNMPv3 user has a privacy key. */
export async function installSnmpPrivacy(): Promise<void> {
  (await import("./_privacy.ts")).installPrivacy();
}
