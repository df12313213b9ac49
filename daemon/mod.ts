/**
 * The composition root and the process's effects: start-up, listeners (sockets, protocol
 * sniffing), metrics and the audit log, wired to the supervisor's job hook. Imports `routes/`,
 * `actors/`, `config/` and `drivers/` through their faces; nothing imports it but `main.ts`,
 * tests and bench.
 * @module
 */
export { type Daemon, type DaemonOptions, type DaemonReloadReport, startDaemon } from "./daemon.ts";
export {
  assertStartable,
  ListenError,
  type ListenOverrides,
  preflight,
  type PreflightOptions,
  type PreflightResult,
  RESTART_KEYS,
} from "./preflight.ts";
export {
  ACCEPTORS,
  LISTEN_BACKLOG,
  type Listeners,
  type ListenOptions,
  startListeners,
} from "./listener.ts";
export { Metrics, type ReadingSettings } from "./metrics.ts";
export {
  AuditLog,
  type AuditRecord,
  auditRecord,
  type CheckpointRecord,
  lastStates,
  readLastStates,
  type SetRecord,
} from "./audit.ts";
