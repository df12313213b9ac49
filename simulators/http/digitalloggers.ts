/**
 * Simulators of Digital Loggers controllers, on a real socket and as strict as the devices: the
 * legacy web interface (basic auth, `/outlet?N=ON|OFF`, `/status`) and the REST API (digest
 * auth, `X-CSRF` required on every modifying request, form body `value=true|false`, relays
 * counted from 0).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { verifyDigest } from "../../drivers/http/mod.ts";
import {
  badRequest,
  basicChallenge,
  basicOk,
  CREDENTIALS,
  flip,
  keysOf,
  notFound,
  operate,
  simulator,
} from "./_http.ts";

const REALM = "DLI power controller";

function statusPage(device: SimulatedDevice): Response {
  let mask = 0;
  device.outlets().forEach((o, i) => {
    if (device.get(o) === "on") mask |= 1 << i;
  });
  const hex = mask.toString(16).padStart(2, "0");
  return new Response(
    `<html><head><title>Outlet status</title></head><body>` +
      `<div id="state">${hex}</div><div id="lock">00</div><div id="perm">ff</div></body></html>`,
    { headers: { "content-type": "text/html" } },
  );
}

/** Digital Loggers legacy interface: GET /outlet?N=ON|OFF, GET /status. */
export const DLI_HTTP_SIMULATOR: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "dli-http",
  summary: "Digital Loggers legacy web interface: GET /outlet?N=ON|OFF, /status state mask",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("dli-http", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge(REALM));
      }
      if (request.method !== "GET") return Promise.resolve(notFound());
      if (url.pathname === "/status" && url.search === "") {
        return operate(device, request, () => statusPage(device));
      }
      if (url.pathname !== "/outlet") return Promise.resolve(notFound());
      const keys = keysOf(url.searchParams);
      const outlet = Number(keys[0]);
      const value = url.searchParams.get(keys[0] ?? "");
      if (keys.length !== 1 || !/^\d+$/.test(keys[0]!) || (value !== "ON" && value !== "OFF")) {
        return Promise.resolve(badRequest("expected /outlet?N=ON|OFF"));
      }
      if (!device.has(outlet)) return Promise.resolve(badRequest(`no outlet ${outlet}`));
      return operate(device, request, () => {
        device.command(outlet, value === "ON" ? "on" : "off");
        return statusPage(device);
      });
    }, (_address, port) => ({
      driver: "digitalloggers_http",
      port,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};

/** Digital Loggers REST API: PUT/GET /restapi/relay/outlets/R/state/, all;/state/. */
export const DLI_RESTAPI_SIMULATOR: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "dli-restapi",
  summary:
    "Digital Loggers REST API: PUT/GET /restapi/relay/outlets/R/state/ (relays from 0), X-CSRF, digest auth",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    // The REST API counts relays from 0: relay R is the device's (R+1)-th outlet.
    const outletOf = (relay: number) => device.first + relay;
    return Promise.resolve(simulator("dli-restapi", device, { hostname, port }, async (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      if (
        options.password !== undefined &&
        !verifyDigest(request.headers.get("authorization"), {
          username: options.username,
          password: options.password,
          realm: REALM,
          method: request.method,
        })
      ) {
        return new Response('{"error":"unauthorized"}', {
          status: 401,
          headers: {
            "www-authenticate": `Digest realm="${REALM}", qop="auth", nonce="${
              crypto.randomUUID().replaceAll("-", "")
            }", algorithm=MD5`,
          },
        });
      }
      if (url.pathname === "/restapi/relay/outlets/all;/state/" && request.method === "GET") {
        return operate(
          device,
          request,
          () => Response.json(device.outlets().map((o) => flip(device.get(o)))),
        );
      }
      const m = /^\/restapi\/relay\/outlets\/(\d+)\/state\/$/.exec(url.pathname);
      if (!m || !device.has(outletOf(Number(m[1])))) return notFound();
      const outlet = outletOf(Number(m[1]));
      if (request.method === "GET") {
        return operate(device, request, () => Response.json(flip(device.get(outlet))));
      }
      if (request.method !== "PUT") return new Response("", { status: 405 });
      // The API refuses a modification without the CSRF header (it cannot come from a browser).
      if (!request.headers.has("x-csrf")) {
        return new Response('{"error":"CSRF header required"}', { status: 403 });
      }
      const type = request.headers.get("content-type") ?? "";
      const form = new URLSearchParams(await request.text());
      const value = form.get("value");
      if (
        !type.startsWith("application/x-www-form-urlencoded") ||
        keysOf(form).join() !== "value" || (value !== "true" && value !== "false")
      ) {
        return badRequest("expected value=true|false");
      }
      return operate(device, request, () => {
        device.set(outlet, value === "true" ? "on" : "off");
        return new Response(null, { status: 204 });
      });
    }, (_address, port) => ({
      driver: "digitalloggers_restapi",
      port,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};
