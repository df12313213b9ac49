/**
 * The daemon assembled: supervisor, app and listeners, started in OTP order (actors, then
 * listeners) and stopped in reverse; metrics, audit log and access control wired in.
 * @module
 */
import {
  type Clock,
  createSupervisor,
  EventHub,
  type EventHubOptions,
  isRead,
  type ReloadReport,
  type ShutdownReport,
  ShuttingDownError,
  sleep,
  type Supervisor,
  type SupervisorOptions,
  SYSTEM_CLOCK,
} from "../actors/mod.ts";
import {
  collectSecrets,
  type Config,
  ConfigError,
  pluginChanges,
  pluginLookup,
  type Secrets,
} from "../config/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import type { ClusterNode } from "../cluster/mod.ts";
import { AccessControl, createApp, JobStore } from "../routes/mod.ts";
import {
  AuditLog,
  auditRecord,
  checkpointRecords,
  type OutletStates,
  readLastStates,
  setRecord,
} from "./audit.ts";
import { type Listeners, startListeners } from "./listener.ts";
import { Metrics } from "./metrics.ts";
import {
  assertStartable,
  changedDaemonKeys,
  listenError,
  type ListenOverrides,
  preflight,
  restartNeeded,
} from "./preflight.ts";

/** How long answered clients get to read their replies after the actors have stopped. */
const FLUSH_MS = 2000;

/** Options of startDaemon. */
export interface DaemonOptions {
  log: Logger;
  clock?: Clock;
  /** Overrides of the config's daemon section (the command line; tests bind 127.0.0.1:0). */
  listen?: ListenOverrides;
  /** Passed to the supervisor. */
  supervisor?: Partial<SupervisorOptions>;
  /**
   * Reads the config again, for SIGHUP and the API's reload (absent for the demo config); given
   * `env`, so a PDU's `<secret>_env` keys resolve as the start's did (loadConfig's `env`).
   */
  readConfig?: (env: (name: string) => string | undefined) => Promise<Config>;
  /** Environment lookup for token secrets and, on reload, a PDU's `<secret>_env` keys. */
  env?: (name: string) => string | undefined;
  /**
   * The config's secret values, if the caller collected them already (main does, for its
   * logger); otherwise they are collected here. Either way the supervisor uses this one set.
   */
  secrets?: Secrets;
  /**
   * Called with a reloaded config and its secret values once it passed every check, just before
   * it is applied: main sets the log level and the values the logger scrubs from them. The
   * supervisor gets the same `secrets`: they are collected once per config.
   */
  onReload?: (config: Config, secrets: Secrets) => void;
  /** The config's name in messages (default "config"). */
  source?: string;
  /** The event hub's options, over the config's `event_ring` and `event_buffer` (tests). */
  events?: EventHubOptions;
}

/** What a reload changed: PDUs as the supervisor reports them, and daemon keys by name. */
export interface DaemonReloadReport extends ReloadReport {
  /** Daemon-section keys that changed and took effect (tokens, networks, log level, …). */
  daemon?: string[];
}

/** A running daemon. */
export interface Daemon extends AsyncDisposable {
  supervisor: Supervisor;
  /** This node of the cluster, when the config has a `cluster` section. */
  cluster?: ClusterNode;
  /** What GET /api/v1/events streams. */
  events: EventHub;
  listeners: Listeners;
  metrics: Metrics;
  /**
   * Re-reads the config and applies it, daemon section included; throws ConfigError (invalid,
   * fails the pre-flight, or changes a key that needs a restart) and keeps the old config whole.
   */
  reload(): Promise<DaemonReloadReport>;
  /** Stops listeners, then actors (bounded by `graceMs`, default the config's shutdown_grace). */
  stop(graceMs?: number): Promise<ShutdownReport>;
}

/**
 * Runs the pre-flight, then starts actors, then listeners.
 * @throws ConfigError when the pre-flight finds a problem, ListenError when the address cannot
 * be bound; nothing is left running in either case
 */
export async function startDaemon(config: Config, options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = options.log;
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const notes = await assertStartable(config, options.source ?? "config", {
    env,
    ...(options.listen ? { listen: options.listen } : {}),
  });
  for (const note of notes) log.warn(note);
  // The config in force: reload replaces it only once every check has passed.
  let running = config;
  let access = await AccessControl.create(config.daemon, env);
  let audit: AuditLog | undefined;
  let restored: OutletStates | undefined;
  if (config.daemon.audit_log) {
    const path = config.daemon.audit_log;
    restored = await readLastStates(path, log);
    audit = await AuditLog.open(path);
  }
  const appendAudit = (record: Parameters<AuditLog["append"]>[0]) => {
    const failure = audit?.append(record);
    if (failure) log.error("cannot append to the audit log", { path: audit?.path, error: failure });
  };
  // Sampled at scrape time only, after the supervisor exists; the library loads at the first
  // scrape.
  const metrics: Metrics = new Metrics(() => supervisor, {
    clock,
    configured: (pdu) => cluster ? Object.hasOwn(running.pdus, pdu) : supervisor.hasPdu(pdu),
    // Read at each scrape, so a reload's new values apply to the next one.
    readings: () => ({
      intervalMs: running.daemon.power_scrape_interval * 1000,
      waitMs: running.daemon.power_scrape_wait * 1000,
    }),
  });
  // Cluster mode is loaded only when configured: a single daemon never loads NATS.
  let cluster: ClusterNode | undefined;
  if (config.cluster) {
    const { startCluster } = await import("../cluster/mod.ts");
    try {
      cluster = await startCluster(config, {
        log,
        onOwnership: (pdu, owned) => metrics.ownership(pdu, owned),
        onForward: (ms) => metrics.forward(ms),
      });
    } catch (error) {
      metrics.close();
      audit?.close();
      throw new ConfigError([{
        path: "cluster.nats",
        // Without the user information a NATS URL may carry.
        message: `cannot join cluster "${config.cluster.name}": ${
          (error instanceof Error ? error.message : String(error)).replace(/\/\/[^@\s/]+@/g, "//")
        }`,
      }], options.source ?? "config");
    }
  }
  const events = new EventHub({
    clock,
    ringSize: config.daemon.event_ring,
    bufferSize: config.daemon.event_buffer,
    ...options.events,
  });
  const supervisor = createSupervisor(cluster ? cluster.localConfig(config) : config, {
    clock,
    log,
    // Plugins cannot change at reload (pluginChanges), so the first config's lookup stays right.
    findDriver: pluginLookup(config.plugins),
    env,
    secrets: options.secrets ?? collectSecrets(config, env),
    events,
    onSet: (event) => {
      metrics.operation(event);
      // Before the job goes on: a reboot's off is on record while it waits out its delay.
      if (audit) appendAudit(setRecord(event));
    },
    onJob: ({ request, result, ms }) => {
      metrics.job(result);
      // Reads change nothing on a device: the audit log records what pdud does to outlets.
      if (audit && !isRead(request.command)) appendAudit(auditRecord(request, result, ms));
    },
    ...(cluster ? { wrapDriver: cluster.wrapDriver } : {}),
    ...options.supervisor,
  });
  for (const [pdu, outlets] of restored ?? []) supervisor.restoreOutlets(pdu, outlets);
  // What the routes see: in cluster mode every PDU of the cluster, forwarded where not owned.
  const control = cluster ?? supervisor;
  cluster?.attach(supervisor);
  const readConfig = options.readConfig;
  let stopping: Promise<ShutdownReport> | undefined;
  const reload = async (): Promise<DaemonReloadReport> => {
    if (stopping) throw new ShuttingDownError();
    // SIGHUP is also logrotate's signal: the audit log is reopened even if the config is bad.
    const reopened = await audit?.reopen(checkpointRecords(supervisor.snapshot()));
    if (reopened) log.error("cannot reopen the audit log", { path: audit?.path, error: reopened });
    if (!readConfig) throw new Error("pdud runs without --conf: nothing to reload");
    const next = await readConfig(env);
    // All or nothing: a reload that cannot apply the daemon section applies nothing, so no
    // revoked token or removed network keeps access behind a "reloaded".
    const { problems } = await preflightOf(next);
    const issues = [
      ...restartNeeded(running.daemon, next.daemon, options.listen),
      ...pluginChanges(running.plugins, next.plugins),
      ...(JSON.stringify(running.cluster) === JSON.stringify(next.cluster) ? [] : [{
        path: "cluster",
        message: "changed; cluster settings take effect only when pdud restarts " +
          "(the running config stays)",
      }]),
      ...problems,
    ];
    if (issues.length > 0) throw new ConfigError(issues, "the new config");
    const nextAccess = await AccessControl.create(next.daemon, env);
    if (stopping) throw new ShuttingDownError();
    const secrets = collectSecrets(next, env);
    options.onReload?.(next, secrets);
    const report = control.reload(next, { secrets });
    access = nextAccess;
    const daemon = changedDaemonKeys(running.daemon, next.daemon, options.listen);
    running = next;
    if (daemon.length > 0) log.info("daemon settings reloaded", { changed: daemon });
    // Streams were authorized under the old rules: they end, and their clients reconnect (and
    // resume with Last-Event-ID) under the new ones.
    if (daemon.includes("tokens") || daemon.includes("allowed_networks")) {
      events.closeAll("access rules changed; reconnect with Last-Event-ID");
    }
    // The key only when something changed: replies to PDU-only reloads keep their shape.
    return daemon.length > 0 ? { ...report, daemon } : report;
  };
  const preflightOf = (next: Config) =>
    preflight(next, { env, ...(options.listen ? { listen: options.listen } : {}) });
  let listening = false;
  const app = createApp(control, {
    log,
    countRequest: (transport, status) => metrics.request(transport, status),
    metricsText: () => metrics.text(),
    // Always through the current rules, so a reload that revokes a token or a network takes
    // effect on the next request.
    access: { check: (request, need) => access.check(request, need) },
    jobs: new JobStore(clock, config.daemon.job_ttl * 1000),
    ...(readConfig ? { reload } : {}),
    ready: () => listening,
    events,
  });
  let listeners: Listeners;
  const hostname = options.listen?.hostname ?? config.daemon.hostname;
  const port = options.listen?.port ?? config.daemon.port;
  try {
    listeners = await startListeners(app, {
      hostname,
      port,
      listener: options.listen?.listener ?? config.daemon.listener,
      requestTimeoutMs: config.daemon.request_timeout * 1000,
      idleTimeoutMs: config.daemon.idle_timeout * 1000,
      handshakeTimeoutMs: config.daemon.handshake_timeout * 1000,
      ...(config.daemon.max_connections ? { maxConnections: config.daemon.max_connections } : {}),
      ...(config.daemon.tls ? { tls: config.daemon.tls } : {}),
      clock,
      log,
    });
  } catch (error) {
    metrics.close();
    await control.shutdown({ graceMs: 0 });
    audit?.close();
    throw listenError(error, hostname, port);
  }
  listening = true;
  const stop = (graceMs = running.daemon.shutdown_grace * 1000) => {
    stopping ??= (async () => {
      listening = false;
      metrics.close();
      // Event streams never end by themselves, and the listeners wait for open responses.
      events.close("pdud is shutting down");
      // Stop accepting first, but keep open connections: clients whose jobs are in flight are
      // answered once the supervisor has settled those jobs (DESIGN.md §3).
      const closing = listeners.close();
      const report = await control.shutdown({ graceMs });
      const flushWait = new AbortController();
      const flushed = await Promise.race([
        closing.then(() => true),
        sleep(clock, FLUSH_MS, flushWait.signal).then(() => false),
      ]);
      flushWait.abort();
      if (!flushed) {
        log.warn("clients still connected after shutdown; closing their connections");
        listeners.abort();
        await closing;
      }
      audit?.close();
      return report;
    })();
    return stopping;
  };
  return {
    supervisor,
    ...(cluster ? { cluster } : {}),
    events,
    listeners,
    metrics,
    reload,
    stop,
    async [Symbol.asyncDispose]() {
      await stop(0);
    },
  };
}
