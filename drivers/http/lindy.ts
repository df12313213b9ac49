/**
 * `LindyIPowerClassic8` (outlets 1–8): `GET /ons.cgi?led=<24 bits>` / `offs.cgi`, one bit per
 * outlet, MSB first; basic auth when `username` and `password` are set. `port` (80) — upstream
 * reads it but never uses it; pdud does.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const LINDY_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** The `led` value of outlet N: 24 binary digits, the MSB being outlet 1 (the web UI's padding). */
export function lindyLeds(outlet: number): string {
  return (1 << (24 - outlet)).toString(2).padStart(24, "0");
}

/** `LindyIPowerClassic8`. */
export const LINDY_IPOWER_CLASSIC8: DriverDescriptor<z.infer<typeof LINDY_OPTIONS>> = {
  names: ["LindyIPowerClassic8"],
  summary: "Lindy iPower Classic 8 (outlets 1–8): ons.cgi/offs.cgi?led=<bits>, basic auth",
  options: LINDY_OPTIONS,
  outletRange: () => ({ min: 1, max: 8 }),
  create(hostname, { options }) {
    const device = `Lindy iPower at ${hostname}:${options.port}`;
    const auth: HttpAuth | undefined = options.username && options.password
      ? { scheme: "basic", username: options.username, password: options.password }
      : undefined;
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 8, device);
        const script = state === "on" ? "ons.cgi" : "offs.cgi";
        pageText(
          await httpCall({
            url: `http://${hostname}:${options.port}/${script}?led=${lindyLeds(outlet)}`,
            auth,
            signal,
            device,
          }),
          device,
          script,
        );
      },
      async close() {},
    };
  },
};
