/**
 * Asynchronous jobs of the JSON API: accepted jobs by id, kept for `job_ttl` after they finish
 * and bounded in number, so a client can poll `GET /api/v1/jobs/{id}`.
 *
 * Every operation is O(1) amortized, whatever the store holds: finished jobs are queued in
 * the order they finished, and as the TTL is the same for all and the clock is monotonic that is
 * also the order they expire in, so expiry only ever looks at the front of a queue. At the bound the oldest
 * finished job is evicted (expired or not); pending jobs are never dropped, and when pending jobs
 * alone fill the store, `room()` says so and the API refuses new asynchronous requests (503)
 * before submitting them.
 * @module
 */
import type { Clock, JobResult } from "../actors/mod.ts";
import type { OutletId } from "../drivers/mod.ts";

/** A job as the API reports it. */
export interface JobView {
  id: string;
  pdu: string;
  outlet: OutletId;
  command: string;
  status: "pending" | JobResult["status"];
  result?: JobResult;
}

/** How many jobs the store holds at most, pending and finished. */
export const MAX_JOBS = 100_000;

interface Entry {
  view: JobView;
  expires: number;
}

/** Jobs by id. */
export class JobStore {
  /** Not finished yet, in the order they were added. */
  #pending = new Map<string, Entry>();
  /** Finished, by id. */
  #finished = new Map<string, Entry>();
  /** The same, in the order they finished, which is the order they expire in. */
  #order = new Queue<Entry>();
  #next = 0;
  #examined = 0;

  /**
   * @param clock for expiry (monotonic)
   * @param ttlMs how long a finished job stays
   * @param limit how many jobs it holds at most (default MAX_JOBS)
   */
  constructor(readonly clock: Clock, readonly ttlMs: number, readonly limit = MAX_JOBS) {}

  /** Jobs held (pending and finished, expired ones not yet dropped included). */
  get size(): number {
    return this.#pending.size + this.#finished.size;
  }

  /** Entries looked at by expiry and eviction since start: the cost tests bound. */
  get examined(): number {
    return this.#examined;
  }

  /** How many more jobs can be added now (finished ones make way; pending ones do not). */
  room(): number {
    return this.limit - this.#pending.size;
  }

  /**
   * Tracks `result` under a new id; a result already settled (a refusal) shows in the view at
   * once once the caller has let settled promises run. Throws when `room()` is 0: callers check
   * first, before submitting the job.
   */
  add(pdu: string, outlet: OutletId, command: string, result: Promise<JobResult>): JobView {
    this.#expire();
    if (this.room() <= 0) {
      throw new Error(`the job store is full: ${this.#pending.size} jobs pending`);
    }
    while (this.size >= this.limit) this.#evictOldest();
    const id = `a${(++this.#next).toString(36)}${crypto.randomUUID().slice(0, 8)}`;
    const view: JobView = { id, pdu, outlet, command, status: "pending" };
    const entry: Entry = { view, expires: Infinity };
    this.#pending.set(id, entry);
    result.then((r) => {
      view.status = r.status;
      view.result = r;
      this.#pending.delete(id);
      entry.expires = this.clock.now() + this.ttlMs;
      this.#finished.set(id, entry);
      this.#order.push(entry);
    });
    return view;
  }

  /** A job by id, if known and not expired. */
  get(id: string): JobView | undefined {
    const entry = this.#pending.get(id) ?? this.#finished.get(id);
    if (!entry || entry.expires <= this.clock.now()) return undefined;
    return entry.view;
  }

  /** Drops expired jobs from the front; stops at the first that has not expired. */
  #expire(): void {
    const now = this.clock.now();
    for (let entry = this.#order.peek(); entry; entry = this.#order.peek()) {
      this.#examined++;
      if (entry.expires > now) return;
      this.#order.shift();
      this.#finished.delete(entry.view.id);
    }
  }

  #evictOldest(): void {
    const entry = this.#order.shift();
    if (!entry) return;
    this.#examined++;
    this.#finished.delete(entry.view.id);
  }
}

/**
 * A FIFO with O(1) amortized shift. Not a Map used as a queue: deleting a Map's first entries
 * leaves holes that every new iterator walks past until the table is rehashed, which made
 * "expire from the front" O(n) again.
 */
class Queue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Compacting once half the array is spent keeps shift O(1) amortized and memory O(size).
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
