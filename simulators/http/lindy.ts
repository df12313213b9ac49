/**
 * Simulator of the Lindy iPower Classic 8's CGI, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import {
  badRequest,
  basicChallenge,
  basicOk,
  CREDENTIALS,
  keysOf,
  notFound,
  operate,
  page,
  simulator,
} from "./_http.ts";

/**
 * status.xml: comma-separated fields, outlet N's state in field 10+N (from 1), as labgrid's
 * digipower driver reads it; the fields around them stand for the page's other readings.
 */
function statusXml(device: SimulatedDevice): Response {
  const states = Array.from(
    { length: 8 },
    (_, i) => device.has(i + 1) && device.get(i + 1) === "on" ? "1" : "0",
  );
  const fields = ["<response><pot0>0", "0.0", "0", "0", "0", "0", "0", "0", "25", "0", ...states];
  return new Response(`${[...fields, "0", "0</pot0></response>"].join(",")}\n`, {
    headers: { "content-type": "text/xml" },
  });
}

const LINDY_SIMULATOR_OPTIONS = CREDENTIALS.extend({
  /** The driver name its PDU config uses (both speak this protocol). */
  "driver": z.enum(["LindyIPowerClassic8", "digipower"]).default("LindyIPowerClassic8"),
});

/** Lindy iPower Classic 8: GET /ons.cgi|offs.cgi?led=<24 bits>, GET /status.xml; basic auth. */

export const LINDY_SIMULATOR: SimulatorKind<z.infer<typeof LINDY_SIMULATOR_OPTIONS>> = {
  name: "lindy-ipower",
  summary:
    "Lindy iPower Classic 8 / DigiPower: GET /ons.cgi|/offs.cgi?led=<24 bits, outlet 1 first>, /status.xml",
  options: LINDY_SIMULATOR_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("lindy-ipower", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("iPower"));
      }
      const script = url.pathname;
      if (request.method === "GET" && script === "/status.xml" && url.search === "") {
        return operate(device, request, () => statusXml(device));
      }
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
        for (const o of outlets) device.command(o, script === "/ons.cgi" ? "on" : "off");
        return page("iPower Control", device);
      });
    }, (_, port) => ({
      driver: options.driver,
      port,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};
