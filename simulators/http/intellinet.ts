/**
 * Simulator of the Intellinet 163682 web pages, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import {
  badRequest,
  basicChallenge,
  basicOk,
  keysOf,
  notFound,
  operate,
  page,
  simulator,
} from "./_http.ts";

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
