/**
 * Numato Lab USB relay modules (1, 2, 4, 8, 16, 32 and 64 channels), upstream's `NumatoUSB1` …
 * `NumatoUSB64`, key `device` (default /dev/ttyACM0). Protocol: Numato's ASCII command set over
 * the module's CDC-ACM tty (numato.com/docs/16-channel-usb-relay-module, "The command set"):
 * a bare CR resynchronises to the `>` prompt, `relay on X` / `relay off X` switch relay X, and
 * `relay read X` answers `on` or `off`. The module echoes what it is sent and turns the CR into
 * LF CR. Relay X is outlet X+1, written as one hex digit (up to 16 channels), 0-9 then A-V
 * (32 channels) or two decimal digits (64 channels).
 *
 * Unlike upstream, every switch is read back: a module that ignored the command fails the
 * operation instead of reporting success. Tested against the simulator in simulators/usb/numato.ts.
 * @module
 */
import { z } from "zod";
import { FILE_PATH, PATH_KEYS } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type DeviceNode, NodeLine, serialSettings } from "./_node.ts";

/** The channel counts Numato makes, each an upstream driver name `NumatoUSB<count>`. */
export const NUMATO_CHANNELS = [1, 2, 4, 8, 16, 32, 64] as const;

/** A tty device path from the config; pyserial's URL forms are not supported. */
export const TTY_PATH: z.ZodString = FILE_PATH.refine((s) => !s.includes("://"), {
  message: "expected a device node path such as /dev/ttyACM0 (pyserial URLs are not supported)",
}).register(PATH_KEYS, { path: "file" });

const OPTIONS = z.object({ "device": TTY_PATH.default("/dev/ttyACM0") }).strict();

/** NumatoUSB*'s keys. */
export type NumatoOptions = z.infer<typeof OPTIONS>;

/** The relay id Numato's command set uses for `outlet` on a `channels`-channel module. */
export function numatoRelayId(channels: number, outlet: number): string {
  const index = outlet - 1;
  if (channels === 64) return String(index).padStart(2, "0");
  if (channels === 32) return index < 10 ? String(index) : String.fromCharCode(65 + index - 10);
  return index.toString(16);
}

const PROMPT = 0x3e; // ">"

/** Reads up to and including the prompt; returns the lines before it, echo included. */
async function untilPrompt(node: DeviceNode, expected: string): Promise<string[]> {
  const bytes = await node.readUntil((b) => {
    const at = b.indexOf(PROMPT);
    return at < 0 ? undefined : at + 1;
  }, expected);
  return new TextDecoder("latin1").decode(bytes.subarray(0, -1)).split(/[\r\n]+/)
    .map((l) => l.trim()).filter((l) => l !== "");
}

/** Sends one command; returns the answer lines after its echo. */
async function command(node: DeviceNode, line: string): Promise<string[]> {
  await node.write(new TextEncoder().encode(`${line}\r`));
  const lines = await untilPrompt(node, `the prompt after "${line}"`);
  const echo = lines.indexOf(line);
  return echo < 0 ? lines : lines.slice(echo + 1);
}

function numato(channels: number): DriverDescriptor<NumatoOptions> {
  return {
    names: [`NumatoUSB${channels}`],
    // stty configures the tty; the node is written.
    permissions: ["run", "write"],
    summary: `Numato ${channels}-channel USB relay module on its tty (relay on|off|read X)`,
    options: OPTIONS,
    outletRange: () => ({ min: 1, max: channels }),
    create(_hostname, { options, log }) {
      const what = `Numato relay module at ${options.device}`;
      const line = new NodeLine(options.device);
      const session = async <T>(signal: AbortSignal, work: (n: DeviceNode) => Promise<T>) => {
        const node = await line.open({
          what,
          stty: serialSettings(9600),
          signal,
        });
        try {
          await node.write(new TextEncoder().encode("\r"));
          await untilPrompt(node, "the > prompt");
          return await work(node);
        } finally {
          void node.close();
        }
      };
      const read = async (node: DeviceNode, outlet: number): Promise<OutletState> => {
        const line = `relay read ${numatoRelayId(channels, outlet)}`;
        const answer = (await command(node, line)).join(" ").toLowerCase();
        if (answer === "on" || answer === "off") return answer;
        throw new DriverError("protocol", `${what} answered "${answer}" to "${line}"`);
      };
      return {
        async setOutlet(outlet, state, { signal }) {
          await session(signal, async (node) => {
            const line = `relay ${state} ${numatoRelayId(channels, outlet)}`;
            log.debug("numato command", { line });
            const answer = await command(node, line);
            if (answer.length > 0) {
              throw new DriverError(
                "protocol",
                `${what} answered "${answer.join(" ")}" to "${line}"`,
              );
            }
            const now = await read(node, outlet);
            if (now !== state) {
              throw new DriverError(
                "device",
                `${what} did not switch relay ${outlet}: "${line}" was accepted but it reads ${now}`,
              );
            }
          });
        },
        getOutlet(outlet, { signal }) {
          return session(signal, (node) => read(node, outlet));
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** `NumatoUSB1` … `NumatoUSB64`. */
export const NUMATO_USB: readonly DriverDescriptor<NumatoOptions>[] = NUMATO_CHANNELS.map(
  numato,
);
