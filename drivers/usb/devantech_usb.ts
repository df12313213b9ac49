/**
 * Devantech (robot-electronics.co.uk) USB relay boards on their tty, upstream's names
 * (devantechusb.py): `devantech_USB-RLY02`, `devantech_USB-RLY82` (2 relays),
 * `devantech_USB-RLY04` (4), `devantech_USB-RLY06` (6), `devantech_USB-RLY08B`,
 * `devantech_USB-RLY16`, `devantech_USB-RLY16L`, `devantech_USB-OPTO-RLY88`,
 * `devantech_USB-OPTO-RLY816` (8); key `device` (default /dev/ttyACM0), 9600 baud.
 *
 * Protocol (the boards' technical documentation, "Commands"): one byte per command,
 * 0x65 + n - 1 switches relay n on, 0x6F + n - 1 off, 0x5B answers one byte of relay states
 * (bit n-1 set = relay n energised). Upstream only writes the command; here the state byte is
 * read back, so a board that ignored the command fails the operation.
 * Tested against the simulator in simulators/usb/devantech_usb.ts.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type DeviceNode, NodeLine, serialSettings } from "./_node.ts";
import { TTY_PATH } from "./numato.ts";

/** Upstream's names by relay count. */
export const DEVANTECH_USB_MODELS: Readonly<Record<string, number>> = {
  "devantech_USB-RLY02": 2,
  "devantech_USB-RLY82": 2,
  "devantech_USB-RLY04": 4,
  "devantech_USB-RLY06": 6,
  "devantech_USB-RLY08B": 8,
  "devantech_USB-RLY16": 8,
  "devantech_USB-RLY16L": 8,
  "devantech_USB-OPTO-RLY88": 8,
  "devantech_USB-OPTO-RLY816": 8,
};

/** Command bytes of the Devantech USB-RLY command set. */
export const DEVANTECH_USB = { on: 0x64, off: 0x6e, states: 0x5b } as const;

const OPTIONS = z.object({ "device": TTY_PATH.default("/dev/ttyACM0") }).strict();

/** devantech_USB-*'s keys. */
export type DevantechUsbOptions = z.infer<typeof OPTIONS>;

function devantech(relays: number): DriverDescriptor<DevantechUsbOptions> {
  return {
    names: Object.entries(DEVANTECH_USB_MODELS).filter(([, n]) => n === relays).map(([k]) => k),
    // stty configures the tty; the node is written.
    permissions: ["run", "write"],
    summary: `Devantech USB-RLY boards with ${relays} relays on their tty (one-byte commands)`,
    options: OPTIONS,
    outletRange: () => ({ min: 1, max: relays }),
    create(_hostname, { options, log }) {
      const what = `Devantech USB relay board at ${options.device}`;
      const line = new NodeLine(options.device);
      const states = async (node: DeviceNode) => {
        await node.write(Uint8Array.of(DEVANTECH_USB.states));
        const [byte] = await node.readExactly(1, "the relay states byte");
        return byte!;
      };
      const open = (signal: AbortSignal) => line.open({ what, stty: serialSettings(9600), signal });
      const stateOf = (byte: number, outlet: number): OutletState =>
        (byte >> (outlet - 1)) & 1 ? "on" : "off";
      return {
        async setOutlet(outlet, state, { signal }) {
          const node = await open(signal);
          try {
            const command = DEVANTECH_USB[state] + outlet;
            log.debug("devantech command", { byte: command });
            await node.write(Uint8Array.of(command));
            const now = stateOf(await states(node), outlet);
            if (now !== state) {
              throw new DriverError(
                "device",
                `${what} did not switch relay ${outlet} ${state}: it reads ${now} afterwards`,
              );
            }
          } finally {
            void node.close();
          }
        },
        async getOutlet(outlet, { signal }) {
          const node = await open(signal);
          try {
            return stateOf(await states(node), outlet);
          } finally {
            void node.close();
          }
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** Every devantech_USB-* descriptor, one per relay count. */
export const DEVANTECH_USB_DRIVERS: readonly DriverDescriptor<DevantechUsbOptions>[] = [2, 4, 6, 8]
  .map(devantech);
