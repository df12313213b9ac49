/**
 * What the line-protocol console simulators share: a TCP console that reads lines ending in
 * CR, LF or CR LF, skips a client's telnet IAC sequences, records each line and answers it.
 * @module
 */
import type { SimulatedDevice, Simulator } from "../kind.ts";
import { serveSimulatorTcp, writeLatin1 } from "../_transport/tcp_server.ts";
import type { ConsoleReply } from "./_console.ts";

/** One connection's console: what it says first and how it answers a line. */
export interface Console {
  /** Sent as soon as the client connects. */
  greeting: string;
  /** The answer to one line. */
  line(text: string): Promise<ConsoleReply>;
}

/**
 * A line console on a real socket; `open()` makes the console of each new connection and
 * `config(port)` the PDU config that reaches it.
 */
export function serveLines(
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

/** Whether the device has outlet `n`. */
export const exists = (device: SimulatedDevice, n: number): boolean =>
  n >= device.first && n < device.first + device.count;
