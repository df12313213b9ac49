/**
 * Actors own everything between a validated request and a driver: one actor per PDU with its
 * mailbox, the scheduler that keeps DESIGN §2's ordering guarantees, and the supervisor that
 * restarts crashed actors. Imports `config/` and `drivers/` only; routes see PowerControl.
 * @module
 */
export {
  createSupervisor,
  type DriverCapabilities,
  type JobEvent,
  type PduSnapshot,
  type PowerControl,
  type ReloadReport,
  type SetEvent,
  type ShutdownReport,
  ShuttingDownError,
  type SubmitRequest,
  Supervisor,
  type SupervisorOptions,
} from "./supervisor.ts";
export {
  EVENT_TYPES,
  EventHub,
  type EventHubOptions,
  type EventType,
  type HubEvent,
  type SubscribeRefusal,
  Subscription,
} from "./events.ts";
export { SLOT_EVENTS, SLOT_STATES, type SlotState } from "./slot.ts";
export type { FailureKind, JobResult, OutletReport, PduCommand, RefusalKind } from "./messages.ts";
export { ALL_OUTLETS, isRead } from "./messages.ts";
export type { Requester } from "./job.ts";
export type { GroupMember } from "../config/mod.ts";
export { type Clock, sleep, SYSTEM_CLOCK, type Timer, Watchdog } from "./clock.ts";
export {
  createLogger,
  type LogFormat,
  type LoggerOptions,
  type LogLevel,
  redact,
  type RootLogger,
  SCRUBBED,
  SILENT_LOGGER,
} from "./log.ts";
