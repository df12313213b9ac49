/**
 * Shelly relays. `shelly_gen1` (new in pdud): Gen1 HTTP API, `GET /relay/{id}?turn=on|off`
 * answering `{"ison": true, …}`, HTTP basic auth when enabled
 * (https://shelly-api-docs.shelly.cloud/gen1/#shelly1-shelly1pm-relay-index).
 * `shelly_gen2` (upstream's): Gen2+ RPC over HTTP, `POST /rpc` with JSON-RPC `Switch.Set` /
 * `Switch.GetStatus` (https://shelly-api-docs.shelly.cloud/gen2/General/RPCProtocol); like
 * upstream, device authentication must be off. Outlet numbers are Shelly's relay/switch ids
 * (0-based), as upstream. Keys: `ip` (default: the PDU name), Gen1 `username`/`password`,
 * `port_count` (default 4; upstream allows ids 0-3).
 * Power: Gen1 `GET /meter/{id}` (`power` W, `total` watt-minutes; 404 on a relay without a
 * meter) and `GET /status` (`relays` and `meters` of every channel in one answer); Gen2
 * `Switch.GetStatus` (`apower` W, `voltage`, `current`, `aenergy.total` Wh, on PM models only)
 * and `Shelly.GetStatus` (every `switch:N` in one answer).
 * @module
 */
import { z } from "zod";
import { wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletStatus, PowerReading } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";

const count = wholeNumber(1, 16);

const GEN1 = z.object({
  "ip": z.string().min(1).optional(),
  "username": z.string().optional(),
  "password": z.string().optional(),
  "port_count": count.default(4),
}).strict();

const GEN2 = z.object({
  "ip": z.string().min(1).optional(),
  "port_count": count.default(4),
}).strict();

const finite = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

/** A Gen1 meter object: `power` in W, `total` in watt-minutes (empty when there is none). */
export function gen1Reading(meter: unknown): PowerReading {
  const m = meter as { power?: unknown; total?: unknown } | undefined;
  const reading: PowerReading = {};
  if (finite(m?.power)) reading.watts = m.power;
  if (finite(m?.total)) reading.energyWh = Math.round((m.total / 60) * 1000) / 1000;
  return reading;
}

/** A Gen2 switch status: `apower`, `voltage`, `current`, `aenergy.total` (PM models only). */
export function gen2Reading(status: unknown): PowerReading {
  const s = status as
    | { apower?: unknown; voltage?: unknown; current?: unknown; aenergy?: { total?: unknown } }
    | undefined;
  const reading: PowerReading = {};
  if (finite(s?.apower)) reading.watts = s.apower;
  if (finite(s?.aenergy?.total)) reading.energyWh = s.aenergy.total;
  if (finite(s?.voltage)) reading.volts = s.voltage;
  if (finite(s?.current)) reading.amps = s.current;
  return reading;
}

/** `shelly_gen1`. */
export const SHELLY_GEN1: DriverDescriptor<z.infer<typeof GEN1>> = {
  names: ["shelly_gen1"],
  summary: "Shelly Gen1 relays over HTTP (/relay/N?turn=on|off), optional basic auth",
  options: GEN1,
  outletRange: (o) => ({ min: 0, max: o.port_count - 1 }),
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const device = `Shelly at ${host}`;
    const auth = options.username !== undefined
      ? { scheme: "basic" as const, username: options.username, password: options.password ?? "" }
      : undefined;
    const relay = async (outlet: number, query: string, signal: AbortSignal) => {
      const body =
        (await httpCall({ url: `http://${host}/relay/${outlet}${query}`, auth, signal, device }))
          .json();
      const ison = (body as { ison?: unknown }).ison;
      if (typeof ison !== "boolean") {
        throw new DriverError("protocol", `${device} did not report "ison" for relay ${outlet}`);
      }
      return ison ? "on" as const : "off" as const;
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        const now = await relay(outlet, `?turn=${state}`, signal);
        if (now !== state) {
          throw new DriverError(
            "device",
            `${device} reports relay ${outlet} ${now} after turn=${state}`,
          );
        }
      },
      getOutlet: (outlet, { signal }) => relay(outlet, "", signal),
      async readPower(outlet, { signal }) {
        const answer = await httpCall({
          url: `http://${host}/meter/${outlet}`,
          auth,
          signal,
          device,
          // A relay without a power meter has no /meter: it reports nothing.
          acceptStatus: [404],
        });
        return answer.status === 404 ? {} : gen1Reading(answer.json());
      },
      async listOutlets({ signal }) {
        const body = (await httpCall({ url: `http://${host}/status`, auth, signal, device }))
          .json() as { relays?: { ison?: unknown }[]; meters?: unknown[] };
        if (!Array.isArray(body.relays)) {
          throw new DriverError("protocol", `${device} did not list "relays" in /status`);
        }
        return body.relays.slice(0, options.port_count).map((relay, outlet): OutletStatus => {
          if (typeof relay?.ison !== "boolean") {
            throw new DriverError("protocol", `${device} did not report "ison" of relay ${outlet}`);
          }
          return {
            outlet,
            state: relay.ison ? "on" : "off",
            power: gen1Reading(Array.isArray(body.meters) ? body.meters[outlet] : undefined),
          };
        });
      },
      async close() {},
    };
  },
};

/** `shelly_gen2`. */
export const SHELLY_GEN2: DriverDescriptor<z.infer<typeof GEN2>> = {
  names: ["shelly_gen2"],
  summary: "Shelly Gen2+ switches over JSON-RPC (POST /rpc Switch.Set / Switch.GetStatus)",
  options: GEN2,
  outletRange: (o) => ({ min: 0, max: o.port_count - 1 }),
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const device = `Shelly at ${host}`;
    let id = 0;
    const rpc = async (method: string, params: Record<string, unknown>, signal: AbortSignal) => {
      const body = (await httpCall({
        method: "POST",
        url: `http://${host}/rpc`,
        json: { jsonrpc: "2.0", id: ++id, method, params },
        signal,
        device,
      })).json() as {
        result?: Record<string, unknown>;
        error?: { code?: number; message?: string };
      };
      if (body.error) {
        throw new DriverError(
          "device",
          `${device} rejected ${method}: ${body.error.message ?? body.error.code}`,
        );
      }
      if (typeof body.result !== "object" || body.result === null) {
        throw new DriverError("protocol", `${device} answered ${method} without a result`);
      }
      return body.result;
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await rpc("Switch.Set", { id: outlet, on: state === "on" }, signal);
      },
      async getOutlet(outlet, { signal }) {
        const result = await rpc("Switch.GetStatus", { id: outlet }, signal);
        if (typeof result.output !== "boolean") {
          throw new DriverError(
            "protocol",
            `${device} did not report "output" of switch ${outlet}`,
          );
        }
        return result.output ? "on" : "off";
      },
      async readPower(outlet, { signal }) {
        return gen2Reading(await rpc("Switch.GetStatus", { id: outlet }, signal));
      },
      async listOutlets({ signal }) {
        const result = await rpc("Shelly.GetStatus", {}, signal);
        const out: OutletStatus[] = [];
        for (let outlet = 0; outlet < options.port_count; outlet++) {
          const status = result[`switch:${outlet}`] as { output?: unknown } | undefined;
          // A device with fewer switches than port_count lists the ones it has.
          if (status === undefined) continue;
          if (typeof status.output !== "boolean") {
            throw new DriverError(
              "protocol",
              `${device} did not report "output" of switch ${outlet}`,
            );
          }
          out.push({
            outlet,
            state: status.output ? "on" : "off",
            power: gen2Reading(status),
          });
        }
        return out;
      },
      async close() {},
    };
  },
};
