/**
 * Commands, jobs and results: plain data passed between routes, the supervisor and actors.
 * @module
 */
import type { DriverErrorKind, OutletId, OutletState } from "../drivers/mod.ts";

/**
 * What a client asks of one outlet, by number or, for drivers that name outlets, by name. Delays
 * are in seconds, as upstream's API.
 */
export type PduCommand =
  | { type: "on"; outlet: OutletId; delayBefore?: number }
  | { type: "off"; outlet: OutletId; delayBefore?: number }
  | { type: "reboot"; outlet: OutletId; delay: number }
  | { type: "delay"; outlet: OutletId; seconds: number }
  | { type: "status"; outlet: OutletId };

/**
 * Why an accepted job failed: a device-side kind as the driver named it, or pdud's own (a
 * defect, a PDU that failed, a shutdown whose grace ran out).
 */
export type FailureKind = DriverErrorKind | "internal" | "pdu_failed" | "shutdown";

/** Why a request was not accepted. */
export type RefusalKind =
  | "unknown_pdu"
  | "bad_outlet"
  | "queue_full"
  | "pdu_failed"
  | "shutting_down"
  | "driver_unavailable"
  | "removed";

/** The one definite answer every request gets. */
export type JobResult =
  | {
    status: "done";
    jobId: string;
    pdu: string;
    outlet: OutletId;
    /** The outlet's state after the job (null for a delay on an outlet pdud never set). */
    state: OutletState | null;
    /** Where `state` comes from: read from the device, or the last state pdud set. */
    source: "device" | "commanded";
  }
  | { status: "failed"; jobId: string; pdu: string; kind: FailureKind; reason: string }
  | { status: "refused"; jobId?: string; pdu: string; kind: RefusalKind; reason: string };

/** One step of a job: a driver operation or a wait that holds the outlet. */
export type Step =
  | { kind: "set"; state: OutletState }
  | { kind: "get" }
  | { kind: "wait"; ms: number };

/** Compiles a command into the steps the scheduler runs. */
export function stepsOf(command: PduCommand): Step[] {
  switch (command.type) {
    case "on":
    case "off": {
      const set: Step = { kind: "set", state: command.type };
      return command.delayBefore ? [{ kind: "wait", ms: command.delayBefore * 1000 }, set] : [set];
    }
    case "reboot":
      return [
        { kind: "set", state: "off" },
        { kind: "wait", ms: command.delay * 1000 },
        { kind: "set", state: "on" },
      ];
    case "delay":
      return [{ kind: "wait", ms: command.seconds * 1000 }];
    case "status":
      return [{ kind: "get" }];
  }
}

/** Human words for a command, for logs and reasons ("reboot outlet 3"). */
export function describeCommand(command: PduCommand): string {
  return `${command.type} outlet ${command.outlet}`;
}
