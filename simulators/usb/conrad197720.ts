/**
 * Simulator of a chain of Conrad 197720 relay cards on a pty (4-byte XOR frames); needs socat.
 * A refused or dropped operation re-enumerates the device; an error leaves the relay as it was
 * (the drivers read back and notice).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { nodeOperation } from "./_node.ts";
import { CONRAD, conradFrame } from "../../drivers/usb/mod.ts";
import { NONE, startSerial } from "./_serial.ts";

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
