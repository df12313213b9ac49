/**
 * The telnet driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every telnet driver descriptor. */
export const TELNET_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every telnet simulator kind. */
export const TELNET_SIMULATORS: readonly AnySimulatorKind[] = [];
