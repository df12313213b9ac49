/**
 * Simulator of ESPHome's web_server switches, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { verifyDigest } from "../../drivers/http/mod.ts";
import { CREDENTIALS, flip, operate, simulator } from "./_http.ts";

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
