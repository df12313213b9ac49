/**
 * Simulators of Shelly Gen1 (GET /relay/{id}) and Gen2 (JSON-RPC over POST /rpc), on a real
 * socket and as strict as the device. Both meter by default (option `meter`), from the device's
 * loads: Gen1 `/meter/{id}` and `/status`, Gen2 `apower`/`aenergy` in `Switch.GetStatus` and
 * `Shelly.GetStatus`.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { verifyDigest } from "../../drivers/http/mod.ts";
import { basicChallenge, basicOk, CREDENTIALS, flip, operate, simulator } from "./_http.ts";

const GEN1_OPTIONS = CREDENTIALS.extend({
  /** Whether the relays have power meters (a Shelly 1PM or 2.5 rather than a Shelly 1). */
  "meter": z.boolean().default(true),
}).strict();

/** A Gen1 meter object: `total` counts watt-minutes. */
function gen1Meter(device: SimulatedDevice, outlet: number) {
  const r = device.reading(outlet);
  return {
    power: r.watts,
    overpower: 0,
    is_valid: true,
    timestamp: 0,
    counters: [0, 0, 0],
    total: r.energyWh * 60,
  };
}

/** A Gen2 switch's status, with the PM fields when it meters. */
function gen2Switch(device: SimulatedDevice, id: number, meter: boolean) {
  const r = device.reading(id);
  return {
    id,
    source: "http",
    output: flip(device.get(id)),
    ...(meter
      ? {
        apower: r.watts,
        voltage: r.volts,
        current: r.amps,
        aenergy: { total: r.energyWh, by_minute: [0, 0, 0], minute_ts: 0 },
        temperature: { tC: 40, tF: 104 },
      }
      : {}),
  };
}

/** Shelly Gen1: GET /relay/{id}[?turn=on|off|toggle], basic auth when a password is set. */
export const SHELLY_GEN1_SIMULATOR: SimulatorKind<z.infer<typeof GEN1_OPTIONS>> = {
  name: "shelly-gen1",
  summary:
    "Shelly Gen1 relays: GET /relay/N?turn=on|off, /meter/N, /status, optional basic auth (outlets from 0)",
  options: GEN1_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("shelly-gen1", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("shelly1"));
      }
      if (request.method === "GET" && url.pathname === "/status" && url.search === "") {
        return operate(device, request, () =>
          Response.json({
            relays: device.outlets().map((o) => ({ ison: flip(device.get(o)), has_timer: false })),
            ...(options.meter ? { meters: device.outlets().map((o) => gen1Meter(device, o)) } : {}),
            uptime: 1,
          }));
      }
      const meter = /^\/meter\/(\d+)$/.exec(url.pathname);
      if (meter) {
        const outlet = Number(meter[1]);
        if (request.method !== "GET" || !options.meter || !device.has(outlet) || url.search) {
          return Promise.resolve(new Response("Not Found", { status: 404 }));
        }
        return operate(device, request, () => Response.json(gen1Meter(device, outlet)));
      }
      const m = /^\/relay\/(\d+)$/.exec(url.pathname);
      const turn = url.searchParams.get("turn");
      if (
        request.method !== "GET" || !m || !device.has(Number(m[1])) ||
        (turn !== null && !["on", "off", "toggle"].includes(turn))
      ) {
        return Promise.resolve(new Response("Not Found", { status: 404 }));
      }
      const outlet = Number(m[1]);
      return operate(device, request, () => {
        if (turn !== null) {
          device.set(
            outlet,
            turn === "toggle" ? (device.get(outlet) === "on" ? "off" : "on") : turn as OutletState,
          );
        }
        return Response.json({
          ison: flip(device.get(outlet)),
          has_timer: false,
          timer_duration: 0,
          source: "http",
        });
      });
    }, (address, port) => ({
      driver: "shelly_gen1",
      ip: `${address}:${port}`,
      "port_count": device.count,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};

const SHELLY_GEN2_OPTIONS = z.object({
  /**
   * The device's password: digest auth (SHA-256, user admin, realm the device id) when set. The
   * shelly_gen2 driver has no password (as upstream); the generic http driver's Shelly recipe
   * uses it.
   */
  "password": z.string().optional(),
  /** Whether the switches meter (a Plus 1PM rather than a Plus 1). */
  "meter": z.boolean().default(true),
}).strict();

const SHELLY_GEN2_ID = "shellyplus1pm-sim";

/** A GET /rpc/<Method>?a=1&on=true call's params: each value as JSON where it parses. */
function queryParams(params: URLSearchParams): Record<string, unknown> {
  return Object.fromEntries([...params].map(([k, v]) => {
    try {
      return [k, JSON.parse(v)];
    } catch {
      return [k, v];
    }
  }));
}

/**
 * Shelly Gen2: JSON-RPC 2.0 with Switch.Set, Switch.GetStatus and Shelly.GetStatus, as
 * `POST /rpc` with a JSON body or as `GET /rpc/<Method>?<params>` (the device's HTTP GET form);
 * digest auth when a password is set.
 */
export const SHELLY_GEN2_SIMULATOR: SimulatorKind<z.infer<typeof SHELLY_GEN2_OPTIONS>> = {
  name: "shelly-gen2",
  summary:
    "Shelly Gen2+ switches: POST /rpc or GET /rpc/Method Switch.Set / Switch.GetStatus / Shelly.GetStatus (ids from 0), digest auth",
  options: SHELLY_GEN2_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator(
      "shelly-gen2",
      device,
      { hostname, port },
      async (request) => {
        const url = new URL(request.url);
        if (
          options.password !== undefined &&
          !verifyDigest(request.headers.get("authorization"), {
            username: "admin",
            password: options.password,
            realm: SHELLY_GEN2_ID,
            method: request.method,
          })
        ) {
          return new Response("401 Unauthorized", {
            status: 401,
            headers: {
              "www-authenticate": `Digest qop="auth", realm="${SHELLY_GEN2_ID}", nonce="${
                crypto.randomUUID().replaceAll("-", "")
              }", algorithm=SHA-256`,
            },
          });
        }
        const get = /^\/rpc\/([A-Za-z]+\.[A-Za-z]+)$/.exec(url.pathname);
        let call: { id?: unknown; method?: unknown; params?: { id?: unknown; on?: unknown } };
        if (get && request.method === "GET") {
          call = { id: 1, method: get[1], params: queryParams(url.searchParams) };
        } else if (request.method !== "POST" || url.pathname !== "/rpc") {
          return new Response("Not Found", { status: 404 });
        } else {
          try {
            call = await request.json();
          } catch {
            return Response.json({
              id: null,
              src: "shellyplus",
              error: { code: -32700, message: "Parse error" },
            }, { status: 400 });
          }
        }
        device.record(`rpc ${String(call.method)} ${JSON.stringify(call.params)}`);
        // The GET form answers the result (or error) alone; POST the JSON-RPC frame.
        const reply = (body: { result?: unknown; error?: unknown }) =>
          get
            ? Response.json(body.result ?? body.error, { status: body.error ? 400 : 200 })
            : Response.json({ id: call.id, src: SHELLY_GEN2_ID, ...body });
        if (call.method === "Shelly.GetStatus") {
          return await operate(device, request, () =>
            reply({
              result: {
                ...Object.fromEntries(
                  device.outlets().map((
                    o,
                  ) => [`switch:${o}`, gen2Switch(device, o, options.meter)]),
                ),
                sys: { uptime: 1 },
              },
            }));
        }
        const id = call.params?.id;
        if (typeof id !== "number" || !device.has(id)) {
          return reply({ error: { code: -105, message: `Argument 'id', value ${id} not found!` } });
        }
        if (call.method === "Switch.GetStatus") {
          return await operate(
            device,
            request,
            () => reply({ result: gen2Switch(device, id, options.meter) }),
          );
        }
        if (call.method === "Switch.Set") {
          if (typeof call.params?.on !== "boolean") {
            return reply({ error: { code: -103, message: "Invalid argument 'on'!" } });
          }
          const on = call.params.on;
          return await operate(device, request, () => {
            const was = flip(device.get(id));
            device.set(id, on ? "on" : "off");
            return reply({ result: { was_on: was } });
          });
        }
        return reply({ error: { code: 404, message: `No handler for ${String(call.method)}` } });
      },
      (address, port) => ({
        driver: "shelly_gen2",
        ip: `${address}:${port}`,
        "port_count": device.count,
      }),
    ));
  },
};
