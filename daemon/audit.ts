/**
 * The audit log: every job appended as one JSON line (time, PDU, outlet, command, requester
 * address, token name, outcome, duration) to a file that survives restarts; at start the last
 * state pdud set on each outlet is read back from it.
 * @module
 */
import type { JobResult, PduCommand, Requester } from "../actors/mod.ts";

/** One audit record. */
export interface AuditRecord {
  time: string;
  pdu: string;
  outlet: number;
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

/** Appends audit records to a JSON-lines file. */
export class AuditLog {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile, readonly path: string) {
    this.#file = file;
  }

  /** Opens (creating) the log for appending. */
  static async open(path: string): Promise<AuditLog> {
    const file = await Deno.open(path, { append: true, create: true });
    return new AuditLog(file, path);
  }

  /** Appends one record; a full disk must not fail the job, so errors are returned, not thrown. */
  append(record: AuditRecord): Error | undefined {
    try {
      this.#file.writeSync(this.#encoder.encode(JSON.stringify(record) + "\n"));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch { /* closed */ }
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
    pdu: request.pdu,
    outlet: c.outlet,
    command: c.type,
    ...(c.type === "reboot" ? { delay: c.delay } : {}),
    ...(r.transport ? { transport: r.transport } : {}),
    ...(r.address ? { address: r.address } : {}),
    ...(r.token ? { token: r.token } : {}),
    ...(r.requestId ? { requestId: r.requestId } : {}),
    outcome: result.status,
    ...(result.status === "done"
      ? { state: result.state }
      : { kind: result.kind, reason: result.reason }),
    ms: Math.round(ms * 1000) / 1000,
  };
}

/**
 * The last state pdud set on each outlet, from an audit log's text: only switching jobs that
 * finished count (status reads and failures do not change what pdud set).
 */
export function lastStates(
  text: string,
): Map<string, Map<number, { state: "on" | "off"; at: number }>> {
  const out = new Map<string, Map<number, { state: "on" | "off"; at: number }>>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let record: Partial<AuditRecord>;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a torn last line after a crash
    }
    if (
      record.outcome !== "done" || !["on", "off", "reboot"].includes(record.command ?? "") ||
      (record.state !== "on" && record.state !== "off") || typeof record.pdu !== "string" ||
      typeof record.outlet !== "number"
    ) continue;
    let pdu = out.get(record.pdu);
    if (!pdu) out.set(record.pdu, pdu = new Map());
    pdu.set(record.outlet, { state: record.state, at: Date.parse(record.time ?? "") || 0 });
  }
  return out;
}
