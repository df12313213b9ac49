/**
 * `sainsmart` (SainSmart Ethernet relay boards): `GET /30000/NN`, NN = 2(N−1)+1 on, 2(N−1) off.
 * Key `ip` (default: the PDU's address).
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
import { httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const SAINSMART_OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
}).strict();

/** `sainsmart`. */
export const SAINSMART: DriverDescriptor<z.infer<typeof SAINSMART_OPTIONS>> = {
  names: ["sainsmart"],
  summary: "SainSmart Ethernet relay boards (relays 1–16): GET /30000/NN",
  options: SAINSMART_OPTIONS,
  outletRange: () => ({ min: 1, max: 16 }),
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const device = `SainSmart relay board at ${host}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 16, device);
        const code = String((outlet - 1) * 2 + (state === "on" ? 1 : 0)).padStart(2, "0");
        pageText(
          await httpCall({ url: `http://${host}/30000/${code}`, signal, device }),
          device,
          `/30000/${code}`,
        );
      },
      async close() {},
    };
  },
};
