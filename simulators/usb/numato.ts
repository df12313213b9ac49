/**
 * Simulator of a Numato USB relay module on a pty (echo, LF CR, `>` prompt); needs socat.
 * A refused or dropped operation re-enumerates the device; an error leaves the relay as it was
 * (the drivers read back and notice).
 * @module
 */
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { latin1, nodeOperation } from "./_node.ts";
import { NUMATO_CHANNELS, numatoRelayId } from "../../drivers/usb/mod.ts";
import { NONE, startSerial } from "./_serial.ts";

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
