/**
 * Simulator of ANEL NET-PwrCtrl's HTTP control, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { badRequest, keysOf, notFound, operate, page, simulator } from "./_http.ts";

const ANEL_MODELS = {
  home: "anel_netpwrctrlhome",
  adv: "anel_netpwrctrladv",
  io: "anel_netpwrctrlio",
  pro: "anel_netpwrctrlpro",
} as const;

const ANEL_OPTIONS = z.object({
  "model": z.enum(["home", "adv", "io", "pro"]).default("pro"),
  "username": z.string().default("admin"),
  "password": z.string().default("anel"),
}).strict();

/** ANEL NET-PwrCtrl: GET /?Sw_on=N,<user><password>. */
export const ANEL_SIMULATOR: SimulatorKind<z.infer<typeof ANEL_OPTIONS>> = {
  name: "anel",
  summary: "ANEL NET-PwrCtrl HOME/ADV/IO/PRO: GET /?Sw_on|Sw_off=N,<user><password> (model)",
  options: ANEL_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("anel", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (request.method !== "GET" || url.pathname !== "/") return Promise.resolve(notFound());
      const keys = keysOf(url.searchParams);
      const key = keys[0];
      if (keys.length !== 1 || (key !== "Sw_on" && key !== "Sw_off")) {
        return Promise.resolve(page("NET-PwrCtrl", device));
      }
      const m = /^(\d+),(.*)$/s.exec(url.searchParams.get(key)!);
      if (!m || !device.has(Number(m[1]))) return Promise.resolve(badRequest(`${key} socket`));
      if (m[2] !== `${options.username}${options.password}`) {
        return Promise.resolve(new Response("User or password error."));
      }
      return operate(device, request, () => {
        device.set(Number(m[1]), key === "Sw_on" ? "on" : "off");
        return page("NET-PwrCtrl", device);
      });
    }, () => ({
      driver: ANEL_MODELS[options.model],
      username: options.username,
      password: options.password,
    }), true));
  },
};
