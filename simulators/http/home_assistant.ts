/**
 * Simulator of Home Assistant's REST API for switch entities, on a real socket and as strict
 * as the server.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { operate, simulator } from "./_http.ts";

const HA_OPTIONS = z.object({
  "api_key": z.string().default("ha-long-lived-token-for-tests"),
  /** Entities are switch.<prefix>N (default switch.N). */
  "entity_prefix": z.string().regex(/^[a-z0-9_]*$/).default(""),
}).strict();

/** Home Assistant REST API for switch entities switch.<prefix>1 … switch.<prefix>N. */
export const HOME_ASSISTANT_SIMULATOR: SimulatorKind<z.infer<typeof HA_OPTIONS>> = {
  name: "home-assistant",
  summary: "Home Assistant REST API: switch.turn_on/turn_off services, /api/states, bearer token",
  options: HA_OPTIONS,
  start(device, { options, hostname, port }) {
    const prefix = options.entity_prefix;
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
            const m = typeof entity === "string" && entity.startsWith(`switch.${prefix}`)
              ? /^(\d+)$/.exec(entity.slice(`switch.${prefix}`.length))
              : null;
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
          const state = /^\/api\/states\/(switch\.[a-z0-9_]+)$/.exec(url.pathname);
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
          ...(prefix ? { entities: device.outlets().map((o) => `switch.${prefix}${o}`) } : {}),
        }),
      ),
    );
  },
};
