/**
 * The daemon assembled: supervisor, app and listeners, started in OTP order (actors, then
 * listeners) and stopped in reverse.
 * @module
 */
import {
  type Clock,
  createSupervisor,
  type ShutdownReport,
  type Supervisor,
  type SupervisorOptions,
  SYSTEM_CLOCK,
} from "../actors/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import { createApp } from "./app.ts";
import { type Listeners, startListeners } from "./listener.ts";

/** Options of startDaemon. */
export interface DaemonOptions {
  log: Logger;
  clock?: Clock;
  /** Overrides of the config's daemon section (tests bind 127.0.0.1:0). */
  listen?: { hostname?: string; port?: number; listener?: "both" | "http" | "tcp" };
  /** Passed to the supervisor. */
  supervisor?: Partial<SupervisorOptions>;
}

/** A running daemon. */
export interface Daemon extends AsyncDisposable {
  supervisor: Supervisor;
  listeners: Listeners;
  /** Stops listeners, then actors (bounded by `graceMs`, default the config's shutdown_grace). */
  stop(graceMs?: number): Promise<ShutdownReport>;
}

/** Starts actors, then listeners. */
export function startDaemon(config: Config, options: DaemonOptions): Daemon {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const supervisor = createSupervisor(config, {
    clock,
    log: options.log,
    ...options.supervisor,
  });
  const app = createApp(supervisor, { log: options.log });
  let listeners: Listeners;
  try {
    listeners = startListeners(app, {
      hostname: options.listen?.hostname ?? config.daemon.hostname,
      port: options.listen?.port ?? config.daemon.port,
      listener: options.listen?.listener ?? config.daemon.listener,
      requestTimeoutMs: config.daemon.request_timeout * 1000,
      clock,
      log: options.log,
    });
  } catch (error) {
    supervisor.shutdown({ graceMs: 0 });
    throw error;
  }
  let stopping: Promise<ShutdownReport> | undefined;
  const stop = (graceMs = config.daemon.shutdown_grace * 1000) => {
    stopping ??= (async () => {
      await listeners.close();
      return await supervisor.shutdown({ graceMs });
    })();
    return stopping;
  };
  return {
    supervisor,
    listeners,
    stop,
    async [Symbol.asyncDispose]() {
      await stop(0);
    },
  };
}
