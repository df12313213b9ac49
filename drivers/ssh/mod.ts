/**
 * The ssh driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every ssh driver descriptor. */
export const SSH_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every ssh simulator kind. */
export const SSH_SIMULATORS: readonly AnySimulatorKind[] = [];
