/**
 * Line-protocol PDUs on telnet-style TCP consoles, upstream's names and keys:
 *
 * - `netio4`: NETIO 4 KSHELL (`telnetport` default 1234, `username`/`password` default admin):
 *   `login USER PASS` → `250 OK`, `port N 1|0` → `250 OK`, `port N` → `250 1|0`, `quit` →
 *   `110 BYE`; errors are `5xx TEXT` lines.
 * - `gude1202`: Gude Expert Power Control 1202 (`telnetport` 23, no login, as upstream):
 *   `port N state set 1|0` → `OK.`, `port N state` → `1|0`.
 * - `synnetbooter`: Synaccess netBooter series B (`telnetport` 23, `username`/`password` default
 *   admin): `login`, `User ID:`, `Password:`, then `pset N 1|0` at the `>` prompt.
 *
 * Each command uses a fresh connection that is closed afterwards, whatever happened.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { ExpectSession } from "../_transport/expect.ts";

const NETIO = z.object({
  "telnetport": portNumber(1234),
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();
const GUDE = z.object({ "telnetport": portNumber(23) }).strict();
const SYN = z.object({
  "telnetport": portNumber(23),
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** Runs `work` on a fresh session and always closes it. */
async function withSession<T>(
  host: string,
  tcpPort: number,
  device: string,
  telnet: boolean,
  signal: AbortSignal,
  work: (s: ExpectSession) => Promise<T>,
): Promise<T> {
  const session = await ExpectSession.open({ host, port: tcpPort, device, telnet }, signal);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** One KSHELL exchange: the reply line's code and text. */
async function kshell(s: ExpectSession, line: string, signal: AbortSignal) {
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
    const session = <T>(signal: AbortSignal, work: (s: ExpectSession) => Promise<T>) =>
      withSession(hostname, options.telnetport, device, false, signal, async (s) => {
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

/** `gude1202`. */
export const GUDE1202: DriverDescriptor<z.infer<typeof GUDE>> = {
  names: ["gude1202"],
  summary: "Gude Expert Power Control 1202 over telnet (port N state set 1|0)",
  options: GUDE,
  create(hostname, { options }) {
    const device = `Gude 1202 at ${hostname}:${options.telnetport}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        await withSession(hostname, options.telnetport, device, true, signal, async (s) => {
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
        });
      },
      close: () => Promise.resolve(),
    };
  },
};

/** `synnetbooter`. */
export const SYNNETBOOTER: DriverDescriptor<z.infer<typeof SYN>> = {
  names: ["synnetbooter"],
  summary: "Synaccess netBooter series B over telnet (login, pset N 1|0)",
  options: SYN,
  create(hostname, { options }) {
    const device = `netBooter at ${hostname}:${options.telnetport}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        await withSession(hostname, options.telnetport, device, true, signal, async (s) => {
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
            throw new DriverError("device", `${device} refused "${line}": ${answer.before.trim()}`);
          }
          await s.send("exit\r", signal).catch(() => {});
        });
      },
      close: () => Promise.resolve(),
    };
  },
};
