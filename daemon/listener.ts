/**
 * Sockets. By default one port speaks both protocols: the first bytes of a connection tell an
 * HTTP request (a method token and a space) from a legacy pduclient line. Deno 2 cannot hand an
 * accepted connection to Deno.serve, so HTTP connections are relayed to an internal Deno.serve
 * on loopback; the relay remembers which internal connection carries which client, so the app
 * still sees the real peer address (in `env`, never in a header).
 * @module
 */
import type { Hono } from "hono";
import type { Clock } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import type { AppEnv, Transport } from "../routes/mod.ts";
import {
  LEGACY_MAX_BYTES,
  legacyLineToRequest,
  legacyReply,
  legacyRequestComplete,
} from "../routes/mod.ts";

/** Options of startListeners. */
export interface ListenOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** "both" (default): one port, both protocols; "http" or "tcp": that protocol only. */
  listener: "both" | "http" | "tcp";
  /** How long a client may take to send a legacy line or its first bytes. */
  requestTimeoutMs: number;
  /** PEM certificate and key files: HTTPS (listener "http" only). */
  tls?: { cert: string; key: string };
  clock: Clock;
  log: Logger;
}

/** Running listeners. */
export interface Listeners extends AsyncDisposable {
  /** The bound address. */
  hostname: string;
  port: number;
  /**
   * Stops accepting at once, then lets every request in flight be answered (its job settles when
   * the supervisor shuts down) and closes idle connections. Resolves when all are closed.
   */
  close(): Promise<void>;
  /** Closes every connection now, answered or not (after the shutdown grace has run out). */
  abort(): void;
}

const HTTP_START = /^[A-Z]{3,10} /;
/**
 * Connections the kernel may queue before pdud accepts them (it caps this at
 * net.core.somaxconn). Deno's default of 511 overflowed when a farm's clients all reconnected at
 * once: the kernel then drops SYNs and each dropped client waits a second to retry.
 */
export const LISTEN_BACKLOG = 4096;
const decoder = new TextDecoder();

/** Starts the listener(s) for `app`. */
export async function startListeners(
  app: Hono<AppEnv>,
  options: ListenOptions,
): Promise<Listeners> {
  if (options.listener === "http") return await serveHttpOnly(app, options);
  if (options.tls) throw new TypeError("tls needs listener: http");
  return serveShared(app, options);
}

async function serveHttpOnly(app: Hono<AppEnv>, options: ListenOptions): Promise<Listeners> {
  const tls = options.tls
    ? {
      cert: await Deno.readTextFile(options.tls.cert),
      key: await Deno.readTextFile(options.tls.key),
    }
    : {};
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    tcpBacklog: LISTEN_BACKLOG,
    onListen: () => {},
    ...tls,
  }, (request, info) => app.fetch(request, transportOf(info.remoteAddr)));
  const addr = server.addr as Deno.NetAddr;
  const close = async () => {
    await server.shutdown();
  };
  // Deno.serve has no forced close; by the time abort is called every job is settled, so every
  // handler returns and shutdown() completes on its own.
  return {
    hostname: addr.hostname,
    port: addr.port,
    close,
    abort: () => {},
    [Symbol.asyncDispose]: close,
  };
}

function transportOf(addr: Deno.Addr): Transport {
  const net = addr as Deno.NetAddr;
  return { transport: "http", remote: { address: net.hostname ?? "unknown", port: net.port ?? 0 } };
}

function serveShared(app: Hono<AppEnv>, options: ListenOptions): Listeners {
  const { log, clock } = options;
  // Internal connection's local port → the real client, for HTTP relayed through loopback.
  const peers = new Map<number, Transport["remote"]>();
  const internal = options.listener === "both"
    ? Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      tcpBacklog: LISTEN_BACKLOG,
      onListen: () => {},
    }, (request, info) => {
      const relay = info.remoteAddr as Deno.NetAddr;
      const remote = peers.get(relay.port) ?? { address: relay.hostname, port: relay.port };
      return app.fetch(request, { transport: "http", remote });
    })
    : null;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    tcpBacklog: LISTEN_BACKLOG,
  });
  const open = new Set<Deno.Conn>();
  // Exchanges that have a complete request and owe the client a reply; close() waits for them.
  const answering = new Set<Promise<unknown>>();
  const owe = <T>(work: Promise<T>): Promise<T> => {
    answering.add(work);
    return work.finally(() => answering.delete(work));
  };
  let closing = false;

  const accepting = (async () => {
    while (!closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing) return;
        // Running out of descriptors must not end the listener: log and keep accepting.
        log.warn("accept failed", { error });
        continue;
      }
      open.add(conn);
      handle(conn).catch((error) => log.debug("connection ended with an error", { error }))
        .finally(() => {
          open.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        });
    }
  })();

  async function handle(conn: Deno.Conn): Promise<void> {
    const addr = conn.remoteAddr as Deno.NetAddr;
    const remote = { address: addr.hostname, port: addr.port };
    const buffer = new Uint8Array(LEGACY_MAX_BYTES + 1);
    let length = 0;
    let timedOut = false;
    const deadline = clock.setTimer(options.requestTimeoutMs, () => {
      timedOut = true;
      try {
        conn.close();
      } catch { /* closed */ }
    });
    try {
      while (true) {
        let n: number | null;
        try {
          n = await conn.read(buffer.subarray(length));
        } catch (error) {
          if (timedOut) n = null;
          else throw error;
        }
        if (n === null) break;
        length += n;
        if (internal && length > 0 && looksLikeHttp(buffer.subarray(0, length))) {
          deadline.cancel();
          return await owe(relay(conn, buffer.slice(0, length), remote));
        }
        if (length > LEGACY_MAX_BYTES) {
          log.info("legacy request too long", { remote: remote.address, bytes: length });
          await writeAll(conn, "nack\n");
          return;
        }
        if (legacyRequestComplete(decoder.decode(buffer.subarray(0, length)))) break;
      }
    } finally {
      deadline.cancel();
    }
    if (length === 0 || timedOut) return;
    const line = decoder.decode(buffer.subarray(0, length));
    await owe((async () => {
      const response = await app.fetch(legacyLineToRequest(line), {
        transport: "legacy-tcp",
        remote,
      });
      await writeAll(conn, await legacyReply(response));
    })());
  }

  function looksLikeHttp(bytes: Uint8Array): boolean {
    const head = decoder.decode(bytes.subarray(0, 11));
    return HTTP_START.test(head);
  }

  async function relay(conn: Deno.Conn, first: Uint8Array, remote: Transport["remote"]) {
    const addr = internal!.addr as Deno.NetAddr;
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    const key = (upstream.localAddr as Deno.NetAddr).port;
    peers.set(key, remote);
    open.add(upstream);
    try {
      await upstream.write(first);
      // The client's end of input is passed on as a half-close, so a response still in the
      // making reaches it; the relay ends when the internal server has finished. Plain
      // read/write loops: measurably cheaper than piping web streams (bench/overhead.ts).
      copy(conn, upstream).then(
        () => upstream.closeWrite().catch(() => {}),
        () => {
          try {
            upstream.close();
          } catch { /* closed */ }
        },
      );
      await copy(upstream, conn).catch(() => {});
    } finally {
      peers.delete(key);
      open.delete(upstream);
      try {
        upstream.close();
      } catch { /* closed */ }
    }
  }

  const abort = () => {
    for (const conn of open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      listener.close();
      await accepting;
      // HTTP requests in flight are answered first (the relay closes each client when the
      // internal server closes its side); then whatever is left, such as half-sent legacy
      // lines, is closed.
      await internal?.shutdown();
      await Promise.allSettled([...answering]);
      abort();
    })();
    return closed;
  };
  const addr = listener.addr as Deno.NetAddr;
  return { hostname: addr.hostname, port: addr.port, close, abort, [Symbol.asyncDispose]: close };
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await from.read(buffer);
    if (n === null) return;
    let written = 0;
    while (written < n) written += await to.write(buffer.subarray(written, n));
  }
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  try {
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch {
    // The client went away; its job (if any) has run regardless.
  }
}
