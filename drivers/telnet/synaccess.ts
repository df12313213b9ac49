/**
 * `synnetbooter`: Synaccess netBooter series B (`telnetport` 23, `username`/`password` default
 * admin): `login`, `User ID:`, `Password:`, then `pset N 1|0` at the `>` prompt. A fresh
 * connection per command.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { Session } from "../_transport/session.ts";

const SYN = z.object({
  "telnetport": portNumber(23),
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** `synnetbooter`. */
export const SYNNETBOOTER: DriverDescriptor<z.infer<typeof SYN>> = {
  names: ["synnetbooter"],
  summary: "Synaccess netBooter series B over telnet (login, pset N 1|0)",
  options: SYN,
  create(hostname, { options }) {
    const device = `netBooter at ${hostname}:${options.telnetport}`;
    const target = { host: hostname, port: options.telnetport, device, telnet: true };
    return {
      setOutlet: (outlet, state, { signal }) =>
        Session.with(target, signal, async (s) => {
          await s.expect([">"], "the > prompt", signal);
          await s.send("login\r", signal);
          await s.expect(["User ID:"], 'the "User ID:" prompt', signal);
          await s.send(`${options.username}\r`, signal);
          await s.expect(["Password:"], 'the "Password:" prompt', signal);
          await s.send(`${options.password}\r`, signal);
          const login = await s.expect([">"], "the > prompt after login", signal);
          if (/invalid|denied|incorrect|fail/i.test(login.before)) {
            throw new DriverError(
              "auth",
              `${device} refused the login of user "${options.username}": ${login.before.trim()}`,
            );
          }
          const line = `pset ${outlet} ${state === "on" ? 1 : 0}`;
          await s.send(`${line}\r`, signal);
          const answer = await s.expect([">"], `the > prompt after "${line}"`, signal);
          if (/invalid|denied|error|not logged/i.test(answer.before)) {
            throw new DriverError(
              "device",
              `${device} refused "${line}": ${answer.before.trim()}`,
            );
          }
          await s.send("exit\r", signal).catch(() => {});
        }),
      close: () => Promise.resolve(),
    };
  },
};
