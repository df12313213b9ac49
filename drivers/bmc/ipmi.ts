/**
 * Server power through a BMC's IPMI chassis control, over IPMI 1.5 LAN (`lan`) or IPMI 2.0
 * RMCP+ (`lanplus`), by running ipmitool (github.com/ipmitool/ipmitool, Debian's `ipmitool`):
 * `ipmitool -I lanplus -H host -p 623 -U user -E -C 3 -L ADMINISTRATOR chassis power on|off|status`
 * (IPMI v2.0 §28.3 Chassis Control, §28.2 Get Chassis Status). The outlet is the system: a BMC
 * has one, outlet 1.
 *
 * The password reaches ipmitool through its environment (`-E`, IPMI_PASSWORD) or a file it reads
 * itself (`-f`), never its argv, which every local user can read in /proc. Keys follow
 * fence_ipmilan where it has one: `username`, `password`, `password_file`, `interface`
 * (lanplus), `cipher` (3), `port` (623), `privilege` (administrator), and `ipmitool` (the
 * executable). Tested against OpenIPMI's BMC simulator `ipmi_sim` (Debian `openipmi` 2.0.33)
 * with ipmitool 1.8.19.
 * @module
 */
import { z } from "zod";
import { FILE_PATH, portNumber, PROGRAM, wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { complaint, howItEnded, runProcess } from "../_transport/process.ts";

const PRIVILEGES = {
  callback: "CALLBACK",
  user: "USER",
  operator: "OPERATOR",
  administrator: "ADMINISTRATOR",
} as const;

/** The longest password IPMI carries: 20 bytes in RMCP+ (v2.0 §13.31), 16 in v1.5 sessions. */
const PASSWORD_BYTES = { lan: 16, lanplus: 20 } as const;

const OPTIONS = z.object({
  "username": z.string().optional(),
  "password": z.string().optional(),
  /** A file whose first line is the password; ipmitool reads it (-f), pdud never does. */
  "password_file": FILE_PATH.optional(),
  "interface": z.enum(["lan", "lanplus"]).default("lanplus"),
  /**
   * The RMCP+ cipher suite (lanplus only). 3 (HMAC-SHA1, AES-CBC-128) is what BMCs of the last
   * fifteen years and ipmi_sim all take; ipmitool's own default (17) makes a BMC without it
   * leave every call unanswered until ipmitool gives up.
   */
  "cipher": wholeNumber(0, 17).default(3),
  "port": portNumber(623),
  "privilege": z.enum(["callback", "user", "operator", "administrator"]).default("administrator"),
  "ipmitool": PROGRAM.default("ipmitool"),
}).strict().refine((o) => o.password === undefined || o.password_file === undefined, {
  message: "give password or password_file, not both",
  path: ["password_file"],
}).refine(
  (o) =>
    o.password === undefined ||
    new TextEncoder().encode(o.password).length <= PASSWORD_BYTES[o.interface],
  {
    message: "IPMI takes at most 20 bytes of password over lanplus, 16 over lan",
    path: ["password"],
  },
);

/** ipmi's keys. */
export type IpmiOptions = z.infer<typeof OPTIONS>;

/** What `chassis power status` says, or undefined when it says neither. */
export function ipmiPowerState(stdout: string): OutletState | undefined {
  const m = /^Chassis Power is (on|off)\s*$/m.exec(stdout);
  return m ? m[1] as OutletState : undefined;
}

/** What `chassis power on|off` says when the BMC accepted the control. */
const CONTROL_DONE: Record<OutletState, RegExp> = {
  on: /^Chassis Power Control: Up\/On\s*$/m,
  off: /^Chassis Power Control: Down\/Off\s*$/m,
};

/**
 * ipmitool's words (with -v) for a BMC that refused the user, the password or the privilege
 * (RAKP 2 errors in RMCP+, Activate Session failures in IPMI 1.5): trying again cannot help.
 */
const AUTH_FAILURE =
  /RAKP 2 HMAC is invalid|RAKP \d message indicates an error|unauthorized name|Invalid user name|Activate Session command failed|Activate Session error|insufficient privilege|privilege level exceeds|Set Session Privilege Level.*failed|Authentication type .* not supported/i;
/** …and for a BMC that never answered. */
const NO_ANSWER =
  /Get Auth Capabilities (error|command failed)|Get Channel Authentication Capabilities|No response from remote controller|Unable to establish IPMI v2|Unable to establish (IPMI v1\.5|LAN)|Address lookup for .* failed/i;

/** The ipmitool argv, up to the command: no secret in it, ever. */
export function ipmitoolArgs(host: string, options: IpmiOptions): string[] {
  const args = ["-I", options.interface, "-H", host, "-p", String(options.port)];
  if (options.username !== undefined) args.push("-U", options.username);
  if (options.password !== undefined) args.push("-E");
  else if (options.password_file !== undefined) args.push("-f", options.password_file);
  if (options.interface === "lanplus") args.push("-C", String(options.cipher));
  // -v: without it a wrong password and a silent BMC read alike ("Unable to establish …").
  args.push("-L", PRIVILEGES[options.privilege], "-v");
  return args;
}

/** `ipmi`. */
export const IPMI: DriverDescriptor<IpmiOptions> = {
  names: ["ipmi"],
  // ipmitool is run.
  permissions: ["run"],
  summary: "server power through a BMC's IPMI chassis control (ipmitool, lan or lanplus)",
  options: OPTIONS,
  outletRange: () => ({ min: 1, max: 1 }),
  create(hostname, { options, log }) {
    const device = `IPMI BMC ${hostname}:${options.port}`;
    const base = ipmitoolArgs(hostname, options);
    const env = options.password !== undefined ? { IPMI_PASSWORD: options.password } : undefined;
    const power = async (command: "on" | "off" | "status", signal: AbortSignal) => {
      log.debug("running ipmitool", { command: `chassis power ${command}` });
      const result = await runProcess(options.ipmitool, [...base, "chassis", "power", command], {
        signal,
        what: `${device}: ipmitool chassis power ${command}`,
        ...(env ? { env } : {}),
      });
      if (result.success) return result.stdout;
      const text = `${result.stderr}\n${result.stdout}`;
      const cause = text.split(/\r?\n/).map((l) => l.trim()).find((l) =>
        AUTH_FAILURE.test(l) || NO_ANSWER.test(l)
      );
      const said = complaint(result);
      const detail = [cause, said].filter((l, i, all) => l && all.indexOf(l) === i)
        .map((l) => printable(l!, 200)).join("; ");
      const message = `${device}: ipmitool chassis power ${command} ${howItEnded(result)}` +
        (detail ? `: ${detail}` : "");
      if (AUTH_FAILURE.test(text)) {
        throw new DriverError(
          "auth",
          `${message} (check username, password and privilege)`,
        );
      }
      if (NO_ANSWER.test(text)) throw new DriverError("unreachable", message);
      throw new DriverError("device", message);
    };
    return {
      async setOutlet(_outlet, state, { signal }) {
        const stdout = await power(state, signal);
        if (!CONTROL_DONE[state].test(stdout)) {
          throw new DriverError(
            "protocol",
            `${device}: ipmitool did not confirm chassis power ${state} (it said "${
              printable(stdout.trim(), 100)
            }")`,
          );
        }
      },
      async getOutlet(_outlet, { signal }) {
        const stdout = await power("status", signal);
        const state = ipmiPowerState(stdout);
        if (state === undefined) {
          throw new DriverError(
            "protocol",
            `${device}: ipmitool chassis power status said "${printable(stdout.trim(), 100)}"`,
          );
        }
        return state;
      },
      close: () => Promise.resolve(),
    };
  },
};
