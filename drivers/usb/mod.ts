/**
 * The usb driver family: power switches attached to the daemon's own machine — USB serial
 * relays driven through their tty node, USB HID switches through their hidraw node, and hubs
 * or boards switched by a vendor tool — with their simulator kinds. Imports nothing of pdud
 * outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { NUMATO_USB } from "./numato.ts";
import { DEVANTECH_USB_DRIVERS } from "./devantech_usb.ts";
import { CONRAD197720 } from "./conrad197720.ts";
import { SERIAL_SIMULATORS } from "./serial_simulators.ts";
import { UHUBCTL } from "./uhubctl.ts";
import { BCU } from "./bcu.ts";
import { ENERGENIE_USB } from "./energenie_usb.ts";
import { TOOL_SIMULATORS } from "./tool_simulators.ts";
import { HID_DRIVERS } from "./hid.ts";
import { CLEWARE_DRIVERS } from "./cleware.ts";
import { VUSBHID } from "./vusbhid.ts";
import { HID_SIMULATORS } from "./hid_simulators.ts";

/** Every usb driver descriptor. */
export const USB_DRIVERS: readonly AnyDriverDescriptor[] = [
  ...NUMATO_USB,
  ...DEVANTECH_USB_DRIVERS,
  CONRAD197720,
  UHUBCTL,
  BCU,
  ENERGENIE_USB,
  VUSBHID,
  ...HID_DRIVERS,
  ...CLEWARE_DRIVERS,
];

/** Every usb simulator kind. */
export const USB_SIMULATORS: readonly AnySimulatorKind[] = [
  ...SERIAL_SIMULATORS,
  ...TOOL_SIMULATORS,
  ...HID_SIMULATORS,
];
