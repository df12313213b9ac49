/**
 * The http driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every http driver descriptor. */
export const HTTP_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every http simulator kind. */
export const HTTP_SIMULATORS: readonly AnySimulatorKind[] = [];
