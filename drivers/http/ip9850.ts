/**
 * `ip9850` (Aviosys IP Power 9850, outlets 1–4): `GET /set.cmd?user=&pass=&cmd=setpower&p6N=1|0`
 * answered `p6N=1`; state from `cmd=getpower`. Keys `username`, `password`, `ip` (upstream
 * ignores it and dials the PDU name; pdud dials it).
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const IP9850_OPTIONS = z.object({
  // Upstream's own example config sets `ip`, which its driver ignores (it dials the PDU name);
  // pdud dials it, as the user meant.
  "ip": z.string().min(1).optional(),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** `ip9850`. */
export const IP9850: DriverDescriptor<z.infer<typeof IP9850_OPTIONS>> = {
  names: ["ip9850"],
  summary: "Aviosys IP Power 9850 (outlets 1–4): set.cmd setpower/getpower over HTTP",
  options: IP9850_OPTIONS,
  outletRange: () => ({ min: 1, max: 4 }),
  create(name, { options }) {
    const hostname = options.ip ?? name;
    const device = `IP Power 9850 at ${hostname}`;
    const call = async (params: Record<string, string>, signal: AbortSignal) => {
      // Upstream leaves out an unset user or pass (requests drops None parameters).
      const query = new URLSearchParams({
        ...(options.username !== undefined ? { user: options.username } : {}),
        ...(options.password !== undefined ? { pass: options.password } : {}),
        ...params,
      });
      const text = pageText(
        await httpCall({ url: `http://${hostname}/set.cmd?${query}`, signal, device }),
        device,
        params.cmd!,
      );
      if (/\b401\b/.test(text)) {
        throw new DriverError(
          "auth",
          `${device} refused user "${options.username ?? ""}" (its answer says 401)`,
        );
      }
      return text;
    };
    const stateIn = (text: string, outlet: number): OutletState => {
      const m = new RegExp(`\\bp6${outlet}=([01])\\b`).exec(text);
      if (!m) {
        throw new DriverError(
          "protocol",
          `${device} did not report p6${outlet}: ${JSON.stringify(text.slice(0, 60))}`,
        );
      }
      return m[1] === "1" ? "on" : "off";
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 4, device);
        const text = await call(
          { cmd: "setpower", [`p6${outlet}`]: state === "on" ? "1" : "0" },
          signal,
        );
        const now = stateIn(text, outlet);
        if (now !== state) {
          throw new DriverError("device", `${device} reports p6${outlet} ${now} after ${state}`);
        }
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, 4, device);
        return stateIn(await call({ cmd: "getpower" }, signal), outlet);
      },
      async close() {},
    };
  },
};
