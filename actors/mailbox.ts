/**
 * A bounded FIFO of jobs (std Channel semantics): `offer()` refuses when full, a job leaves only
 * when settled, `close()` settles everything still inside. Knows nothing of PDUs or drivers.
 * @module
 */

/** What the mailbox needs of an entry. */
export interface Settleable<R> {
  resolve(result: R): void;
}

/** Bounded FIFO; counts every accepted, unsettled entry. */
export class Mailbox<T extends Settleable<R>, R> {
  #entries: T[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;

  /** @param limit the most unsettled entries accepted at once */
  constructor(public limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`queue limit must be a positive integer, got ${limit}`);
    }
  }

  /** Accepts `entry` unless full or closed; returns whether it was accepted. */
  offer(entry: T): boolean {
    if (this.#closed || this.#entries.length >= this.limit) return false;
    this.#entries.push(entry);
    this.#notify();
    return true;
  }

  /** Entries in arrival order. */
  entries(): readonly T[] {
    return this.#entries;
  }

  /** Unsettled entries. */
  get size(): number {
    return this.#entries.length;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Removes `entry` and settles it with `result`. Unknown entries are ignored. */
  settle(entry: T, result: R): void {
    const index = this.#entries.indexOf(entry);
    if (index < 0) return;
    this.#entries.splice(index, 1);
    entry.resolve(result);
    this.#notify();
  }

  /** Resolves on the next offer or settle (the actor's wake-up). */
  changed(): { promise: Promise<void>; cancel(): void } {
    let waiter!: () => void;
    const promise = new Promise<void>((resolve) => waiter = resolve);
    this.#waiters.push(waiter);
    return {
      promise,
      cancel: () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      },
    };
  }

  /** Refuses new entries from now on; entries already inside stay until settled. */
  seal(): void {
    this.#closed = true;
    this.#notify();
  }

  /** Seals, then settles every entry left with `result(entry)`. */
  close(result: (entry: T) => R): void {
    this.seal();
    for (const entry of [...this.#entries]) this.settle(entry, result(entry));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
