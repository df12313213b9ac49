/**
 * `anel_netpwrctrlhome` (3 sockets), `anel_netpwrctrladv`, `anel_netpwrctrlio`,
 * `anel_netpwrctrlpro` (8): ANEL NET-PwrCtrl over its HTTP control,
 * `GET /?Sw_on=N,<user><password>` (`Sw_off`); a wrong login is answered "User or password
 * error." (ANEL's HTTP control, forum.anel.eu). Keys `username` (admin), `password` (anel); the
 * device is the PDU's address (`host[:port]`).
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const ANEL_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("anel"),
}).strict();

function anel(name: string, model: string, sockets: number) {
  const descriptor: DriverDescriptor<z.infer<typeof ANEL_OPTIONS>> = {
    names: [name],
    summary: `ANEL NET-PwrCtrl ${model} (${sockets} sockets) over its HTTP control (Sw_on/Sw_off)`,
    options: ANEL_OPTIONS,
    outletRange: () => ({ min: 1, max: sockets }),
    create(hostname, { options }) {
      const device = `ANEL NET-PwrCtrl ${model} at ${hostname}`;
      return {
        async setOutlet(outlet, state, { signal }) {
          checkRange(outlet, 1, sockets, device);
          const login = encodeURIComponent(`${options.username}${options.password}`);
          const text = pageText(
            await httpCall({
              url: `http://${hostname}/?Sw_${state}=${outlet},${login}`,
              signal,
              device,
            }),
            device,
            `Sw_${state}`,
          );
          if (text.includes("User or password error")) {
            throw new DriverError(
              "auth",
              `${device} refused user "${options.username}": "User or password error."`,
            );
          }
        },
        async close() {},
      };
    },
  };
  return descriptor;
}

/** `anel_netpwrctrlhome`. */
export const ANEL_HOME = anel("anel_netpwrctrlhome", "HOME", 3);
/** `anel_netpwrctrladv`. */
export const ANEL_ADV = anel("anel_netpwrctrladv", "ADV", 8);
/** `anel_netpwrctrlio`. */
export const ANEL_IO = anel("anel_netpwrctrlio", "IO", 8);
/** `anel_netpwrctrlpro`. */
export const ANEL_PRO = anel("anel_netpwrctrlpro", "PRO", 8);
