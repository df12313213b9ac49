/**
 * Commands, jobs and results: plain data passed between routes, the supervisor and actors.
 * @module
 */
import type { DriverErrorKind, OutletId, OutletState, PowerReading } from "../drivers/mod.ts";

/**
 * The queue key of a list job: not an outlet number, and not an outlet name (OUTLET_NAME begins
 * with a letter or digit), so a list is queued behind no outlet and holds none.
 */
export const ALL_OUTLETS = "*";

/**
 * What a client asks of one outlet, by number or, for drivers that name outlets, by name. Delays
 * are in seconds, as upstream's API.
 */
export type PduCommand =
  | { type: "on"; outlet: OutletId; delayBefore?: number }
  | { type: "off"; outlet: OutletId; delayBefore?: number }
  | { type: "reboot"; outlet: OutletId; delay: number }
  | { type: "delay"; outlet: OutletId; seconds: number }
  | { type: "status"; outlet: OutletId }
  /** Reads what the device reports of one outlet's power (driver readPower). */
  | { type: "power"; outlet: number }
  /**
   * Reads every outlet: in one exchange where the driver can (listOutlets), else outlet by
   * outlet over `outlets` (the supervisor fills them from the descriptor's outletRange). With
   * `power`, the readings are wanted rather than the states (the metrics' refresh).
   */
  | { type: "list"; outlet: typeof ALL_OUTLETS; outlets?: readonly number[]; power?: boolean };

/** One outlet as a list job reports it. */
export interface OutletReport {
  outlet: number;
  /** Absent only in a power-only list of a driver that reads power but not states. */
  state?: OutletState;
  name?: string;
  power?: PowerReading;
}

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
  | "removed"
  /**
   * Cluster mode: the job could not be recorded in the cluster's journal (NATS JetStream without
   * quorum or unreachable), so it was not run. Passing: HTTP 503 with Retry-After.
   */
  | "cluster_unavailable"
  /** The driver cannot do what was asked (read power, list outlets): HTTP 501. */
  | "not_supported";

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
    /** A power job's reading (only the fields the device reports). */
    power?: PowerReading;
    /** A list job's outlets, in outlet order. */
    outlets?: OutletReport[];
    /** A list job: how many device exchanges it took. */
    exchanges?: number;
    /** A list job: one all-outlet exchange, or outlet by outlet. */
    via?: "list" | "per-outlet";
  }
  | { status: "failed"; jobId: string; pdu: string; kind: FailureKind; reason: string }
  | { status: "refused"; jobId?: string; pdu: string; kind: RefusalKind; reason: string };

/** One step of a job: a driver operation or a wait that holds the outlet. */
export type Step =
  | { kind: "set"; state: OutletState }
  /** Reads the job's outlet, or `outlet` (a list read outlet by outlet). */
  | { kind: "get"; outlet?: number }
  /** Reads power of the job's outlet, or of `outlet` (a list). */
  | { kind: "power"; outlet?: number }
  /** Reads every outlet at once; becomes per-outlet steps when the driver cannot. */
  | { kind: "list" }
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
    case "power":
      return [{ kind: "power" }];
    case "list":
      return [{ kind: "list" }];
  }
}

/** Whether a command only reads (no outlet changes; never audited as an action). */
export function isRead(command: PduCommand): boolean {
  return command.type === "status" || command.type === "power" || command.type === "list";
}

/** Human words for a command, for logs and reasons ("reboot outlet 3"). */
export function describeCommand(command: PduCommand): string {
  return command.type === "list" ? "list outlets" : `${command.type} outlet ${command.outlet}`;
}
