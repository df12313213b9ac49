/**
 * localcmdline: runs an operator-configured shell command per operation (upstream's keys
 * `cmd_on`, `cmd_off`, with `%s`/`%d` standing for the outlet number).
 *
 * The command text comes only from the config file; an outlet number is an integer validated
 * before it gets here. An outlet name (upstream b30c332: `port=board-a`) never enters the shell
 * text: `%s` becomes a reference to the shell's `$1` (quoted for where it stands) and the name
 * is passed as that one argv element (`sh -c SCRIPT localcmdline NAME`), so no request byte is
 * parsed by the shell. Unlike upstream, a non-zero exit status
 * fails the operation. The command runs in a process group of its own, killed whole on timeout
 * (see _transport/process.ts); a failure names the key and the program, never the command line,
 * which may hold a password.
 * @module
 */
import { z } from "zod";
import { PROGRAM } from "../_options.ts";
import {
  type DriverDescriptor,
  OUTLET_NAME,
  OUTLET_NAME_RULE,
  type OutletState,
} from "../driver.ts";
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
 * The shell script for an outlet name: each `%s` of `template` becomes a reference to `$1`,
 * written so that the shell expands it as one word wherever it stands (bare: `"${1}"`, inside
 * double quotes: `${1}`, inside single quotes: `'"${1}"'`, closing and reopening them); `%%`
 * becomes `%`. The name itself is passed as an argument and never appears in the script.
 * `%d`/`%i` take a number, as in upstream, where `cmd_on % "board-a"` fails: the reason then.
 */
export function scriptForName(template: string): { script: string } | { reason: string } {
  let out = "";
  let quote: "" | "'" | '"' = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === "\\" && quote !== "'") {
      out += c + (template[i + 1] ?? "");
      i++;
    } else if (c === "'" && quote !== '"') {
      quote = quote === "'" ? "" : "'";
      out += c;
    } else if (c === '"' && quote !== "'") {
      quote = quote === '"' ? "" : '"';
      out += c;
    } else if (c === "%" && /[sdi%]/.test(template[i + 1] ?? "")) {
      const spec = template[++i]!;
      if (spec === "%") out += "%";
      else if (spec !== "s") {
        return {
          reason:
            `it uses %${spec}, which takes an outlet number; write %s to receive outlet names`,
        };
      } else out += quote === "" ? '"${1}"' : quote === '"' ? "${1}" : `'"\${1}"'`;
    } else out += c;
  }
  return { script: out };
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
  summary:
    "runs cmd_on / cmd_off through /bin/sh with %s replaced by the outlet number (or name, as an argument)",
  permissions: ["run"],
  namedOutlets: true,
  options: z.object({
    "cmd_on": z.string().min(1).optional(),
    "cmd_off": z.string().min(1).optional(),
    "shell": PROGRAM.default("/bin/sh"),
  }).strict(),
  create(hostname, { options, log }) {
    const templateOf = (state: OutletState): string => {
      const template = state === "on" ? options.cmd_on : options.cmd_off;
      if (template === undefined) {
        throw new DriverError(
          "config",
          `PDU "${hostname}" has no cmd_${state} configured, so it cannot switch ${state}`,
        );
      }
      return template;
    };
    /** Runs `sh -c command [$0 $1]`; `args` are the script's own arguments, never parsed. */
    const run = async (
      state: OutletState,
      command: string,
      args: string[],
      signal: AbortSignal,
    ) => {
      const key = `cmd_${state}`;
      // Admins put passwords in commands (curl -u, sshpass -p): only the program is named.
      const program = programOf(command);
      log.debug("running command", { command: key, program });
      const result = await runProcess(options.shell, ["-c", command, ...args], {
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
    };
    return {
      async setOutlet(outlet: number, state: OutletState, { signal }) {
        await run(state, formatCommand(templateOf(state), outlet), [], signal);
      },
      async setNamedOutlet(name: string, state: OutletState, { signal }) {
        // Checked where the request was parsed; again here, as this is where it would matter.
        if (!OUTLET_NAME.test(name)) {
          throw new DriverError(
            "config",
            `outlet name ${JSON.stringify(printable(name, 70))}: expected ${OUTLET_NAME_RULE}`,
          );
        }
        const made = scriptForName(templateOf(state));
        if ("reason" in made) {
          throw new DriverError(
            "config",
            `PDU "${hostname}" cannot switch outlet "${name}" ${state}: cmd_${state} ${made.reason}`,
          );
        }
        // $0 names the script in the shell's own messages; $1 is the name, one argv element.
        await run(state, made.script, ["localcmdline", name], signal);
      },
      async close() {},
    };
  },
};
