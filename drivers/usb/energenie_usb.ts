/**
 * Energenie / Gembird USB power strips (SiS-PM: EG-PMS, EG-PM2), upstream's `EG-PMS` and
 * `EG-PM2`, key `device` (the strip's id as sispmctl prints it, e.g. "01:01:4f:2b:a3";
 * required) and pdud's `sispmctl` (the executable, default "sispmctl"). Outlets 1-4.
 *
 * The strips are switched with USB control transfers, which Deno cannot issue, so this driver
 * runs sispmctl (sispmctl.sourceforge.net): `sispmctl -D ID -o N` / `-f N`, and checks the
 * "Switched outlet N on|off" it prints. A missing sispmctl is reported at the first operation.
 * Tested against the stand-in tool in simulators/usb/sispmctl.ts.
 * @module
 */
import { z } from "zod";
import { PROGRAM } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { lastLine, runTool } from "./_tool.ts";

const OPTIONS = z.object({
  // Not checked for hex: upstream's own example has the placeholder "aa:bb:cc:xx:yy" and must
  // load; sispmctl then reports the unknown id at the first operation. Only what sispmctl could
  // read as an option (a leading "-") or as two arguments is refused.
  "device": z.string().regex(/^[^\s-]\S*$/, {
    message: 'expected the strip id as sispmctl -s prints it, e.g. "01:01:4f:2b:a3"',
  }),
  "sispmctl": PROGRAM.default("sispmctl"),
}).strict();

/** EG-PMS / EG-PM2's keys. */
export type EnergenieUsbOptions = z.infer<typeof OPTIONS>;

/** `EG-PMS`, `EG-PM2`. */
export const ENERGENIE_USB: DriverDescriptor<EnergenieUsbOptions> = {
  names: ["EG-PMS", "EG-PM2"],
  // the vendor tool is run.
  permissions: ["run"],
  summary: "Energenie EG-PMS / EG-PM2 USB strips through sispmctl (-D id -o|-f N)",
  options: OPTIONS,
  outletRange: () => ({ min: 1, max: 4 }),
  create(_hostname, { options, log }) {
    const what = `Energenie USB strip ${options.device}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        const args = [
          "-D",
          options.device.toLowerCase(),
          state === "on" ? "-o" : "-f",
          `${outlet}`,
        ];
        log.debug("running sispmctl", { args });
        const { stdout } = await runTool(options.sispmctl, args, what, signal);
        const m = new RegExp(`Switched outlet ${outlet} (on|off)`).exec(stdout);
        if (!m) {
          throw new DriverError(
            "protocol",
            `${what}: sispmctl did not confirm outlet ${outlet} (it said "${lastLine(stdout)}")`,
          );
        }
        if (m[1] !== state) {
          throw new DriverError("device", `${what}: outlet ${outlet} is ${m[1]}, not ${state}`);
        }
      },
      close: () => Promise.resolve(),
    };
  },
};
