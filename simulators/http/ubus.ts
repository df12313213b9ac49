/**
 * Simulator of OpenWrt's ubus PoE calls over uhttpd, on a real socket and as strict as the
 * device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { UBUS_ANONYMOUS_SESSION } from "../../drivers/http/mod.ts";
import { NO_OPTIONS, notFound, operate, simulator } from "./_http.ts";

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
                consumption: device.outlets().reduce((sum, o) => sum + device.reading(o).watts, 0),
                ports: Object.fromEntries(
                  device.outlets().map((o) => [`lan${o}`, {
                    priority: 2,
                    mode: "PoE+",
                    status: device.get(o) === "on" ? "Delivering power" : "Disabled",
                    // realtek-poe: watts the port delivers now.
                    consumption: device.reading(o).watts,
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
