/**
 * `ubus` (OpenWrt PoE switches): JSON-RPC `POST /ubus` calling `poe manage {port:"lanN",enable}`
 * with the anonymous session; state from `poe info`, which also reports each port's
 * `consumption` in watts (realtek-poe), so one call lists every port with its power.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState, OutletStatus, PowerReading } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";

/** ubus status codes (libubus `enum ubus_msg_status`), for messages. */
const UBUS_STATUS = [
  "OK",
  "INVALID_COMMAND",
  "INVALID_ARGUMENT",
  "METHOD_NOT_FOUND",
  "NOT_FOUND",
  "NO_DATA",
  "PERMISSION_DENIED",
  "TIMEOUT",
  "NOT_SUPPORTED",
  "UNKNOWN_ERROR",
  "CONNECTION_FAILED",
];

/** The anonymous ubus session uhttpd-mod-ubus grants to unauthenticated callers. */
export const UBUS_ANONYMOUS_SESSION = "0".repeat(32);

/** A port's state as `poe info` gives it: an object with `status` (realtek-poe) or a string. */
function portState(port: unknown): OutletState {
  const status = typeof port === "object" && port !== null
    ? (port as { status?: unknown }).status
    : port;
  return status === "Disabled" ? "off" : "on";
}

/** A port's power: realtek-poe's `consumption` in watts; empty where it is not reported. */
function portReading(port: unknown): PowerReading {
  const watts = typeof port === "object" && port !== null
    ? (port as { consumption?: unknown }).consumption
    : undefined;
  return typeof watts === "number" && Number.isFinite(watts) ? { watts } : {};
}

/** `ubus`. */
export const UBUS: DriverDescriptor<Record<string, never>> = {
  names: ["ubus"],
  summary: "OpenWrt PoE switches over ubus JSON-RPC (poe manage / poe info), anonymous session",
  options: z.object({}).strict() as z.ZodType<Record<string, never>>,
  create(hostname) {
    const device = `ubus at ${hostname}`;
    let id = 0;
    const call = async (method: string, message: unknown, signal: AbortSignal) => {
      const body = (await httpCall({
        method: "POST",
        url: `http://${hostname}/ubus`,
        json: {
          jsonrpc: "2.0",
          id: ++id,
          method: "call",
          params: [UBUS_ANONYMOUS_SESSION, "poe", method, message],
        },
        signal,
        device,
      })).json() as { result?: unknown; error?: { code?: unknown; message?: unknown } };
      if (body.error) {
        throw new DriverError(
          body.error.code === -32002 ? "auth" : "device",
          `${device} refused poe ${method}: ${String(body.error.message)} (${
            String(body.error.code)
          })`,
        );
      }
      // uhttpd answers [status, data]; a bare object is taken as the data (upstream's reading).
      if (Array.isArray(body.result)) {
        const [status, data] = body.result as [unknown, unknown];
        if (status !== 0) {
          const name = typeof status === "number" ? UBUS_STATUS[status] : undefined;
          throw new DriverError(
            "device",
            `${device}: poe ${method} failed with ${name ?? "status"} (${String(status)})`,
          );
        }
        return data;
      }
      if (typeof body.result === "object" && body.result !== null) return body.result;
      throw new DriverError("protocol", `${device}: poe ${method} answered no result`);
    };
    const port = async (outlet: number, signal: AbortSignal): Promise<unknown> => {
      const info = await call("info", {}, signal) as { ports?: Record<string, unknown> };
      const port = info?.ports?.[`lan${outlet}`];
      if (port === undefined) {
        throw new DriverError(
          "device",
          `${device} has no port lan${outlet} (it has ${
            printable(Object.keys(info?.ports ?? {}).join(", "))
          })`,
          { permanent: true },
        );
      }
      return port;
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await call("manage", { port: `lan${outlet}`, enable: state === "on" }, signal);
      },
      async getOutlet(outlet, { signal }) {
        return portState(await port(outlet, signal));
      },
      async readPower(outlet, { signal }) {
        return portReading(await port(outlet, signal));
      },
      async listOutlets({ signal }) {
        const ports = (await call("info", {}, signal) as { ports?: unknown })?.ports;
        if (typeof ports !== "object" || ports === null) {
          throw new DriverError("protocol", `${device}: poe info listed no ports`);
        }
        const out: OutletStatus[] = [];
        for (const [name, value] of Object.entries(ports)) {
          const m = /^lan(\d+)$/.exec(name);
          if (!m) continue;
          out.push({ outlet: Number(m[1]), state: portState(value), power: portReading(value) });
        }
        return out.sort((a, b) => a.outlet - b.outlet);
      },
      async close() {},
    };
  },
};
