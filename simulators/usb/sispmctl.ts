/**
 * Simulator of an Energenie EG-PMS/EG-PM2 USB power strip switched with `sispmctl`.
 *
 * It runs as the stand-in tool of tools.ts: a script that forwards its argv to the simulator, which
 * checks it exactly, changes the outlets and records the run.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { startTool, usage } from "./tools.ts";

/** `sispmctl`. */
export const SISPMCTL_SIMULATOR: SimulatorKind<{ id: string }> = {
  name: "sispmctl",
  summary: "Energenie EG-PM2 USB strip behind a stand-in sispmctl (-D id -o|-f N)",
  options: z.object({ "id": z.string().default("01:01:4f:2b:a3") }).strict(),
  start(device, { options }) {
    return startTool("sispmctl", device, {
      run(args) {
        const [d, id, flag, outlet, ...rest] = args;
        const n = Number(outlet);
        if (d !== "-D" || !["-o", "-f"].includes(flag ?? "") || rest.length > 0) {
          return usage("sispmctl");
        }
        if (id !== options.id) return { code: 1, output: `No device with serial ${id} found\n` };
        if (!/^\d+$/.test(outlet ?? "") || !device.has(n)) {
          return { code: 2, output: `Invalid outlet number given: ${outlet}\n` };
        }
        device.set(n, flag === "-o" ? "on" : "off");
        return {
          code: 0,
          output: `Accessing Gembird #0 USB device 004\nSwitched outlet ${n} ${device.get(n)}\n`,
        };
      },
      error: {
        code: 1,
        output: "Error performing requested action\nLibusb error string: Pipe error\n",
      },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({ driver: "EG-PM2", device: options.id, sispmctl: executable }));
  },
};
