/**
 * Simulators for the web-page relays of `web_relays.ts` (ANEL, Intellinet, IP Power 9850, Lindy,
 * SainSmart, ServerTech PRO2, OpenWrt ubus PoE), each on a real socket and strict about method,
 * path, parameters and credentials: what the device would not accept is refused the way the
 * device refuses it, so a driver bug fails a test rather than passing a lenient fake.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { basicChallenge, basicOk, CREDENTIALS, operate, simulator } from "./shelly.ts";
import { UBUS_ANONYMOUS_SESSION } from "../../drivers/http/mod.ts";

const notFound = () => new Response("404 Not Found", { status: 404 });
const badRequest = (why: string) => new Response(`400 Bad Request: ${why}`, { status: 400 });
const page = (title: string, device: SimulatedDevice) =>
  new Response(
    `<html><head><title>${title}</title></head><body>${
      device.outlets().map((o) => `<p>Outlet ${o}: ${device.get(o)}</p>`).join("")
    }</body></html>`,
    { headers: { "content-type": "text/html" } },
  );

/** The parameter names of a query, to refuse what the device's CGI would not take. */
const keysOf = (params: URLSearchParams) => [...params.keys()].sort();

// ---------------------------------------------------------------------------------------------

const ANEL_MODELS = {
  home: "anel_netpwrctrlhome",
  adv: "anel_netpwrctrladv",
  io: "anel_netpwrctrlio",
  pro: "anel_netpwrctrlpro",
} as const;

const ANEL_OPTIONS = z.object({
  "model": z.enum(["home", "adv", "io", "pro"]).default("pro"),
  "username": z.string().default("admin"),
  "password": z.string().default("anel"),
}).strict();

/** ANEL NET-PwrCtrl: GET /?Sw_on=N,<user><password>. */
export const ANEL_SIMULATOR: SimulatorKind<z.infer<typeof ANEL_OPTIONS>> = {
  name: "anel",
  summary: "ANEL NET-PwrCtrl HOME/ADV/IO/PRO: GET /?Sw_on|Sw_off=N,<user><password> (model)",
  options: ANEL_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("anel", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (request.method !== "GET" || url.pathname !== "/") return Promise.resolve(notFound());
      const keys = keysOf(url.searchParams);
      const key = keys[0];
      if (keys.length !== 1 || (key !== "Sw_on" && key !== "Sw_off")) {
        return Promise.resolve(page("NET-PwrCtrl", device));
      }
      const m = /^(\d+),(.*)$/s.exec(url.searchParams.get(key)!);
      if (!m || !device.has(Number(m[1]))) return Promise.resolve(badRequest(`${key} socket`));
      if (m[2] !== `${options.username}${options.password}`) {
        return Promise.resolve(new Response("User or password error."));
      }
      return operate(device, request, () => {
        device.set(Number(m[1]), key === "Sw_on" ? "on" : "off");
        return page("NET-PwrCtrl", device);
      });
    }, () => ({
      driver: ANEL_MODELS[options.model],
      username: options.username,
      password: options.password,
    }), true));
  },
};

// ---------------------------------------------------------------------------------------------

const ADMIN_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** Intellinet 163682: control_outlet.htm and status.xml behind basic auth. */
export const INTELLINET_SIMULATOR: SimulatorKind<z.infer<typeof ADMIN_OPTIONS>> = {
  name: "intellinet",
  summary: "Intellinet 163682: GET control_outlet.htm?outletN=1&op=0|1|2, status.xml, basic auth",
  options: ADMIN_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("intellinet", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (request.method !== "GET") return Promise.resolve(notFound());
      if (!basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("PDU"));
      }
      if (url.pathname === "/status.xml") {
        return operate(device, request, () =>
          new Response(
            `<?xml version="1.0"?><response>${
              device.outlets().map((o) => `<outletStat${o}>${device.get(o)}</outletStat${o}>`)
                .join("")
            }</response>`,
            { headers: { "content-type": "text/xml" } },
          ));
      }
      if (url.pathname !== "/control_outlet.htm") return Promise.resolve(notFound());
      const q = url.searchParams;
      const outletKey = keysOf(q).find((k) => /^outlet\d+$/.test(k));
      const outlet = Number(outletKey?.slice(6));
      const op = q.get("op");
      if (
        keysOf(q).length !== 3 || !outletKey || q.get(outletKey) !== "1" || !device.has(outlet) ||
        !["0", "1", "2"].includes(op ?? "") || !q.has("submit")
      ) {
        return Promise.resolve(badRequest("control_outlet.htm parameters"));
      }
      return operate(device, request, () => {
        if (op === "0") device.set(outlet, "on");
        else if (op === "1") device.set(outlet, "off");
        else {
          device.set(outlet, "off");
          device.set(outlet, "on");
        }
        return page("Outlet Control", device);
      });
    }, (_, port) => ({
      driver: "intellinet",
      port,
      username: options.username,
      password: options.password,
    })));
  },
};

// ---------------------------------------------------------------------------------------------

const IP9850_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("12345678"),
}).strict();

/** Aviosys IP Power 9850: GET /set.cmd?user=&pass=&cmd=setpower&p6N=0|1 / cmd=getpower. */
export const IP9850_SIMULATOR: SimulatorKind<z.infer<typeof IP9850_OPTIONS>> = {
  name: "ip9850",
  summary: "Aviosys IP Power 9850: GET /set.cmd?cmd=setpower&p6N=0|1 / getpower, user+pass",
  options: IP9850_OPTIONS,
  start(device, { options, hostname, port }) {
    const report = (outlets: number[]) =>
      outlets.map((o) => `p6${o}=${device.get(o) === "on" ? 1 : 0}`).join(",");
    return Promise.resolve(simulator(
      "ip9850",
      device,
      { hostname, port },
      (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}${url.search}`);
        if (request.method !== "GET" || url.pathname !== "/set.cmd") {
          return Promise.resolve(notFound());
        }
        const q = url.searchParams;
        // The 9850 answers a wrong login with a 200 page that says so (upstream looks for "401").
        if (q.get("user") !== options.username || q.get("pass") !== options.password) {
          return Promise.resolve(new Response("<html>401 Unauthorized: Access Denied</html>"));
        }
        const cmd = q.get("cmd");
        if (cmd === "getpower") {
          if (keysOf(q).length !== 3) {
            return Promise.resolve(badRequest("getpower takes no outlets"));
          }
          return operate(
            device,
            request,
            () => new Response(`<html>${report(device.outlets())}</html>`),
          );
        }
        if (cmd !== "setpower") return Promise.resolve(badRequest(`unknown cmd ${cmd}`));
        const sets: [number, OutletState][] = [];
        for (const [k, v] of q) {
          if (k === "user" || k === "pass" || k === "cmd") continue;
          const m = /^p6(\d)$/.exec(k);
          if (!m || !device.has(Number(m[1])) || (v !== "0" && v !== "1")) {
            return Promise.resolve(badRequest(`parameter ${k}=${v}`));
          }
          sets.push([Number(m[1]), v === "1" ? "on" : "off"]);
        }
        if (sets.length === 0) return Promise.resolve(badRequest("setpower without an outlet"));
        return operate(device, request, () => {
          for (const [o, s] of sets) device.set(o, s);
          return new Response(`<html>${report(sets.map(([o]) => o))}</html>`);
        });
      },
      () => ({ driver: "ip9850", username: options.username, password: options.password }),
      true,
    ));
  },
};

// ---------------------------------------------------------------------------------------------

/** Lindy iPower Classic 8: GET /ons.cgi|offs.cgi?led=<24 bits>, basic auth when set. */
export const LINDY_SIMULATOR: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "lindy-ipower",
  summary: "Lindy iPower Classic 8: GET /ons.cgi|/offs.cgi?led=<24 bits, outlet 1 first>",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("lindy-ipower", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("iPower"));
      }
      const script = url.pathname;
      if (request.method !== "GET" || (script !== "/ons.cgi" && script !== "/offs.cgi")) {
        return Promise.resolve(notFound());
      }
      const led = url.searchParams.get("led") ?? "";
      if (keysOf(url.searchParams).join() !== "led" || !/^[01]{24}$/.test(led)) {
        return Promise.resolve(badRequest("led must be 24 binary digits"));
      }
      const outlets = [...led].flatMap((bit, i) => (bit === "1" ? [i + 1] : []));
      if (outlets.some((o) => !device.has(o))) return Promise.resolve(badRequest("no such outlet"));
      return operate(device, request, () => {
        for (const o of outlets) device.set(o, script === "/ons.cgi" ? "on" : "off");
        return page("iPower Control", device);
      });
    }, (_, port) => ({
      driver: "LindyIPowerClassic8",
      port,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};

// ---------------------------------------------------------------------------------------------

const NO_OPTIONS = z.object({}).strict();

/** SainSmart Ethernet relay board: GET /30000/NN (NN even: relay off, odd: on). */
export const SAINSMART_SIMULATOR: SimulatorKind<z.infer<typeof NO_OPTIONS>> = {
  name: "sainsmart",
  summary: "SainSmart Ethernet relay board: GET /30000/NN (2(N-1) off, 2(N-1)+1 on)",
  options: NO_OPTIONS,
  start(device, { hostname, port }) {
    return Promise.resolve(simulator("sainsmart", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      const m = /^\/30000\/(\d\d)$/.exec(url.pathname);
      const code = Number(m?.[1]);
      const relay = Math.floor(code / 2) + 1;
      if (request.method !== "GET" || !m || url.search !== "" || !device.has(relay)) {
        return Promise.resolve(notFound());
      }
      return operate(device, request, () => {
        device.set(relay, code % 2 === 1 ? "on" : "off");
        return page("Relay board", device);
      });
    }, (address, port) => ({ driver: "sainsmart", ip: `${address}:${port}` })));
  },
};

// ---------------------------------------------------------------------------------------------

const SERVERTECH_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
  "outlet_prefix": z.string().default("AA"),
}).strict();

/** Server Technology PRO2: JAWS `/jaws/control/outlets/<id>`, PATCH control_action, basic auth. */
export const SERVERTECH_SIMULATOR: SimulatorKind<z.infer<typeof SERVERTECH_OPTIONS>> = {
  name: "servertech-pro2",
  summary: "ServerTech PRO2 JAWS: PATCH/GET /jaws/control/outlets/AA<N>, basic auth",
  options: SERVERTECH_OPTIONS,
  start(device, { options, hostname, port }) {
    const prefix = "/jaws/control/outlets/";
    return Promise.resolve(
      simulator("servertech-pro2", device, { hostname, port }, async (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}`);
        if (!basicOk(request, options.username, options.password)) {
          return basicChallenge("PRO2", "");
        }
        const id = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : "";
        const m = new RegExp(`^${options.outlet_prefix}(\\d+)$`).exec(id);
        const outlet = Number(m?.[1]);
        if (!m || !device.has(outlet)) {
          return Response.json({ error: `outlet "${id}" not found` }, { status: 404 });
        }
        const view = () => ({
          id,
          name: `Outlet_${id}`,
          state: device.get(outlet) === "on" ? "On" : "Off",
          control_state: device.get(outlet),
        });
        if (request.method === "GET") {
          return await operate(device, request, () => Response.json(view()));
        }
        if (request.method !== "PATCH") return new Response("", { status: 405 });
        if (!/^application\/json\b/.test(request.headers.get("content-type") ?? "")) {
          return Response.json({ error: "expected application/json" }, { status: 415 });
        }
        let body: { control_action?: unknown };
        try {
          body = await request.json();
        } catch {
          return Response.json({ error: "malformed JSON" }, { status: 400 });
        }
        const action = body.control_action;
        if (
          Object.keys(body).join() !== "control_action" ||
          !["on", "off", "reboot"].includes(String(action))
        ) {
          return Response.json({ error: "control_action must be on, off or reboot" }, {
            status: 400,
          });
        }
        return await operate(device, request, () => {
          if (action === "reboot") device.set(outlet, "off");
          device.set(outlet, action === "off" ? "off" : "on");
          return new Response(null, { status: 204 });
        });
      }, (address, port) => ({
        driver: "servertechpro2",
        ip: `${address}:${port}`,
        username: options.username,
        password: options.password,
        "outlet_prefix": options.outlet_prefix,
      })),
    );
  },
};

// ---------------------------------------------------------------------------------------------

/** OpenWrt ubus over uhttpd: JSON-RPC `call` of `poe info` / `poe manage`, anonymous ACL. */
export const UBUS_SIMULATOR: SimulatorKind<z.infer<typeof NO_OPTIONS>> = {
  name: "ubus-poe",
  summary: "OpenWrt PoE switch: POST /ubus JSON-RPC call poe info|manage (ports lanN)",
  options: NO_OPTIONS,
  start(device, { hostname, port }) {
    return Promise.resolve(simulator(
      "ubus-poe",
      device,
      { hostname, port },
      async (request) => {
        const url = new URL(request.url);
        if (request.method !== "POST" || url.pathname !== "/ubus") return notFound();
        let call: { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
        try {
          call = await request.json();
        } catch {
          return Response.json({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" } });
        }
        device.record(`ubus ${JSON.stringify(call.params)}`);
        const reply = (body: Record<string, unknown>) =>
          Response.json({ jsonrpc: "2.0", id: call.id, ...body });
        const params = call.params;
        if (
          call.jsonrpc !== "2.0" || call.method !== "call" || !Array.isArray(params) ||
          params.length !== 4
        ) {
          return reply({ error: { code: -32600, message: "Invalid request" } });
        }
        const [session, object, method, message] = params as [
          unknown,
          unknown,
          unknown,
          Record<string, unknown>,
        ];
        // The anonymous session's ACL grants exactly these two calls.
        if (
          session !== UBUS_ANONYMOUS_SESSION || object !== "poe" ||
          (method !== "info" && method !== "manage")
        ) {
          return reply({ error: { code: -32002, message: "Access denied" } });
        }
        if (method === "info") {
          return await operate(device, request, () =>
            reply({
              result: [0, {
                firmware: "v1.9",
                budget: 65,
                consumption: 0,
                ports: Object.fromEntries(
                  device.outlets().map((o) => [`lan${o}`, {
                    priority: 2,
                    mode: "PoE+",
                    status: device.get(o) === "on" ? "Delivering power" : "Disabled",
                  }]),
                ),
              }],
            }));
        }
        const m = /^lan(\d+)$/.exec(String(message?.port));
        if (
          !m || !device.has(Number(m[1])) || typeof message.enable !== "boolean" ||
          Object.keys(message).length !== 2
        ) {
          return reply({ result: [2] });
        }
        return await operate(device, request, () => {
          device.set(Number(m[1]), message.enable ? "on" : "off");
          return reply({ result: [0] });
        });
      },
      () => ({ driver: "ubus" }),
      true,
    ));
  },
};
