/**
 * Devantech Ethernet relay boards, upstream's names and keys.
 *
 * - `devantech_eth002` (2 relays), `devantech_eth0621` (2), `devantech_eth484` (4),
 *   `devantech_eth008` (8), `devantech_eth8020` (20): the binary TCP command set of the
 *   ETH008/ETH8020 technical documents (robot-electronics.co.uk), port 17494. Optional TCP/IP
 *   password `0x79 PASSWORD` → 1 (ok) or 2 (wrong); `0x20 R 0` (relay active) / `0x21 R 0`
 *   (inactive) → 0 (ok) or 1 (failure); `0x24` → the relay bitmap, relays 1–8 in the first byte;
 *   `0x7B` logs out. Keys: `ip` (default: the PDU name; upstream requires it), `port` (17494),
 *   `password` (none), `logic` (`NO`; `NC` swaps active and inactive, for loads wired to the
 *   normally closed contact).
 * - `devantech_ds2824` (24 relays) and `devantech_ds378` (8): the dS series' ASCII commands of
 *   the dS2824/dS378 user manuals, port 17123: `SR N on|off` → `Ok`, `GR N` → `Active` or
 *   `Inactive`. Keys: `ip` (default `dS2824`, the module's own NetBIOS name, as upstream),
 *   `port` (17123). Upstream caps both at 8 relays; the dS2824 has 24.
 *
 * Every operation uses its own connection, closed afterwards, as upstream does; the boards allow
 * five connections at once and relock the password after 30 s idle, so nothing is held open.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { hex, Session } from "../_transport/session.ts";

/** Command bytes of the ETH boards. */
export const ETH = {
  active: 0x20,
  inactive: 0x21,
  getOutputs: 0x24,
  password: 0x79,
  unlockTime: 0x7a,
  logout: 0x7b,
} as const;

/** An ETH board model: its upstream driver name, display name, relays and `0x24` answer length. */
export interface EthModel {
  driver: string;
  label: string;
  relays: number;
  /** Bytes the board sends for `0x24` (relay bitmap first). */
  outputBytes: number;
}

/** The ETH models upstream knows, keyed by our simulator's `model` option. */
export const ETH_MODELS: Record<string, EthModel> = {
  eth002: { driver: "devantech_eth002", label: "ETH002", relays: 2, outputBytes: 1 },
  eth0621: { driver: "devantech_eth0621", label: "ETH0621", relays: 2, outputBytes: 1 },
  eth484: { driver: "devantech_eth484", label: "ETH484", relays: 4, outputBytes: 2 },
  eth008: { driver: "devantech_eth008", label: "ETH008", relays: 8, outputBytes: 1 },
  eth8020: { driver: "devantech_eth8020", label: "ETH8020", relays: 20, outputBytes: 3 },
};

/** The dS models: upstream driver name, display name, relays. */
export const DS_MODELS: Record<string, { driver: string; label: string; relays: number }> = {
  ds2824: { driver: "devantech_ds2824", label: "dS2824", relays: 24 },
  ds378: { driver: "devantech_ds378", label: "dS378", relays: 8 },
};

const ETH_OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
  "port": portNumber(17494),
  // The board takes the password bytes as sent; an empty one would be "no password" upstream.
  "password": z.string().optional(),
  "logic": z.enum(["NO", "NC"]).default("NO"),
}).strict();

const DS_OPTIONS = z.object({
  "ip": z.string().min(1).default("dS2824"),
  "port": portNumber(17123),
}).strict();

/** Refuses a relay the board does not have: a config error, asking again cannot help. */
function relayCheck(device: string, relays: number): (relay: number) => void {
  return (relay) => {
    if (!Number.isInteger(relay) || relay < 1 || relay > relays) {
      throw new DriverError("config", `${device} has relays 1..${relays}, not ${relay}`);
    }
  };
}

/** One board model's descriptor: its driver name, relays 1..N, its keys and `create`. */
function boardDescriptor<O>(
  model: { driver: string; relays: number },
  summary: string,
  options: z.ZodType<O>,
  create: DriverDescriptor<O>["create"],
): DriverDescriptor<O> {
  return {
    names: [model.driver],
    summary,
    options,
    outletRange: () => ({ min: 1, max: model.relays }),
    create,
  };
}

function ethDescriptor(model: EthModel): DriverDescriptor<z.infer<typeof ETH_OPTIONS>> {
  return boardDescriptor(
    model,
    `Devantech ${model.label} relay board over its binary TCP protocol (port 17494)`,
    ETH_OPTIONS,
    (hostname, { options }) => {
      const host = options.ip ?? hostname;
      const device = `Devantech ${model.label} at ${host}:${options.port}`;
      const target = { host, port: options.port, device };
      const password = options.password ? new TextEncoder().encode(options.password) : undefined;
      const check = relayCheck(device, model.relays);
      const session = <T>(signal: AbortSignal, work: (s: Session) => Promise<T>) =>
        Session.with(target, signal, async (s) => {
          if (password) {
            await s.write(Uint8Array.of(ETH.password, ...password), signal);
            const [answer] = await s.readExactly(1, "the answer to the password", signal);
            if (answer !== 1) {
              throw new DriverError(
                "auth",
                `${device} refused the TCP/IP password (answered ${answer})`,
              );
            }
          }
          const result = await work(s);
          // Relock at once rather than leave the board open for its 30 s idle window.
          if (password) await s.write(Uint8Array.of(ETH.logout), signal).catch(() => {});
          return result;
        });
      return {
        async setOutlet(relay, state, { signal }) {
          check(relay);
          const active = (state === "on") === (options.logic === "NO");
          const command = active ? ETH.active : ETH.inactive;
          await session(signal, async (s) => {
            await s.write(Uint8Array.of(command, relay, 0), signal);
            const [answer] = await s.readExactly(
              1,
              `the answer to switching relay ${relay}`,
              signal,
            );
            if (answer === 1) {
              throw new DriverError(
                "device",
                `${device} refused to switch relay ${relay} ${active ? "active" : "inactive"}` +
                  ` (answered 1${password ? "" : "; the board may require a TCP/IP password"})`,
              );
            }
            if (answer !== 0) {
              throw new DriverError(
                "protocol",
                `${device} answered ${hex(Uint8Array.of(answer!))} to switching relay ${relay}`,
              );
            }
          });
        },
        async getOutlet(relay, { signal }): Promise<OutletState> {
          check(relay);
          const byte = Math.floor((relay - 1) / 8);
          const bits = await session(signal, async (s) => {
            await s.write(Uint8Array.of(ETH.getOutputs), signal);
            // The board sends its whole bitmap in one packet; extra bytes are other outputs.
            return await s.readExactly(byte + 1, "the relay states", signal);
          });
          const active = ((bits[byte]! >> ((relay - 1) % 8)) & 1) === 1;
          return active === (options.logic === "NO") ? "on" : "off";
        },
        close: () => Promise.resolve(),
      };
    },
  );
}

function dsDescriptor(
  model: { driver: string; label: string; relays: number },
): DriverDescriptor<z.infer<typeof DS_OPTIONS>> {
  return boardDescriptor(
    model,
    `Devantech ${model.label} relay module over its ASCII TCP commands (port 17123)`,
    DS_OPTIONS,
    (_hostname, { options }) => {
      const device = `Devantech ${model.label} at ${options.ip}:${options.port}`;
      const target = { host: options.ip, port: options.port, device };
      const exchange = (line: string, signal: AbortSignal) =>
        Session.with(target, signal, async (s) => {
          await s.write(new TextEncoder().encode(`${line}\r\n`), signal);
          return (await s.readLine(`the answer to "${line}"`, signal)).trim();
        });
      const check = relayCheck(device, model.relays);
      return {
        async setOutlet(relay, state, { signal }) {
          check(relay);
          const line = `SR ${relay} ${state}`;
          const answer = await exchange(line, signal);
          if (answer.toLowerCase() !== "ok") {
            throw new DriverError("device", `${device} refused "${line}": ${printable(answer)}`);
          }
        },
        async getOutlet(relay, { signal }): Promise<OutletState> {
          check(relay);
          const answer = await exchange(`GR ${relay}`, signal);
          if (/^active$/i.test(answer)) return "on";
          if (/^inactive$/i.test(answer)) return "off";
          throw new DriverError(
            "protocol",
            `${device} answered "${printable(answer)}" to "GR ${relay}"`,
          );
        },
        close: () => Promise.resolve(),
      };
    },
  );
}

/** Keeps a device's answer fit for a one-line message. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 80);
}

/** The five ETH boards. */
export const DEVANTECH_ETH_DRIVERS: readonly DriverDescriptor<z.infer<typeof ETH_OPTIONS>>[] =
  Object.values(ETH_MODELS).map(ethDescriptor);

/** The dS2824 and dS378. */
export const DEVANTECH_DS_DRIVERS: readonly DriverDescriptor<z.infer<typeof DS_OPTIONS>>[] = Object
  .values(DS_MODELS).map(dsDescriptor);
