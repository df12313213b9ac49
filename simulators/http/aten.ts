/**
 * Simulator of ATEN's RESTful relay API, on a real socket and as strict as the PDU: the account
 * travels as `usr`/`pwd` parameters (401 when wrong), `index` is 1-based (404 out of range),
 * `method` is on|off|on_immediate|off_immediate (reboot is refused here: pdud never sends it).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { badRequest, keysOf, notFound, operate, simulator } from "./_http.ts";

const ATEN_SIMULATOR_OPTIONS = z.object({
  "username": z.string().default("administrator"),
  "password": z.string().default("password"),
}).strict();

const relayXml = (device: SimulatedDevice, outlets: number[]) =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<OutletRelay>\n${
      outlets.map((o) => {
        const n = String(o).padStart(2, "0");
        return `<${n}>${device.get(o) === "on" ? "ON" : "OFF"}</${n}>`;
      }).join("\n")
    }\n</OutletRelay>\n`,
    { headers: { "content-type": "text/xml" } },
  );

/** ATEN eco PDU RESTful API: POST/GET /api/outlet/relay, GET /api/device/relay. */
export const ATEN_SIMULATOR: SimulatorKind<z.infer<typeof ATEN_SIMULATOR_OPTIONS>> = {
  name: "aten-pe",
  summary: "ATEN eco PDU RESTful relay API: POST /api/outlet/relay usr,pwd,index,method",
  options: ATEN_SIMULATOR_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("aten-pe", device, { hostname, port }, async (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      const isPost = request.method === "POST";
      if (
        isPost && !(request.headers.get("content-type") ?? "").startsWith(
          "application/x-www-form-urlencoded",
        )
      ) {
        return badRequest("expected a form body");
      }
      const params = isPost ? new URLSearchParams(await request.text()) : url.searchParams;
      if (params.get("usr") !== options.username || params.get("pwd") !== options.password) {
        return new Response("401 Unauthorized", { status: 401 });
      }
      const index = params.get("index");
      if (url.pathname === "/api/device/relay" && request.method === "GET") {
        if (keysOf(params).join() !== "pwd,usr") return badRequest("unsupported parameters");
        return operate(device, request, () => relayXml(device, device.outlets()));
      }
      if (url.pathname !== "/api/outlet/relay") return notFound();
      const want = isPost ? "index,method,pwd,usr" : "index,pwd,usr";
      if (keysOf(params).join() !== want || !/^\d+$/.test(index ?? "")) {
        return badRequest("unsupported parameters");
      }
      const outlet = Number(index);
      if (!device.has(outlet)) return notFound();
      if (request.method === "GET") {
        return operate(device, request, () => relayXml(device, [outlet]));
      }
      if (!isPost) return new Response("", { status: 405 });
      const method = params.get("method") ?? "";
      if (!["on", "off", "on_immediate", "off_immediate"].includes(method)) {
        return badRequest("unknown method");
      }
      return operate(device, request, () => {
        device.command(outlet, method.startsWith("on") ? "on" : "off");
        return new Response("", { status: 200 });
      });
    }, (_address, port) => ({
      driver: "pe6216",
      port,
      username: options.username,
      password: options.password,
    })));
  },
};
