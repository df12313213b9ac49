/**
 * The snmp driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every snmp driver descriptor. */
export const SNMP_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every snmp simulator kind. */
export const SNMP_SIMULATORS: readonly AnySimulatorKind[] = [];
