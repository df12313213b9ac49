/**
 * Sockets. By default one port speaks both protocols: the first bytes of a connection tell an
 * HTTP request line (method, space, a target starting with `/`, `*` or `scheme://`, ` HTTP/`)
 * from a legacy pduclient line. Deno 2 cannot hand an accepted connection to Deno.serve, so the
 * listener serves HTTP/1.1 itself on every listener mode (daemon/http_exchange.ts): it reads
 * each request head, which is what lets it bound slow heads, idle keep-alive connections, TLS
 * handshakes and the number of connections, and hands each request to the app with the real
 * peer (in `env`, never in a header). There is no internal hop for HTTP to spoof.
 * @module
 */
import type { Hono } from "hono";
import { type Clock, Watchdog } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import type { AppEnv, Transport } from "../routes/mod.ts";
import { LEGACY_MAX_BYTES, legacyFrame, legacyLineToRequest, legacyReply } from "../routes/mod.ts";
import { ConnReader, requestOf, writeResponse } from "./http_exchange.ts";
import { httpShape, parseHead, plainResponse } from "./http_head.ts";
import {
  defaultMaxConnections,
  DESCRIPTORS_PER_CONNECTION,
  DESCRIPTORS_PER_TLS_CONNECTION,
  isDescriptorExhaustion,
  RateLimitedLog,
  softFileLimit,
} from "./limits.ts";

/** Options of startListeners. */
export interface ListenOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** "both" (default): one port, both protocols; "http" or "tcp": that protocol only. */
  listener: "both" | "http" | "tcp";
  /**
   * How long a client may take to send a legacy line, or each HTTP request's head and body
   * (from its first byte). Before its first byte a connection is idle (`idleTimeoutMs`).
   */
  requestTimeoutMs: number;
  /**
   * How long a connection may stay silent with no request in progress, a new one included
   * (default 60 s).
   */
  idleTimeoutMs?: number;
  /** How long a TLS handshake may take (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Client connections at once (default: defaultMaxConnections(), from the descriptor limit). */
  maxConnections?: number;
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
  /** The connection cap in force. */
  maxConnections: number;
  /** Sockets listening on the port: ACCEPTORS, or 1 without `--unstable-net`. */
  acceptors: number;
  /**
   * The loopback port of the internal TLS listener (diagnostics and tests: it answers only
   * connections the listener itself opened). HTTP has no internal server.
   */
  internalPorts(): { tls?: number };
  /**
   * Stops accepting at once, then lets every request in flight be answered (its job settles when
   * the supervisor shuts down) and closes idle connections. Resolves when all are closed.
   */
  close(): Promise<void>;
  /** Closes every connection now, answered or not (after the shutdown grace has run out). */
  abort(): void;
}

/**
 * Connections the kernel may queue before pdud accepts them (it caps this at
 * net.core.somaxconn). Deno's default of 511 overflowed when a farm's clients all reconnected at
 * once: the kernel then drops SYNs and each dropped client waits a second to retry.
 */
export const LISTEN_BACKLOG = 4096;
/**
 * Listening sockets on the one port (SO_REUSEPORT; Linux only, elsewhere one). Deno takes one
 * connection per listener per turn of its event loop, and a daemon busy with thousands of
 * requests turns slowly: with one listener, a farm's clients connecting at once overflowed the
 * kernel's queue, and connections that waited there too long were reset (bench:compare's burst of
 * 5,000 PDUs). Each listener brings its own queue and its own accept per turn.
 */
export const ACCEPTORS = Deno.build.os === "linux" ? 4 : 1;
/** Default idle keep-alive timeout. */
export const IDLE_TIMEOUT_MS = 60_000;
/** Default TLS handshake timeout. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Bodies larger than this are answered 413 by the listener; the app's own limit is lower. */
const MAX_BODY = 1 << 20;
/** Connections beyond the cap that are read just long enough to be refused with a reply. */
const MAX_REFUSING = 32;
/** How long a refused or answered-with-an-error connection is drained before it is closed. */
const LINGER_MS = 1000;
const LINGER_BYTES = 4 << 20;
const BACKOFF_MIN_MS = 5;
const BACKOFF_MAX_MS = 1000;
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const NACK = encoder.encode("nack\n");

/** A client connection: the cap counts these; the oldest evictable one goes first. */
interface Client {
  conn: Deno.Conn;
  /** Idle, handshaking or still sending its request: nothing is lost by closing it. */
  evictable: boolean;
  /** Evicted: its descriptors are being released; still counted until they are. */
  closing: boolean;
  /** The relay connections opened for it, closed with it. */
  linked: Set<Deno.Conn>;
}

/** Evicted connections still releasing their descriptors, beyond which new ones are refused. */
const MAX_CLOSING = 8;

/** Starts the listener(s) for `app`. */
export async function startListeners(
  app: Hono<AppEnv>,
  options: ListenOptions,
): Promise<Listeners> {
  if (options.tls && options.listener !== "http") throw new TypeError("tls needs listener: http");
  const tls = options.tls
    ? {
      cert: await Deno.readTextFile(options.tls.cert),
      key: await Deno.readTextFile(options.tls.key),
    }
    : undefined;
  return serve(app, options, tls);
}

function serve(
  app: Hono<AppEnv>,
  options: ListenOptions,
  tls: { cert: string; key: string } | undefined,
): Listeners {
  const { log, clock } = options;
  const limited = new RateLimitedLog(log, clock);
  const descriptorLimit = softFileLimit();
  const safeMaxConnections = defaultMaxConnections(
    descriptorLimit,
    tls ? DESCRIPTORS_PER_TLS_CONNECTION : DESCRIPTORS_PER_CONNECTION,
  );
  const maxConnections = options.maxConnections ?? safeMaxConnections;
  if (maxConnections > safeMaxConnections) {
    log.warn("max_connections is above what the descriptor limit leaves room for", {
      maxConnections,
      suggested: safeMaxConnections,
      descriptorLimit,
    });
  }
  const idleMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const handshakeMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const speaksHttp = options.listener !== "tcp";
  const speaksLegacy = options.listener !== "http";
  let closing = false;

  const sockets = bindAcceptors(options.hostname, options.port);
  // TLS is terminated by an internal listener the client's bytes are relayed to: closing a
  // Deno TlsConn whose handshake has not finished leaves its socket open for as long as the
  // client stays silent, while closing the relay ends the handshake with an EOF.
  const tlsInternal = tls ? Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...tls }) : undefined;
  // "address:port" of the local end of each raw relay to tlsInternal → who takes its TlsConn.
  const tlsWaiting = new Map<string, (conn: Deno.TlsConn) => void>();
  const unclaimed = new Map<string, { conn: Deno.TlsConn; timer: { cancel(): void } }>();
  const clients = new Set<Client>();
  // Relay connections to the internal TLS listener, closed by abort() with the clients.
  const relayConns = new Set<Deno.Conn>();
  // Exchanges that have a complete request and owe the client a reply; close() waits for them.
  const answering = new Set<Promise<unknown>>();
  const owe = <T>(work: Promise<T>): Promise<T> => {
    answering.add(work);
    return work.finally(() => answering.delete(work));
  };
  let refusing = 0;
  // Back-off waits, cut short by close().
  const pauses = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimer(ms, () => done());
      const done = () => {
        timer.cancel();
        pauses.delete(done);
        resolve();
      };
      pauses.add(done);
    });

  let closingCount = 0;
  // Wake the accept loops when an evicted connection has released its descriptors.
  const waitingForRelease = new Set<() => void>();
  const released = () => {
    for (const wake of waitingForRelease) wake();
    waitingForRelease.clear();
  };
  /** Closes the oldest connection that is idle or still sending its request. */
  const evictOne = (): boolean => {
    if (closingCount >= MAX_CLOSING) return false;
    for (const client of clients) {
      if (!client.evictable || client.closing) continue;
      client.closing = true;
      client.evictable = false;
      closingCount++;
      closeQuietly(client.conn);
      for (const conn of client.linked) closeQuietly(conn);
      limited.warn("connection cap reached: closed the oldest idle or slow connection", {
        maxConnections,
      });
      return true;
    }
    return false;
  };

  /**
   * Accepts from `accept` until the listeners close. A failed accept is handed to `failed`, then
   * the loop backs off (5 ms doubling to 1 s) instead of spinning: out of descriptors, accept
   * fails again at once while the connection waits in the kernel's queue.
   */
  async function acceptLoop<C>(
    accept: () => Promise<C>,
    take: (conn: C) => void | Promise<void>,
    failed: (error: unknown) => void,
    ready: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    let backoff = 0;
    while (!closing) {
      await ready();
      let conn: C;
      try {
        conn = await accept();
        backoff = 0;
      } catch (error) {
        if (closing) return;
        failed(error);
        backoff = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoff * 2));
        await pause(backoff);
        continue;
      }
      await take(conn);
    }
  }

  const acceptingTls = tlsInternal
    ? acceptLoop(() => tlsInternal.accept(), (conn) => {
      const from = conn.remoteAddr as Deno.NetAddr;
      const key = `${from.hostname}:${from.port}`;
      const take = tlsWaiting.get(key);
      if (take) {
        tlsWaiting.delete(key);
        return take(conn);
      }
      // The relay may not have registered yet (its connect and this accept settle in either
      // order); what no relay claims soon is someone else's and is closed.
      const timer = clock.setTimer(LINGER_MS, () => {
        if (unclaimed.get(key)?.conn !== conn) return;
        unclaimed.delete(key);
        limited.warn("refused a connection to the internal TLS listener not opened by pdud", {
          remote: from.hostname,
        });
        closeQuietly(conn);
      });
      unclaimed.set(key, { conn, timer });
    }, (error) => limited.warn("internal TLS accept failed", { error }))
    : Promise.resolve();

  const accepting = Promise.all(sockets.map((socket) =>
    acceptLoop(
      () => socket.accept(),
      async (conn) => {
        while (clients.size - closingCount >= maxConnections && !evictOne()) {
          // Nothing left to evict: refused. Evictions still releasing their descriptors: this
          // one waits for them (each accept loop holds at most one connection so), since the
          // four loops can each take a connection before any of them sees the cap.
          if (closingCount < MAX_CLOSING || closing) return refuse(conn);
          await new Promise<void>((resolve) => waitingForRelease.add(resolve));
        }
        const client: Client = { conn, evictable: true, closing: false, linked: new Set() };
        clients.add(client);
        handle(client).catch((error) => log.debug("connection ended with an error", { error }))
          .finally(() => {
            clients.delete(client);
            if (client.closing) {
              closingCount--;
              released();
            }
            closeQuietly(conn);
          });
      },
      (error) => {
        // Out of descriptors: free one if we can (the connection stays queued in the kernel).
        const exhausted = isDescriptorExhaustion(error);
        if (exhausted) evictOne();
        limited.warn(exhausted ? "accept failed: out of file descriptors" : "accept failed", {
          error,
        });
      },
      async () => {
        // Evictions release descriptors a few turns later; a burst of new connections waits in
        // the kernel's queue for them instead of being refused.
        while (closingCount >= MAX_CLOSING && !closing) {
          await new Promise<void>((resolve) => waitingForRelease.add(resolve));
        }
      },
    )
  ));

  /** Beyond the cap with nothing to evict: a 503 or a nack, or a close if even that is too much. */
  function refuse(conn: Deno.Conn): void {
    limited.warn("connection cap reached: refused a connection", {
      maxConnections,
      open: clients.size,
      closing: closingCount,
    });
    // A TLS client cannot read a plain reply.
    if (refusing >= MAX_REFUSING || tls) return closeQuietly(conn);
    refusing++;
    (async () => {
      let reply: Uint8Array = NACK;
      if (speaksHttp) {
        const http = plainResponse(503, "Service unavailable: too many connections; retry later");
        reply = http;
        if (speaksLegacy) {
          // One read, briefly: enough to tell a pduclient line from an HTTP request.
          const buffer = new Uint8Array(64);
          const timer = clock.setTimer(Math.min(options.requestTimeoutMs, LINGER_MS), () => {
            closeQuietly(conn);
          });
          const n = await conn.read(buffer).catch(() => null).finally(() => timer.cancel());
          if (n === null) return;
          reply = httpShape(buffer.subarray(0, n)) === "no" ? NACK : http;
        }
      }
      await writeAll(conn, reply);
      await linger(conn);
    })().finally(() => {
      refusing--;
      closeQuietly(conn);
    });
  }

  /** Writes `bytes`, half-closes, and drains what the client still sends for a moment. */
  async function linger(conn: Deno.Conn): Promise<void> {
    await conn.closeWrite().catch(() => {});
    const timer = clock.setTimer(LINGER_MS, () => closeQuietly(conn));
    try {
      const buffer = new Uint8Array(64 * 1024);
      let drained = 0;
      while (drained < LINGER_BYTES) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        drained += n;
      }
    } finally {
      timer.cancel();
    }
  }

  async function handle(client: Client): Promise<void> {
    const { conn } = client;
    const addr = conn.remoteAddr as Deno.NetAddr;
    const remote = { address: addr.hostname, port: addr.port };
    if (tls) return await handleTls(client, remote);
    const reader = new ConnReader(conn);
    if (!speaksLegacy) return await serveHttp(client, conn, reader, remote);
    // Sniffing (or legacy only): a connection that has sent nothing yet is idle (idle timeout);
    // its request must be complete within the request timeout from its first byte.
    let timedOut = false;
    const expire = () => {
      timedOut = true;
      const frame = legacyFrame(decoder.decode(reader.bytes));
      const http = speaksHttp && httpShape(reader.bytes) !== "no" && frame.kind === "invalid";
      log.info("request timed out", { remote: remote.address, bytes: reader.bytes.length });
      const reply = reader.bytes.length === 0
        ? undefined
        : http
        ? plainResponse(408, "Request timeout: the request was not sent in time")
        : NACK;
      (reply ? writeAll(conn, reply) : Promise.resolve()).finally(() => closeQuietly(conn));
    };
    let deadline = clock.setTimer(idleMs, expire);
    let line: string;
    try {
      for (;;) {
        const before = reader.size;
        const ended = !await reader.fill().catch(() => false);
        if (timedOut) return;
        if (before === 0 && reader.size > 0) {
          deadline.cancel();
          deadline = clock.setTimer(options.requestTimeoutMs, expire);
        }
        const bytes = reader.bytes;
        const shape = speaksHttp ? httpShape(bytes) : "no";
        if (shape === "http") {
          deadline.cancel();
          return await serveHttp(client, conn, reader, remote);
        }
        if (ended && bytes.length === 0) return;
        const frame = legacyFrame(decoder.decode(bytes), ended);
        if (frame.kind === "complete") {
          line = frame.line;
          break;
        }
        const invalid = frame.kind === "invalid"
          ? frame.reason
          : bytes.length > LEGACY_MAX_BYTES
          ? `longer than ${LEGACY_MAX_BYTES} bytes`
          : ended
          ? "the connection ended before the request did"
          : undefined;
        if (invalid !== undefined && (shape === "no" || ended)) {
          deadline.cancel();
          log.info("legacy request refused", { remote: remote.address, reason: invalid });
          await writeAll(conn, NACK);
          return;
        }
      }
    } finally {
      deadline.cancel();
    }
    client.evictable = false;
    await owe((async () => {
      const response = await app.fetch(legacyLineToRequest(line), {
        transport: "legacy-tcp",
        remote,
      });
      await writeAll(conn, encoder.encode(await legacyReply(response)));
    })());
  }

  /**
   * A TLS client: its bytes relayed to the internal TLS listener, the handshake bounded by the
   * handshake timeout, then its requests served on the TLS connection.
   */
  async function handleTls(client: Client, remote: Transport["remote"]): Promise<void> {
    const { conn } = client;
    let raw: Deno.Conn;
    try {
      raw = await Deno.connect({ hostname: "127.0.0.1", port: tlsInternal!.addr.port });
    } catch (error) {
      limited.warn("cannot reach the internal TLS listener", { error });
      return;
    }
    relayConns.add(raw);
    client.linked.add(raw);
    const local = raw.localAddr as Deno.NetAddr;
    const key = `${local.hostname}:${local.port}`;
    const early = unclaimed.get(key);
    unclaimed.delete(key);
    early?.timer.cancel();
    const accepted = early
      ? Promise.resolve(early.conn)
      : new Promise<Deno.TlsConn>((resolve) => tlsWaiting.set(key, resolve));
    const pipe = Promise.all([
      copy(conn, raw).catch(() => {}).finally(() => raw.closeWrite().catch(() => {})),
      copy(raw, conn).catch(() => {}).finally(() => {
        closeQuietly(conn);
        closeQuietly(raw);
      }),
    ]);
    const timer = clock.setTimer(handshakeMs, () => {
      limited.warn("TLS handshake timed out", { remote: remote.address });
      closeQuietly(conn);
      closeQuietly(raw);
    });
    let secure: Deno.TlsConn | undefined;
    try {
      secure = await Promise.race([accepted, pipe.then(() => undefined)]);
      if (!secure) return;
      await secure.handshake();
      timer.cancel();
      await serveHttp(client, secure, new ConnReader(secure), remote);
    } finally {
      timer.cancel();
      tlsWaiting.delete(key);
      if (secure) closeQuietly(secure);
      closeQuietly(conn);
      closeQuietly(raw);
      relayConns.delete(raw);
      client.linked.delete(raw);
      await pipe;
    }
  }

  /**
   * Serves one client connection request by request: each head (and its body) must arrive
   * within the request timeout from its first byte (the first head's from the connection's
   * start unless `started`), a connection with no request in progress is closed after the idle
   * timeout, and errors in a head are answered here (400/408/413/414/431). Requests on one
   * connection are answered in order, one at a time (pipelined ones wait in the buffer).
   */
  async function serveHttp(
    client: Client,
    conn: Deno.Conn,
    reader: ConnReader,
    remote: Transport["remote"],
  ): Promise<void> {
    const local = conn.localAddr as Deno.NetAddr;
    const authority = local.hostname.includes(":")
      ? `[${local.hostname}]:${local.port}`
      : `${local.hostname}:${local.port}`;
    const write = (bytes: Uint8Array) => writeAll(conn, bytes, true);
    const env = { transport: "http" as const, remote };
    // One watchdog per connection for its head and idle timeouts, re-armed per request without
    // a timer per request.
    let timedOut = false;
    let armed: "idle" | "head" = "head";
    const watchdog = new Watchdog(clock, () => {
      timedOut = true;
      if (armed === "head" && reader.size > 0) {
        writeAll(
          conn,
          plainResponse(408, "Request timeout: the request head was not sent in time"),
        )
          .finally(() => closeQuietly(conn));
      } else closeQuietly(conn);
    });
    const arm = (kind: "idle" | "head", ms: number) => {
      armed = kind;
      watchdog.arm(ms);
    };
    // Set while a streamed response waits for the client to go away.
    let watching: Promise<boolean> | undefined;
    try {
      for (;;) {
        client.evictable = !client.closing;
        timedOut = false;
        // A head's time runs from its first byte (a pipelined one's, already buffered, from now).
        if (reader.size > 0) arm("head", options.requestTimeoutMs);
        let result = parseHead(reader.bytes);
        while (result.kind === "incomplete") {
          // Idle, the first request's wait included: nothing buffered. Wait for bytes, at most
          // the idle timeout. A busy daemon may take seconds to read what a client sent at once
          // (bench:compare's 12,000 connections at once): that is not the client's slowness.
          if (reader.size === 0) arm("idle", idleMs);
          const before = reader.size;
          const more = await reader.fill().catch(() => false);
          if (timedOut || !more) return;
          if (before === 0 && reader.size > 0) arm("head", options.requestTimeoutMs);
          result = parseHead(reader.bytes);
        }
        if (result.kind === "error") {
          watchdog.disarm();
          log.info("HTTP request refused", { remote: remote.address, status: result.status });
          await writeAll(conn, plainResponse(result.status, `${result.reason}`));
          return await linger(conn);
        }
        const { head, consumed } = result;
        if (head.bodyLength > MAX_BODY) {
          // No route takes a body this large: refused before a byte of it is read.
          watchdog.disarm();
          log.info("HTTP request refused", { remote: remote.address, status: 413 });
          await writeAll(conn, plainResponse(413, "Payload too large"));
          return await linger(conn);
        }
        reader.consume(consumed);
        client.evictable = false;
        let incoming;
        try {
          // The head timeout goes on bounding the body, until its last byte; the app's own
          // time is not bounded here.
          incoming = requestOf(head, reader, {
            authority,
            maxBody: MAX_BODY,
            write,
            bodyRead: () => watchdog.disarm(),
          });
        } catch {
          watchdog.disarm();
          log.info("HTTP request refused", { remote: remote.address, status: 400 });
          await writeAll(conn, plainResponse(400, "Bad request: not a valid URL or header"));
          return await linger(conn);
        }
        if (incoming.body.done) watchdog.disarm();
        let keep = false;
        await owe((async () => {
          let response: Response;
          try {
            response = await app.fetch(incoming.request, env);
          } catch (error) {
            // The app's onError answers what a route throws; this is what escapes even that.
            log.error("unhandled error serving a request", { error });
            response = new Response("Internal error\n", { status: 500 });
          }
          watchdog.disarm();
          const close = head.last || closing || !incoming.body.done;
          keep = await writeResponse(response, {
            method: head.method,
            version: head.version,
            close,
            write,
            gone: () => {
              watching ??= reader.full ? Promise.resolve(true) : reader.fill().catch(() => false);
              return watching.then((more) => more ? new Promise<void>(() => {}) : undefined);
            },
          }).catch(() => false);
        })());
        if (!keep) {
          if (!incoming.body.done || incoming.body.broken) await linger(conn);
          return;
        }
        if (closing) return;
      }
    } finally {
      watchdog.stop();
    }
  }

  const abort = () => {
    for (const client of clients) closeQuietly(client.conn);
    for (const conn of relayConns) closeQuietly(conn);
  };
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      for (const socket of sockets) socket.close();
      tlsInternal?.close();
      for (const done of [...pauses]) done();
      released();
      await accepting;
      await acceptingTls;
      for (const { conn, timer } of unclaimed.values()) {
        timer.cancel();
        closeQuietly(conn);
      }
      // Connections with nothing in progress go now; HTTP requests in flight are answered first
      // (each with `connection: close`); then whatever is left, such as half-sent legacy lines,
      // is closed.
      for (const client of clients) if (client.evictable) closeQuietly(client.conn);
      await Promise.allSettled([...answering]);
      abort();
      limited.close();
    })();
    return closed;
  };
  const addr = sockets[0]!.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    maxConnections,
    acceptors: sockets.length,
    internalPorts: () => (tlsInternal ? { tls: (tlsInternal.addr as Deno.NetAddr).port } : {}),
    close,
    abort,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * ACCEPTORS listeners on `hostname:port` (port 0: the first one's port), bound with SO_REUSEPORT.
 * Deno offers that option only with `--unstable-net` (deno.json, the Dockerfile, the systemd unit
 * and the compile tasks give it); without it pdud binds one listener, as before. Another program
 * of the same user could join a SO_REUSEPORT port; pdud binds the port without it first, which
 * fails while another pdud holds it.
 */
function bindAcceptors(hostname: string, port: number): Deno.TcpListener[] {
  const plain = { hostname, port, tcpBacklog: LISTEN_BACKLOG };
  if (ACCEPTORS === 1 || !unstableNet()) return [Deno.listen(plain)];
  // SO_REUSEPORT would let this bind join another pdud's sockets on the port (and take half its
  // connections); a plain bind first fails as a port in use should.
  if (port !== 0) Deno.listen(plain).close();
  const first = Deno.listen({ ...plain, reusePort: true });
  const sockets = [first];
  try {
    while (sockets.length < ACCEPTORS) {
      const bound = (first.addr as Deno.NetAddr).port;
      sockets.push(Deno.listen({ ...plain, port: bound, reusePort: true }));
    }
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }
  return sockets;
}

/**
 * Whether Deno runs with `--unstable-net`. Deno.listen's `reusePort` without it does not throw:
 * the process exits (70). QUIC is behind the same flag; the e2e test that starts pdud without the
 * flag tells when a Deno release changes that.
 */
function unstableNet(): boolean {
  return typeof (Deno as { connectQuic?: unknown }).connectQuic === "function";
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await from.read(buffer);
    if (n === null) return;
    await writeAll(to, buffer.subarray(0, n), true);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array, rethrow = false): Promise<void> {
  let written = 0;
  try {
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch (error) {
    // The peer went away; a job (if any) has run regardless.
    if (rethrow) throw error;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
