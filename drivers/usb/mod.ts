/**
 * The usb driver family: power switches attached to the daemon's own machine — USB serial
 * relays driven through their tty node, USB HID switches through their hidraw node, and hubs
 * or boards switched by a vendor tool. Imports nothing of pdud
 * outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { NUMATO_USB } from "./numato.ts";
import { DEVANTECH_USB_DRIVERS } from "./devantech_usb.ts";
import { CONRAD197720 } from "./conrad197720.ts";
import { UHUBCTL } from "./uhubctl.ts";
import { BCU } from "./bcu.ts";
import { ENERGENIE_USB } from "./energenie_usb.ts";
import { HID_DRIVERS } from "./hid.ts";
import { CLEWARE_DRIVERS } from "./cleware.ts";
import { VUSBHID } from "./vusbhid.ts";

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

// What the simulators (simulators/usb/) share with the drivers: one codec for both ends.
export { NUMATO_CHANNELS, numatoRelayId } from "./numato.ts";
export { DEVANTECH_USB, DEVANTECH_USB_MODELS } from "./devantech_usb.ts";
export { CONRAD, conradFrame } from "./conrad197720.ts";
