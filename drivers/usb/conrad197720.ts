/**
 * Conrad Components 197720 / 197730 relay cards (8 relays each, up to 255 cascaded on one
 * serial line), upstream's `conrad197720`, key `device` (default /dev/ttyUSB0), 19200 baud 8N1.
 *
 * Protocol (the card's manual): 4-byte frames `command, address, data, XOR of the three`; a card
 * answers `255 - command, address, data, XOR`. INIT (1) to address 1 makes every card answer
 * and the command come back with the address past the last card, which is how the cards are
 * counted. SETSINGLE (6) / DELSINGLE (7) with a relay bit switch one relay and answer the
 * card's relay byte. Outlets are numbered from 0 as upstream does: outlet N is relay N mod 8 of
 * card N div 8 + 1. Tested against the simulator in simulators/usb/conrad197720.ts.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type DeviceNode, NodeLine, serialSettings } from "./_node.ts";
import { TTY_PATH } from "./numato.ts";

/** Command bytes of the 197720 protocol. */
export const CONRAD = { init: 1, getPort: 2, setSingle: 6, delSingle: 7 } as const;

/** A frame with its checksum byte appended. */
export function conradFrame(command: number, address: number, data: number): Uint8Array {
  return Uint8Array.of(command, address, data, command ^ address ^ data);
}

const OPTIONS = z.object({ "device": TTY_PATH.default("/dev/ttyUSB0") }).strict();

/** conrad197720's keys. */
export type ConradOptions = z.infer<typeof OPTIONS>;

/** `conrad197720`. */
export const CONRAD197720: DriverDescriptor<ConradOptions> = {
  names: ["conrad197720"],
  // stty configures the tty; the node is written.
  permissions: ["run", "write"],
  summary: "Conrad 197720/197730 relay cards on a serial line (4-byte XOR-checked frames)",
  options: OPTIONS,
  create(_hostname, { options, log }) {
    const what = `Conrad relay cards at ${options.device}`;
    const line = new NodeLine(options.device);
    const frame = async (node: DeviceNode, expected: string) => {
      const f = await node.readExactly(4, expected);
      if ((f[0]! ^ f[1]! ^ f[2]!) !== f[3]) {
        throw new DriverError(
          "protocol",
          `${what} sent a frame with a bad checksum (${[...f].join(" ")}) instead of ${expected}`,
        );
      }
      return f;
    };
    const exchange = async (node: DeviceNode, command: number, address: number, data: number) => {
      await node.write(conradFrame(command, address, data));
      const reply = await frame(node, `the answer to command ${command}`);
      if (reply[0] !== 255 - command || reply[1] !== address) {
        throw new DriverError(
          "protocol",
          `${what}: card ${address} answered ${[...reply].join(" ")} to command ${command}`,
        );
      }
      return reply[2]!;
    };
    const session = async <T>(
      outlet: number,
      signal: AbortSignal,
      work: (node: DeviceNode, card: number, bit: number) => Promise<T>,
    ) => {
      const node = await line.open({
        what,
        stty: serialSettings(19200),
        signal,
      });
      try {
        // Counted on every operation: the chain may have changed while the tty was closed.
        await node.write(conradFrame(CONRAD.init, 1, 0));
        let cards = 0;
        for (;;) {
          const f = await frame(node, "the answers to INIT");
          if (f[0] === 255 - CONRAD.init) cards++;
          else if (f[0] === CONRAD.init) break;
          else {
            throw new DriverError("protocol", `${what} answered ${[...f].join(" ")} to INIT`);
          }
        }
        if (cards === 0) throw new DriverError("device", `${what}: no card answered INIT`);
        const card = Math.floor(outlet / 8) + 1;
        if (card > cards) {
          throw new DriverError(
            "config",
            `${what} has ${cards} card(s), so outlets 0..${
              cards * 8 - 1
            }; there is no outlet ${outlet}`,
          );
        }
        return await work(node, card, 1 << (outlet % 8));
      } finally {
        void node.close();
      }
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await session(outlet, signal, async (node, card, bit) => {
          const command = state === "on" ? CONRAD.setSingle : CONRAD.delSingle;
          log.debug("conrad command", { command, card, bit });
          const relays = await exchange(node, command, card, bit);
          const now: OutletState = relays & bit ? "on" : "off";
          if (now !== state) {
            throw new DriverError(
              "device",
              `${what}: card ${card} did not switch outlet ${outlet} ${state}; it reads ${now}`,
            );
          }
        });
      },
      getOutlet(outlet, { signal }) {
        return session(
          outlet,
          signal,
          async (node, card, bit): Promise<OutletState> =>
            (await exchange(node, CONRAD.getPort, card, 0)) & bit ? "on" : "off",
        );
      },
      close: () => Promise.resolve(),
    };
  },
};
