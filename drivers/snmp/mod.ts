/**
 * The snmp driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { CYBERPOWER, IP9258, SNMP_V1, SNMP_V2C, SNMP_V3 } from "./snmp.ts";
import { APC_SNMP, CYBERPOWER_SNMP, GENERIC_SNMP, IP9258_SNMP } from "./simulator.ts";

/** Every snmp driver descriptor. */
export const SNMP_DRIVERS: readonly AnyDriverDescriptor[] = [
  SNMP_V1,
  SNMP_V2C,
  SNMP_V3,
  CYBERPOWER,
  IP9258,
];

/** Every snmp simulator kind. */
export const SNMP_SIMULATORS: readonly AnySimulatorKind[] = [
  APC_SNMP,
  GENERIC_SNMP,
  CYBERPOWER_SNMP,
  IP9258_SNMP,
];
