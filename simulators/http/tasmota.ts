/**
 * A Tasmota device on a real HTTP socket: `GET /cm?cmnd=…` exactly as Tasmota's web command
 * interface answers it, strict about method, path, command syntax and the web password. With
 * `meter` (the default), it has an energy monitor: `Status 8`/`Status 10` report StatusSNS ENERGY
 * from the device's loads (one value on a one-relay device, an array per channel on a strip),
 * `Status 11` StatusSTS, and `Status 0` both.
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
  /** Whether the device has an energy monitor (StatusSNS ENERGY). */
  "meter": z.boolean().default(true),
}).strict();

/** StatusSTS: every relay's state, keyed as Tasmota keys them. */
function statusSts(device: SimulatedDevice): Record<string, unknown> {
  const sts: Record<string, unknown> = { Time: "2026-01-01T00:00:00", Uptime: "0T00:00:01" };
  for (const outlet of device.outlets()) {
    sts[device.count === 1 ? "POWER" : `POWER${outlet}`] = device.get(outlet) === "on"
      ? "ON"
      : "OFF";
  }
  return sts;
}

/** StatusSNS: ENERGY from the loads when the device meters, one value or one per channel. */
function statusSns(device: SimulatedDevice, meter: boolean): Record<string, unknown> {
  const sns: Record<string, unknown> = { Time: "2026-01-01T00:00:00" };
  if (!meter) return sns;
  const readings = device.outlets().map((o) => device.reading(o));
  const each = <T>(f: (r: (typeof readings)[number]) => T) =>
    device.count === 1 ? f(readings[0]!) : readings.map(f);
  sns["ENERGY"] = {
    TotalStartTime: "2026-01-01T00:00:00",
    Total: each((r) => r.energyWh / 1000),
    Yesterday: 0,
    Today: 0,
    Power: each((r) => r.watts),
    ApparentPower: each((r) => r.watts),
    ReactivePower: 0,
    Factor: each((r) => r.watts > 0 ? 1 : 0),
    Voltage: each((r) => r.volts),
    Current: each((r) => r.amps),
  };
  return sns;
}

/** Answers one Tasmota web request for `device` (exported for the benchmark device farm). */
export async function tasmotaResponse(
  device: SimulatedDevice,
  request: Request,
  credentials: { username: string; password?: string | undefined; meter?: boolean },
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
  const status = /^Status\s+(\d+)$/i.exec(cmnd.trim());
  if (status) {
    const meter = credentials.meter ?? true;
    const parts: Record<string, () => Record<string, unknown>> = {
      "0": () => ({
        Status: { Module: 0, DeviceName: "Tasmota", Power: 0 },
        StatusSTS: statusSts(device),
        StatusSNS: statusSns(device, meter),
      }),
      "8": () => ({ StatusSNS: statusSns(device, meter) }),
      "10": () => ({ StatusSNS: statusSns(device, meter) }),
      "11": () => ({ StatusSTS: statusSts(device) }),
    };
    const part = parts[status[1]!];
    if (!part) return Response.json({ Command: "Unknown" });
    const fault = await device.beginOperation(request.signal);
    try {
      return faultReply(fault) ?? Response.json(part());
    } finally {
      device.endOperation();
    }
  }
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
