/**
 * localcmdline: runs an operator-configured shell command per operation (upstream's keys
 * `cmd_on`, `cmd_off`, with `%s`/`%d` standing for the outlet number).
 *
 * The command text comes only from the config file; the outlet is an integer validated before
 * it gets here, so no request byte reaches the shell. Unlike upstream, a non-zero exit status
 * fails the operation.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";

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
        log.debug("running command", { command });
        let output: Deno.CommandOutput;
        try {
          output = await new Deno.Command(options.shell, {
            args: ["-c", command],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
            signal,
          }).output();
        } catch (error) {
          if (signal.aborted) throw new DriverError("timeout", `command "${command}" was aborted`);
          throw new DriverError(
            "device",
            `cannot run ${options.shell}: ${error instanceof Error ? error.message : error}`,
          );
        }
        if (signal.aborted) throw new DriverError("timeout", `command "${command}" was aborted`);
        if (!output.success) {
          const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "";
          throw new DriverError(
            "device",
            `command "${command}" exited with status ${output.code}${stderr ? `: ${stderr}` : ""}`,
          );
        }
      },
      async close() {},
    };
  },
};
