/**
 * Asynchronous jobs of the JSON API: accepted jobs by id, kept for `job_ttl` after they finish
 * and bounded in number, so a client can poll `GET /api/v1/jobs/{id}`.
 * @module
 */
import type { Clock, JobResult } from "../actors/mod.ts";

/** A job as the API reports it. */
export interface JobView {
  id: string;
  pdu: string;
  outlet: number;
  command: string;
  status: "pending" | JobResult["status"];
  result?: JobResult;
}

const MAX_JOBS = 100_000;

/** Jobs by id. */
export class JobStore {
  #jobs = new Map<string, { view: JobView; expires: number }>();
  #next = 0;

  /**
   * @param clock for expiry
   * @param ttlMs how long a finished job stays
   */
  constructor(readonly clock: Clock, readonly ttlMs: number) {}

  /** Tracks `result` under a new id. */
  add(pdu: string, outlet: number, command: string, result: Promise<JobResult>): JobView {
    this.#sweep();
    const id = `a${(++this.#next).toString(36)}${crypto.randomUUID().slice(0, 8)}`;
    const view: JobView = { id, pdu, outlet, command, status: "pending" };
    this.#jobs.set(id, { view, expires: Infinity });
    result.then((r) => {
      view.status = r.status;
      view.result = r;
      const entry = this.#jobs.get(id);
      if (entry) entry.expires = this.clock.now() + this.ttlMs;
    });
    return view;
  }

  /** A job by id, if known and not expired. */
  get(id: string): JobView | undefined {
    const entry = this.#jobs.get(id);
    if (!entry || entry.expires <= this.clock.now()) return undefined;
    return entry.view;
  }

  #sweep(): void {
    const now = this.clock.now();
    for (const [id, e] of this.#jobs) if (e.expires <= now) this.#jobs.delete(id);
    // Over the bound, the oldest finished jobs go first; pending ones are never dropped.
    if (this.#jobs.size >= MAX_JOBS) {
      for (const [id, e] of this.#jobs) {
        if (this.#jobs.size < MAX_JOBS) break;
        if (e.expires !== Infinity) this.#jobs.delete(id);
      }
    }
  }
}
