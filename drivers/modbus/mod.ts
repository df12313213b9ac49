/**
 * The modbus driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { MODBUSTCP } from "./modbustcp.ts";
import { MODBUS_TCP_SIMULATOR } from "./simulator.ts";

/** Every modbus driver descriptor. */
export const MODBUS_DRIVERS: readonly AnyDriverDescriptor[] = [MODBUSTCP];

/** Every modbus simulator kind. */
export const MODBUS_SIMULATORS: readonly AnySimulatorKind[] = [MODBUS_TCP_SIMULATOR];
