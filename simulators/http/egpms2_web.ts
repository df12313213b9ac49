/**
 * Simulator of the EG-PMS2-LAN/WLAN web interface, on a real socket and as strict as the device:
 * one session (logged in by `POST /login.html pw=…`, ended by `GET /login.html`); without it,
 * the status page and the switch form get the login page and change nothing. `held: true` plays
 * another client holding that session (every login gets the login page). The device's fault knob
 * applies to the switch and the status read, not to the login and logout around them.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { badRequest, keysOf, notFound, operate, simulator } from "./_http.ts";

const EGPMS2_SIMULATOR_OPTIONS = z.object({
  "password": z.string().default("1"),
  "held": z.boolean().default(false),
}).strict();

const html = (body: string) =>
  new Response(`<html><head><title>Energenie EG-PMS2</title></head><body>${body}</body></html>`, {
    headers: { "content-type": "text/html" },
  });

const loginPage = () =>
  html('<form method="post" action="login.html"><input type="password" name="pw"></form>');

const statusPage = (device: SimulatedDevice) =>
  html(
    `<script>var sockstates = [${
      device.outlets().map((o) => (device.get(o) === "on" ? 1 : 0)).join(",")
    }];</script><div class="boxmenuitem"><a href="login.html">Log Out</a></div>`,
  );

/** EG-PMS2-LAN/WLAN web interface: login.html, POST / cteN, energenie.html. */
export const EGPMS2_WEB_SIMULATOR: SimulatorKind<z.infer<typeof EGPMS2_SIMULATOR_OPTIONS>> = {
  name: "eg-pms2-web",
  summary:
    "Energenie EG-PMS2-LAN web interface (give it outlets: 4): one session, POST / cteN=1|0, sockstates",
  options: EGPMS2_SIMULATOR_OPTIONS,
  start(device, { options, hostname, port }) {
    let session = false;
    return Promise.resolve(simulator("eg-pms2-web", device, { hostname, port }, async (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      const form = request.method === "POST"
        ? new URLSearchParams(await request.text())
        : new URLSearchParams();
      if (url.pathname === "/login.html") {
        if (request.method === "GET") {
          session = false;
          return loginPage();
        }
        if (options.held || keysOf(form).join() !== "pw" || form.get("pw") !== options.password) {
          return loginPage();
        }
        session = true;
        return statusPage(device);
      }
      if (url.pathname === "/energenie.html" && request.method === "GET") {
        if (!session) return loginPage();
        return await operate(device, request, () => statusPage(device));
      }
      if (url.pathname === "/" && request.method === "POST") {
        if (!session) return loginPage();
        const keys = keysOf(form);
        const m = /^cte([1-4])$/.exec(keys[0] ?? "");
        const value = form.get(keys[0] ?? "");
        if (keys.length !== 1 || !m || (value !== "0" && value !== "1")) {
          return badRequest("expected cteN=0|1");
        }
        return await operate(device, request, () => {
          device.set(Number(m[1]), value === "1" ? "on" : "off");
          return statusPage(device);
        });
      }
      return notFound();
    }, (_address, port) => ({ driver: "eg_pms2_network", port, password: options.password })));
  },
};
