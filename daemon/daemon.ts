/**
 * The daemon assembled: supervisor, app and listeners, started in OTP order (actors, then
 * listeners) and stopped in reverse; metrics, audit log and access control wired in.
 * @module
 */
import {
  type Clock,
  createSupervisor,
  type ReloadReport,
  type ShutdownReport,
  sleep,
  type Supervisor,
  type SupervisorOptions,
  SYSTEM_CLOCK,
} from "../actors/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../drivers/mod.ts";
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

/** How long answered clients get to read their replies after the actors have stopped. */
const FLUSH_MS = 2000;

/** Options of startDaemon. */
export interface DaemonOptions {
  log: Logger;
  clock?: Clock;
  /** Overrides of the config's daemon section (tests bind 127.0.0.1:0). */
  listen?: { hostname?: string; port?: number; listener?: "both" | "http" | "tcp" };
  /** Passed to the supervisor. */
  supervisor?: Partial<SupervisorOptions>;
  /** Reads the config again, for SIGHUP and the API's reload (absent for the demo config). */
  readConfig?: () => Promise<Config>;
  /** Environment lookup for token secrets. */
  env?: (name: string) => string | undefined;
}

/** A running daemon. */
export interface Daemon extends AsyncDisposable {
  supervisor: Supervisor;
  listeners: Listeners;
  metrics: Metrics;
  /** Re-reads the config and applies it; throws ConfigError and keeps the old config. */
  reload(): Promise<ReloadReport>;
  /** Stops listeners, then actors (bounded by `graceMs`, default the config's shutdown_grace). */
  stop(graceMs?: number): Promise<ShutdownReport>;
}

/** Starts actors, then listeners. */
export async function startDaemon(config: Config, options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = options.log;
  const access = await AccessControl.create(config.daemon, options.env);
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
  // Sampled at scrape time only, after the supervisor exists. The library loads a second
  // after start, once the first requests (and their JIT warm-up) are out of the way.
  const metrics: Metrics = new Metrics(() => supervisor, {
    clock,
    deferMs: 1000,
    configured: (pdu) => supervisor.hasPdu(pdu),
  });
  const supervisor = createSupervisor(config, {
    clock,
    log,
    onSet: (event) => {
      metrics.operation(event);
      // Before the job goes on: a reboot's off is on record while it waits out its delay.
      appendAudit(setRecord(event));
    },
    onJob: ({ request, result, ms }) => {
      metrics.job(result);
      if (request.command.type !== "status") appendAudit(auditRecord(request, result, ms));
    },
    ...options.supervisor,
  });
  for (const [pdu, outlets] of restored ?? []) supervisor.restoreOutlets(pdu, outlets);
  const readConfig = options.readConfig;
  const reload = async () => {
    // SIGHUP is also logrotate's signal: the audit log is reopened even if the config is bad.
    const reopened = await audit?.reopen(checkpointRecords(supervisor.snapshot()));
    if (reopened) log.error("cannot reopen the audit log", { path: audit?.path, error: reopened });
    if (!readConfig) throw new Error("pdud runs without --conf: nothing to reload");
    return supervisor.reload(await readConfig());
  };
  let listening = false;
  const app = createApp(supervisor, {
    log,
    countRequest: (transport, status) => metrics.request(transport, status),
    metricsText: () => metrics.text(),
    ...(access.tokensRequired || config.daemon.allowed_networks.length > 0 ? { access } : {}),
    jobs: new JobStore(clock, config.daemon.job_ttl * 1000),
    ...(readConfig ? { reload } : {}),
    ready: () => listening,
  });
  let listeners: Listeners;
  try {
    listeners = await startListeners(app, {
      hostname: options.listen?.hostname ?? config.daemon.hostname,
      port: options.listen?.port ?? config.daemon.port,
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
    await supervisor.shutdown({ graceMs: 0 });
    audit?.close();
    throw error;
  }
  listening = true;
  let stopping: Promise<ShutdownReport> | undefined;
  const stop = (graceMs = config.daemon.shutdown_grace * 1000) => {
    stopping ??= (async () => {
      listening = false;
      metrics.close();
      // Stop accepting first, but keep open connections: clients whose jobs are in flight are
      // answered once the supervisor has settled those jobs (DESIGN.md §3).
      const closing = listeners.close();
      const report = await supervisor.shutdown({ graceMs });
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
    listeners,
    metrics,
    reload,
    stop,
    async [Symbol.asyncDispose]() {
      await stop(0);
    },
  };
}
