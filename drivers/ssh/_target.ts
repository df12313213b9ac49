/**
 * What the SSH switches of this family share: their config keys mapped onto a login target.
 * @module
 */
import type { z } from "zod";
import { SSH_KEYS, type SshTarget } from "../_transport/ssh.ts";

/** The keys every ssh driver takes (SSH_KEYS) and a login name. */
export type SshOptions = z.infer<z.ZodObject<typeof SSH_KEYS>> & { username: string };

/** The login target of `hostname` under a driver's options. */
export function target(
  hostname: string,
  o: SshOptions,
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
