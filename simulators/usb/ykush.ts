/**
 * Simulator of the Yepkit YKUSH boards' HID switch: reads the exact reports the device takes and
 * answers with its input report.
 *
 * A fake hidraw node: a pty made by socat, see _pty.ts; the simulator sets it to return from reads
 * every 0.1 s, which a real hidraw node does not. A pty is a byte stream where hidraw keeps one
 * report per read, so the simulator sends at most one input report per request: the driver then
 * reads it whole.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { ByteReader, PtyEndpoint } from "./_pty.ts";
import { nodeOperation, nodeSimulator, simulatorDirectory } from "./_node.ts";

/** `ykush`. */
export const YKUSH_SIMULATOR: SimulatorKind<{ model: "YKUSH" | "YKUSH3" | "YKUSHXS" }> = {
  name: "ykush",
  summary: "Yepkit YKUSH hub on a fake hidraw node ([0x1N,0x1N] up, [N,N] down); needs socat",
  options: z.object({ "model": z.enum(["YKUSH", "YKUSH3", "YKUSHXS"]).default("YKUSH") }).strict(),
  async start(device, { options }) {
    const ports = options.model === "YKUSHXS" ? 1 : 3;
    // Outlets past the hub's ports may exist on the device; the hub never switches them.
    if (device.first !== 1) throw new RangeError(`${options.model} has ports from 1`);
    const directory = await simulatorDirectory("ykush");
    const status = (byte: number) => {
      const report = new Uint8Array(64);
      report[0] = byte;
      return report;
    };
    try {
      const endpoint = await PtyEndpoint.create(`${directory}/hidraw0`, async (io) => {
        const reader = new ByteReader(io);
        for (;;) {
          const report = await reader.bytes(2);
          if (report === null) return;
          const [a, b] = [report[0]!, report[1]!];
          device.record(`< ${a.toString(16)} ${b.toString(16)}`);
          const port = a & 0x0f;
          if (a !== b || (a & 0xf0) > 0x10 || port < 1 || port > ports || !device.has(port)) {
            await io.write(status(0xff));
            continue;
          }
          const live = await nodeOperation(device, io, reader, async (fault) => {
            if (fault === "hang") return;
            if (fault === "garbage") return await io.write(status(0x5a).fill(0xfe));
            if (fault === "error") return await io.write(status(0x00));
            device.set(port, a & 0x10 ? "on" : "off");
            await io.write(status(0x01));
          });
          if (!live) return;
        }
      }, ["min", "0", "time", "1"]);
      return nodeSimulator(
        "ykush",
        device,
        endpoint,
        directory,
        () => ({ driver: options.model, path: endpoint.path }),
      );
    } catch (error) {
      await Deno.remove(directory, { recursive: true }).catch(() => {});
      throw error;
    }
  },
};
