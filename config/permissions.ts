/**
 * Which of Deno's riskier permissions a config needs, so the daemon can give up the rest right
 * after it starts. The shipped tasks and binaries are granted `run` and `write` because some
 * configs need them (a command driver, the audit log, systemd-notify); a daemon whose config needs
 * neither then runs without them, and no request can ever start a program or write a file.
 *
 * `net`, `read` and `env` are kept: every driver talks over the network, reload reads the config
 * (and SSH drivers their keys), and token secrets come from the environment. Deno cannot narrow
 * a global grant to some paths, only drop it whole.
 * @module
 */
import type { Config } from "./schema.ts";
import { pluginLookup } from "./plugins.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";

/** A permission pdud can give up after start. */
export type DroppablePermission = "run" | "write";

/** The permissions pdud can give up, in a stable order. */
export const DROPPABLE: readonly DroppablePermission[] = ["run", "write"];

/** For each droppable permission the config needs, why (one reason per user). */
export function permissionsNeeded(
  config: Config,
): Map<DroppablePermission, string[]> {
  const needs = new Map<DroppablePermission, string[]>();
  const add = (p: DroppablePermission, why: string) => needs.set(p, [...(needs.get(p) ?? []), why]);
  const find = pluginLookup(config.plugins);
  for (const pdu of Object.values(config.pdus)) {
    if (!pdu.available) continue;
    for (const p of find(pdu.driver)?.permissions ?? []) {
      add(p, `pdus.${pdu.name} (driver ${pdu.driver})`);
    }
  }
  if (config.daemon.audit_log !== undefined) add("write", "daemon.audit_log");
  return needs;
}

/**
 * Refuses a config (at reload) that needs a permission this process has already given up:
 * Deno cannot take a permission back once it was revoked.
 */
export function assertPermitted(config: Config, dropped: ReadonlySet<DroppablePermission>): void {
  const issues: ConfigIssue[] = [];
  for (const [permission, users] of permissionsNeeded(config)) {
    if (!dropped.has(permission)) continue;
    for (const user of users) {
      issues.push({
        path: user.split(" ")[0]!,
        message: `${user} needs --allow-${permission}, which pdud gave up at start because ` +
          `no PDU needed it; restart pdud to load this config`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, "the new config");
}

/**
 * Gives up `run` and `write` unless the config needs them (`keep` adds needs of the caller, e.g.
 * systemd-notify still to run). Returns what was dropped; a permission not granted in the first
 * place is reported as dropped too, since it cannot be used either way.
 */
export async function dropUnneededPermissions(
  config: Config,
  keep: ReadonlySet<DroppablePermission> = new Set(),
): Promise<Set<DroppablePermission>> {
  const needed = permissionsNeeded(config);
  const dropped = new Set<DroppablePermission>();
  for (const name of DROPPABLE) {
    if (needed.has(name) || keep.has(name)) continue;
    await Deno.permissions.revoke({ name });
    dropped.add(name);
  }
  return dropped;
}
