/**
 * Simulator of the Gude Expert Power Control web interfaces, one generation per `model`, on a
 * real socket and as strict as the device: only the model's pages exist, `cmd=1&p=N&s=0|1` is the
 * only command taken (on `gude8031`'s status.json with components=0, answered `{}`, or 1, answered
 * the outputs after the switch), basic auth when a password is set. `gude8316` writes its powerstate meta
 * tags without port numbers, as that firmware does.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import {
  badRequest,
  basicChallenge,
  basicOk,
  keysOf,
  notFound,
  operate,
  simulator,
} from "./_http.ts";

const GUDE_SIMULATOR_OPTIONS = z.object({
  "model": z.enum(["gude", "gude24", "gude8316", "gude8031", "gude8225"]).default("gude24"),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
  /** The address the web interface says holds its one-user lock (every page then says so). */
  "blocked_by": z.string().optional(),
}).strict();

const html = (body: string) => new Response(body, { headers: { "content-type": "text/html" } });

/** The old main page: one table row per port, the state on the same line. */
function tablePage(device: SimulatedDevice): Response {
  return html(
    [
      "<html><head><title>Expert Power Control</title></head><body><table>",
      ...device.outlets().map((o) =>
        `<tr><td>Power Port ${o}</td><td>${device.get(o) === "on" ? "ON" : "OFF"}</td></tr>`
      ),
      "</table></body></html>",
    ].join("\n"),
  );
}

/** ov.html: a powerstate meta tag per port on lines 1..N (without the number on the 8316). */
function overviewPage(device: SimulatedDevice, numbered: boolean, blockedBy?: string): Response {
  return html(
    [
      "<html><head>",
      ...device.outlets().map((o) =>
        `<meta http-equiv="powerstate" content="Power Port ${numbered ? o : ""},${
          device.get(o) === "on" ? 1 : 0
        }">`
      ),
      "<title>Expert Power Control</title></head><body>",
      blockedBy ? `<p>Device is blocked by another user with IP ${blockedBy}</p>` : "",
      "</body></html>",
    ].join("\n"),
  );
}

function statusObject(device: SimulatedDevice): Response {
  return Response.json({
    outputs: device.outlets().map((o) => ({
      name: `Power Port ${o}`,
      state: device.get(o) === "on" ? 1 : 0,
      type: 1,
      batch: [0, 0, 0, 0, 0],
    })),
  });
}

/** What each model serves: the page that takes cmd=1, and the page that reports every port. */
const PAGES: Record<
  z.infer<typeof GUDE_SIMULATOR_OPTIONS>["model"],
  { switchPage: string; statusPage: string }
> = {
  gude: { switchPage: "/switch.html", statusPage: "/" },
  gude24: { switchPage: "/ov.html", statusPage: "/ov.html" },
  gude8316: { switchPage: "/ov.html", statusPage: "/ov.html" },
  gude8031: { switchPage: "/status.json", statusPage: "/status.json" },
  gude8225: { switchPage: "/ov.html", statusPage: "/statusjsn.js" },
};

/** Gude EPC web interfaces: switch.html, ov.html, status.json, statusjsn.js by model. */
export const GUDE_HTTP_SIMULATOR: SimulatorKind<z.infer<typeof GUDE_SIMULATOR_OPTIONS>> = {
  name: "gude-http",
  summary:
    "Gude Expert Power Control web interface (model: gude | gude24 | gude8316 | gude8031 | gude8225)",
  options: GUDE_SIMULATOR_OPTIONS,
  start(device, { options, hostname, port }) {
    const model = options.model;
    return Promise.resolve(simulator("gude-http", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}${url.search}`);
      if (options.password !== undefined && !basicOk(request, options.username, options.password)) {
        return Promise.resolve(basicChallenge("Expert Power Control"));
      }
      if (request.method !== "GET") return Promise.resolve(notFound());
      const q = url.searchParams;
      const path = url.pathname;
      const { switchPage, statusPage } = PAGES[model];
      const render = () =>
        model === "gude"
          ? tablePage(device)
          : model === "gude24" || model === "gude8316"
          ? overviewPage(device, model === "gude24", options.blocked_by)
          : model === "gude8225" && path === "/ov.html"
          ? html("<html><head><title>Expert Power Control</title></head><body></body></html>")
          : statusObject(device);
      if (q.has("cmd")) {
        if (path !== switchPage) return Promise.resolve(notFound());
        const json = model === "gude8031";
        const want = json ? "cmd,components,p,s" : "cmd,p,s";
        const p = Number(q.get("p"));
        if (
          keysOf(q).join() !== want || q.get("cmd") !== "1" || !/^[01]$/.test(q.get("s") ?? "") ||
          (json && !/^[01]$/.test(q.get("components") ?? "")) || !/^\d+$/.test(q.get("p") ?? "")
        ) {
          return Promise.resolve(badRequest("expected cmd=1&p=<port>&s=0|1"));
        }
        if (!device.has(p)) return Promise.resolve(badRequest(`no port ${p}`));
        return operate(device, request, () => {
          if (options.blocked_by) return render();
          device.command(p, q.get("s") === "1" ? "on" : "off");
          // components=0 asks for no part of the status object, components=1 for the outputs.
          return json && q.get("components") === "0" ? Response.json({}) : render();
        });
      }
      if (path !== statusPage) return Promise.resolve(notFound());
      const wantRead = statusPage.endsWith(".json") || statusPage.endsWith(".js")
        ? "components"
        : "";
      if (keysOf(q).join() !== wantRead || (wantRead && q.get("components") !== "1")) {
        return Promise.resolve(badRequest("expected components=1"));
      }
      return operate(device, request, render);
    }, (_address, port) => ({
      driver: model,
      port,
      ...(options.password !== undefined
        ? { username: options.username, password: options.password }
        : {}),
    })));
  },
};
