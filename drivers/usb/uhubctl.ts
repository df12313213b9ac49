/**
 * USB hub port power through the uhubctl tool (github.com/mvp/uhubctl), upstream's `uhubctl`:
 * key `location` (the hub, as `uhubctl -l` takes it, e.g. "1-1.4"; required), and pdud's
 * `uhubctl` (the executable; default found as upstream does, in PATH, /sbin, /usr/sbin,
 * /usr/local/sbin). The outlet is the hub port: `uhubctl --location L --port N --action on|off`.
 *
 * Unlike upstream, the "New status" uhubctl prints afterwards is checked, since hubs without
 * per-port power switching accept the request and change nothing. A missing tool is reported
 * at the first operation, not at start. Tested against the stand-in tool in simulators/usb/uhubctl.ts.
 * @module
 */
import { z } from "zod";
import { PROGRAM } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { lastLine, runTool } from "./_tool.ts";

const OPTIONS = z.object({
  "location": z.union([z.string().min(1), z.number().transform(String)]).pipe(
    z.string().regex(/^[\w.:-]+$/, "expected a hub location such as 1-1.4"),
  ),
  "uhubctl": PROGRAM.default("uhubctl"),
}).strict();

/** uhubctl's keys. */
export type UhubctlOptions = z.infer<typeof OPTIONS>;

/** The state uhubctl reports for `port` after "New status", or undefined if it says nothing. */
export function uhubctlNewState(stdout: string, port: number): OutletState | undefined {
  const after = stdout.slice(Math.max(0, stdout.lastIndexOf("New status")));
  if (!after.startsWith("New status")) return undefined;
  const line = new RegExp(`^\\s*Port ${port}: [0-9a-f]{4}\\b(.*)$`, "m").exec(after);
  if (!line) return undefined;
  return /\bpower\b/.test(line[1]!) ? "on" : /\boff\b/.test(line[1]!) ? "off" : undefined;
}

/** `uhubctl`. */
export const UHUBCTL: DriverDescriptor<UhubctlOptions> = {
  names: ["uhubctl"],
  // the vendor tool is run.
  permissions: ["run"],
  summary: "USB hub port power via the uhubctl tool (location = hub, outlet = port)",
  options: OPTIONS,
  create(_hostname, { options, log }) {
    const what = `USB hub ${options.location}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        const args = [
          "--location",
          options.location,
          "--port",
          String(outlet),
          "--action",
          state,
        ];
        log.debug("running uhubctl", { args });
        const { stdout } = await runTool(options.uhubctl, args, what, signal);
        const now = uhubctlNewState(stdout, outlet);
        if (now === undefined) {
          throw new DriverError(
            "protocol",
            `${what}: uhubctl did not report the new status of port ${outlet}` +
              ` (it said "${lastLine(stdout)}")`,
          );
        }
        if (now !== state) {
          throw new DriverError(
            "device",
            `${what}: port ${outlet} is still ${now} after uhubctl switched it ${state} ` +
              `(the hub may not switch ports individually)`,
          );
        }
      },
      close: () => Promise.resolve(),
    };
  },
};
