/**
 * The job journal: every job a PDU's owner accepts is recorded in a replicated JetStream stream
 * before its actor sees it, every device operation before it starts, and every result before
 * the client gets it. A new owner folds a PDU's records (a pure function, `recover`) into the
 * jobs left unfinished and what to do with each (`resumeCommand`), and into the last state set
 * on each outlet (kept across purges by a `states` record).
 * @module
 */
import type { JobResult, PduCommand, Requester } from "../actors/mod.ts";
import type { OutletId, OutletState } from "../drivers/mod.ts";

/** A job was accepted by the owner holding lease `epoch`. */
export interface AcceptedRecord {
  t: "accepted";
  id: string;
  pdu: string;
  command: PduCommand;
  requester?: Requester;
  node: string;
  epoch: number;
  /** Wall-clock milliseconds. */
  at: number;
}

/**
 * A device operation is about to start (written before the driver is called), or has been
 * done (`done: true`, written once the driver returned).
 */
export interface OpRecord {
  t: "op";
  pdu: string;
  outlet: string;
  op: "on" | "off" | "get";
  node: string;
  epoch: number;
  at: number;
  done?: boolean;
}

/** A job has its one definite result. */
export interface SettledRecord {
  t: "settled";
  id: string;
  pdu: string;
  result: JobResult;
  node: string;
  at: number;
}

/**
 * The last state pdud set on each outlet of the PDU, as its owner knew it when it purged older
 * records: what the purged `op` records said, so a later owner still knows it.
 */
export interface StatesRecord {
  t: "states";
  pdu: string;
  /** By outlet (as `op` records name it), the state and when it was set (wall-clock ms). */
  outlets: Record<string, { state: OutletState; at: number }>;
  node: string;
  at: number;
}

/** One record of the journal. */
export type JournalRecord = AcceptedRecord | OpRecord | SettledRecord | StatesRecord;

/** The last state set on each outlet, and when (wall-clock ms). */
export type OutletStates = Map<OutletId, { state: OutletState; at: number }>;

/** An outlet as records name it (a string) → as the actors key it: digits are a number. */
export function outletOf(key: string): OutletId {
  return /^\d+$/.test(key) ? Number(key) : key;
}

/** A job accepted and never settled, with the operations that started for it. */
export interface Unfinished {
  accepted: AcceptedRecord;
  /** Its operations in the order they started, with when; `doneAt` once known done. */
  ops: { op: "on" | "off" | "get"; at: number; doneAt?: number }[];
}

/** What the records of one PDU say. */
export interface Recovered {
  /** Unfinished jobs in acceptance order. */
  unfinished: Unfinished[];
  /** The results of settled jobs, by job id (a forwarded retry gets the same answer). */
  settled: Map<string, JobResult>;
  /**
   * The last state pdud set on each outlet, by any owner: from switches recorded done and from
   * `states` records, the latest by time wins (a switch started but not known done counts not).
   */
  outlets: OutletStates;
}

/**
 * Folds one PDU's records, in stream order. An operation belongs to the oldest unsettled job of
 * its outlet: the actor keeps per-outlet order, so an outlet's operations run for the head of
 * that outlet's line until it settles.
 */
export function recover(records: Iterable<JournalRecord>): Recovered {
  const open = new Map<string, Unfinished>();
  const lines = new Map<string, Unfinished[]>();
  const settled = new Map<string, JobResult>();
  const outlets: OutletStates = new Map();
  const seen = (key: string, state: OutletState, at: number) => {
    const outlet = outletOf(key);
    const known = outlets.get(outlet);
    if (!known || known.at <= at) outlets.set(outlet, { state, at });
  };
  for (const record of records) {
    switch (record.t) {
      case "accepted": {
        if (open.has(record.id) || settled.has(record.id)) break;
        const job: Unfinished = { accepted: record, ops: [] };
        open.set(record.id, job);
        const outlet = String(record.command.outlet);
        const line = lines.get(outlet) ?? [];
        line.push(job);
        lines.set(outlet, line);
        break;
      }
      case "op": {
        if (record.done && record.op !== "get") seen(record.outlet, record.op, record.at);
        const ops = lines.get(record.outlet)?.[0]?.ops;
        if (!ops) break;
        if (!record.done) ops.push({ op: record.op, at: record.at });
        else {
          const started = ops.findLast((o) => o.op === record.op && o.doneAt === undefined);
          if (started) started.doneAt = record.at;
        }
        break;
      }
      case "settled": {
        settled.set(record.id, record.result);
        const job = open.get(record.id);
        if (!job) break;
        open.delete(record.id);
        const outlet = String(job.accepted.command.outlet);
        const line = lines.get(outlet)!;
        line.splice(line.indexOf(job), 1);
        break;
      }
      case "states":
        for (const [key, v] of Object.entries(record.outlets)) seen(key, v.state, v.at);
        break;
    }
  }
  return { unfinished: [...open.values()], settled, outlets };
}

/**
 * What a new owner runs for an unfinished job, at wall-clock `now`. Not started: the command
 * as accepted. Interrupted on/off or status: the same, without the wait it already served (they
 * are idempotent), as are a delay and every read. A reboot whose `on` had started: `on` again. A reboot interrupted between
 * off and on (its off known done): `on`, after what is left of its delay — a reboot's wait is
 * never skipped. A reboot whose off started but is not known done: the whole reboot again (off
 * is idempotent, and the wait then runs in full).
 */
export function resumeCommand(job: Unfinished, now: number): PduCommand {
  const command = job.accepted.command;
  if (job.ops.length === 0) return command;
  switch (command.type) {
    case "on":
    case "off":
      return { type: command.type, outlet: command.outlet };
    case "reboot": {
      if (job.ops.some((o) => o.op === "on")) return { type: "on", outlet: command.outlet };
      const off = job.ops.find((o) => o.op === "off" && o.doneAt !== undefined);
      if (!off) return command;
      const left = Math.ceil(Math.max(0, command.delay * 1000 - (now - off.doneAt!)) / 1000);
      return left > 0
        ? { type: "on", outlet: command.outlet, delayBefore: left }
        : { type: "on", outlet: command.outlet };
    }
    default:
      // A delay and the reads (status, power, list) change nothing on the device: again.
      return command;
  }
}

/** Encodes a record for the stream. */
export function encodeRecord(record: JournalRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** Decodes a record; undefined for bytes that are not one (never written by pdud). */
export function decodeRecord(data: Uint8Array): JournalRecord | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as JournalRecord;
    return value && typeof value === "object" &&
        (value.t === "accepted" || value.t === "op" || value.t === "settled" ||
          value.t === "states")
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
