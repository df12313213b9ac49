/**
 * `ubus` (OpenWrt PoE switches): JSON-RPC `POST /ubus` calling `poe manage {port:"lanN",enable}`
 * with the anonymous session; state from `poe info`.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
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
    return {
      async setOutlet(outlet, state, { signal }) {
        await call("manage", { port: `lan${outlet}`, enable: state === "on" }, signal);
      },
      async getOutlet(outlet, { signal }) {
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
        // realtek-poe reports an object with `status`; upstream reads a plain string.
        const status = typeof port === "object" && port !== null
          ? (port as { status?: unknown }).status
          : port;
        return status === "Disabled" ? "off" : "on";
      },
      async close() {},
    };
  },
};
