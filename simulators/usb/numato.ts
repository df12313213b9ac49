/**
 * Simulators of the USB serial relays, each on a pty made by socat (see _pty.ts): a Numato
 * module (echo, LF CR, `>` prompt), a Devantech USB-RLY board (one-byte commands) and a chain of
 * Conrad 197720 cards (4-byte XOR frames). A refused or dropped operation re-enumerates the
 * device; an error leaves the relay as it was (the drivers read back and notice).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { ByteReader, type ByteReader as Reader, PtyEndpoint, type PtyIo } from "./_pty.ts";
import {
  latin1,
  nodeOperation,
  type NodeSimulator,
  nodeSimulator,
  simulatorDirectory,
} from "./_node.ts";
import {
  CONRAD,
  conradFrame,
  DEVANTECH_USB,
  DEVANTECH_USB_MODELS,
  NUMATO_CHANNELS,
  numatoRelayId,
} from "../../drivers/usb/mod.ts";

const NONE = z.object({}).strict();

async function startSerial(
  kind: string,
  device: SimulatedDevice,
  serve: (io: PtyIo, reader: Reader) => Promise<void>,
  config: (path: string) => Record<string, unknown>,
): Promise<NodeSimulator> {
  const directory = await simulatorDirectory(kind);
  try {
    const endpoint = await PtyEndpoint.create(
      `${directory}/tty`,
      (io) => serve(io, new ByteReader(io)),
    );
    return nodeSimulator(kind, device, endpoint, directory, () => config(endpoint.path));
  } catch (error) {
    await Deno.remove(directory, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** The smallest Numato module with at least the device's outlets. */
function numatoChannels(device: SimulatedDevice): number {
  const last = device.first + device.count - 1;
  const channels = NUMATO_CHANNELS.find((c) => c >= last);
  if (channels === undefined || device.first < 1) {
    throw new RangeError(`a Numato module has outlets 1..64, not ${device.first}..${last}`);
  }
  return channels;
}

/** `numato-usb`. */
export const NUMATO_SIMULATOR: SimulatorKind<Record<string, never>> = {
  name: "numato-usb",
  summary: "Numato USB relay module on a pty (relay on|off|read X, echo, > prompt); needs socat",
  options: NONE,
  start(device) {
    const channels = numatoChannels(device);
    const outletOf = new Map<string, number>();
    for (let o = 1; o <= channels; o++) outletOf.set(numatoRelayId(channels, o).toLowerCase(), o);
    return startSerial("numato-usb", device, async (io, reader) => {
      let line = "";
      for (;;) {
        const byte = await reader.byte();
        if (byte === null) return;
        if (byte !== 13) {
          if (byte !== 10 && line.length < 80) line += String.fromCharCode(byte);
          continue;
        }
        const text = line.trim();
        line = "";
        // The module echoes as it receives and turns CR into LF CR.
        await io.write(latin1(`${text}\n\r`));
        if (text !== "") device.record(`< ${text}`);
        const m = /^relay (on|off|read) (\w+)$/.exec(text);
        const outlet = m ? outletOf.get(m[2]!.toLowerCase()) : undefined;
        if (!m || outlet === undefined || !device.has(outlet)) {
          await io.write(latin1(">"));
          continue;
        }
        if (m[1] === "read") {
          await io.write(latin1(`${device.get(outlet)}\n\r>`));
          continue;
        }
        const live = await nodeOperation(device, io, reader, async (fault) => {
          if (fault === "hang") return;
          if (fault === "garbage") return await io.write(latin1("\x00\xfe\x13 garbage\n\r>"));
          if (fault === "none") device.set(outlet, m[1] === "on" ? "on" : "off");
          await io.write(latin1(">"));
        });
        if (!live) return;
      }
    }, (path) => ({ driver: `NumatoUSB${channels}`, device: path }));
  },
};

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

/** `conrad197720`. */
export const CONRAD_SIMULATOR: SimulatorKind<Record<string, never>> = {
  name: "conrad197720",
  summary: "Chain of Conrad 197720 relay cards on a pty (XOR-checked 4-byte frames); needs socat",
  options: NONE,
  start(device) {
    // Outlet N is relay N mod 8 of card N div 8 + 1, so enough cards to hold the last outlet.
    const cards = Math.ceil((device.first + device.count) / 8);
    const relayByte = (card: number) => {
      let byte = 0;
      for (let bit = 0; bit < 8; bit++) {
        const outlet = (card - 1) * 8 + bit;
        if (device.has(outlet) && device.get(outlet) === "on") byte |= 1 << bit;
      }
      return byte;
    };
    return startSerial("conrad197720", device, async (io, reader) => {
      const answer = (command: number, address: number, data: number) =>
        io.write(conradFrame(255 - command, address, data));
      for (;;) {
        const f = await reader.bytes(4);
        if (f === null) return;
        const [command, address, data] = [f[0]!, f[1]!, f[2]!];
        device.record(`< ${[...f].join(" ")}`);
        // A frame with a bad checksum is dropped, as the card does.
        if ((command ^ address ^ data) !== f[3]) continue;
        if (command === CONRAD.init) {
          for (let card = address; card < address + cards; card++) await answer(command, card, 11);
          await io.write(conradFrame(CONRAD.init, address + cards, data));
          continue;
        }
        if (address < 1 || address > cards) continue;
        if (command === CONRAD.getPort) {
          await answer(command, address, relayByte(address));
          continue;
        }
        if (command !== CONRAD.setSingle && command !== CONRAD.delSingle) continue;
        const live = await nodeOperation(device, io, reader, async (fault) => {
          if (fault === "hang") return;
          if (fault === "garbage") return await io.write(Uint8Array.of(0xfe, 0x13, 0x00, 0x42));
          if (fault === "none") {
            for (let bit = 0; bit < 8; bit++) {
              const outlet = (address - 1) * 8 + bit;
              if (data & 1 << bit && device.has(outlet)) {
                device.set(outlet, command === CONRAD.setSingle ? "on" : "off");
              }
            }
          }
          await answer(command, address, relayByte(address));
        });
        if (!live) return;
      }
    }, (path) => ({ driver: "conrad197720", device: path }));
  },
};

/** Every serial relay simulator kind. */
export const SERIAL_SIMULATORS: readonly SimulatorKind<unknown>[] = [
  NUMATO_SIMULATOR,
  DEVANTECH_USB_SIMULATOR,
  CONRAD_SIMULATOR,
] as SimulatorKind<unknown>[];
