/**
 * Simulator of the Server Technology PRO2 JAWS API, on a real socket and as strict as the
 * device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { basicChallenge, basicOk, operate, simulator } from "./_http.ts";

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
