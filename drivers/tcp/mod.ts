/**
 * The tcp driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every tcp driver descriptor. */
export const TCP_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every tcp simulator kind. */
export const TCP_SIMULATORS: readonly AnySimulatorKind[] = [];
