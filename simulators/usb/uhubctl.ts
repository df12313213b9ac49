/**
 * Simulator of a USB hub's port power switched with `uhubctl`.
 *
 * It runs as the stand-in tool of tools.ts: a script that forwards its argv to the simulator, which
 * checks it exactly, changes the outlets and records the run.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { startTool, usage } from "./tools.ts";

/** `uhubctl`. */
export const UHUBCTL_SIMULATOR: SimulatorKind<{ location: string }> = {
  name: "uhubctl",
  summary: "USB hub behind a stand-in uhubctl (--location L --port N --action on|off)",
  options: z.object({ "location": z.string().default("1-1.4") }).strict(),
  start(device, { options }) {
    const status = (port: number) =>
      `  Port ${port}: ${
        device.get(port) === "on" ? "0503 power highspeed enable connect" : "0000 off"
      }\n`;
    const hub =
      `hub ${options.location} [05e3:0610 GenesysLogic USB2.0 Hub, USB 2.10, ${device.count} ports, ppps]`;
    return startTool("uhubctl", device, {
      run(args) {
        const [l, location, p, port, a, action, ...rest] = args;
        const n = Number(port);
        if (
          l !== "--location" || p !== "--port" || a !== "--action" || rest.length > 0 ||
          !/^\d+$/.test(port ?? "") || !["on", "off"].includes(action ?? "")
        ) return usage("uhubctl");
        if (location !== options.location || !device.has(n)) {
          return { code: 1, output: "No compatible devices detected!\n" };
        }
        const before = `Current status for ${hub}\n${status(n)}`;
        device.set(n, action === "on" ? "on" : "off");
        return {
          code: 0,
          output: `${before}Sent power ${action} request\nNew status for ${hub}\n${status(n)}`,
        };
      },
      error: { code: 1, output: "Error: USB device 05e3:0610 permission denied\n" },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({ driver: "uhubctl", location: options.location, uhubctl: executable }));
  },
};
