/**
 * The modbus driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every modbus driver descriptor. */
export const MODBUS_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every modbus simulator kind. */
export const MODBUS_SIMULATORS: readonly AnySimulatorKind[] = [];
