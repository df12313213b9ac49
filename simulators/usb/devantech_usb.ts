/**
 * Simulator of a Devantech USB-RLY board on a pty (one-byte commands); needs socat.
 * A refused or dropped operation re-enumerates the device; an error leaves the relay as it was
 * (the drivers read back and notice).
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { nodeOperation } from "./_node.ts";
import { DEVANTECH_USB, DEVANTECH_USB_MODELS } from "../../drivers/usb/mod.ts";
import { startSerial } from "./_serial.ts";

/** `devantech-usb`. */
export const DEVANTECH_USB_SIMULATOR: SimulatorKind<{ model: string }> = {
  name: "devantech-usb",
  summary: "Devantech USB-RLY board on a pty (0x65.. on, 0x6F.. off, 0x5B states); needs socat",
  options: z.object({
    "model": z.enum(Object.keys(DEVANTECH_USB_MODELS) as [string, ...string[]]).default(
      "devantech_USB-RLY08B",
    ),
  }).strict(),
  start(device, { options }) {
    const relays = DEVANTECH_USB_MODELS[options.model]!;
    if (device.first !== 1 || device.count > relays) {
      throw new RangeError(`${options.model} has relays 1..${relays}`);
    }
    return startSerial("devantech-usb", device, async (io, reader) => {
      // What the next states query answers instead of the truth, after a faulty command:
      // null is silence, a number that byte.
      let override: number | null | undefined;
      const bits = () =>
        device.outlets().reduce((b, o) => device.get(o) === "on" ? b | 1 << o - 1 : b, 0);
      for (;;) {
        const byte = await reader.byte();
        if (byte === null) return;
        device.record(`< 0x${byte.toString(16)}`);
        if (byte === DEVANTECH_USB.states) {
          const answer = override === undefined ? bits() : override;
          override = undefined;
          if (answer !== null) await io.write(Uint8Array.of(answer));
          continue;
        }
        const on = byte > DEVANTECH_USB.on && byte <= DEVANTECH_USB.on + relays;
        const off = byte > DEVANTECH_USB.off && byte <= DEVANTECH_USB.off + relays;
        if (!on && !off) continue;
        const outlet = byte - (on ? DEVANTECH_USB.on : DEVANTECH_USB.off);
        if (!device.has(outlet)) continue;
        const live = await nodeOperation(device, io, reader, (fault) => {
          // A one-byte protocol has no error reply: the command is lost (error), or the state
          // byte that follows is missing (hang) or wrong (garbage), which is what tells.
          if (fault === "none") device.set(outlet, on ? "on" : "off");
          if (fault === "hang") override = null;
          if (fault === "garbage") {
            override = on ? bits() & ~(1 << outlet - 1) : bits() | 1 << outlet - 1;
          }
          return Promise.resolve();
        });
        if (!live) return;
      }
    }, (path) => ({ driver: options.model, device: path }));
  },
};
