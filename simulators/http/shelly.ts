/**
 * Simulators for the HTTP family's devices (Shelly Gen1/Gen2, ESPHome, Home Assistant, NETIO
 * JSON), each on a real socket and as strict as the device about method, path, body and
 * credentials: anything else gets the device's error answer, so a driver bug fails a test.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import { faultReply, serveSimulatorHttp, type SimulatedReply } from "../_transport/http_server.ts";
import { simulatorOn } from "../_transport/tcp_server.ts";
import { verifyDigest } from "../../drivers/http/mod.ts";

/** Runs one device operation with the device's fault knob applied. */
export async function operate(
  device: SimulatedDevice,
  request: Request,
  answer: () => Response | Promise<Response>,
): Promise<SimulatedReply> {
  const fault = await device.beginOperation(request.signal);
  try {
    return faultReply(fault) ?? await answer();
  } finally {
    device.endOperation();
  }
}

/** The 401 a device with basic auth answers, naming its realm. */
export function basicChallenge(realm: string, body = "401 Unauthorized"): Response {
  return new Response(body, {
    status: 401,
    headers: { "www-authenticate": `Basic realm="${realm}"` },
  });
}

/** Whether the request carries exactly these basic credentials. */
export function basicOk(request: Request, username: string, password: string): boolean {
  return request.headers.get("authorization") === `Basic ${btoa(`${username}:${password}`)}`;
}

const flip = (s: OutletState) => s === "on";

/**
 * An HTTP simulator on a real socket. `withPort`: the PDU's address must carry the port (for
 * drivers whose upstream has no port key and puts the hostname straight into the URL).
 */
export function simulator(
  kind: string,
  device: SimulatedDevice,
  listen: { hostname: string; port: number },
  handler: (request: Request) => Promise<SimulatedReply>,
  config: (address: string, port: number) => Record<string, unknown>,
  withPort = false,
): Simulator {
  return simulatorOn(kind, device, serveSimulatorHttp(device, listen, handler), config, withPort);
}

const NO_OPTIONS = z.object({}).strict();
/** A username (admin) and an optional password: basic auth only when a password is set. */
export const CREDENTIALS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().optional(),
}).strict();

/** Shelly Gen1: GET /relay/{id}[?turn=on|off|toggle], basic auth when a password is set. */
export const SHELLY_GEN1_SIMULATOR: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "shelly-gen1",
  summary: "Shelly Gen1 relays: GET /relay/N?turn=on|off, optional basic auth (outlets from 0)",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("shelly-gen1", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("shelly1"));
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

/** Shelly Gen2: POST /rpc JSON-RPC 2.0 with Switch.Set and Switch.GetStatus. */
export const SHELLY_GEN2_SIMULATOR: SimulatorKind<z.infer<typeof NO_OPTIONS>> = {
  name: "shelly-gen2",
  summary: "Shelly Gen2+ switches: POST /rpc Switch.Set / Switch.GetStatus (ids from 0)",
  options: NO_OPTIONS,
  start(device, { hostname, port }) {
    return Promise.resolve(simulator(
      "shelly-gen2",
      device,
      { hostname, port },
      async (request) => {
        const url = new URL(request.url);
        if (request.method !== "POST" || url.pathname !== "/rpc") {
          return new Response("Not Found", { status: 404 });
        }
        let call: { id?: unknown; method?: unknown; params?: { id?: unknown; on?: unknown } };
        try {
          call = await request.json();
        } catch {
          return Response.json({
            id: null,
            src: "shellyplus",
            error: { code: -32700, message: "Parse error" },
          }, { status: 400 });
        }
        device.record(`rpc ${String(call.method)} ${JSON.stringify(call.params)}`);
        const reply = (body: Record<string, unknown>) =>
          Response.json({ id: call.id, src: "shellyplus1pm-sim", ...body });
        const id = call.params?.id;
        if (typeof id !== "number" || !device.has(id)) {
          return reply({ error: { code: -105, message: `Argument 'id', value ${id} not found!` } });
        }
        if (call.method === "Switch.GetStatus") {
          return await operate(
            device,
            request,
            () => reply({ result: { id, source: "http", output: flip(device.get(id)) } }),
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

/** ESPHome web_server: POST /switch/{id}/turn_on|turn_off, GET /switch/{id}; digest auth. */
export const ESPHOME_SIMULATOR: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "esphome",
  summary: "ESPHome web_server switches: POST /switch/ID/turn_on|turn_off, optional digest auth",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    const ids = Array.from({ length: device.count }, (_, i) => `relay_${i + device.first}`);
    return Promise.resolve(simulator("esphome", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      if (
        options.password !== undefined &&
        !verifyDigest(request.headers.get("authorization"), {
          username: options.username,
          password: options.password,
          realm: "asyncesp",
          method: request.method,
        })
      ) {
        return Promise.resolve(
          new Response("", {
            status: 401,
            headers: {
              "www-authenticate":
                `Digest realm="asyncesp", qop="auth", nonce="${crypto.randomUUID()}", opaque="esp"`,
            },
          }),
        );
      }
      const m = /^\/switch\/([A-Za-z0-9_-]+)(?:\/(turn_on|turn_off|toggle))?$/.exec(url.pathname);
      const index = m ? ids.indexOf(m[1]!) : -1;
      if (!m || index < 0 || (m[2] ? request.method !== "POST" : request.method !== "GET")) {
        return Promise.resolve(new Response("", { status: 404 }));
      }
      const outlet = index + device.first;
      return operate(device, request, () => {
        if (m[2]) {
          device.set(
            outlet,
            m[2] === "turn_on"
              ? "on"
              : m[2] === "turn_off"
              ? "off"
              : device.get(outlet) === "on"
              ? "off"
              : "on",
          );
          return new Response(null, { status: 200 });
        }
        const on = flip(device.get(outlet));
        return Response.json({ id: `switch-${m[1]}`, value: on, state: on ? "ON" : "OFF" });
      });
    }, (_address, port) => ({
      driver: "esphome-http",
      port,
      "switch_ids": ids,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};

const HA_OPTIONS = z.object({ "api_key": z.string().default("ha-long-lived-token-for-tests") })
  .strict();

/** Home Assistant REST API for switch entities switch.1 … switch.N. */
export const HOME_ASSISTANT_SIMULATOR: SimulatorKind<z.infer<typeof HA_OPTIONS>> = {
  name: "home-assistant",
  summary: "Home Assistant REST API: switch.turn_on/turn_off services, /api/states, bearer token",
  options: HA_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(
      simulator(
        "home-assistant",
        device,
        { hostname, port },
        async (request) => {
          const url = new URL(request.url);
          device.record(`${request.method} ${url.pathname}`);
          if (request.headers.get("authorization") !== `Bearer ${options.api_key}`) {
            return new Response("401: Unauthorized", { status: 401 });
          }
          const entityOutlet = (entity: unknown) => {
            const m = typeof entity === "string" ? /^switch\.(\d+)$/.exec(entity) : null;
            return m && device.has(Number(m[1])) ? Number(m[1]) : undefined;
          };
          const service = /^\/api\/services\/switch\/(turn_on|turn_off)$/.exec(url.pathname);
          if (service && request.method === "POST") {
            let body: { entity_id?: unknown };
            try {
              body = await request.json();
            } catch {
              return Response.json({ message: "Invalid JSON specified." }, { status: 400 });
            }
            const outlet = entityOutlet(body.entity_id);
            if (outlet === undefined) return Response.json([], { status: 200 }); // HA ignores unknown entities
            return await operate(device, request, () => {
              device.set(outlet, service[1] === "turn_on" ? "on" : "off");
              return Response.json([{ entity_id: body.entity_id, state: device.get(outlet) }]);
            });
          }
          const state = /^\/api\/states\/(switch\.\d+)$/.exec(url.pathname);
          if (state && request.method === "GET") {
            const outlet = entityOutlet(state[1]);
            if (outlet === undefined) {
              return Response.json({ message: "Entity not found." }, {
                status: 404,
              });
            }
            return await operate(
              device,
              request,
              () => Response.json({ entity_id: state[1], state: device.get(outlet) }),
            );
          }
          return Response.json({ message: "Not found" }, { status: 404 });
        },
        (address, port) => ({
          driver: "home-assistant-http",
          hostname: address,
          port,
          "api_key": options.api_key,
        }),
      ),
    );
  },
};

const NETIO_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** NETIO JSON API: POST/GET /netio.json with basic auth. */
export const NETIO_JSON_SIMULATOR: SimulatorKind<z.infer<typeof NETIO_OPTIONS>> = {
  name: "netio-json",
  summary: "NETIO JSON API: POST /netio.json {Outputs:[{ID,Action}]}, basic auth",
  options: NETIO_OPTIONS,
  start(device, { options, hostname, port }) {
    const outputs = () =>
      Array.from({ length: device.count }, (_, i) => {
        const id = i + device.first;
        return {
          ID: id,
          Name: `Power output ${id}`,
          State: device.get(id) === "on" ? 1 : 0,
          Action: 6,
        };
      });
    return Promise.resolve(simulator(
      "netio-json",
      device,
      { hostname, port },
      async (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}`);
        if (url.pathname !== "/netio.json") return new Response("", { status: 404 });
        if (!basicOk(request, options.username, options.password)) {
          return new Response("", { status: 401 });
        }
        if (request.method === "GET") {
          return await operate(device, request, () => Response.json({ Outputs: outputs() }));
        }
        if (request.method !== "POST") {
          return new Response("", { status: 405 });
        }
        let body: { Outputs?: { ID?: unknown; Action?: unknown }[] };
        try {
          body = await request.json();
        } catch {
          return new Response("", { status: 400 });
        }
        const actions = body.Outputs;
        if (
          !Array.isArray(actions) ||
          actions.some((a) =>
            !device.has(Number(a.ID)) || ![0, 1, 2, 3, 4, 5, 6].includes(Number(a.Action))
          )
        ) {
          return new Response("", { status: 400 });
        }
        return await operate(device, request, () => {
          for (const a of actions) {
            const id = Number(a.ID);
            if (a.Action === 1) device.set(id, "on");
            else if (a.Action === 0) device.set(id, "off");
          }
          return Response.json({ Outputs: outputs() });
        });
      },
      (address, port) => ({
        driver: "netiojson",
        ip: address,
        port,
        username: options.username,
        password: options.password,
        "number_of_outputs": device.count,
      }),
    ));
  },
};
