/**
 * `pe6216` — ATEN eco PDUs with the RESTful relay API (PE6216, tested by labgrid; the same API
 * serves PE6208, PE8108, PE7216): `POST /api/outlet/relay` with the form body
 * `usr=…&pwd=…&index=N&method=on|off`, one outlet's relay from
 * `GET /api/outlet/relay?usr=…&pwd=…&index=N` and every outlet's from
 * `GET /api/device/relay?usr=…&pwd=…`, answered `<OutletRelay><01>ON</01>…</OutletRelay>`.
 *
 * Protocol: ATEN's "RESTful API for Relay Control of ATEN PDU" (2022-11-18). Status 401 is a
 * failed login, 404 an outlet out of range, 400 a malformed request. labgrid sends the factory
 * account (administrator/password) fixed in its code; the manual says the account is the web
 * page's, so pdud takes `username` (default administrator) and `password` (required). `method`
 * is on/off, which honour the outlet's configured switching delays, as labgrid does. A relay
 * read as PENDING (a delayed switch not yet done) is a transient device error; CAP/POP (an
 * outlet cut by its current protection) reads as off. The switch's answer says nothing of the
 * relay, so a switch is confirmed by reading that outlet's relay once (PENDING there is the
 * transient device error, so an outlet with a switching delay is retried by the actor).
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";
import { checkRange, confirmSwitched, devicePage } from "./_page.ts";

const ATEN_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("administrator"),
  "password": z.string(),
}).strict();

const OUTLETS = 16;

/** Every `<NN>STATE</NN>` of an OutletRelay answer, as (outlet, raw state). */
export function atenRelays(text: string): { outlet: number; relay: string }[] {
  return [...text.matchAll(/<(\d+)>\s*([A-Z_]+)\s*<\/\1>/g)].map((m) => ({
    outlet: Number(m[1]),
    relay: m[2]!,
  }));
}

/** `pe6216`. */
export const ATEN_PE6216: DriverDescriptor<z.infer<typeof ATEN_OPTIONS>> = {
  names: ["pe6216"],
  summary: "ATEN PE6216 and other eco PDUs (outlets 1–16): RESTful POST /api/outlet/relay",
  options: ATEN_OPTIONS,
  outletRange: () => ({ min: 1, max: OUTLETS }),
  create(hostname, { options }) {
    const device = `ATEN PDU at ${hostname}:${options.port}`;
    const base = `http://${hostname}:${options.port}/api`;
    const login = { usr: options.username, pwd: options.password };
    const stateOf = (relay: string, outlet: number): OutletState => {
      if (relay === "ON") return "on";
      if (relay === "OFF" || relay === "CAP" || relay === "POP") return "off";
      if (relay === "PENDING") {
        throw new DriverError("device", `${device} is still switching outlet ${outlet} (PENDING)`);
      }
      throw new DriverError(
        "protocol",
        `${device} reported outlet ${outlet} as ${printable(relay, 20)}`,
      );
    };
    const read = async (path: string, params: Record<string, string>, signal: AbortSignal) => {
      const query = new URLSearchParams({ ...login, ...params });
      const text = devicePage(
        await httpCall({ url: `${base}/${path}?${query}`, signal, device }),
        device,
        `/api/${path}`,
      );
      const relays = atenRelays(text);
      if (!/<OutletRelay>/.test(text) || relays.length === 0) {
        throw new DriverError(
          "protocol",
          `${device} answered without an OutletRelay list (expected <OutletRelay><NN>ON|OFF</NN>…)`,
        );
      }
      return relays;
    };
    const relayOf = async (outlet: number, signal: AbortSignal): Promise<OutletState> => {
      const relays = await read("outlet/relay", { index: String(outlet) }, signal);
      const found = relays.find((r) => r.outlet === outlet);
      if (!found) {
        throw new DriverError("protocol", `${device} did not report outlet ${outlet}`);
      }
      return stateOf(found.relay, outlet);
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        // The switch answers 200 with nothing of the relay's state: it is read back once.
        devicePage(
          await httpCall({
            method: "POST",
            url: `${base}/outlet/relay`,
            form: { ...login, index: String(outlet), method: state },
            signal,
            device,
          }),
          device,
          "/api/outlet/relay",
        );
        confirmSwitched(device, `outlet ${outlet}`, state, await relayOf(outlet, signal));
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, OUTLETS, device);
        return await relayOf(outlet, signal);
      },
      async listOutlets({ signal }): Promise<OutletStatus[]> {
        const relays = await read("device/relay", {}, signal);
        // Only outlets 1–16, once each: anything else is not an outlet the config can switch.
        const seen = new Set<number>();
        return relays.filter((r) =>
          r.outlet >= 1 && r.outlet <= OUTLETS && !seen.has(r.outlet) && seen.add(r.outlet)
        ).map((r) => ({ outlet: r.outlet, state: stateOf(r.relay, r.outlet) }));
      },
      async close() {},
    };
  },
};
