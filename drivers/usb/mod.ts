/**
 * The usb driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";

/** Every usb driver descriptor. */
export const USB_DRIVERS: readonly AnyDriverDescriptor[] = [];

/** Every usb simulator kind. */
export const USB_SIMULATORS: readonly AnySimulatorKind[] = [];
