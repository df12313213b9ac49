/**
 * Simulator of the Aviosys IP Power 9850's set.cmd, on a real socket and as strict as the
 * device.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { SimulatorKind } from "../kind.ts";
import { badRequest, keysOf, notFound, operate, simulator } from "./_http.ts";

const IP9850_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("12345678"),
}).strict();

/** Aviosys IP Power 9850: GET /set.cmd?user=&pass=&cmd=setpower&p6N=0|1 / cmd=getpower. */
export const IP9850_SIMULATOR: SimulatorKind<z.infer<typeof IP9850_OPTIONS>> = {
  name: "ip9850",
  summary: "Aviosys IP Power 9850: GET /set.cmd?cmd=setpower&p6N=0|1 / getpower, user+pass",
  options: IP9850_OPTIONS,
  start(device, { options, hostname, port }) {
    const report = (outlets: number[]) =>
      outlets.map((o) => `p6${o}=${device.get(o) === "on" ? 1 : 0}`).join(",");
    return Promise.resolve(simulator(
      "ip9850",
      device,
      { hostname, port },
      (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}${url.search}`);
        if (request.method !== "GET" || url.pathname !== "/set.cmd") {
          return Promise.resolve(notFound());
        }
        const q = url.searchParams;
        // The 9850 answers a wrong login with a 200 page that says so (upstream looks for "401").
        if (q.get("user") !== options.username || q.get("pass") !== options.password) {
          return Promise.resolve(new Response("<html>401 Unauthorized: Access Denied</html>"));
        }
        const cmd = q.get("cmd");
        if (cmd === "getpower") {
          if (keysOf(q).length !== 3) {
            return Promise.resolve(badRequest("getpower takes no outlets"));
          }
          return operate(
            device,
            request,
            () => new Response(`<html>${report(device.outlets())}</html>`),
          );
        }
        if (cmd !== "setpower") return Promise.resolve(badRequest(`unknown cmd ${cmd}`));
        const sets: [number, OutletState][] = [];
        for (const [k, v] of q) {
          if (k === "user" || k === "pass" || k === "cmd") continue;
          const m = /^p6(\d)$/.exec(k);
          if (!m || !device.has(Number(m[1])) || (v !== "0" && v !== "1")) {
            return Promise.resolve(badRequest(`parameter ${k}=${v}`));
          }
          sets.push([Number(m[1]), v === "1" ? "on" : "off"]);
        }
        if (sets.length === 0) return Promise.resolve(badRequest("setpower without an outlet"));
        return operate(device, request, () => {
          for (const [o, s] of sets) device.set(o, s);
          return new Response(`<html>${report(sets.map(([o]) => o))}</html>`);
        });
      },
      () => ({ driver: "ip9850", username: options.username, password: options.password }),
      true,
    ));
  },
};
