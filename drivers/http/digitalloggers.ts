/**
 * Digital Loggers power controllers over HTTP, both of their interfaces:
 *
 * - `digitalloggers_http` — the legacy interface (Web Power Switch 7 and older LPCs):
 *   `GET /outlet?N=ON|OFF`, state from `GET /status` (`<div id="state">ff</div>`, a hex mask
 *   whose bit N-1 is outlet N); HTTP basic auth when a password is set. A switch is confirmed
 *   from its answer when that is the status page, else by reading `/status` once.
 * - `digitalloggers_restapi` — the REST API of the Atheros-based controllers (Ethernet Power
 *   Controller 7, Web Power Switch Pro): `PUT /restapi/relay/outlets/R/state/` with the form body
 *   `value=true|false` and the `X-CSRF` header the API requires of every modifying request,
 *   `GET` on the same path for one outlet, `GET /restapi/relay/outlets/all;/state/` for all;
 *   HTTP digest auth.
 *
 * Protocol: DLI's REST API reference and examples (digital-loggers.com/rest.html). Outlets are
 * numbered 1–8 as on the controller's labels and web page, in both drivers; the REST API counts
 * relays from 0, so outlet N is relay N-1. labgrid's `digitalloggers_restapi` passes its index
 * through unchanged and uses the list selector `=R`, which answers a one-element array; pdud
 * follows the manual's single-relay path `outlets/R/`, which answers the value itself. The
 * factory account is admin/1234; set `password` (pdud has no default password).
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { checkRange, confirmSwitched, devicePage } from "./_page.ts";

const DLI_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
}).strict();

type DliOptions = z.infer<typeof DLI_OPTIONS>;

/** The outlets of one controller. */
const OUTLETS = 8;

/** The legacy status page's `state` div: a hex mask, bit N-1 = outlet N. */
const STATE_MASK = /id="state">([0-9a-fA-F]{1,4})</;

/** Outlet states from the legacy status page's `state` div (hex, bit N-1 = outlet N). */
export function dliLegacyStates(text: string, device: string): OutletStatus[] {
  const m = STATE_MASK.exec(text);
  if (!m) {
    throw new DriverError(
      "protocol",
      `${device} answered a status page without the state mask (expected <div id="state">` +
        "and 1–4 hex digits)",
    );
  }
  const mask = parseInt(m[1]!, 16);
  return Array.from({ length: OUTLETS }, (_, i) => ({
    outlet: i + 1,
    state: (mask >> i) & 1 ? "on" : "off",
  }));
}

/** `digitalloggers_http`. */
export const DLI_HTTP: DriverDescriptor<DliOptions> = {
  names: ["digitalloggers_http"],
  summary: "Digital Loggers legacy web interface (outlets 1–8): /outlet?N=ON|OFF, /status",
  options: DLI_OPTIONS,
  outletRange: () => ({ min: 1, max: OUTLETS }),
  create(hostname, { options }) {
    const device = `Digital Loggers switch at ${hostname}:${options.port}`;
    const auth: HttpAuth | undefined = options.password !== undefined
      ? { scheme: "basic", username: options.username, password: options.password }
      : undefined;
    const get = async (path: string, signal: AbortSignal) =>
      devicePage(
        await httpCall({ url: `http://${hostname}:${options.port}${path}`, auth, signal, device }),
        device,
        path.split("?")[0]!,
      );
    const list = async (signal: AbortSignal) =>
      dliLegacyStates(await get("/status", signal), device);
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        const answer = await get(`/outlet?${outlet}=${state === "on" ? "ON" : "OFF"}`, signal);
        // Firmware that answers the switch with the status page has said the new state; any
        // other page says nothing of it, and /status is read once.
        const states = STATE_MASK.test(answer)
          ? dliLegacyStates(answer, device)
          : await list(signal);
        confirmSwitched(device, `outlet ${outlet}`, state, states[outlet - 1]!.state);
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        return (await list(signal))[outlet - 1]!.state;
      },
      listOutlets: ({ signal }) => list(signal),
      async close() {},
    };
  },
};

/** `digitalloggers_restapi`. */
export const DLI_RESTAPI: DriverDescriptor<DliOptions> = {
  names: ["digitalloggers_restapi"],
  summary:
    "Digital Loggers REST API (outlets 1–8 = relays 0–7): PUT relay/outlets/R/state/ with X-CSRF, digest auth",
  options: DLI_OPTIONS,
  outletRange: () => ({ min: 1, max: OUTLETS }),
  create(hostname, { options }) {
    const device = `Digital Loggers REST API at ${hostname}:${options.port}`;
    const auth: HttpAuth | undefined = options.password !== undefined
      ? { scheme: "digest", username: options.username, password: options.password }
      : undefined;
    const base = `http://${hostname}:${options.port}/restapi/relay/outlets/`;
    const read = async (path: string, signal: AbortSignal): Promise<unknown> => {
      const answer = await httpCall({
        url: base + path,
        headers: { accept: "application/json" },
        auth,
        signal,
        device,
      });
      devicePage(answer, device, "the state");
      return answer.json();
    };
    const stateOf = (value: unknown, what: string): OutletState => {
      if (typeof value !== "boolean") {
        throw new DriverError(
          "protocol",
          `${device} reported ${what} as ${printable(JSON.stringify(value), 30)}, not true/false`,
        );
      }
      return value ? "on" : "off";
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        const answer = await httpCall({
          method: "PUT",
          url: `${base}${outlet - 1}/state/`,
          form: { value: state === "on" ? "true" : "false" },
          headers: { "x-csrf": "x", accept: "application/json" },
          auth,
          signal,
          device,
        });
        devicePage(answer, device, "the switch");
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        return stateOf(await read(`${outlet - 1}/state/`, signal), `relay ${outlet - 1}`);
      },
      async listOutlets({ signal }) {
        const all = await read("all;/state/", signal);
        if (!Array.isArray(all)) {
          throw new DriverError("protocol", `${device} answered the relay states without a list`);
        }
        // Only the controller's outlets: a longer list is not a relay the config can switch.
        return all.slice(0, OUTLETS).map((v, i) => ({
          outlet: i + 1,
          state: stateOf(v, `relay ${i}`),
        }));
      },
      async close() {},
    };
  },
};
