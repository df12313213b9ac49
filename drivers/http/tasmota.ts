/**
 * Tasmota smart plugs and strips over HTTP: `tasmota`, `sonoff_s20_tasmota` (1 relay),
 * `brennenstuhl_wspl01_tasmota` (2 relays). Tested against the Tasmota simulator in
 * `simulators/http/tasmota.ts`; protocol: Tasmota "Commands over HTTP"
 * (https://tasmota.github.io/docs/Commands/#with-web-requests) —
 * `GET /cm?cmnd=Power<N> On|Off` answers `{"POWER<N>":"ON"}` (`{"POWER":"ON"}` on a one-relay
 * device); with a web password set, `user` and `password` query parameters are required.
 * Upstream's keys: `ip` (the device's host, optionally `host:port`; default: the PDU name),
 * `port_count`, `username`, `password`.
 * @module
 */
import { z } from "zod";
import { wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";

const OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
  "port_count": wholeNumber(1, 32).optional(),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** Tasmota driver keys. */
export type TasmotaOptions = z.infer<typeof OPTIONS>;

/** Reads the relay state out of a Tasmota JSON answer; undefined when it holds none. */
export function powerOf(body: unknown, outlet: number): OutletState | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const value = record[`POWER${outlet}`] ?? (outlet === 1 ? record["POWER"] : undefined);
  return value === "ON" ? "on" : value === "OFF" ? "off" : undefined;
}

async function command(
  host: string,
  options: TasmotaOptions,
  cmnd: string,
  signal: AbortSignal,
): Promise<unknown> {
  const query = new URLSearchParams({ cmnd });
  if (options.username !== undefined && options.password !== undefined) {
    query.set("user", options.username);
    query.set("password", options.password);
  }
  const answer = await httpCall({
    url: `http://${host}/cm?${query}`,
    signal,
    device: `Tasmota at ${host}`,
    what: `"${cmnd}"`,
  });
  return answer.json();
}

function tasmota(name: string, fixedCount: number | undefined): DriverDescriptor<TasmotaOptions> {
  const count = (o: TasmotaOptions) => fixedCount ?? o.port_count ?? 1;
  return {
    names: [name],
    summary: fixedCount
      ? `Tasmota device with ${fixedCount} relay${
        fixedCount > 1 ? "s" : ""
      } over HTTP (/cm?cmnd=PowerN)`
      : "Tasmota device (port_count relays) over HTTP (/cm?cmnd=PowerN)",
    options: OPTIONS,
    outletRange: (o) => ({ min: 1, max: count(o) }),
    create(hostname, { options, log }) {
      const host = options.ip ?? hostname;
      async function set(outlet: number, state: OutletState, signal: AbortSignal) {
        const cmnd = `Power${outlet} ${state === "on" ? "On" : "Off"}`;
        log.debug("tasmota command", { host, cmnd });
        const body = await command(host, options, cmnd, signal);
        const now = powerOf(body, outlet);
        if (now === undefined) {
          throw new DriverError(
            "protocol",
            `Tasmota at ${host} answered "${cmnd}" without a POWER${outlet} state: ${
              JSON.stringify(body).slice(0, 80)
            }`,
          );
        }
        if (now !== state) {
          throw new DriverError(
            "device",
            `Tasmota at ${host} reports relay ${outlet} ${now} after "${cmnd}"`,
          );
        }
      }
      return {
        setOutlet: (outlet, state, { signal }) => set(outlet, state, signal),
        async getOutlet(outlet, { signal }) {
          const body = await command(host, options, `Power${outlet}`, signal);
          const state = powerOf(body, outlet);
          if (state === undefined) {
            throw new DriverError("protocol", `Tasmota at ${host} did not report relay ${outlet}`);
          }
          return state;
        },
        async close() {},
      };
    },
  };
}

/** Upstream's `tasmota` (generic, `port_count` relays). */
export const TASMOTA: DriverDescriptor<TasmotaOptions> = tasmota("tasmota", undefined);
/** Upstream's `sonoff_s20_tasmota` (one relay). */
export const SONOFF_S20_TASMOTA: DriverDescriptor<TasmotaOptions> = tasmota(
  "sonoff_s20_tasmota",
  1,
);
/** Upstream's `brennenstuhl_wspl01_tasmota` (two relays). */
export const BRENNENSTUHL_WSPL01_TASMOTA: DriverDescriptor<TasmotaOptions> = tasmota(
  "brennenstuhl_wspl01_tasmota",
  2,
);
