/**
 * NXP development boards through NXP's board control utility (github.com/nxp-imx/bcu),
 * upstream's `bcu`. Keys as upstream: `id` (USB path such as "3-7.1"), `board` (see
 * `bcu lsboard`), `bcu_exe` (default "bcu"), `reset_gpio` (default "reset"),
 * `reset_gpio_active_low` (default 1), `bootmode` (optional). The board has one "outlet": any
 * outlet number drives the reset GPIO (`bcu set_gpio GPIO 1|0 -id=… -board=…`).
 *
 * Upstream runs `bcu init [bootmode]` when the daemon starts; here it runs before the first
 * operation of each driver incarnation (no I/O at creation), and again after a failure.
 * Tested against the stand-in tool in simulators/usb/bcu.ts.
 * @module
 */
import { z } from "zod";
import { PROGRAM } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { runTool } from "./_tool.ts";

const WORD = z.string().min(1).regex(/^[\w.:/-]+$/, "expected a plain word (no spaces)");

const OPTIONS = z.object({
  "id": WORD.optional(),
  "board": WORD.optional(),
  "bcu_exe": PROGRAM.default("bcu"),
  "reset_gpio": WORD.default("reset"),
  "reset_gpio_active_low": z.union([z.boolean(), z.number(), z.string()]).default("1").transform(
    (v, ctx) => {
      if (typeof v === "boolean") return v;
      const n = typeof v === "number" ? v : /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n)) {
        ctx.addIssue({ code: "custom", message: "expected 0 or 1, as upstream reads it" });
        return z.NEVER;
      }
      return n !== 0;
    },
  ),
  "bootmode": WORD.optional(),
}).strict();

/** bcu's keys. */
export type BcuOptions = z.infer<typeof OPTIONS>;

/** `bcu`. */
export const BCU: DriverDescriptor<BcuOptions> = {
  names: ["bcu"],
  // the vendor tool is run.
  permissions: ["run"],
  summary: "NXP boards' reset line through the bcu tool (set_gpio reset)",
  options: OPTIONS,
  create(_hostname, { options, log }) {
    const what = `NXP board${options.board ? ` ${options.board}` : ""}${
      options.id ? ` at USB ${options.id}` : ""
    }`;
    const selectors = [
      ...(options.id ? [`-id=${options.id}`] : []),
      ...(options.board ? [`-board=${options.board}`] : []),
    ];
    const run = (subcommand: string[], signal: AbortSignal) => {
      log.debug("running bcu", { args: [...subcommand, ...selectors] });
      return runTool(options.bcu_exe, [...subcommand, ...selectors], what, signal);
    };
    let initialised = false;
    return {
      async setOutlet(_outlet, state, { signal }) {
        if (!initialised) {
          await run(["init", ...(options.bootmode ? [options.bootmode] : [])], signal);
          initialised = true;
        }
        // Powered ("on") means reset released: the inactive level of the reset line.
        const high = (state === "on") === options.reset_gpio_active_low;
        try {
          await run(["set_gpio", options.reset_gpio, high ? "1" : "0"], signal);
        } catch (error) {
          initialised = false;
          throw error;
        }
      },
      close: () => Promise.resolve(),
    };
  },
};
