/**
 * Simulators of the line-protocol consoles in line_devices.ts: NETIO KSHELL (greeting, login,
 * 5xx errors, `505 FORBIDDEN` before login), Gude 1202 telnet commands, Synaccess netBooter
 * (`login` dialogue, `>` prompt). Lines end in CR, LF or CR LF; telnet IAC sequences from a
 * client are skipped.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import { serveSimulatorTcp, writeLatin1 } from "../_transport/tcp_server.ts";
import { consoleFault, type ConsoleReply } from "./_console.ts";

const CREDENTIALS = z.object({
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();
const NONE = z.object({}).strict();

interface Console {
  greeting: string;
  /** The answer to one line. */
  line(text: string): Promise<ConsoleReply>;
}

function serveLines(
  kind: string,
  device: SimulatedDevice,
  settings: { hostname: string; port: number },
  open: () => Console,
  config: (port: number) => Record<string, unknown>,
): Simulator {
  const handle = async (conn: Deno.TcpConn) => {
    const console = open();
    const write = (text: string) => writeLatin1(conn, text);
    await write(console.greeting);
    let line = "", iac = 0;
    const buffer = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      for (const byte of buffer.subarray(0, n)) {
        // IAC + command (+ option for WILL/WONT/DO/DONT) is skipped, as a line device does:
        // iac 1 = after IAC, 2 = an option byte follows.
        if (iac === 1) {
          iac = byte >= 251 && byte <= 254 ? 2 : 0;
          continue;
        }
        if (iac === 2 || byte === 255) {
          iac = iac === 2 ? 0 : 1;
          continue;
        }
        if (byte !== 13 && byte !== 10) {
          if (line.length < 256) line += String.fromCharCode(byte);
          continue;
        }
        const text = line.trim();
        line = "";
        if (text === "" && byte === 10) continue; // the LF of a CR LF
        device.record(`< ${text}`);
        const reply = await console.line(text);
        if (reply === "hangup") return;
        if (reply !== "hang") await write(reply);
      }
    }
  };
  const server = serveSimulatorTcp(device, settings, handle);
  const close = () => server.close();
  const port = server.port;
  return {
    kind,
    device,
    address: { hostname: settings.hostname, port, transport: "tcp" },
    pduHostname: settings.hostname,
    pduConfig: () => config(port),
    close,
    [Symbol.asyncDispose]: close,
  };
}

const exists = (device: SimulatedDevice, n: number) =>
  n >= device.first && n < device.first + device.count;

/** `netio-kshell`. */
export const NETIO_KSHELL: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "netio-kshell",
  summary: "NETIO 4 KSHELL console (100 HELLO, login USER PASS, port N 1|0, 5xx errors)",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(serveLines("netio-kshell", device, { hostname, port }, () => {
      let loggedIn = false;
      return {
        greeting: "100 HELLO 5C1A2F3E - KSHELL V1.5\r\n",
        async line(text) {
          const words = text.split(/\s+/);
          if (words[0] === "quit") return "110 BYE\r\n";
          if (words[0] === "login") {
            if (words.length !== 3) return "501 INVALID PARAMETR\r\n";
            loggedIn = words[1] === options.username && words[2] === options.password;
            return loggedIn ? "250 OK\r\n" : "503 INVALID LOGIN\r\n";
          }
          if (words[0] !== "port") return "502 UNKNOWN COMMAND\r\n";
          if (!loggedIn) return "505 FORBIDDEN\r\n";
          const n = Number(words[1]);
          if (!/^\d+$/.test(words[1] ?? "") || !exists(device, n)) {
            return "501 INVALID PARAMETR\r\n";
          }
          if (words.length === 2) {
            return await consoleFault(
              device,
              "550 PORT BUSY\r\n",
              () => `250 ${device.get(n) === "on" ? 1 : 0}\r\n`,
            );
          }
          if (words.length !== 3 || !["0", "1"].includes(words[2]!)) {
            return "501 INVALID PARAMETR\r\n";
          }
          return await consoleFault(device, "550 PORT BUSY\r\n", () => {
            device.set(n, words[2] === "1" ? "on" : "off");
            return "250 OK\r\n";
          });
        },
      };
    }, (p) => ({
      driver: "netio4",
      telnetport: p,
      username: options.username,
      password: options.password,
    })));
  },
};

/** `gude-telnet`. */
export const GUDE_TELNET: SimulatorKind<Record<string, never>> = {
  name: "gude-telnet",
  summary: "Gude Expert Power Control 1202 telnet console (port N state set 1|0 → OK.)",
  options: NONE,
  start(device, { hostname, port }) {
    return Promise.resolve(serveLines("gude-telnet", device, { hostname, port }, () => ({
      greeting: "GUDE Expert Power Control 1202\r\n",
      async line(text) {
        if (text === "quit" || text === "exit") return "hangup";
        const m = /^port (\d+) state(?: set ([01]))?$/.exec(text);
        if (!m) return "Unknown command.\r\n";
        const n = Number(m[1]);
        if (!exists(device, n)) return "Invalid parameter.\r\n";
        return await consoleFault(device, "Error: port locked.\r\n", () => {
          if (m[2] === undefined) return `${device.get(n) === "on" ? 1 : 0}\r\n`;
          device.set(n, m[2] === "1" ? "on" : "off");
          return "OK.\r\n";
        });
      },
    }), (p) => ({ driver: "gude1202", telnetport: p })));
  },
};

/** `synaccess-telnet`. */
export const SYNACCESS_TELNET: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "synaccess-telnet",
  summary: "Synaccess netBooter NP-08B telnet console (login dialogue, pset N 1|0)",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(serveLines("synaccess-telnet", device, { hostname, port }, () => {
      let stage: "idle" | "user" | "password" | "in" = "idle";
      let user = "";
      return {
        greeting: "\r\nSynaccess Inc. Telnet Session V6.2.\r\nSystem Model: NP-08B\r\n>",
        async line(text) {
          if (stage === "user") {
            user = text;
            stage = "password";
            return "Password:";
          }
          if (stage === "password") {
            const ok = user === options.username && text === options.password;
            stage = ok ? "in" : "idle";
            return ok ? "\r\n>" : "\r\nInvalid Login.\r\n>";
          }
          if (text === "") return "\r\n>";
          if (text === "login") {
            stage = "user";
            return "\r\nUser ID: ";
          }
          if (text === "exit" || text === "logout") return "hangup";
          const m = /^pset (\d+) ([01])$/.exec(text);
          if (!m) return "\r\nInvalid command.\r\n>";
          if (stage !== "in") return "\r\nNot logged in. Access denied.\r\n>";
          const n = Number(m[1]);
          if (!exists(device, n)) return "\r\nInvalid outlet number.\r\n>";
          return await consoleFault(device, "\r\nError: outlet is locked.\r\n>", () => {
            device.set(n, m[2] === "1" ? "on" : "off");
            return "\r\n>";
          });
        },
      };
    }, (p) => ({
      driver: "synnetbooter",
      telnetport: p,
      username: options.username,
      password: options.password,
    })));
  },
};
