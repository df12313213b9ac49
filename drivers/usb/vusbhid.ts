/**
 * V-USB HID relay boards ("USB Relay" by dcttech and clones, 16c0:05df, product string
 * "USBRelayN" for N relays), upstream's `vusbhid`, keys `serial` (the board's serial, up to 5
 * characters, required) and `invert` (default false; true releases the relay for "on", for loads
 * on its normally closed contact), plus pdud's `usbrelay` (the executable, default "usbrelay").
 *
 * The boards take their commands as HID feature reports, i.e. USB control transfers, which Deno
 * cannot send, so this driver runs Debian's usbrelay (1.0, github.com/darrylb123/usbrelay):
 * `usbrelay` alone prints every relay of every board as `SERIAL_N=1|0` (-1 where a board cannot
 * tell), and `usbrelay -q SERIAL_N=1|0` sets one relay. usbrelay 1.0 exits 0 without a word when
 * it has no board of that serial, so each operation lists first (a wrong serial or relay number
 * is then an error naming what is attached, and nothing is switched), sets, and lists again to
 * confirm the relay's new state. A missing usbrelay is reported at the first operation.
 * Tested against the stand-in tool in simulators/usb/usbrelay.ts.
 * @module
 */
import { z } from "zod";
import { PROGRAM } from "../_options.ts";
import type { DriverDescriptor, OperationOptions, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { lastLine, runTool } from "./_tool.ts";

const OPTIONS = z.object({
  // usbrelay splits an action at its first "_" and "=", reads a leading "-" as an option and a
  // leading "/" as a device path, so a serial holding any of them could not name the board.
  "serial": z.string().regex(/^(?![-/])(?:(?![_=])[\x21-\x7e]){1,5}$/, {
    message: 'expected the board serial usbrelay prints before "_N=", e.g. "QAAMZ"',
  }),
  "invert": z.union([z.boolean(), z.enum(["true", "false", "True", "False", "1", "0"])])
    .default(false)
    .transform((v) => v === true || v === "true" || v === "True" || v === "1"),
  "usbrelay": PROGRAM.default("usbrelay"),
}).strict();

/** vusbhid's keys. */
export type VusbhidOptions = z.infer<typeof OPTIONS>;

/** A relay's state as usbrelay prints it: energised, released, or unknown (-1). */
export type RelayState = boolean | undefined;

/** Reads usbrelay's listing: board serial → relay number → state. Other lines are ignored. */
export function parseUsbrelayList(stdout: string): Map<string, Map<number, RelayState>> {
  const boards = new Map<string, Map<number, RelayState>>();
  for (const line of stdout.split("\n")) {
    const m = /^(.+)_(\d+)=(-1|0|1)$/.exec(line.trim());
    if (!m) continue;
    let relays = boards.get(m[1]!);
    if (!relays) boards.set(m[1]!, relays = new Map());
    relays.set(Number(m[2]), m[3] === "-1" ? undefined : m[3] === "1");
  }
  return boards;
}

function relayNumbers(relays: Map<number, RelayState>): string {
  const numbers = [...relays.keys()].sort((a, b) => a - b);
  const contiguous = numbers.every((n, i) => n === numbers[0]! + i);
  return contiguous && numbers.length > 1 ? `${numbers[0]}-${numbers.at(-1)}` : numbers.join(", ");
}

/** `vusbhid`. */
export const VUSBHID: DriverDescriptor<VusbhidOptions> = {
  names: ["vusbhid"],
  // the vendor tool is run.
  permissions: ["run"],
  summary: "V-USB HID relay boards (16c0:05df, USBRelayN) through usbrelay: list, " +
    "-q SERIAL_N=1|0, list again to confirm",
  options: OPTIONS,
  create(_hostname, { options, log }) {
    const what = `USB relay board ${options.serial}`;

    /** The listed state of `outlet`, after checking that board and relay exist. */
    const relayState = async (outlet: number, signal: AbortSignal): Promise<RelayState> => {
      const { stdout, stderr } = await runTool(options.usbrelay, [], what, signal);
      const boards = parseUsbrelayList(stdout);
      const relays = boards.get(options.serial);
      if (!relays) {
        const attached = [...boards].map(([serial, r]) => `${serial} (relays ${relayNumbers(r)})`)
          .join(", ");
        const complaint = lastLine(stderr);
        throw new DriverError(
          "unreachable",
          `${what} is not attached: usbrelay lists ${attached ? `only ${attached}` : "no boards"}` +
            (complaint ? ` and says "${complaint}"` : ""),
        );
      }
      if (!relays.has(outlet)) {
        throw new DriverError(
          "config",
          `${what} has relays ${relayNumbers(relays)}, not ${outlet}`,
        );
      }
      return relays.get(outlet);
    };

    const powered = (energised: boolean): OutletState =>
      energised !== options.invert ? "on" : "off";

    return {
      async setOutlet(outlet, state, { signal }: OperationOptions) {
        // Relay 0 is usbrelay's "rename the board" action: never let an outlet become one.
        if (!Number.isInteger(outlet) || outlet < 1) {
          throw new DriverError("config", `${what} numbers its relays from 1, not ${outlet}`);
        }
        await relayState(outlet, signal);
        const energise = (state === "on") !== options.invert;
        const args = ["-q", `${options.serial}_${outlet}=${energise ? 1 : 0}`];
        log.debug("running usbrelay", { args });
        await runTool(options.usbrelay, args, what, signal);
        const after = await relayState(outlet, signal);
        // -1: the board cannot tell, and usbrelay's exit status is all there is.
        if (after !== undefined && after !== energise) {
          throw new DriverError(
            "device",
            `${what}: relay ${outlet} is still ${after ? "energised" : "released"} after ` +
              `usbrelay switched it (outlet ${powered(after)}, not ${state})`,
          );
        }
      },
      async getOutlet(outlet, { signal }) {
        if (!Number.isInteger(outlet) || outlet < 1) {
          throw new DriverError("config", `${what} numbers its relays from 1, not ${outlet}`);
        }
        const energised = await relayState(outlet, signal);
        if (energised === undefined) {
          throw new DriverError("device", `${what} does not report the state of its relays`);
        }
        return powered(energised);
      },
      close: () => Promise.resolve(),
    };
  },
};
