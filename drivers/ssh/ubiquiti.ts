/**
 * SSH-managed power switches, upstream's names and keys.
 *
 * `ubntmfi3port`, `ubntmfi6port`, `ubntmfi8port`: Ubiquiti mFi mPower strips. Each relay is
 * `/proc/power/relayN` on the strip's Linux; pdud runs `echo 1|0 > /proc/power/relayN` over SSH
 * (`username`/`password` default ubnt/ubnt, `sshport` 22, `verify_hostkey` default true) and
 * reads the outlet back with `cat`. Unlike upstream, a command that fails is a failure (upstream
 * ignores the exec result) and outlet numbers beyond the model's count are refused before
 * queueing.
 *
 * `acme`: BayLibre ACME cape. `dut-switch-on N` / `dut-switch-off N` over SSH as `username`
 * (default root) with the daemon user's key (upstream relies on `ssh root@host` and the runner's
 * id_rsa; pdud reads `identity_file`, default ~/.ssh/id_ed25519, id_ecdsa, id_rsa) or a
 * `password`.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { defaultIdentityFiles, SSH_KEYS, sshRun, type SshTarget } from "../_transport/ssh.ts";

const UBNT = z.object({
  ...SSH_KEYS,
  "username": z.string().min(1).default("ubnt"),
  "password": z.string().default("ubnt"),
}).strict();
type UbntOptions = z.infer<typeof UBNT>;

function target(
  hostname: string,
  o: z.infer<typeof UBNT> | z.infer<typeof ACME_OPTIONS>,
  device: string,
  password: string | undefined,
  /** Key files to try when `identity_file` is not set. */
  defaultKeys: string[],
): SshTarget {
  return {
    host: hostname,
    port: o.sshport,
    username: o.username,
    password,
    identityFiles: o.identity_file ? [o.identity_file] : defaultKeys,
    verifyHostkey: o.verify_hostkey,
    hostkey: o.hostkey,
    knownHosts: o.known_hosts,
    device,
  };
}

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

const ACME_OPTIONS = z.object({
  ...SSH_KEYS,
  "username": z.string().min(1).default("root"),
  "password": z.string().optional(),
}).strict();

/** `acme`. */
export const ACME: DriverDescriptor<z.infer<typeof ACME_OPTIONS>> = {
  names: ["acme"],
  summary: "BayLibre ACME cape over SSH (dut-switch-on/off N)",
  options: ACME_OPTIONS,
  create(hostname, { options }) {
    const device = `ACME at ${hostname}:${options.sshport}`;
    const t = target(hostname, options, device, options.password, defaultIdentityFiles());
    return {
      async setOutlet(outlet, state, { signal }) {
        await sshRun(t, `dut-switch-${state} ${outlet}`, signal);
      },
      close: () => Promise.resolve(),
    };
  },
};
