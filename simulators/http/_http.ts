/**
 * What the HTTP family's simulators share: the fault knob around each operation, basic auth,
 * the socket, and the answers a device's web server gives. Every simulator is as strict as the
 * device about method, path, parameters and credentials: what the device would not accept is
 * refused the way the device refuses it, so a driver bug fails a test rather than passing a
 * lenient fake.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { SimulatedDevice, Simulator } from "../kind.ts";
import {
  basicMatches,
  faultReply,
  serveSimulatorHttp,
  type SimulatedReply,
} from "../_transport/http_server.ts";
import { simulatorOn } from "../_transport/tcp_server.ts";

/** Runs one device operation with the device's fault knob applied. */
export async function operate(
  device: SimulatedDevice,
  request: Request,
  answer: () => Response | Promise<Response>,
): Promise<SimulatedReply> {
  const fault = await device.beginOperation(request.signal);
  try {
    return faultReply(fault) ?? await answer();
  } finally {
    device.endOperation();
  }
}

/** The 401 a device with basic auth answers, naming its realm. */
export function basicChallenge(realm: string, body = "401 Unauthorized"): Response {
  return new Response(body, {
    status: 401,
    headers: { "www-authenticate": `Basic realm="${realm}"` },
  });
}

/** Whether the request carries exactly these basic credentials. */
export function basicOk(request: Request, username: string, password: string): boolean {
  return basicMatches(request.headers.get("authorization"), username, password);
}

/** An outlet state as the boolean JSON APIs report. */
export const flip = (s: OutletState): boolean => s === "on";

/**
 * An HTTP simulator on a real socket. `withPort`: the PDU's address must carry the port (for
 * drivers whose upstream has no port key and puts the hostname straight into the URL).
 */
export function simulator(
  kind: string,
  device: SimulatedDevice,
  listen: { hostname: string; port: number },
  handler: (request: Request) => Promise<SimulatedReply>,
  config: (address: string, port: number) => Record<string, unknown>,
  withPort = false,
): Simulator {
  return simulatorOn(kind, device, serveSimulatorHttp(device, listen, handler), config, withPort);
}

/** For simulators that take no options. */
export const NO_OPTIONS = z.object({}).strict();
/** A username (admin) and an optional password: basic auth only when a password is set. */
export const CREDENTIALS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().optional(),
}).strict();

/** A web server's 404. */
export const notFound = (): Response => new Response("404 Not Found", { status: 404 });
/** A web server's 400, saying why. */
export const badRequest = (why: string): Response =>
  new Response(`400 Bad Request: ${why}`, { status: 400 });
/** A status page listing every outlet's state. */
export const page = (title: string, device: SimulatedDevice): Response =>
  new Response(
    `<html><head><title>${title}</title></head><body>${
      device.outlets().map((o) => `<p>Outlet ${o}: ${device.get(o)}</p>`).join("")
    }</body></html>`,
    { headers: { "content-type": "text/html" } },
  );

/** The parameter names of a query, to refuse what the device's CGI would not take. */
export const keysOf = (params: URLSearchParams): string[] => [...params.keys()].sort();
