/**
 * `ubntmfi3port`, `ubntmfi6port`, `ubntmfi8port`: Ubiquiti mFi mPower strips. Each relay is
 * `/proc/power/relayN` on the strip's Linux; pdud runs `echo 1|0 > /proc/power/relayN` over SSH
 * (`username`/`password` default ubnt/ubnt, `sshport` 22, `verify_hostkey` default true) and
 * reads the outlet back with `cat`. Unlike upstream, a command that fails is a failure (upstream
 * ignores the exec result) and outlet numbers beyond the model's count are refused before
 * queueing.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { SSH_KEYS, sshRun } from "../_transport/ssh.ts";
import { target } from "./_target.ts";

const UBNT = z.object({
  ...SSH_KEYS,
  "username": z.string().min(1).default("ubnt"),
  "password": z.string().default("ubnt"),
}).strict();
type UbntOptions = z.infer<typeof UBNT>;

function ubnt(name: string, outlets: number): DriverDescriptor<UbntOptions> {
  return {
    names: [name],
    summary: `Ubiquiti mFi mPower ${outlets}-outlet strip over SSH (/proc/power/relayN)`,
    options: UBNT,
    outletRange: () => ({ min: 1, max: outlets }),
    create(hostname, { options }) {
      const device = `Ubiquiti mFi at ${hostname}:${options.sshport}`;
      // A password is always given (default ubnt); a key is used too when one is configured.
      const t = target(hostname, options, device, options.password, []);
      return {
        async setOutlet(outlet, state, { signal }) {
          await sshRun(t, `echo ${state === "on" ? 1 : 0} > /proc/power/relay${outlet}`, signal);
        },
        async getOutlet(outlet, { signal }) {
          const out = (await sshRun(t, `cat /proc/power/relay${outlet}`, signal)).trim();
          if (out === "1") return "on";
          if (out === "0") return "off";
          throw new DriverError(
            "protocol",
            `${device}: /proc/power/relay${outlet} reads ${JSON.stringify(out)}, not 0 or 1`,
          );
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** `ubntmfi3port`, `ubntmfi6port`, `ubntmfi8port`. */
export const UBNT_DRIVERS: DriverDescriptor<UbntOptions>[] = [
  ubnt("ubntmfi3port", 3),
  ubnt("ubntmfi6port", 6),
  ubnt("ubntmfi8port", 8),
];
