/**
 * The audit log, one JSON line per record in a file that survives restarts:
 *
 * - `"event":"set"`: pdud switched an outlet, written the moment the device confirmed it (the
 *   supervisor's onSet hook), so a reboot's off is on record while it waits out its delay;
 * - `"event":"job"`: a request's outcome (time, PDU, outlet, command, requester address, token
 *   name, outcome, duration), written before the client gets its answer;
 * - `"event":"checkpoint"`: the state of every outlet pdud has set, written at the top of a
 *   file reopened for logrotate, so that the new file alone restores every outlet.
 *
 * Records are written with a synchronous write(2) before anything else happens, so a record is
 * in the kernel once the outlet's job goes on: it survives pdud being killed (kill -9), not the
 * machine losing power (no fsync per record).
 *
 * At start the last state pdud set on each outlet is read back from the set and checkpoint
 * records (job records of logs written before set records existed count where an outlet has no
 * set record). A torn last line (a crash mid-write) is skipped with a warning, and the next
 * record starts on a new line.
 * @module
 */
import type { JobResult, PduCommand, Requester, SetEvent } from "../actors/mod.ts";
import { type Logger, OUTLET_NAME, type OutletId } from "../drivers/mod.ts";

/** One job's outcome. */
export interface AuditRecord {
  time: string;
  event?: "job";
  pdu: string;
  /** A number, or a name for drivers that name outlets. */
  outlet: OutletId;
  command: string;
  delay?: number;
  transport?: string;
  address?: string;
  token?: string;
  requestId?: string;
  outcome: JobResult["status"];
  kind?: string;
  reason?: string;
  /** The outlet's state after the job, when it was switched. */
  state?: "on" | "off" | null;
  ms: number;
}

/** pdud switched an outlet (and the device confirmed it). */
export interface SetRecord {
  time: string;
  event: "set";
  pdu: string;
  /** A number, or a name for drivers that name outlets. */
  outlet: OutletId;
  state: "on" | "off";
  job: string;
  transport?: string;
  address?: string;
  token?: string;
  requestId?: string;
}

/** An outlet's state as pdud last set it, carried into a reopened file. */
export interface CheckpointRecord {
  time: string;
  event: "checkpoint";
  pdu: string;
  /** A number, or a name for drivers that name outlets. */
  outlet: OutletId;
  state: "on" | "off";
  /** When pdud set it. */
  at: string;
}

/** The last state pdud set per PDU and outlet, `at` in ms since the epoch. */
export type OutletStates = Map<string, Map<OutletId, { state: "on" | "off"; at: number }>>;

/** Appends audit records to a JSON-lines file. */
export class AuditLog {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile, readonly path: string) {
    this.#file = file;
  }

  /**
   * Opens (creating) the log for appending. A file whose last line is torn gets a newline first,
   * so that the next record is a line of its own instead of the tail of the torn one.
   */
  static async open(path: string): Promise<AuditLog> {
    const file = await Deno.open(path, { append: true, create: true });
    const log = new AuditLog(file, path);
    if (!(await endsWithNewline(path))) {
      const failure = log.#write("\n");
      if (failure) {
        file.close();
        throw failure;
      }
    }
    return log;
  }

  /** Appends one record; a full disk must not fail the job, so errors are returned, not thrown. */
  append(record: AuditRecord | SetRecord | CheckpointRecord): Error | undefined {
    return this.#write(JSON.stringify(record) + "\n");
  }

  #write(text: string): Error | undefined {
    try {
      const bytes = this.#encoder.encode(text);
      // writeSync may write less than asked; a record is only ever written whole or reported.
      for (let done = 0; done < bytes.length;) done += this.#file.writeSync(bytes.subarray(done));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /**
   * Opens the path again (logrotate moved the file away) and writes `checkpoint` at the top of
   * the new file; on failure the old file stays in use and the error is returned.
   */
  async reopen(checkpoint: CheckpointRecord[] = []): Promise<Error | undefined> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path, { append: true, create: true });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const old = this.#file;
    this.#file = file;
    try {
      old.close();
    } catch { /* closed */ }
    if (!(await endsWithNewline(this.path))) this.#write("\n");
    for (const record of checkpoint) {
      const failure = this.append(record);
      if (failure) return failure;
    }
    return undefined;
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch { /* closed */ }
  }
}

/** Whether the file is empty, absent or ends with a newline. */
async function endsWithNewline(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return true;
  }
  try {
    const size = (await file.stat()).size;
    if (size === 0) return true;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    return (await file.read(last)) === 1 && last[0] === 0x0a;
  } finally {
    file.close();
  }
}

/** Builds the record for one finished job. */
export function auditRecord(
  request: { pdu: string; command: PduCommand; requester?: Requester & { token?: string } },
  result: JobResult,
  ms: number,
  now = new Date(),
): AuditRecord {
  const c = request.command;
  const r = request.requester ?? {};
  return {
    time: now.toISOString(),
    event: "job",
    pdu: request.pdu,
    outlet: c.outlet,
    command: c.type,
    ...(c.type === "reboot" ? { delay: c.delay } : {}),
    ...requesterFields(r),
    outcome: result.status,
    ...(result.status === "done"
      ? { state: result.state }
      : { kind: result.kind, reason: result.reason }),
    ms: Math.round(ms * 1000) / 1000,
  };
}

/** Builds the record for one outlet switched. */
export function setRecord(event: SetEvent, now = new Date()): SetRecord {
  return {
    time: now.toISOString(),
    event: "set",
    pdu: event.pdu,
    outlet: event.outlet,
    state: event.state,
    job: event.jobId,
    ...requesterFields(event.requester),
  };
}

/** Checkpoint records of every outlet in `pdus` (the supervisor's snapshot). */
export function checkpointRecords(
  pdus: { name: string; outlets: Record<string, { state: "on" | "off"; at: string }> }[],
  now = new Date(),
): CheckpointRecord[] {
  return pdus.flatMap((pdu) =>
    Object.entries(pdu.outlets).map(([outlet, v]) => ({
      time: now.toISOString(),
      event: "checkpoint" as const,
      pdu: pdu.name,
      // The snapshot keys outlets by String(outlet): digits were a number, anything else a name.
      outlet: /^\d+$/.test(outlet) ? Number(outlet) : outlet,
      state: v.state,
      at: v.at,
    }))
  );
}

function requesterFields(r: Requester & { token?: string }) {
  return {
    ...(r.transport ? { transport: r.transport } : {}),
    ...(r.address ? { address: r.address } : {}),
    ...(r.token ? { token: r.token } : {}),
    ...(r.requestId ? { requestId: r.requestId } : {}),
  };
}

/** Reads states from audit records one line at a time (a long log is never held whole). */
class StateReader {
  #set: OutletStates = new Map();
  /** From job records, for logs (or parts of logs) written before set records existed. */
  #legacy: OutletStates = new Map();
  /** Line numbers that were not JSON records. */
  readonly skipped: number[] = [];
  #line = 0;

  line(text: string): void {
    this.#line++;
    if (!text.trim()) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(text);
      if (typeof record !== "object" || record === null) throw new Error("not an object");
    } catch {
      this.skipped.push(this.#line);
      return;
    }
    const { pdu, outlet, state } = record;
    if (
      typeof pdu !== "string" || (state !== "on" && state !== "off") ||
      !(typeof outlet === "number" || (typeof outlet === "string" && OUTLET_NAME.test(outlet)))
    ) return;
    const time = Date.parse(String(record.time ?? "")) || 0;
    if (record.event === "set") {
      put(this.#set, pdu, outlet, state, time);
    } else if (record.event === "checkpoint") {
      put(this.#set, pdu, outlet, state, Date.parse(String(record.at ?? "")) || time);
    } else if (
      record.outcome === "done" && ["on", "off", "reboot"].includes(String(record.command))
    ) {
      put(this.#legacy, pdu, outlet, state, time);
    }
  }

  states(): OutletStates {
    const out: OutletStates = new Map();
    for (const source of [this.#legacy, this.#set]) {
      for (const [pdu, outlets] of source) {
        let target = out.get(pdu);
        if (!target) out.set(pdu, target = new Map());
        for (const [outlet, v] of outlets) target.set(outlet, v);
      }
    }
    return out;
  }
}

function put(map: OutletStates, pdu: string, outlet: OutletId, state: "on" | "off", at: number) {
  let outlets = map.get(pdu);
  if (!outlets) map.set(pdu, outlets = new Map());
  outlets.set(outlet, { state, at });
}

/**
 * The last state pdud set on each outlet, from an audit log's text: set and checkpoint records;
 * job records only for outlets that have no set record (logs written before those existed).
 */
export function lastStates(text: string): OutletStates {
  const reader = new StateReader();
  for (const line of text.split("\n")) reader.line(line);
  return reader.states();
}

/**
 * Reads the states of {@link lastStates} from the file at `path`, streaming it; undefined when
 * there is no file. Lines that are not records (a torn last line) are skipped with a warning.
 */
export async function readLastStates(
  path: string,
  log: Logger,
): Promise<OutletStates | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const reader = new StateReader();
  let rest = "";
  // readable closes the file when it ends.
  for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const line of lines) reader.line(line);
  }
  reader.line(rest);
  if (reader.skipped.length > 0) {
    log.warn("audit log: skipped lines that are not records (a torn write?)", {
      path,
      lines: reader.skipped.slice(0, 20),
      count: reader.skipped.length,
    });
  }
  return reader.states();
}
