/**
 * Simulator of an NXP board's power switched with `bcu` (board control utilities).
 *
 * It runs as the stand-in tool of tools.ts: a script that forwards its argv to the simulator, which
 * checks it exactly, changes the outlets and records the run.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { startTool, usage } from "./tools.ts";

/** `bcu`. */
export const BCU_SIMULATOR: SimulatorKind<{ board: string; id: string }> = {
  name: "bcu",
  summary: "NXP board behind a stand-in bcu (init, set_gpio reset 1|0); one outlet",
  options: z.object({
    "board": z.string().default("imx8mpevk"),
    "id": z.string().default("3-7.1"),
  }).strict(),
  start(device, { options }) {
    const selectors = [`-id=${options.id}`, `-board=${options.board}`];
    const same = (a: string[], b: string[]) =>
      a.length === b.length && a.every((x, i) => x === b[i]);
    return startTool("bcu", device, {
      setup(args) {
        if (same(args, ["init", ...selectors])) return { code: 0, output: "board initialised\n" };
      },
      run(args) {
        if (!same(args.slice(-2), selectors)) return { code: 1, output: "board not found\n" };
        const command = args.slice(0, -2);
        const [verb, gpio, level] = command;
        if (verb !== "set_gpio" || gpio !== "reset" || !["0", "1"].includes(level ?? "")) {
          return usage("bcu");
        }
        // Active-low reset: 1 releases it, so the board runs ("on").
        for (const o of device.outlets()) device.set(o, level === "1" ? "on" : "off");
        return { code: 0, output: `set GPIO reset to ${level}\n` };
      },
      error: { code: 1, output: "ftdi: unable to open device\n" },
      garbage: { code: 139, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({
      driver: "bcu",
      board: options.board,
      id: options.id,
      "bcu_exe": executable,
    }));
  },
};
