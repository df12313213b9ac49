/**
 * localcmdline: runs an operator-configured shell command per operation (upstream's keys
 * `cmd_on`, `cmd_off`, with `%s`/`%d` standing for the outlet number).
 *
 * The command text comes only from the config file; the outlet is an integer validated before
 * it gets here, so no request byte reaches the shell. Unlike upstream, a non-zero exit status
 * fails the operation. The command runs in a process group of its own, killed whole on timeout
 * (see _transport/process.ts); a failure names the key and the program, never the command line,
 * which may hold a password.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { complaint, howItEnded, runProcess } from "../_transport/process.ts";

/** localcmdline's keys. */
export interface LocalCmdlineOptions {
  "cmd_on"?: string | undefined;
  "cmd_off"?: string | undefined;
  shell: string;
}

/** Replaces the `%s`/`%d`/`%i` placeholder of a printf-style command with the outlet number. */
export function formatCommand(template: string, outlet: number): string {
  if (!Number.isInteger(outlet)) throw new TypeError(`outlet must be an integer, got ${outlet}`);
  return template.replace(/%([sdi%])/g, (_, c: string) => c === "%" ? "%" : String(outlet));
}

/**
 * The program a shell command line runs first, for messages: its first word that is not a
 * variable assignment, without its directory, printable.
 */
export function programOf(command: string): string {
  const words = command.trim().split(/\s+/).filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  const first = (words[0] ?? "").replace(/^["']|["';&|]+$/g, "");
  return printable(first.split("/").at(-1) || "sh", 60);
}

/**
 * `text` with every word of `command` but its program replaced by "***": a program that echoes
 * its arguments (a password among them) in its complaint must not put them into a message.
 */
export function withoutWordsOf(command: string, text: string): string {
  const words = command.split(/[\s"'`;&|<>()=,]+/).slice(1).filter((w) => w.length >= 4)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const word of words) out = out.replaceAll(word, "***");
  return out;
}

/** Upstream's `localcmdline`. */
export const LOCALCMDLINE: DriverDescriptor<LocalCmdlineOptions> = {
  names: ["localcmdline"],
  summary: "runs cmd_on / cmd_off through /bin/sh with %s replaced by the outlet number",
  permissions: ["run"],
  options: z.object({
    "cmd_on": z.string().min(1).optional(),
    "cmd_off": z.string().min(1).optional(),
    "shell": z.string().default("/bin/sh"),
  }).strict(),
  create(hostname, { options, log }) {
    return {
      async setOutlet(outlet: number, state: OutletState, { signal }) {
        const template = state === "on" ? options.cmd_on : options.cmd_off;
        if (template === undefined) {
          throw new DriverError(
            "config",
            `PDU "${hostname}" has no cmd_${state} configured, so it cannot switch ${state}`,
          );
        }
        const command = formatCommand(template, outlet);
        const key = `cmd_${state}`;
        // Admins put passwords in commands (curl -u, sshpass -p): only the program is named.
        const program = programOf(command);
        log.debug("running command", { command: key, program });
        const result = await runProcess(options.shell, ["-c", command], {
          signal,
          what: `${key} (${program})`,
        });
        if (!result.success) {
          const said = withoutWordsOf(command, complaint(result));
          throw new DriverError(
            "device",
            `${key} (${program}) ${howItEnded(result)}${said ? `: ${said}` : ""}`,
          );
        }
      },
      async close() {},
    };
  },
};
