/**
 * `netio4`: NETIO 4 KSHELL (`telnetport` default 1234, `username`/`password` default admin):
 * `login USER PASS` → `250 OK`, `port N 1|0` → `250 OK`, `port N` → `250 1|0`, `quit` →
 * `110 BYE`; errors are `5xx TEXT` lines. A fresh connection per command.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { Session } from "../_transport/session.ts";

const NETIO = z.object({
  "telnetport": portNumber(1234),
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** One KSHELL exchange: the reply line's code and text. */
async function kshell(s: Session, line: string, signal: AbortSignal) {
  await s.send(`${line}\r\n`, signal);
  const m = await s.expect(
    [/^(\d{3}) ([^\r\n]*)\r?\n/m],
    `a reply to "${line.split(" ")[0]}"`,
    signal,
  );
  const [, code, text] = /^(\d{3}) ([^\r\n]*)/m.exec(m.match)!;
  return { code: code!, text: text! };
}

/** `netio4`. */
export const NETIO4: DriverDescriptor<z.infer<typeof NETIO>> = {
  names: ["netio4"],
  summary: "NETIO 4 over its KSHELL telnet protocol (login, port N 1|0, 250 OK)",
  options: NETIO,
  create(hostname, { options }) {
    const device = `NETIO at ${hostname}:${options.telnetport}`;
    const session = <T>(signal: AbortSignal, work: (s: Session) => Promise<T>) =>
      Session.with({ host: hostname, port: options.telnetport, device }, signal, async (s) => {
        await s.expect(["100 HELLO"], "the KSHELL greeting (100 HELLO)", signal);
        const login = await kshell(s, `login ${options.username} ${options.password}`, signal);
        if (login.code !== "250") {
          throw new DriverError(
            "auth",
            `${device} refused the login of user "${options.username}": ${login.code} ${login.text}`,
          );
        }
        const result = await work(s);
        await kshell(s, "quit", signal).catch(() => {});
        return result;
      });
    const check = (r: { code: string; text: string }, what: string) => {
      if (r.code !== "250") {
        throw new DriverError("device", `${device} refused ${what}: ${r.code} ${r.text}`);
      }
      return r.text;
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await session(signal, async (s) => {
          const line = `port ${outlet} ${state === "on" ? 1 : 0}`;
          check(await kshell(s, line, signal), `"${line}"`);
        });
      },
      async getOutlet(outlet, { signal }): Promise<OutletState> {
        const text = await session(
          signal,
          async (s) => check(await kshell(s, `port ${outlet}`, signal), `"port ${outlet}"`),
        );
        if (text.trim() === "1") return "on";
        if (text.trim() === "0") return "off";
        throw new DriverError("protocol", `${device} reports port ${outlet} as "${text}"`);
      },
      close: () => Promise.resolve(),
    };
  },
};
