/**
 * `acme`: BayLibre ACME cape. `dut-switch-on N` / `dut-switch-off N` over SSH as `username`
 * (default root) with the daemon user's key (upstream relies on `ssh root@host` and the runner's
 * id_rsa; pdud reads `identity_file`, default ~/.ssh/id_ed25519, id_ecdsa, id_rsa) or a
 * `password`.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
import { defaultIdentityFiles, SSH_KEYS, sshRun } from "../_transport/ssh.ts";
import { target } from "./_target.ts";

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
