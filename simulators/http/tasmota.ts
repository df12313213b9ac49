/**
 * A Tasmota device on a real HTTP socket: `GET /cm?cmnd=…` exactly as Tasmota's web command
 * interface answers it, strict about method, path, command syntax and the web password.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import { faultReply, serveSimulatorHttp, type SimulatedReply } from "../_transport/http_server.ts";

const OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().optional(),
  "driver": z.enum(["tasmota", "sonoff_s20_tasmota", "brennenstuhl_wspl01_tasmota"]).default(
    "tasmota",
  ),
}).strict();

/** Answers one Tasmota web request for `device` (exported for the benchmark device farm). */
export async function tasmotaResponse(
  device: SimulatedDevice,
  request: Request,
  credentials: { username: string; password?: string | undefined },
): Promise<SimulatedReply> {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.pathname !== "/cm") {
    return new Response("<html>404 Not Found</html>", { status: 404 });
  }
  if (credentials.password !== undefined) {
    const user = url.searchParams.get("user");
    const password = url.searchParams.get("password");
    if (user !== credentials.username || password !== credentials.password) {
      return Response.json({ WARNING: "Need user=<username>&password=<password>" }, {
        status: 401,
      });
    }
  }
  const cmnd = url.searchParams.get("cmnd") ?? "";
  device.record(`GET /cm?cmnd=${cmnd}`);
  const m = /^Power(\d*)(?:\s+(On|Off|1|0|Toggle|2))?$/i.exec(cmnd.trim());
  if (!m) return Response.json({ Command: "Unknown" });
  const outlet = m[1] === "" ? 1 : Number(m[1]);
  if (!device.has(outlet)) return Response.json({ Command: "Unknown" });
  const fault = await device.beginOperation(request.signal);
  try {
    const faulty = faultReply(fault);
    if (faulty !== undefined) return faulty;
    const action = m[2]?.toLowerCase();
    if (action !== undefined) {
      const next = action === "on" || action === "1"
        ? "on"
        : action === "off" || action === "0"
        ? "off"
        : device.get(outlet) === "on"
        ? "off"
        : "on";
      device.set(outlet, next);
    }
    const key = device.count === 1 ? "POWER" : `POWER${outlet}`;
    return Response.json({ [key]: device.get(outlet) === "on" ? "ON" : "OFF" });
  } finally {
    device.endOperation();
  }
}

/** The "tasmota" simulator kind. */
export const TASMOTA_SIMULATOR: SimulatorKind<z.infer<typeof OPTIONS>> = {
  name: "tasmota",
  summary: "Tasmota plug/strip: HTTP GET /cm?cmnd=PowerN On|Off, optional web password",
  options: OPTIONS,
  start(device, { options, hostname, port }) {
    const server = serveSimulatorHttp(
      device,
      { hostname, port },
      (request) => tasmotaResponse(device, request, options),
    );
    const addr = { hostname: server.hostname, port: server.port };
    const close = () => server.close();
    const sim: Simulator = {
      kind: "tasmota",
      device,
      address: { hostname: addr.hostname, port: addr.port, transport: "tcp" },
      pduHostname: "127.0.0.1",
      pduConfig: () => ({
        driver: options.driver,
        ip: `${addr.hostname}:${addr.port}`,
        ...(options.driver === "tasmota" ? { "port_count": device.count } : {}),
        ...(options.password !== undefined
          ? { username: options.username, password: options.password }
          : {}),
      }),
      close,
      [Symbol.asyncDispose]: close,
    };
    return Promise.resolve(sim);
  },
};
