/**
 * `http-generic`: a relay board for the generic HTTP driver, in one of two shapes, strict about
 * method (405 with Allow), content type (415), body (400) and credentials (401 with the scheme's
 * challenge):
 * - `simplerest` (labgrid's simplerest relay): `GET /relay/N/1|0` switches and answers the new
 *   value, `GET /relay/N` answers `1` or `0`;
 * - `rest` (labgrid's rest relay): `PUT /relay/N/value` with the body `1` or `0` switches,
 *   `GET /relay/N/value` answers `1` or `0`;
 * - `json` (a REST device): `PUT /api/relays/N` with `{"on": true|false}` as application/json,
 *   `GET /api/relays/N` answering `{"relay": {"id": N, "on": true}}`.
 * - `webhook` (a MAAS-style power webhook, one machine per outlet, `node<N>`): `POST
 *   /api/machines/node<N>/on|off` with an empty body switches, `GET /api/machines/node<N>`
 *   answers `{"system_id": "node<N>", "power": "on"|"off"}`.
 * All: `GET /status/N` answers an HTML line `Relay N: <b>ON</b>` (for regex state reading), and
 * `GET /powered/N` answers 200 when the relay is on, 404 when off (state by status code).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import type { SimulatedReply } from "../_transport/http_server.ts";
import { verifyDigest } from "../../drivers/http/mod.ts";
import { basicChallenge, basicOk, operate, simulator } from "./_http.ts";

const OPTIONS = z.object({
  "style": z.enum(["simplerest", "rest", "json", "webhook"]).default("simplerest"),
  "auth": z.enum(["none", "basic", "digest", "bearer"]).default("none"),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
  "token": z.string().optional(),
}).strict().refine((o) => o.auth === "none" || (o.auth === "bearer" ? o.token : o.password), {
  message: "auth needs password (basic, digest) or token (bearer)",
});

type Options = z.infer<typeof OPTIONS>;

const REALM = "relay-board";

/** `http-generic`. */
export const HTTP_GENERIC_SIMULATOR: SimulatorKind<Options> = {
  name: "http-generic",
  summary: "a relay board for the generic http/simplerest driver: simplerest or JSON REST shape",
  options: OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(
      simulator(
        "http-generic",
        device,
        { hostname, port },
        (request) => handle(device, options, request),
        (address, port) => pduConfig(device, options, `http://${address}:${port}`),
      ),
    );
  },
};

function pduConfig(device: SimulatedDevice, o: Options, base: string): Record<string, unknown> {
  const auth = o.auth === "none"
    ? {}
    : o.auth === "bearer"
    ? { auth: "bearer", token: o.token }
    : { auth: o.auth, username: o.username, password: o.password };
  const outlets = { outlets: device.count, "first_outlet": device.first };
  if (o.style === "simplerest") {
    return {
      driver: "simplerest",
      url: `${base}/relay/{index}/{value}`,
      "reply_regex": "^[01]$",
      ...outlets,
      ...auth,
    };
  }
  if (o.style === "webhook") {
    const machine = `${base}/api/machines/node${device.first}`;
    return {
      driver: "http",
      method: "POST",
      body: "",
      "url_on": `${machine}/on`,
      "url_off": `${machine}/off`,
      "url_get": machine,
      "state_regex_on": '"power":\\s*"on"',
      "state_regex_off": '"power":\\s*"off"',
      ...auth,
    };
  }
  if (o.style === "rest") {
    return {
      driver: "rest",
      url: `${base}/relay/{index}/value`,
      "reply_regex": "^[01]$",
      ...outlets,
      ...auth,
    };
  }
  return {
    driver: "http",
    url: `${base}/api/relays/{index}`,
    method: "PUT",
    body: '{"on": {value}}',
    "on_value": "true",
    "off_value": "false",
    "json_path": "relay.on",
    "reply_regex": '"relay"',
    ...outlets,
    ...auth,
  };
}

function authorized(o: Options, request: Request): boolean {
  const header = request.headers.get("authorization");
  switch (o.auth) {
    case "none":
      return true;
    case "basic":
      return basicOk(request, o.username, o.password!);
    case "bearer":
      return header === `Bearer ${o.token}`;
    case "digest":
      return verifyDigest(header, {
        username: o.username,
        password: o.password!,
        realm: REALM,
        method: request.method,
      });
  }
}

function challenge(o: Options): Response {
  if (o.auth === "basic") return basicChallenge(REALM);
  return new Response("401 Unauthorized", {
    status: 401,
    headers: {
      "www-authenticate": o.auth === "digest"
        ? `Digest realm="${REALM}", qop="auth", nonce="${crypto.randomUUID()}", opaque="board"`
        : `Bearer realm="${REALM}"`,
    },
  });
}

const notAllowed = (allow: string) =>
  new Response("405 Method Not Allowed", { status: 405, headers: { allow } });

async function handle(
  device: SimulatedDevice,
  o: Options,
  request: Request,
): Promise<SimulatedReply> {
  const url = new URL(request.url);
  const body = request.method === "GET" ? "" : await request.text();
  device.record(`${request.method} ${url.pathname}${body ? ` ${body}` : ""}`);
  if (!authorized(o, request)) return challenge(o);
  const outletOf = (n: string) => {
    const outlet = Number(n);
    return outlet >= device.first && outlet < device.first + device.count ? outlet : undefined;
  };
  const notFound = new Response("404 Not Found", { status: 404 });

  const powered = /^\/powered\/(\d+)$/.exec(url.pathname);
  if (powered) {
    const outlet = outletOf(powered[1]!);
    if (outlet === undefined) return notFound;
    if (request.method !== "GET") return notAllowed("GET");
    return operate(
      device,
      request,
      () => device.get(outlet) === "on" ? new Response("powered") : notFound,
    );
  }

  const status = /^\/status\/(\d+)$/.exec(url.pathname);
  if (status) {
    const outlet = outletOf(status[1]!);
    if (outlet === undefined) return notFound;
    if (request.method !== "GET") return notAllowed("GET");
    return operate(device, request, () =>
      new Response(
        `<html><body>Relay ${outlet}: <b>${device.get(outlet).toUpperCase()}</b></body></html>`,
        { headers: { "content-type": "text/html" } },
      ));
  }

  if (o.style === "simplerest") {
    const m = /^\/relay\/(\d+)(?:\/([^/]*))?$/.exec(url.pathname);
    const outlet = m ? outletOf(m[1]!) : undefined;
    if (!m || outlet === undefined) return notFound;
    if (request.method !== "GET") return notAllowed("GET");
    if (m[2] !== undefined && m[2] !== "0" && m[2] !== "1") {
      return new Response("400 value must be 0 or 1", { status: 400 });
    }
    return operate(device, request, () => {
      if (m[2] !== undefined) device.set(outlet, m[2] === "1" ? "on" : "off");
      return new Response(device.get(outlet) === "on" ? "1" : "0");
    });
  }

  if (o.style === "webhook") {
    const m = /^\/api\/machines\/node(\d+)(?:\/(on|off))?$/.exec(url.pathname);
    const outlet = m ? outletOf(m[1]!) : undefined;
    if (!m || outlet === undefined) {
      return Response.json({ error: "no such machine" }, { status: 404 });
    }
    const machine = () =>
      Response.json({ "system_id": `node${outlet}`, power: device.get(outlet) });
    if (!m[2]) {
      if (request.method !== "GET") return notAllowed("GET");
      return operate(device, request, machine);
    }
    if (request.method !== "POST") return notAllowed("POST");
    if (body !== "") return Response.json({ error: "expected an empty body" }, { status: 400 });
    return operate(device, request, () => {
      device.set(outlet, m[2] === "on" ? "on" : "off");
      return machine();
    });
  }

  if (o.style === "rest") {
    const m = /^\/relay\/(\d+)\/value$/.exec(url.pathname);
    const outlet = m ? outletOf(m[1]!) : undefined;
    if (!m || outlet === undefined) return notFound;
    if (request.method !== "GET" && request.method !== "PUT") return notAllowed("GET, PUT");
    if (request.method === "PUT" && body !== "0" && body !== "1") {
      return new Response("400 body must be 0 or 1", { status: 400 });
    }
    return operate(device, request, () => {
      if (request.method === "PUT") device.set(outlet, body === "1" ? "on" : "off");
      return new Response(device.get(outlet) === "on" ? "1" : "0");
    });
  }

  const m = /^\/api\/relays\/(\d+)$/.exec(url.pathname);
  const outlet = m ? outletOf(m[1]!) : undefined;
  if (!m || outlet === undefined) return Response.json({ error: "no such relay" }, { status: 404 });
  const relay = () => Response.json({ relay: { id: outlet, on: device.get(outlet) === "on" } });
  if (request.method === "GET") return operate(device, request, relay);
  if (request.method !== "PUT") return notAllowed("GET, PUT");
  if (request.headers.get("content-type")?.split(";")[0]?.trim() !== "application/json") {
    return Response.json({ error: "expected application/json" }, { status: 415 });
  }
  let wanted: unknown;
  try {
    wanted = (JSON.parse(body) as { on?: unknown }).on;
  } catch {
    wanted = undefined;
  }
  if (typeof wanted !== "boolean") {
    return Response.json({ error: 'expected {"on": true|false}' }, { status: 400 });
  }
  return operate(device, request, () => {
    device.set(outlet, wanted ? "on" : "off");
    return relay();
  });
}
