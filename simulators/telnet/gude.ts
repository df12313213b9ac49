/**
 * Simulator of the Gude Expert Power Control 1202 telnet console (`port N state set 1|0`).
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { consoleFault } from "./_console.ts";
import { exists, serveLines } from "./_lines.ts";

const NONE = z.object({}).strict();

/** `gude-telnet`. */
export const GUDE_TELNET: SimulatorKind<Record<string, never>> = {
  name: "gude-telnet",
  summary: "Gude Expert Power Control 1202 telnet console (port N state set 1|0 → OK.)",
  options: NONE,
  start(device, { hostname, port }) {
    return Promise.resolve(serveLines("gude-telnet", device, { hostname, port }, () => ({
      greeting: "GUDE Expert Power Control 1202\r\n",
      async line(text) {
        if (text === "quit" || text === "exit") return "hangup";
        const m = /^port (\d+) state(?: set ([01]))?$/.exec(text);
        if (!m) return "Unknown command.\r\n";
        const n = Number(m[1]);
        if (!exists(device, n)) return "Invalid parameter.\r\n";
        return await consoleFault(device, "Error: port locked.\r\n", () => {
          if (m[2] === undefined) return `${device.get(n) === "on" ? 1 : 0}\r\n`;
          device.set(n, m[2] === "1" ? "on" : "off");
          return "OK.\r\n";
        });
      },
    }), (p) => ({ driver: "gude1202", telnetport: p })));
  },
};
