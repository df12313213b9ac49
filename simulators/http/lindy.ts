/**
 * Simulator of the Lindy iPower Classic 8's CGI, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
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
