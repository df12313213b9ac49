/**
 * Job: an accepted request as the actor tracks it through its steps. Private to `actors/`.
 * @module
 */
import type { OutletState, PowerReading } from "../drivers/mod.ts";
import type { JobResult, OutletReport, PduCommand, Step } from "./messages.ts";

/** Who asked, for logs and audit. */
export interface Requester {
  /** The request id that follows the job from listener to driver. */
  requestId?: string;
  /** "http", "legacy-tcp", "drive", "api". */
  transport?: string;
  /** Remote address, when there is one. */
  address?: string;
  /** The name of the bearer token the request carried. */
  token?: string;
}

/** An accepted job. */
export interface Job {
  readonly id: string;
  /** Arrival order across the PDU (fairness: oldest first). */
  readonly seq: number;
  readonly pdu: string;
  readonly command: PduCommand;
  /** Replaced once, when a list step becomes per-outlet reads (the driver cannot list). */
  steps: readonly Step[];
  readonly requester: Requester;
  readonly acceptedAt: number;
  /** pdud's own read (SubmitRequest.background): kept off the event stream. */
  readonly background?: boolean;
  /** Index of the current step. */
  stepIndex: number;
  /** Attempts made at the current set step. */
  attempts: number;
  /** When the current wait step ends (set when the wait starts). */
  waitUntil?: number;
  /** Not before this time (retry delay after a failed attempt). */
  retryAt?: number;
  /** A driver operation of this job has run (so shutdown must finish it, not refuse it). */
  started: boolean;
  /** The state the last completed set step left the outlet in. */
  lastState: OutletState | null;
  /** Whether lastState was read from the device (a status job). */
  readFromDevice?: boolean;
  /** A power job's reading. */
  power?: PowerReading;
  /** A list job's outlets so far, by outlet number. */
  report?: Map<number, OutletReport>;
  /** A list job: device exchanges made, and how. */
  exchanges?: number;
  via?: "list" | "per-outlet";
  /** The last failure's words, for the final reason. */
  lastError?: string;
  /** Settles the job's promise; called once, by the mailbox. */
  resolve(result: JobResult): void;
}
