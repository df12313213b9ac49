/**
 * Sockets. By default one port speaks both protocols: the first bytes of a connection tell an
 * HTTP request line (method, space, a target starting with `/`, `*` or `scheme://`, ` HTTP/`)
 * from a legacy pduclient line. Deno 2 cannot hand an accepted connection to Deno.serve, so HTTP
 * connections are relayed to an internal Deno.serve on loopback, on every listener mode: the
 * listener reads each request head itself, which is what lets it bound slow heads, idle
 * keep-alive connections, TLS handshakes and the number of connections (Deno.serve has none of
 * these knobs, and dies when it runs out of descriptors). The internal server answers only
 * connections the listener opened, identified by address and port, and the app sees the real
 * peer (in `env`, never in a header).
 * @module
 */
import type { Hono } from "hono";
import type { Clock, Timer } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import type { AppEnv, Transport } from "../routes/mod.ts";
import { LEGACY_MAX_BYTES, legacyFrame, legacyLineToRequest, legacyReply } from "../routes/mod.ts";
import { httpShape, MAX_HEAD, parseHead, plainResponse } from "./http_head.ts";
import {
  defaultMaxConnections,
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
   * (from its first byte; the first request's from the connection's start).
   */
  requestTimeoutMs: number;
  /** How long a connection may stay silent with no request in progress (default 60 s). */
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
  /**
   * The loopback ports of the internal HTTP server and TLS listener (diagnostics and tests:
   * they answer only connections the listener itself opened).
   */
  internalPorts(): { http?: number; tls?: number };
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
/** Default idle keep-alive timeout. */
export const IDLE_TIMEOUT_MS = 60_000;
/** Default TLS handshake timeout. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Bodies larger than this are answered 413 by the listener; the app's own limit is lower. */
const MAX_RELAYED_BODY = 1 << 20;
/** How long after the response to a connection's last request the relay closes it. */
const LAST_RESPONSE_MS = 200;
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

/** Where a relay connection to the internal server comes from. */
interface RelayPeer {
  remote: Transport["remote"];
  /** One response has been sent (or given up on). */
  responded(): void;
}

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
  const safeMaxConnections = defaultMaxConnections(descriptorLimit);
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

  // "address:port" of the local end of each live relay connection → the client it carries.
  const relays = new Map<string, RelayPeer>();
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const from = info.remoteAddr;
    const peer = relays.get(`${from.hostname}:${from.port}`);
    if (!peer) {
      limited.warn("refused a connection to the internal HTTP server not opened by pdud", {
        remote: from.hostname,
      });
      return new Response("Forbidden: not a connection relayed by pdud\n", { status: 403 });
    }
    info.completed.then(peer.responded, peer.responded);
    return app.fetch(request, { transport: "http", remote: peer.remote });
  };
  let internal: Deno.HttpServer<Deno.NetAddr> | undefined;
  const startInternal = (): Deno.HttpServer<Deno.NetAddr> => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      tcpBacklog: LISTEN_BACKLOG,
      onListen: () => {},
    }, handler);
    // Deno.serve stops for good when its accept fails (EMFILE); serve on with a new one.
    server.finished.catch((error) => {
      if (closing) return;
      log.error("internal HTTP server stopped; starting a new one", { error });
      internal = undefined;
      restartInternal();
    });
    return server;
  };
  const restartInternal = (backoff = BACKOFF_MIN_MS): void => {
    if (closing) return;
    evictOne();
    try {
      internal = startInternal();
    } catch (error) {
      limited.warn("cannot start the internal HTTP server; retrying", { error });
      pause(backoff).then(() => restartInternal(Math.min(BACKOFF_MAX_MS, backoff * 2)));
    }
  };

  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    tcpBacklog: LISTEN_BACKLOG,
  });
  // TLS is terminated by an internal listener the client's bytes are relayed to: closing a
  // Deno TlsConn whose handshake has not finished leaves its socket open for as long as the
  // client stays silent, while closing the relay ends the handshake with an EOF.
  const tlsInternal = tls ? Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...tls }) : undefined;
  // "address:port" of the local end of each raw relay to tlsInternal → who takes its TlsConn.
  const tlsWaiting = new Map<string, (conn: Deno.TlsConn) => void>();
  const unclaimed = new Map<string, { conn: Deno.TlsConn; timer: { cancel(): void } }>();
  // After the bind, which may fail (port in use), so that a failed start leaves nothing open.
  if (speaksHttp) internal = startInternal();
  const clients = new Set<Client>();
  // Relay connections, closed by abort() with the clients.
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
  // Wakes the accept loop when an evicted connection has released its descriptors.
  let released: (() => void) | undefined;
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
    take: (conn: C) => void,
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
      take(conn);
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

  const accepting = acceptLoop(
    () => listener.accept(),
    (conn) => {
      if (clients.size - closingCount >= maxConnections && !evictOne()) return refuse(conn);
      const client: Client = { conn, evictable: true, closing: false, linked: new Set() };
      clients.add(client);
      handle(client).catch((error) => log.debug("connection ended with an error", { error }))
        .finally(() => {
          clients.delete(client);
          if (client.closing) {
            closingCount--;
            released?.();
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
        await new Promise<void>((resolve) => (released = resolve));
        released = undefined;
      }
    },
  );

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
    if (!speaksLegacy) return await owe(relayHttp(client, conn, reader, remote));
    // Sniffing (or legacy only): the request timeout runs from the start of the connection.
    let timedOut = false;
    const deadline = clock.setTimer(options.requestTimeoutMs, () => {
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
    });
    let line: string;
    try {
      for (;;) {
        const ended = !await reader.fill().catch(() => false);
        if (timedOut) return;
        const bytes = reader.bytes;
        const shape = speaksHttp ? httpShape(bytes) : "no";
        if (shape === "http") {
          deadline.cancel();
          return await owe(relayHttp(client, conn, reader, remote, true));
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
   * handshake timeout, then its requests relayed as plain HTTP.
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
      await owe(relayHttp(client, secure, new ConnReader(secure), remote));
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
   * Relays one client connection to the internal server, request by request: each head (and
   * its body) must arrive within the request timeout from its first byte (the first head's
   * from the connection's start unless `started`), a connection with no request in progress
   * is closed after the idle timeout, and errors in a head are answered here (400/408/414/431).
   */
  async function relayHttp(
    client: Client,
    conn: Deno.Conn,
    reader: ConnReader,
    remote: Transport["remote"],
    started = false,
  ): Promise<void> {
    let upstream: Deno.Conn | undefined;
    // Out of descriptors: make room by evicting an idle or slow connection, then try again.
    for (let attempt = 0; !upstream; attempt++) {
      try {
        if (!internal) throw new Error("the internal HTTP server is restarting");
        upstream = await Deno.connect({ hostname: "127.0.0.1", port: internal.addr.port });
      } catch (error) {
        if (attempt < 3 && isDescriptorExhaustion(error) && evictOne()) {
          await pause(BACKOFF_MIN_MS);
          continue;
        }
        limited.warn("cannot reach the internal HTTP server", { error });
        await writeAll(conn, plainResponse(503, "Service unavailable: retry later"));
        return await linger(conn);
      }
    }
    const local = upstream.localAddr as Deno.NetAddr;
    const key = `${local.hostname}:${local.port}`;
    relayConns.add(upstream);
    client.linked.add(upstream);
    let outstanding = 0;
    let wake: (() => void) | undefined;
    relays.set(key, {
      remote,
      responded: () => {
        outstanding = Math.max(0, outstanding - 1);
        wake?.();
      },
    });
    // Responses flow back as they come; when the internal server closes, so does the client.
    const back = copy(upstream, conn).catch(() => {}).finally(() => closeQuietly(conn));
    // One watchdog per connection for its head and idle timeouts, re-armed per request without
    // a timer per request.
    let timedOut: "idle" | "head" | undefined;
    let armed: "idle" | "head" = "head";
    const watchdog = new Watchdog(clock, () => {
      timedOut = armed;
      if (armed === "head" && outstanding === 0 && reader.size > 0) {
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
    try {
      let first = !started;
      for (;;) {
        client.evictable = outstanding === 0 && !client.closing;
        // Idle: nothing buffered, no response owed. Wait for bytes, at most the idle timeout
        // (or, before the first request, the request timeout).
        timedOut = undefined;
        // The first head's time runs from the connection's start; a pipelined one's from now.
        if (first || reader.size > 0) arm("head", options.requestTimeoutMs);
        try {
          let result = parseHead(reader.bytes);
          while (result.kind === "incomplete") {
            if (reader.size === 0 && !first) {
              if (outstanding === 0) arm("idle", idleMs);
              else watchdog.disarm();
            }
            const before = reader.size;
            const more = await waitRead(reader, () => outstanding, (w) => (wake = w), () => {
              if (reader.size === 0 && outstanding === 0) arm("idle", idleMs);
            });
            if (timedOut) return;
            if (!more) {
              // The client is done sending: pass the half-close on; answers still flow back.
              if (reader.size > 0) return;
              await upstream.closeWrite().catch(() => {});
              await back;
              return;
            }
            if (before === 0 && reader.size > 0) {
              client.evictable = !client.closing;
              if (!first) arm("head", options.requestTimeoutMs);
            }
            result = parseHead(reader.bytes);
          }
          if (result.kind === "error") {
            log.info("HTTP request refused", { remote: remote.address, status: result.status });
            if (outstanding === 0) {
              await writeAll(conn, plainResponse(result.status, `${result.reason}`));
              await linger(conn);
            }
            return;
          }
          if (result.head.bodyLength > MAX_RELAYED_BODY && outstanding === 0) {
            // No route takes a body this large: refused before a byte of it is relayed.
            log.info("HTTP request refused", { remote: remote.address, status: 413 });
            await writeAll(conn, plainResponse(413, "Payload too large"));
            return await linger(conn);
          }
          const { head, consumed } = result;
          reader.consume(consumed);
          client.evictable = false;
          outstanding++;
          await writeAll(upstream, head.bytes);
          let body = head.bodyLength;
          while (body > 0) {
            if (reader.size === 0 && !await reader.fill()) return;
            const chunk = reader.bytes.subarray(0, body);
            // The internal server may stop reading (a 413): then so does the relay.
            if (!await writeAll(upstream, chunk, true).then(() => true, () => false)) return;
            reader.consume(chunk.length);
            body -= chunk.length;
          }
          if (head.last) {
            // The rest of the stream (a chunked body) passes on as it comes.
            watchdog.disarm();
            if (reader.size > 0) await writeAll(upstream, reader.bytes);
            reader.consume(reader.size);
            copy(conn, upstream).catch(() => {}).finally(() =>
              upstream.closeWrite().catch(() => {})
            );
            // Deno.serve keeps a connection whose body the app did not read (a 413) open for
            // long after the response: once the response is sent, the relay ends it itself.
            let grace: { cancel(): void } | undefined;
            const answered = new Promise<void>((resolve) => {
              const start = () => (grace ??= clock.setTimer(LAST_RESPONSE_MS, resolve));
              if (outstanding === 0) start();
              else wake = () => outstanding === 0 && start();
            });
            try {
              await Promise.race([back, answered]);
            } finally {
              grace?.cancel();
            }
            return;
          }
        } finally {
          watchdog.disarm();
        }
        first = false;
      }
    } finally {
      watchdog.stop();
      wake = undefined;
      relays.delete(key);
      relayConns.delete(upstream);
      client.linked.delete(upstream);
      closeQuietly(upstream);
      await back;
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
      listener.close();
      tlsInternal?.close();
      for (const done of [...pauses]) done();
      released?.();
      await accepting;
      await acceptingTls;
      for (const { conn, timer } of unclaimed.values()) {
        timer.cancel();
        closeQuietly(conn);
      }
      // Connections with nothing in progress go now; HTTP requests in flight are answered first
      // (the relay closes each client when the internal server closes its side); then whatever
      // is left, such as half-sent legacy lines, is closed.
      for (const client of clients) if (client.evictable) closeQuietly(client.conn);
      await internal?.shutdown();
      await Promise.allSettled([...answering]);
      abort();
      limited.close();
    })();
    return closed;
  };
  const addr = listener.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    maxConnections,
    internalPorts: () => ({
      ...(internal ? { http: internal.addr.port } : {}),
      ...(tlsInternal ? { tls: (tlsInternal.addr as Deno.NetAddr).port } : {}),
    }),
    close,
    abort,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Waits for more bytes from the client while tracking whether a response is still owed: when
 * the last response completes with nothing buffered, `idle` arms the idle timer.
 */
async function waitRead(
  reader: ConnReader,
  outstanding: () => number,
  setWake: (wake: (() => void) | undefined) => void,
  idle: () => void,
): Promise<boolean> {
  if (outstanding() > 0) setWake(() => outstanding() === 0 && idle());
  try {
    return await reader.fill().catch(() => false);
  } finally {
    setWake(undefined);
  }
}

/**
 * A timeout that is re-armed far more often than it fires (each request's head, each idle
 * wait): one clock timer, kept while the deadline only moves later and re-armed for what is
 * left when it fires early. Setting and clearing a timer per request cost a few µs each.
 */
class Watchdog {
  /** When `fire` is due; Infinity while disarmed. */
  #deadline = Infinity;
  /** When the clock timer goes off. */
  #at = Infinity;
  #timer: Timer | undefined;

  constructor(private readonly clock: Clock, private readonly fire: () => void) {}

  /** Fires `ms` from now unless re-armed or disarmed before. */
  arm(ms: number): void {
    const deadline = this.clock.now() + ms;
    this.#deadline = deadline;
    if (this.#timer && this.#at <= deadline) return;
    this.#timer?.cancel();
    this.#set(deadline, ms);
  }

  disarm(): void {
    this.#deadline = Infinity;
  }

  /** Disarms and releases the clock timer. */
  stop(): void {
    this.#deadline = Infinity;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#at = Infinity;
  }

  #set(at: number, ms: number): void {
    this.#at = at;
    this.#timer = this.clock.setTimer(ms, () => {
      this.#timer = undefined;
      this.#at = Infinity;
      if (this.#deadline === Infinity) return;
      const left = this.#deadline - this.clock.now();
      if (left > 0) return this.#set(this.#deadline, left);
      this.#deadline = Infinity;
      this.fire();
    });
  }
}

/** Buffered reads from a connection: the bytes not yet consumed, up to a head and a bit. */
class ConnReader {
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  constructor(private readonly conn: Deno.Conn) {}

  /** The bytes read and not yet consumed. */
  get bytes(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** How many bytes `bytes` holds (without a view of them, which is an allocation). */
  get size(): number {
    return this.#end - this.#start;
  }

  /** Reads more; false at the end of input. */
  async fill(): Promise<boolean> {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      // Grown only as far as a head may be: parseHead refuses beyond it.
      const size = Math.min(this.#buffer.length * 2, MAX_HEAD + 64 * 1024);
      if (size === this.#buffer.length) return true;
      const grown = new Uint8Array(size);
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
    }
    const n = await this.conn.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  consume(n: number): void {
    this.#start += n;
  }
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
