/**
 * `intellinet` (Intellinet 163682, outlets 0–7): `GET /control_outlet.htm?outletN=1&op=0|1&submit=…`
 * with basic auth; state from `GET /status.xml` (`<outletStatN>on</outletStatN>`). Keys `port`
 * (80), `username`/`password` (admin/admin).
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const INTELLINET_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** `intellinet`. */
export const INTELLINET: DriverDescriptor<z.infer<typeof INTELLINET_OPTIONS>> = {
  names: ["intellinet"],
  summary: "Intellinet 163682 IP smart PDU (outlets 0–7): control_outlet.htm, basic auth",
  options: INTELLINET_OPTIONS,
  outletRange: () => ({ min: 0, max: 7 }),
  create(hostname, { options }) {
    const base = `http://${hostname}:${options.port}`;
    const device = `Intellinet PDU at ${hostname}:${options.port}`;
    const auth: HttpAuth = {
      scheme: "basic",
      username: options.username,
      password: options.password,
    };
    const refusedIn = (text: string) => {
      if (/\b401\b/.test(text)) {
        throw new DriverError("auth", `${device} refused the credentials (its page says 401)`);
      }
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 0, 7, device);
        const query = new URLSearchParams({
          [`outlet${outlet}`]: "1",
          op: state === "on" ? "0" : "1",
          submit: "Anwenden",
        });
        const answer = await httpCall({
          url: `${base}/control_outlet.htm?${query}`,
          auth,
          signal,
          device,
        });
        refusedIn(pageText(answer, device, "control_outlet.htm"));
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 0, 7, device);
        const text = pageText(
          await httpCall({ url: `${base}/status.xml`, auth, signal, device }),
          device,
          "status.xml",
        );
        refusedIn(text);
        const m = new RegExp(`<outletStat${outlet}>\\s*(on|off)\\s*</outletStat${outlet}>`, "i")
          .exec(text);
        if (!m) {
          throw new DriverError("protocol", `${device}: status.xml has no outletStat${outlet}`, {
            permanent: true,
          });
        }
        return m[1]!.toLowerCase() as OutletState;
      },
      async close() {},
    };
  },
};
