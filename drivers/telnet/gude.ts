/**
 * `gude1202`: Gude Expert Power Control 1202 (`telnetport` 23, no login, as upstream):
 * `port N state set 1|0` → `OK.`, `port N state` → `1|0`. A fresh connection per command.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { Session } from "../_transport/session.ts";

const GUDE = z.object({ "telnetport": portNumber(23) }).strict();

/** `gude1202`. */
export const GUDE1202: DriverDescriptor<z.infer<typeof GUDE>> = {
  names: ["gude1202"],
  summary: "Gude Expert Power Control 1202 over telnet (port N state set 1|0)",
  options: GUDE,
  create(hostname, { options }) {
    const device = `Gude 1202 at ${hostname}:${options.telnetport}`;
    const target = { host: hostname, port: options.telnetport, device, telnet: true };
    return {
      setOutlet: (outlet, state, { signal }) =>
        Session.with(target, signal, async (s) => {
          const line = `port ${outlet} state set ${state === "on" ? 1 : 0}`;
          await s.send(`${line}\r\n`, signal);
          const m = await s.expect(
            ["OK.", /(error|invalid|unknown)[^\r\n]*/i],
            `the answer to "${line}"`,
            signal,
          );
          if (m.index !== 0) {
            throw new DriverError("device", `${device} refused "${line}": ${m.match}`);
          }
          await s.send("quit\r\n", signal).catch(() => {});
        }),
      close: () => Promise.resolve(),
    };
  },
};
