/**
 * The accept loop every TCP simulator shares: connections are tracked so `close()` ends them
 * all, and the device's `refuse` fault closes each connection as soon as it is accepted (what a
 * device that refuses looks like to a client, and what Deno.serve could not do).
 * @module
 */
import type { SimulatedDevice, Simulator } from "../kind.ts";

/** A running simulator TCP server. */
export interface SimulatorTcpServer {
  hostname: string;
  port: number;
  /** Connections accepted so far, refused ones included (to check that drivers close theirs). */
  readonly accepted: number;
  /** Stops listening and closes every open connection; safe twice. */
  close(): Promise<void>;
}

/** Listens on hostname:port and runs `handle` per connection; the connection is closed after. */
export function serveSimulatorTcp(
  device: SimulatedDevice,
  options: { hostname: string; port: number },
  handle: (conn: Deno.TcpConn) => Promise<void>,
): SimulatorTcpServer {
  return serveListener(
    device,
    Deno.listen({ hostname: options.hostname, port: options.port }),
    handle,
  );
}

/** A certificate and its key, PEM, for a simulator that speaks TLS (a BMC's https). */
export interface SimulatorTls {
  cert: string;
  key: string;
}

/** As serveSimulatorTcp, over TLS with `tls`'s certificate. */
export function serveSimulatorTls(
  device: SimulatedDevice,
  options: { hostname: string; port: number; tls: SimulatorTls },
  handle: (conn: Deno.Conn) => Promise<void>,
): SimulatorTcpServer {
  const { hostname, port, tls } = options;
  return serveListener(
    device,
    Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key }),
    handle,
  );
}

function serveListener<C extends Deno.Conn>(
  device: SimulatedDevice,
  listener: Deno.Listener<C>,
  handle: (conn: C) => Promise<void>,
): SimulatorTcpServer {
  const open = new Set<C>();
  let accepted = 0;
  const loop = (async () => {
    for (;;) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      accepted++;
      if (device.fault === "refuse") {
        conn.close();
        continue;
      }
      open.add(conn);
      handle(conn).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })();
  let closed: Promise<void> | undefined;
  const addr = listener.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    get accepted() {
      return accepted;
    },
    close() {
      closed ??= (async () => {
        listener.close();
        for (const conn of open) {
          try {
            conn.close();
          } catch { /* closed */ }
        }
        await loop;
      })();
      return closed;
    },
  };
}

/** Writes text as Latin-1 bytes (one byte per character), ignoring a peer that has gone. */
export async function writeLatin1(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  try {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch { /* the client went away: nothing to answer */ }
}

/**
 * A running server as a Simulator. `withPort`: the PDU's address must carry the port (for
 * drivers whose upstream has no port key and dials the PDU's name as it is).
 */
export function simulatorOn(
  kind: string,
  device: SimulatedDevice,
  server: SimulatorTcpServer,
  config: (hostname: string, port: number) => Record<string, unknown>,
  withPort = false,
): Simulator {
  const close = () => server.close();
  return {
    kind,
    device,
    address: { hostname: server.hostname, port: server.port, transport: "tcp" },
    pduHostname: withPort ? `${server.hostname}:${server.port}` : server.hostname,
    pduConfig: () => config(server.hostname, server.port),
    close,
    [Symbol.asyncDispose]: close,
  };
}
