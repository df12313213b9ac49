/**
 * Simulators of Tinycontrol's switched sockets, on a real socket and as strict as the devices:
 * the IP Power Socket (`/outs.cgi?outN=1|0`, `/st0.xml`) and the tcPDU (`/api/v1/save/?outN=1|0`,
 * `/api/v1/read/status/?outValues`); basic auth when a password is set. Outputs are numbered as
 * the device's outlets are (`first_outlet`).
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
  simulator,
} from "./_http.ts";
import type { SimulatedReply } from "../_transport/http_server.ts";

function statusXml(device: SimulatedDevice): Response {
  return new Response(
    `<?xml version="1.0" encoding="utf-8"?>\n<response>\n` +
      device.outlets().map((o) => `<out${o}>${device.get(o) === "on" ? 1 : 0}</out${o}>`).join(
        "\n",
      ) + `\n<ia0>230.1</ia0>\n</response>\n`,
    { headers: { "content-type": "text/xml" } },
  );
}

function statusJson(device: SimulatedDevice): Response {
  return Response.json(
    Object.fromEntries(device.outlets().map((o) => [`out${o}`, device.get(o) === "on" ? 1 : 0])),
  );
}

/** Applies `outN=0|1` (the only key) or answers the device's refusal. */
function switchOne(
  device: SimulatedDevice,
  request: Request,
  params: URLSearchParams,
  answer: () => Response,
): Promise<SimulatedReply> {
  const keys = keysOf(params);
  const m = /^out(\d+)$/.exec(keys[0] ?? "");
  const value = params.get(keys[0] ?? "");
  if (keys.length !== 1 || !m || (value !== "0" && value !== "1")) {
    return Promise.resolve(badRequest("expected outN=0|1"));
  }
  if (!device.has(Number(m[1]))) return Promise.resolve(badRequest(`no output ${keys[0]}`));
  return operate(device, request, () => {
    device.command(Number(m[1]), value === "1" ? "on" : "off");
    return answer();
  });
}

function kind(
  name: string,
  summary: string,
  driver: string,
  route: (device: SimulatedDevice, request: Request, url: URL) => Promise<SimulatedReply>,
): SimulatorKind<z.infer<typeof CREDENTIALS>> {
  return {
    name,
    summary,
    options: CREDENTIALS,
    start(device, { options, hostname, port }) {
      return Promise.resolve(simulator(name, device, { hostname, port }, (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}${url.search}`);
        if (
          options.password !== undefined && !basicOk(request, options.username, options.password)
        ) {
          return Promise.resolve(basicChallenge("tinycontrol"));
        }
        if (request.method !== "GET") return Promise.resolve(notFound());
        return route(device, request, url);
      }, (_address, port) => ({
        driver,
        port,
        // The outputs this device has, so pdud refuses others before sending anything.
        outlets: device.count,
        "first_outlet": device.first,
        ...(options.password !== undefined
          ? { username: options.username, password: options.password }
          : {}),
      })));
    },
  };
}

/** IP Power Socket 6G10A v2: GET /outs.cgi?outN=1|0, GET /st0.xml. */
export const TINYCONTROL_SIMULATOR = kind(
  "tinycontrol",
  "Tinycontrol IP Power Socket: GET /outs.cgi?outN=1|0, /st0.xml",
  "tinycontrol",
  (device, request, url) => {
    if (url.pathname === "/st0.xml" && url.search === "") {
      return operate(device, request, () => statusXml(device));
    }
    if (url.pathname !== "/outs.cgi") return Promise.resolve(notFound());
    return switchOne(device, request, url.searchParams, () => statusXml(device));
  },
);

/** tcPDU: GET /api/v1/save/?outN=1|0, GET /api/v1/read/status/?outValues. */
export const TINYCONTROL_TCPDU_SIMULATOR = kind(
  "tinycontrol-tcpdu",
  "Tinycontrol tcPDU: GET /api/v1/save/?outN=1|0, /api/v1/read/status/?outValues",
  "tinycontrol_tcpdu",
  (device, request, url) => {
    if (url.pathname === "/api/v1/read/status/") {
      if (url.search !== "?outValues") return Promise.resolve(badRequest("unknown status group"));
      return operate(device, request, () => statusJson(device));
    }
    if (url.pathname !== "/api/v1/save/") return Promise.resolve(notFound());
    return switchOne(device, request, url.searchParams, () => Response.json({ status: "ok" }));
  },
);
