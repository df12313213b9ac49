/**
 * One pdud node of a cluster: the PowerControl the routes see in cluster mode. It owns PDUs
 * through leases (leases.ts), runs the owned ones in the local supervisor (started and stopped
 * through its reload, so the actor core is unchanged), journals their jobs (journal.ts), takes
 * over a dead owner's unfinished jobs, and forwards requests for PDUs owned elsewhere to their
 * owner over NATS request/reply, returning the owner's JobResult unchanged.
 * @module
 */
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import {
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import nodeTls from "node:tls";
import type {
  GroupMember,
  JobResult,
  PduSnapshot,
  PowerControl,
  ReloadReport,
  ShutdownReport,
  SubmitRequest,
  Supervisor,
} from "../actors/mod.ts";
import { type ClusterConfig, collectSecrets, type Config, type Secrets } from "../config/mod.ts";
import {
  type Driver,
  DriverError,
  type Logger,
  type OutletId,
  wrapDriver,
} from "../drivers/mod.ts";
import {
  type AcceptedRecord,
  decodeRecord,
  encodeRecord,
  type JournalRecord,
  recover,
  resumeCommand,
  type StatesRecord,
} from "./journal.ts";
import { isRetryable, Leases } from "./leases.ts";
import { type Names, namesOf, pduFromToken, pduToken } from "./subjects.ts";

/** Hooks for metrics. */
export interface ClusterHooks {
  /** This node became (or stopped being) the owner of `pdu`. */
  onOwnership?: (pdu: string, owned: boolean) => void;
  /** A forwarded request got its answer after `ms`. */
  onForward?: (ms: number) => void;
}

/** Options of startCluster. */
export interface ClusterOptions extends ClusterHooks {
  log: Logger;
  /** How long start-up may wait for JetStream (a cluster electing its leaders), in ms. */
  startTimeoutMs?: number;
  /**
   * How long a PDU's settled records stay in the journal before they are purged (default two
   * leases and 10 s: longer than a forwarding node waits before asking the next owner again).
   */
  journalKeepMs?: number;
  /**
   * How old a PDU's `states` record may grow, with nothing new to record, before its owner
   * writes it again (default 12 h: the stream drops records after 24 h).
   */
  statesRefreshMs?: number;
}

/** A forwarded request as it travels. */
interface Forwarded {
  id: string;
  request: SubmitRequest;
}

/** The owner's answer: the result, or "still running, ask again", or "not mine". */
type ForwardReply = { result: JobResult } | { pending: true } | { retry: string };

/** A PDU's row in `pdud status` and /api/v1/pdus: the snapshot plus its owner node. */
export type ClusterPduSnapshot = PduSnapshot & { owner: string | null };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `attempt` while it fails with a transient error (leader elections), up to `ms`. */
async function retrying<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + ms;
  while (true) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || performance.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

/**
 * Connects to NATS, makes sure the lease bucket and the job stream exist, and returns the node.
 * Call `attach(supervisor)` once the supervisor exists; until then nothing is owned.
 */
export async function startCluster(config: Config, options: ClusterOptions): Promise<ClusterNode> {
  const cluster = config.cluster;
  if (!cluster) throw new TypeError("startCluster needs a config with a cluster section");
  const authenticator = cluster.credentials
    ? credsAuthenticator(await Deno.readFile(cluster.credentials))
    : undefined;
  const { servers, auth } = natsServers(cluster.nats);
  const tls = await natsTls(cluster);
  const nc = await connectGuarded({
    servers,
    name: `pdud-${cluster.name}-${cluster.node}`,
    maxReconnectAttempts: -1,
    // Refused twice in a row (a changed password, a revoked user), nats.js would close the
    // connection for good: the node could not come back once the server accepts it again.
    ignoreAuthErrorAbort: true,
    reconnectTimeWait: 250,
    pingInterval: 1000,
    maxPingOut: 2,
    ...auth,
    ...(authenticator ? { authenticator } : {}),
    ...(tls ? { tls } : {}),
  }).catch((error) => {
    if (tls && !(error instanceof AuthorizationError)) throw tlsFailure(error, cluster);
    if (!(error instanceof AuthorizationError)) throw error;
    throw new AuthorizationError(
      `${error.message}: the NATS server refused ${
        cluster.credentials
          ? `the credentials in ${cluster.credentials}`
          : auth.user !== undefined || auth.token !== undefined
          ? "the user and password (or token) in the URL"
          : "a client without credentials (give a user:password@ in the URL, or credentials)"
      }`,
      { cause: error },
    );
  });
  const unguard = guardStraySocketErrors(options.log);
  try {
    const names = namesOf(cluster.name);
    const replicas = cluster.replicas ?? Math.min(3, cluster.nats.length);
    const ttlMs = cluster.lease_seconds * 1000;
    const waitMs = options.startTimeoutMs ?? 30_000;
    const js = jetstream(nc);
    const kv = await retrying(
      waitMs,
      () => new Kvm(js).create(names.bucket, { ttl: ttlMs, replicas, history: 1 }),
    );
    const jsm = await retrying(waitMs, () => jetstreamManager(nc));
    await retrying(waitMs, async () => {
      try {
        await jsm.streams.info(names.stream);
      } catch (error) {
        if (!/not found/i.test(String(error))) throw error;
        await jsm.streams.add({
          name: names.stream,
          subjects: [names.jobsAll],
          num_replicas: replicas,
          // A backstop only: records are purged per PDU once its jobs are settled.
          max_age: 24 * 3600 * 1_000_000_000,
        });
      }
    });
    return new ClusterNode(config, cluster, {
      nc,
      js,
      jsm,
      kv,
      names,
      ttlMs,
      unguard,
      ...options,
    });
  } catch (error) {
    await nc.close().catch(() => {});
    unguard();
    throw error;
  }
}

/** Servers and the user information their URLs carried, in the options nats.js takes. */
export interface NatsServers {
  /** The URLs without user information. */
  servers: string[];
  auth: { user?: string; pass?: string; token?: string };
}

/**
 * Takes `user:password@` (or `token@`) out of the URLs: nats.js ignores user information in a
 * server URL (it connects without it, and the server refuses it), so it is passed as options.
 * Every URL that carries some must carry the same: the client has one identity for all.
 */
export function natsServers(urls: readonly string[]): NatsServers {
  let auth: NatsServers["auth"] | undefined;
  let from = "";
  const servers = urls.map((url) => {
    const match = /^([a-z]+:\/\/)([^@\s/]*)@(.*)$/i.exec(url);
    if (!match) return url;
    const [, scheme, info, rest] = match as unknown as [string, string, string, string];
    const colon = info.indexOf(":");
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    const these = colon < 0
      ? { token: decode(info) }
      : { user: decode(info.slice(0, colon)), pass: decode(info.slice(colon + 1)) };
    if (auth && JSON.stringify(auth) !== JSON.stringify(these)) {
      throw new TypeError(
        `${scheme}${rest} and ${from} carry different user information; ` +
          "expected the same user:password@ (or none) in every cluster.nats URL",
      );
    }
    auth = these;
    from = `${scheme}${rest}`;
    return `${scheme}${rest}`;
  });
  return { servers, auth: auth ?? {} };
}

/** nats.js's TLS options: the PEM texts of `cluster.tls`. */
export interface NatsTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * The TLS options for `cluster`, or undefined for plain connections. A `tls://` URL or a
 * `cluster.tls` section requires TLS: nats.js then refuses a server that does not offer it,
 * instead of sending credentials in the clear. The files are read here, so an unreadable one
 * is named by its key rather than by nats.js's connection error.
 */
export async function natsTls(cluster: ClusterConfig): Promise<NatsTls | undefined> {
  const section = cluster.tls;
  if (!section && !cluster.nats.some((url) => /^tls:\/\//i.test(url))) return undefined;
  const tls: NatsTls = {};
  const read = async (key: "ca_file" | "cert_file" | "key_file", path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new TypeError(
        `cluster.tls.${key}: cannot read ${path}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  };
  const ca = await read("ca_file", section?.ca_file);
  const cert = await read("cert_file", section?.cert_file);
  const key = await read("key_file", section?.key_file);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
}

/**
 * A failed TLS connection, said in the admin's terms: which check failed and which key to look
 * at. nats.js passes node:tls's error on (wrapped or not); a server that wants a client
 * certificate ends the connection after the handshake (connectGuarded reports its alert, or the
 * EPIPE or close that is all the client sees of it).
 */
function tlsFailure(error: unknown, cluster: ClusterConfig): unknown {
  const text = [error, (error as { cause?: unknown } | undefined)?.cause]
    .map((e) => (e instanceof Error ? `${e.message} ${(e as { code?: unknown }).code ?? ""}` : ""))
    .join(" ");
  const ca = cluster.tls?.ca_file;
  let hint: string | undefined;
  if (/certificate|self[- ]signed|issuer|UNABLE_TO|CERT_|unknown ca|verify/i.test(text)) {
    hint = /unknown ca|certificate required|bad certificate|alert/i.test(text)
      ? "the NATS server refused this node's client certificate " +
        (cluster.tls?.cert_file
          ? `(${cluster.tls.cert_file})`
          : "(none was given: set cluster.tls.cert_file and key_file)")
      : `the NATS server's certificate could not be verified ${
        ca ? `with cluster.tls.ca_file (${ca})` : "with the system's CAs (set cluster.tls.ca_file)"
      }`;
  } else if (!cluster.tls?.cert_file && /EPIPE|ECONNRESET|closed|timeout/i.test(text)) {
    hint = "the NATS server ended the connection after the TLS handshake; if it verifies " +
      "clients (tls { verify: true }), set cluster.tls.cert_file and key_file";
  }
  if (!hint) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`TLS: ${message || "connection closed"}: ${hint}`, { cause: error });
}

/** Errors Deno's node:net emits on a socket nats.js has let go of (below). */
const STRAY_SOCKET_ERROR = /ECONNRESET|EPIPE/;

/** A TLS alert from the server on such a socket (node:tls codes: ERR_SSL_…_ALERT_…). */
const STRAY_TLS_ERROR = /^ERR_SSL_/;

/** What an uncaught error event is, when it is one of those: a reset or broken pipe, or a TLS alert. */
function strayKind(event: ErrorEvent): "socket" | "tls" | undefined {
  const code = (event.error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return undefined;
  return STRAY_SOCKET_ERROR.test(code) ? "socket" : STRAY_TLS_ERROR.test(code) ? "tls" : undefined;
}

/**
 * `connect`, minus a crash and a hang. When the server refuses the client it closes the socket,
 * but nats.js has already removed the socket's listeners: Deno's node:net then emits the error
 * to nobody, which would end the process. After an authorization refusal that is a reset,
 * after connect has rejected with the real reason; when a server that verifies clients rejects
 * this one's certificate (TLS 1.3 finishes the client's side of the handshake first) it is the
 * server's alert, and connect would only time out 20 s later. Such errors, uncaught while
 * connecting and for a second after a failure, are swallowed; a TLS alert fails the connect.
 */
async function connectGuarded(options: Parameters<typeof connect>[0]): Promise<NatsConnection> {
  let alerted: (error: unknown) => void = () => {};
  const alert = new Promise<never>((_, reject) => (alerted = reject));
  const guard = (event: ErrorEvent) => {
    const kind = strayKind(event);
    if (kind === "socket") event.preventDefault();
    else if (kind === "tls" && options?.tls) {
      event.preventDefault();
      alerted(event.error);
    }
  };
  globalThis.addEventListener("error", guard);
  const unwatch = options?.tls ? watchTls(alerted) : () => {};
  const attempt = connect(options);
  try {
    const nc = await Promise.race([attempt, alert]);
    globalThis.removeEventListener("error", guard);
    return nc;
  } catch (error) {
    // After an alert the attempt ends by itself (nats.js's timeout); should it connect, close it.
    attempt.then((nc) => nc.close(), () => {});
    if (error instanceof AuthorizationError || options?.tls) {
      Deno.unrefTimer(setTimeout(() => globalThis.removeEventListener("error", guard), 1000));
    } else {
      globalThis.removeEventListener("error", guard);
    }
    throw error;
  } finally {
    unwatch();
  }
}

/** How often a stray socket error is logged at most (the rest are counted). */
const STRAY_LOG_EVERY_MS = 10_000;

/**
 * Until the returned function is called, swallows the stray socket errors connectGuarded
 * swallows during the first connect (resets, broken pipes, TLS alerts), for the life of the
 * connection: nats.js reconnects forever, and a server that refuses this node on a reconnect
 * (its password changed, its certificate revoked) resets the socket after nats.js has let go of
 * it, which would end the process and every PDU's queue with it. The node keeps running and
 * drops the PDUs whose leases it cannot renew. Any other uncaught error still ends the process.
 * Logged at most once per STRAY_LOG_EVERY_MS, by code only (no URL, no credentials).
 */
function guardStraySocketErrors(log: Logger): () => void {
  let lastLogged = -Infinity;
  let unlogged = 0;
  const guard = (event: ErrorEvent) => {
    if (strayKind(event) === undefined) return;
    const code = (event.error as { code: string }).code;
    event.preventDefault();
    unlogged++;
    const now = performance.now();
    if (now - lastLogged < STRAY_LOG_EVERY_MS) return;
    lastLogged = now;
    log.warn("NATS server closed a connection this node had given up (refused on reconnect?)", {
      code,
      count: unlogged,
    });
    unlogged = 0;
  };
  globalThis.addEventListener("error", guard);
  return () => globalThis.removeEventListener("error", guard);
}

/**
 * Until the returned function is called, reports an error or a close of the TLS sockets nats.js
 * opens. When the server's alert comes after nats.js has put its own listeners back, they take
 * it, and nats.js does not end the dial: only its connect timeout would (20 s). nats.js's
 * transport is not exported, so its `node:tls` connect is wrapped for the time of one `connect`; each socket's `emit` is watched,
 * as nats.js removes every listener of the socket once the handshake is done.
 */
function watchTls(alerted: (error: unknown) => void): () => void {
  const original = nodeTls.connect;
  const wrapped = ((...args: Parameters<typeof nodeTls.connect>) => {
    const socket = original(...args);
    const emit = socket.emit;
    socket.emit = function (this: typeof socket, event: string | symbol, ...rest: unknown[]) {
      // Any error, or the server closing the socket (it may send its alert as the client writes
      // CONNECT: then the client sees EPIPE), ends this attempt. A refused login (-ERR, then
      // close) has already failed the connect with its own error by then.
      if (event === "error") alerted(rest[0]);
      else if (event === "close") alerted(new Error("the NATS server closed the TLS connection"));
      return (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(
        this,
        event,
        ...rest,
      );
    } as typeof socket.emit;
    return socket;
  }) as typeof nodeTls.connect;
  (nodeTls as { connect: typeof nodeTls.connect }).connect = wrapped;
  return () => {
    if (nodeTls.connect === wrapped) {
      (nodeTls as { connect: typeof nodeTls.connect }).connect = original;
    }
  };
}

/** This node of the cluster. */
export class ClusterNode implements PowerControl {
  readonly node: string;
  #config: Config;
  /** The whole config's secret values, handed to the supervisor at each change of PDUs. */
  #secrets: Secrets;
  readonly #cluster: ClusterConfig;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #journalKeepMs: number;
  readonly #statesRefreshMs: number;
  /**
   * Per owned PDU: jobs not settled, the last record's sequence, a point up to which every job
   * had settled (purged once it is older than journalKeepMs): the journal stays bounded; the
   * sequence of the last `states` record written (nothing newer: nothing to purge), and the
   * wall-clock time of the newest record known (to write the states again before the stream's
   * max_age drops them).
   */
  #books = new Map<
    string,
    {
      pending: number;
      lastSeq: number;
      mark?: { seq: number; at: number };
      statesSeq?: number;
      newestAt?: number;
    }
  >();
  readonly #kv: KV;
  readonly #names: Names;
  readonly #leases: Leases;
  readonly #log: Logger;
  readonly #hooks: ClusterHooks;
  readonly #ttlMs: number;
  #supervisor: Supervisor | undefined;
  /** PDUs owned and taken over: their slots run here and their subject is subscribed. */
  #ready = new Map<string, { epoch: number; sub: Subscription }>();
  /** PDUs being taken over right now. */
  #taking = new Set<string>();
  /** Jobs by cluster-wide id: running here, or settled (kept for forwarded retries). */
  #jobs = new Map<string, Promise<JobResult>>();
  #settledOrder: string[] = [];
  /** Per PDU: the last admission, so journal order = mailbox order. */
  #tails = new Map<string, Promise<unknown>>();
  /** Owners as the bucket's watcher last saw them (for status and to skip held keys). */
  #owners = new Map<string, { node: string; at: number }>();
  #counter = 0;
  /** Ids must not repeat across restarts of a node: a successor may know the old ones. */
  readonly #incarnation = crypto.randomUUID().slice(0, 8);
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #ticking = false;
  #purging = false;
  #stopping = false;
  readonly #unguard: () => void;
  /** Since when the NATS connection is down (performance.now()), while it is. */
  #cutOffSince: number | undefined;
  /** Server errors (refusals) since the connection went down. */
  #refusals = 0;
  #watch: { stop(): void } | undefined;

  /**
   * @param config the whole config (every PDU of the cluster)
   * @param cluster its cluster section
   * @param parts the connection, its bucket and stream, and hooks
   */
  constructor(
    config: Config,
    cluster: ClusterConfig,
    parts: {
      nc: NatsConnection;
      js: JetStreamClient;
      jsm: JetStreamManager;
      kv: KV;
      names: Names;
      ttlMs: number;
      log: Logger;
      journalKeepMs?: number;
      statesRefreshMs?: number;
      /** Removes the guard against stray socket errors (guardStraySocketErrors). */
      unguard?: () => void;
    } & ClusterHooks,
  ) {
    this.#config = config;
    this.#secrets = collectSecrets(config, (name) => Deno.env.get(name));
    this.#cluster = cluster;
    this.node = cluster.node;
    this.#nc = parts.nc;
    this.#js = parts.js;
    this.#jsm = parts.jsm;
    this.#journalKeepMs = parts.journalKeepMs ?? 2 * parts.ttlMs + 10_000;
    this.#statesRefreshMs = parts.statesRefreshMs ?? 12 * 3600_000;
    this.#kv = parts.kv;
    this.#names = parts.names;
    this.#ttlMs = parts.ttlMs;
    this.#log = parts.log;
    this.#hooks = { ...parts };
    this.#leases = new Leases(parts.kv, { node: cluster.node, ttlMs: parts.ttlMs });
    this.#unguard = parts.unguard ?? (() => {});
  }

  /** The config the local supervisor starts with: no PDU until a lease is held. */
  localConfig(config: Config = this.#config): Config {
    return { ...config, pdus: {} };
  }

  /**
   * Fencing: before every device operation the lease the driver was created under is checked
   * (its epoch travels with the driver); a switch is journaled before it starts (write-ahead:
   * a new owner knows it may have run).
   */
  readonly wrapDriver = (pdu: string, driver: Driver): Driver => {
    const key = pduToken(pdu);
    // The slot starts when the PDU is taken over, so its lease's epoch is the take-over's (a
    // renewal late under load must not leave the driver with no epoch).
    const epoch = this.#ready.get(pdu)?.epoch ?? this.#leases.held(key)?.epoch ?? -1;
    const check = () => {
      if (this.#leases.held(key, epoch) === undefined) {
        throw new DriverError(
          "unreachable",
          `node ${this.node} no longer holds the lease of "${pdu}" (epoch ${epoch}); not run`,
          { permanent: true },
        );
      }
    };
    const journaled = async (outlet: OutletId, state: "on" | "off") => {
      check();
      const at = Date.now();
      const record = {
        t: "op",
        pdu,
        outlet: String(outlet),
        op: state,
        node: this.node,
        epoch,
        at,
      };
      try {
        await this.#append(pdu, record as JournalRecord);
      } catch (error) {
        // Not run: without its record a new owner could not know it may have run.
        throw new DriverError(
          "unreachable",
          `cannot record the operation in the cluster journal, not run: ${message(error)}`,
          { permanent: true, cause: error },
        );
      }
      check();
    };
    const fenced = wrapDriver(driver, async (outlet, run) => {
      if (outlet !== undefined) check(); // close and listOutlets' bookkeeping aside
      return await run();
    });
    // Done, once the driver returned: a new owner then knows a reboot's off has happened.
    // Awaited, so that a node killed after an operation answered leaves it on record; a write
    // that fails only costs the successor an idempotent repetition.
    const done = async (outlet: OutletId, state: "on" | "off") => {
      const record = { t: "op", pdu, outlet: String(outlet), op: state, node: this.node, epoch };
      await this.#append(pdu, { ...record, at: Date.now(), done: true } as JournalRecord)
        .catch(() => {});
    };
    fenced.setOutlet = async (outlet, state, options) => {
      await journaled(outlet, state);
      await driver.setOutlet(outlet, state, options);
      await done(outlet, state);
    };
    if (driver.setNamedOutlet) {
      fenced.setNamedOutlet = async (name, state, options) => {
        await journaled(name, state);
        await driver.setNamedOutlet!(name, state, options);
        await done(name, state);
      };
    }
    if (driver.listOutlets) {
      fenced.listOutlets = (options) => {
        check();
        return driver.listOutlets!(options);
      };
    }
    return fenced;
  };

  /** Starts owning PDUs into `supervisor` (created with localConfig() and wrapDriver). */
  attach(supervisor: Supervisor): void {
    this.#supervisor = supervisor;
    void this.#startWatch();
    void this.#watchStatus();
    const every = this.#leases.renewEveryMs;
    const tick = () =>
      this.#tick().catch((error) => this.#log.error("cluster round failed", { error }));
    this.#timer = setInterval(tick, every);
    void tick();
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Whether this node owns `pdu` and has taken it over (its jobs run here). */
  owns(pdu: string): boolean {
    return this.#ready.has(pdu) && this.#leases.held(pduToken(pdu)) !== undefined;
  }

  /** The owner of `pdu` as this node knows it. */
  ownerOf(pdu: string): string | null {
    if (this.owns(pdu)) return this.node;
    const seen = this.#owners.get(pdu);
    return seen && Date.now() - seen.at < this.#ttlMs ? seen.node : null;
  }

  submit(request: SubmitRequest): Promise<JobResult> {
    const supervisor = this.#supervisor!;
    const pdu = request.pdu;
    if (this.#stopping || !Object.hasOwn(this.#config.pdus, pdu)) {
      return supervisor.submit(request); // refused there: shutting down, or unknown PDU
    }
    if (this.owns(pdu)) return this.#admit(this.#newId(), request);
    return this.#forward(request);
  }

  #newId(): string {
    return `${this.node}-${this.#incarnation}-${(++this.#counter).toString(36)}`;
  }

  /** Runs a job here as owner: journaled before the actor sees it, its result before the answer. */
  #admit(id: string, request: SubmitRequest): Promise<JobResult> {
    const known = this.#jobs.get(id);
    if (known) return known;
    const pdu = request.pdu;
    const held = this.#ready.get(pdu)!;
    const record: AcceptedRecord = {
      t: "accepted",
      id,
      pdu,
      command: request.command,
      ...(request.requester ? { requester: request.requester } : {}),
      node: this.node,
      epoch: held.epoch,
      at: Date.now(),
    };
    // Published now, in call order; the supervisor sees jobs in the same order once each
    // record is acknowledged.
    const ack = this.#append(pdu, record);
    // Observed now: it may fail before the jobs ahead of it settle (the chain reads it then).
    ack.catch(() => {});
    const admitted = (this.#tails.get(pdu) ?? Promise.resolve()).then(() => ack).then(
      () => this.#supervisor!.submit(request),
      (error): JobResult => ({
        status: "refused",
        pdu,
        kind: "cluster_unavailable",
        reason: `cannot record the job in the cluster journal, not run: ${message(error)}`,
      }),
    );
    this.#tails.set(pdu, admitted.catch(() => {}));
    const book = this.#book(pdu);
    book.pending++;
    const result = admitted.then(async (result) => {
      await this.#settle(id, pdu, held.epoch, result);
      return result;
    }).finally(() => book.pending--);
    this.#remember(id, result);
    return result;
  }

  async #settle(id: string, pdu: string, epoch: number, result: JobResult): Promise<void> {
    // A node that lost the lease writes nothing: the new owner decides about the job.
    if (this.#leases.held(pduToken(pdu), epoch) === undefined) return;
    await this.#append(pdu, { t: "settled", id, pdu, result, node: this.node, at: Date.now() })
      .catch((error) => this.#log.warn("cannot record a job's result", { pdu, job: id, error }));
  }

  #remember(id: string, result: Promise<JobResult>): void {
    this.#jobs.set(id, result);
    this.#settledOrder.push(id);
    if (this.#settledOrder.length > 20_000) {
      for (const old of this.#settledOrder.splice(0, 10_000)) this.#jobs.delete(old);
    }
  }

  async #append(pdu: string, record: JournalRecord): Promise<number> {
    const ack = await this.#js.publish(this.#names.jobs(pdu), encodeRecord(record), {
      timeout: 5000,
    });
    const book = this.#books.get(pdu);
    if (book) {
      book.lastSeq = Math.max(book.lastSeq, ack.seq);
      book.newestAt = Math.max(book.newestAt ?? 0, record.at);
    }
    return ack.seq;
  }

  #book(pdu: string) {
    let book = this.#books.get(pdu);
    if (!book) this.#books.set(pdu, book = { pending: 0, lastSeq: 0 });
    return book;
  }

  /** Purges the records of jobs all settled long enough ago, for each PDU owned. */
  async #purge(): Promise<void> {
    const now = performance.now();
    for (const pdu of this.#ready.keys()) {
      const book = this.#book(pdu);
      const due = book.mark && now - book.mark.at >= this.#journalKeepMs;
      // Nothing new since the last states record (every job settled long ago), but it nears
      // the stream's max_age: written again, and everything older purged.
      const stale = !book.mark && book.pending === 0 &&
        book.lastSeq <= (book.statesSeq ?? 0) && book.newestAt !== undefined &&
        Date.now() - book.newestAt >= this.#statesRefreshMs;
      if (due || stale) {
        const record = this.#states(pdu);
        if (!due && Object.keys(record.outlets).length === 0) continue;
        // The purged switches' outcome first: the last state of each outlet outlives them.
        const states = await this.#append(pdu, record).catch((error) => {
          this.#log.debug("cannot record the outlet states; journal not purged", { pdu, error });
          return undefined;
        });
        if (states === undefined) continue;
        book.statesSeq = states;
        book.newestAt = record.at;
        const seq = book.mark ? book.mark.seq + 1 : states;
        delete book.mark;
        await this.#jsm.streams.purge(this.#names.stream, { filter: this.#names.jobs(pdu), seq })
          .catch((error) => this.#log.debug("cannot purge the journal", { pdu, error }));
      }
      if (
        !book.mark && book.pending === 0 && book.lastSeq > 0 &&
        book.lastSeq > (book.statesSeq ?? 0)
      ) {
        book.mark = { seq: book.lastSeq, at: now };
      }
    }
  }

  /** The last state set on each outlet of `pdu` as the local actor remembers it. */
  #states(pdu: string): StatesRecord {
    const here = this.#supervisor?.snapshot().find((p) => p.name === pdu);
    const outlets = Object.fromEntries(
      Object.entries(here?.outlets ?? {}).map(([outlet, v]) => [
        outlet,
        { state: v.state, at: Date.parse(v.at) },
      ]),
    );
    return { t: "states", pdu, outlets, node: this.node, at: Date.now() };
  }

  /**
   * Forwards to the owner (whoever subscribes to the PDU's subject). The owner answers with the
   * result, or "pending" every half lease while the job runs; the same id goes again after a
   * silence (the owner died: its successor knows the id from the journal), so the job runs
   * once. Silence longer than two leases and a few seconds is answered as failed.
   */
  async #forward(request: SubmitRequest): Promise<JobResult> {
    const id = this.#newId();
    const started = performance.now();
    const payload = encoder.encode(JSON.stringify({ id, request } satisfies Forwarded));
    const silenceMs = 2 * this.#ttlMs + 5000;
    let heard = started;
    while (true) {
      if (this.owns(request.pdu)) return this.#admit(id, request);
      // Cut off from NATS for a lease or more, this node owns nothing and can reach no owner:
      // refuse now (503) rather than leave the client waiting for the silence to run out.
      if (
        this.#cutOffSince !== undefined && performance.now() - this.#cutOffSince >= this.#ttlMs
      ) {
        return {
          status: "refused",
          pdu: request.pdu,
          kind: "cluster_unavailable",
          reason: `this node has lost its connection to NATS (cluster "${this.#cluster.name}") ` +
            `for ${Math.round((performance.now() - this.#cutOffSince) / 1000)} s` +
            (this.#refusals > 0 ? `; the NATS server refuses it (${this.#refusals} times)` : "") +
            `: it cannot reach the owner of "${request.pdu}"`,
        };
      }
      try {
        const reply = await this.#nc.request(this.#names.submit(request.pdu), payload, {
          timeout: Math.max(1000, this.#ttlMs),
        });
        const answer = JSON.parse(decoder.decode(reply.data)) as ForwardReply;
        if ("result" in answer) {
          this.#hooks.onForward?.(performance.now() - started);
          return answer.result;
        }
        if ("pending" in answer) {
          heard = performance.now();
          continue;
        }
      } catch {
        // No responders (no owner yet) or a timeout (the owner died): ask again.
      }
      if (this.#stopping) {
        return {
          status: "failed",
          jobId: id,
          pdu: request.pdu,
          kind: "shutdown",
          reason: `pdud is shutting down while waiting for the owner of "${request.pdu}"; ` +
            `the job may still run there`,
        };
      }
      if (performance.now() - heard > silenceMs) {
        return {
          status: "failed",
          jobId: id,
          pdu: request.pdu,
          kind: "timeout",
          reason: `no node of cluster "${this.#cluster.name}" answered for "${request.pdu}" ` +
            `within ${Math.round(silenceMs / 1000)} s; the job may still run`,
        };
      }
      await sleep(100);
    }
  }

  /** Answers one forwarded request as owner. */
  async #answer(pdu: string, data: Uint8Array, respond: (reply: ForwardReply) => void) {
    let forwarded: Forwarded;
    try {
      forwarded = JSON.parse(decoder.decode(data)) as Forwarded;
    } catch {
      return respond({ retry: "bad request" });
    }
    if (forwarded.request?.pdu !== pdu || this.#stopping || !this.owns(pdu)) {
      return respond({ retry: "not the owner" });
    }
    const result = this.#admit(forwarded.id, forwarded.request);
    const hold = new Promise<"pending">((resolve) => {
      const timer = setTimeout(() => resolve("pending"), Math.max(250, this.#ttlMs / 2));
      result.finally(() => clearTimeout(timer));
    });
    const first = await Promise.race([result, hold]);
    respond(first === "pending" ? { pending: true } : { result: first });
  }

  /** One round: renew what is held, let go of what lapsed, try to take what has no owner. */
  async #tick(): Promise<void> {
    // Renewals go on while stopping: the supervisor may still be finishing operations.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      this.#ticks++;
      await Promise.all([...this.#ready.keys()].map(async (pdu) => {
        const ok = await this.#leases.renew(pduToken(pdu)).catch(() => false);
        if (!ok && this.#leases.held(pduToken(pdu)) === undefined) this.#drop(pdu, "lease lost");
      }));
      for (const key of this.#leases.expired()) {
        const pdu = pduFromToken(key);
        if (pdu !== undefined) this.#drop(pdu, "lease ran out without renewal");
      }
      if (this.#stopping) return;
      const local = new Set(this.#supervisor?.snapshot().map((p) => p.name));
      const candidates = Object.values(this.#config.pdus).filter((pdu) =>
        this.#mayTake(pdu.name, local) &&
        // The watcher's view skips keys that are held; every tenth round asks anyway.
        (this.#ticks % 10 === 0 || this.ownerOf(pdu.name) === null)
      );
      // Not awaited: a long journal read must not hold up the next round's renewals.
      for (const pdu of candidates) void this.#take(pdu.name);
      if (!this.#purging) {
        this.#purging = true;
        void this.#purge().catch((error) => this.#log.warn("journal purge failed", { error }))
          .finally(() => this.#purging = false);
      }
    } finally {
      this.#ticking = false;
    }
  }

  /** Whether this node may try to take `pdu` now (`local`: PDUs the supervisor still runs). */
  #mayTake(pdu: string, local: Set<string>): boolean {
    const config = this.#config.pdus[pdu];
    return config !== undefined && !this.#stopping && this.#supervisor !== undefined &&
      !this.#ready.has(pdu) && !this.#taking.has(pdu) && !local.has(pdu) &&
      (config.nodes === undefined || config.nodes.includes(this.node));
  }

  /** Acquires `pdu`'s lease and takes it over: unfinished jobs first, then new requests. */
  async #take(pdu: string): Promise<void> {
    this.#taking.add(pdu);
    try {
      const held = await this.#leases.acquire(pduToken(pdu)).catch((error) => {
        if (!isRetryable(error)) this.#log.warn("cannot acquire a lease", { pdu, error });
        return undefined;
      });
      if (!held) return;
      if (this.#stopping) return await this.#leases.release(pduToken(pdu));
      const records = await this.#read(pdu);
      const { unfinished, settled, outlets } = recover(records);
      if (records.length > 0) {
        this.#book(pdu).newestAt = records.reduce((newest, r) => Math.max(newest, r.at), 0);
      }
      for (const [id, result] of settled) this.#remember(id, Promise.resolve(result));
      this.#ready.set(pdu, { epoch: held.epoch, sub: this.#subscribe(pdu) });
      this.#applyLocal();
      // What any owner set last (the shared journal's), before any resumed job sets more.
      if (outlets.size > 0) this.#supervisor!.restoreOutlets(pdu, outlets);
      this.#log.info("PDU owned", {
        pdu,
        node: this.node,
        epoch: held.epoch,
        unfinished: unfinished.length,
      });
      this.#hooks.onOwnership?.(pdu, true);
      const now = Date.now();
      for (const job of unfinished) {
        const command = resumeCommand(job, now);
        this.#log.info("taking over an unfinished job", {
          pdu,
          job: job.accepted.id,
          from: job.accepted.node,
          command: command.type,
        });
        this.#resume(job.accepted, command);
      }
    } catch (error) {
      this.#log.warn("cannot take over a PDU", { pdu, error });
      const ready = this.#ready.get(pdu);
      if (ready) this.#drop(pdu, "take-over failed");
      else await this.#leases.release(pduToken(pdu));
    } finally {
      this.#taking.delete(pdu);
    }
  }

  /** Runs a dead owner's job here, under its original id, without a second accepted record. */
  #resume(accepted: AcceptedRecord, command: AcceptedRecord["command"]): void {
    const pdu = accepted.pdu;
    const epoch = this.#ready.get(pdu)!.epoch;
    const request: SubmitRequest = {
      pdu,
      command,
      ...(accepted.requester ? { requester: accepted.requester } : {}),
    };
    const admitted = (this.#tails.get(pdu) ?? Promise.resolve()).then(() =>
      this.#supervisor!.submit(request)
    );
    this.#tails.set(pdu, admitted.catch(() => {}));
    const book = this.#book(pdu);
    book.pending++;
    this.#remember(
      accepted.id,
      admitted.then(async (result) => {
        await this.#settle(accepted.id, pdu, epoch, result);
        return result;
      }).finally(() => book.pending--),
    );
  }

  /** Every record of `pdu`, in stream order. */
  async #read(pdu: string): Promise<JournalRecord[]> {
    const consumer = await this.#js.consumers.get(this.#names.stream, {
      // A string, not an array: nats-server 2.9 knows only the single filter_subject.
      filter_subjects: this.#names.jobs(pdu),
    });
    const records: JournalRecord[] = [];
    let pending = (await consumer.info()).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        const record = decodeRecord(m.data);
        if (record) records.push(record);
        pending = m.info.pending;
        if (pending === 0) break;
      }
      if (got === 0) throw new Error(`the journal of "${pdu}" stopped answering`);
    }
    return records;
  }

  #subscribe(pdu: string): Subscription {
    return this.#nc.subscribe(this.#names.submit(pdu), {
      callback: (error, msg) => {
        if (error) return;
        // A reply that cannot go out (the connection closed) is the forwarder's silence: it asks
        // again; nothing here may reject unobserved.
        this.#answer(pdu, msg.data, (reply) => {
          msg.respond(encoder.encode(JSON.stringify(reply)));
        }).catch((error) => this.#log.debug("cannot answer a forwarded request", { pdu, error }));
      },
    });
  }

  /** Stops owning `pdu` here: its actor stops (fenced operations fail at once) and drains. */
  #drop(pdu: string, why: string): void {
    const ready = this.#ready.get(pdu);
    if (!ready) return;
    this.#ready.delete(pdu);
    this.#books.delete(pdu);
    this.#leases.forget(pduToken(pdu));
    ready.sub.unsubscribe();
    this.#applyLocal();
    this.#log.warn("PDU no longer owned", { pdu, node: this.node, reason: why });
    this.#hooks.onOwnership?.(pdu, false);
  }

  /** The local supervisor runs exactly the PDUs this node has taken over. */
  #applyLocal(): void {
    if (!this.#supervisor || this.#supervisor.stopping) return;
    const pdus = Object.fromEntries(
      Object.entries(this.#config.pdus).filter(([name]) => this.#ready.has(name)),
    );
    this.#supervisor.reload({ ...this.#config, pdus }, { secrets: this.#secrets });
  }

  async #startWatch(): Promise<void> {
    try {
      const watch = await this.#kv.watch({ key: ">" });
      this.#watch = watch;
      for await (const entry of watch) {
        const pdu = pduFromToken(entry.key);
        if (pdu === undefined) continue;
        if (entry.operation === "PUT") {
          this.#owners.set(pdu, { node: entry.string(), at: entry.created.getTime() });
        } else {
          this.#owners.delete(pdu);
          // Released (an owner stopped): take it at once rather than at the next round.
          const local = new Set(this.#supervisor?.snapshot().map((p) => p.name));
          if (this.#mayTake(pdu, local)) void this.#take(pdu);
        }
      }
    } catch (error) {
      if (!this.#stopping) this.#log.warn("the lease watcher stopped", { error });
    }
  }

  /**
   * Follows the connection: while it is down the node cannot reach any owner, and a server that
   * refuses it on each reconnect (a changed password, a revoked certificate) is said in the log:
   * the first refusal at warn, then each at debug with its count. nats.js's errors name the
   * server's reason, never the credentials.
   */
  async #watchStatus(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect") {
        this.#cutOffSince ??= performance.now();
      } else if (status.type === "reconnect") {
        if (this.#refusals > 0) {
          this.#log.info("NATS accepts this node again", { refusals: this.#refusals });
        }
        this.#cutOffSince = undefined;
        this.#refusals = 0;
      } else if (status.type === "error" && status.error instanceof AuthorizationError) {
        // The server says why before it closes the connection (the disconnect comes next).
        this.#cutOffSince ??= performance.now();
        this.#refusals++;
        const level = this.#refusals === 1 ? "warn" : "debug";
        this.#log[level]("the NATS server refused this node on reconnect", {
          error: message(status.error),
          refusals: this.#refusals,
        });
      }
    }
  }

  resolveAlias(alias: string): { pdu: string; outlet: OutletId } | undefined {
    return this.#supervisor!.resolveAlias(alias);
  }

  resolveGroup(group: string): { pdu: string; outlets: number[] } | undefined {
    return this.#supervisor!.resolveGroup(group);
  }

  resolveGroupMembers(group: string): readonly GroupMember[] | undefined {
    return this.#supervisor!.resolveGroupMembers(group);
  }

  listGroups(): { name: string; members: readonly GroupMember[] }[] {
    return this.#supervisor!.listGroups();
  }

  listAliases(): { name: string; pdu: string; outlet: OutletId }[] {
    return this.#supervisor!.listAliases();
  }

  /** Every PDU of the cluster: those run here as the supervisor sees them, the others by owner. */
  snapshot(): ClusterPduSnapshot[] {
    const local = new Map(this.#supervisor!.snapshot().map((p) => [p.name, p]));
    return Object.values(this.#config.pdus).map((pdu) => {
      const here = local.get(pdu.name);
      if (here && this.owns(pdu.name)) return { ...here, owner: this.node };
      const owner = this.ownerOf(pdu.name);
      return {
        name: pdu.name,
        driver: pdu.driver,
        state: owner ? "idle" : "unavailable",
        slot: "running",
        queueDepth: 0,
        queueLimit: pdu.queue_limit,
        restarts: 0,
        lastError: owner ? null : "no node owns this PDU right now",
        outlets: {},
        outletRange: null,
        owner,
      } satisfies ClusterPduSnapshot;
    });
  }

  reload(config: Config, options: { secrets?: Secrets } = {}): ReloadReport {
    const before = this.#config;
    this.#config = config;
    this.#secrets = options.secrets ?? collectSecrets(config, (name) => Deno.env.get(name));
    for (const pdu of this.#ready.keys()) {
      const now = config.pdus[pdu];
      if (!now || (now.nodes !== undefined && !now.nodes.includes(this.node))) {
        // Not released: the lease runs out on its own, after any operation still in flight
        // here has ended (bounded by the lease margin, as for a lost lease).
        this.#drop(pdu, "removed from this node by reload");
      }
    }
    const pdus = Object.fromEntries(
      Object.entries(config.pdus).filter(([name]) => this.#ready.has(name)),
    );
    this.#supervisor!.reload({ ...config, pdus }, { secrets: this.#secrets });
    const names = (c: Config) => new Set(Object.keys(c.pdus));
    const old = names(before);
    const next = names(config);
    return {
      added: [...next].filter((n) => !old.has(n)),
      removed: [...old].filter((n) => !next.has(n)),
      changed: [...next].filter((n) =>
        old.has(n) && JSON.stringify(before.pdus[n]!.raw) !== JSON.stringify(config.pdus[n]!.raw)
      ),
    };
  }

  /**
   * Stops taking requests for owned PDUs, lets the supervisor finish (its results are
   * journaled while the leases are still held), then releases the leases so other nodes take
   * over at once, and closes the connection.
   */
  async shutdown(options: { graceMs?: number } = {}): Promise<ShutdownReport> {
    this.#stopping = true;
    for (const { sub } of this.#ready.values()) sub.unsubscribe();
    const report = await this.#supervisor!.shutdown(options);
    await Promise.allSettled([...this.#jobs.values()]);
    clearInterval(this.#timer);
    while (this.#ticking || this.#taking.size > 0) await sleep(20);
    await Promise.all([...this.#ready.keys()].map((pdu) => this.#leases.release(pduToken(pdu))));
    this.#ready.clear();
    this.#watch?.stop();
    await this.#nc.drain().catch(() => this.#nc.close());
    // Its sockets may still report their end after the drain.
    Deno.unrefTimer(setTimeout(this.#unguard, 1000));
    return report;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ graceMs: 0 });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
