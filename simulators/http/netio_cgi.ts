/**
 * Simulator of the NETIO-230A CGI interface (`/tgi/control.tgi`), on a real socket and as strict
 * as the device: commands (`login=`/`l=`, `port=`/`p=`, `quit=`/`q=`) run in the order given;
 * anything before a login is `555 FORBIDDEN`; a wrong account is `553 INVALID LOGIN`; the answer
 * is each command's reply, one per line, inside `<html>…</html>`.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { notFound, operate, simulator } from "./_http.ts";

const NETIO_CGI_SIMULATOR_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
}).strict();

const page = (lines: string[]) =>
  new Response(`<html>${lines.join("\n")}</html>`, { headers: { "content-type": "text/html" } });

/** NETIO-230A CGI: GET /tgi/control.tgi?l=p:USER:PASS&p=xxxx|l&q=q. */
export const NETIO_CGI_SIMULATOR: SimulatorKind<z.infer<typeof NETIO_CGI_SIMULATOR_OPTIONS>> = {
  name: "netio-cgi",
  summary:
    "Koukaam NETIO-230A CGI (give it outlets: 4): /tgi/control.tgi?l=p:USER:PASS&p=1uuu|l&q=q",
  options: NETIO_CGI_SIMULATOR_OPTIONS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(simulator("netio-cgi", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      if (request.method !== "GET" || url.pathname !== "/tgi/control.tgi") {
        return Promise.resolve(notFound());
      }
      // The device reads its query raw: split on & and on the first =, decode each piece.
      const commands = url.search.slice(1).split("&").filter(Boolean).map((part) => {
        const i = part.indexOf("=");
        return [part.slice(0, i < 0 ? part.length : i), i < 0 ? "" : part.slice(i + 1)];
      });
      const run = () => {
        let loggedIn = false;
        const out: string[] = [];
        for (const [name, value = ""] of commands) {
          if (name === "l" || name === "login") {
            const [mode, user, pass] = value.split(":").map(decodeURIComponent);
            if (loggedIn) out.push("554 ALREADY LOGGED IN");
            else if (
              (mode === "p" || mode === "plain") && user === options.username &&
              pass === options.password
            ) {
              loggedIn = true;
              out.push("100 HELLO");
            } else out.push("553 INVALID LOGIN");
          } else if (!loggedIn) {
            out.push("555 FORBIDDEN");
          } else if (name === "q" || name === "quit") {
            loggedIn = false;
            out.push("110 BYE");
          } else if ((name === "p" || name === "port") && (value === "l" || value === "list")) {
            out.push(device.outlets().map((o) => (device.get(o) === "on" ? "1" : "0")).join(" "));
          } else if ((name === "p" || name === "port") && /^[01ui]{4}$/.test(value)) {
            [...value].forEach((c, i) => {
              const o = i + 1;
              if (!device.has(o)) return;
              if (c === "1") device.set(o, "on");
              else if (c === "0") device.set(o, "off");
              else if (c === "i") device.set(o, device.get(o) === "on" ? "off" : "on");
            });
            out.push("250 OK");
          } else {
            out.push("501 INVALID PARAMETR");
          }
        }
        return page(out);
      };
      // The fault knob applies to requests that switch or list (every request the driver sends).
      return commands.some(([n]) => n === "p" || n === "port")
        ? operate(device, request, run)
        : Promise.resolve(run());
    }, (_address, port) => ({
      driver: "netio",
      port,
      username: options.username,
      password: options.password,
    })));
  },
};
