/**
 * The modbus driver family: its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { MODBUSTCP } from "./modbustcp.ts";

/** Every modbus driver descriptor. */
export const MODBUS_DRIVERS: readonly AnyDriverDescriptor[] = [MODBUSTCP];

// What the simulators (simulators/modbus/) share with the drivers: one codec for both ends.
export { wholeNumber } from "../_options.ts";
export { EXCEPTION, FUNCTION, MAX_PDU, MBAP_LENGTH } from "./_protocol.ts";
