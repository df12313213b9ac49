/**
 * The one source of time for actors and listeners. Tests inject a manual clock, so no test
 * ever sleeps and every timeout is deterministic.
 * @module
 */

/** A cancellable timer. */
export interface Timer {
  /** Stops the timer; safe after it fired. */
  cancel(): void;
}

/** Time and timers. */
export interface Clock {
  /** Milliseconds on a monotonic-enough scale. */
  now(): number;
  /** Calls `callback` after `ms` milliseconds. */
  setTimer(ms: number, callback: () => void): Timer;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimer(ms, callback) {
    const id = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimer(ms, done);
    function done() {
      timer.cancel();
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * A timeout that is re-armed far more often than it fires (each request's head, each idle
 * wait): one clock timer, kept while the deadline only moves later and re-armed for what is
 * left when it fires early. Setting and clearing a timer per request cost a few µs each.
 */
export class Watchdog {
  /** When `fire` is due; Infinity while disarmed. */
  #deadline = Infinity;
  /** When the clock timer goes off. */
  #at = Infinity;
  #timer: Timer | undefined;

  constructor(private readonly clock: Clock, private readonly fire: () => void) {}

  /** Fires `ms` from now unless re-armed or disarmed before. */
  arm(ms: number): void {
    const deadline = this.clock.now() + ms;
    this.#deadline = deadline;
    if (this.#timer && this.#at <= deadline) return;
    this.#timer?.cancel();
    this.#set(deadline, ms);
  }

  /** Will not fire until armed again (the clock timer stays, to be reused). */
  disarm(): void {
    this.#deadline = Infinity;
  }

  /** Disarms and releases the clock timer. */
  stop(): void {
    this.#deadline = Infinity;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#at = Infinity;
  }

  #set(at: number, ms: number): void {
    this.#at = at;
    this.#timer = this.clock.setTimer(ms, () => {
      this.#timer = undefined;
      this.#at = Infinity;
      if (this.#deadline === Infinity) return;
      const left = this.#deadline - this.clock.now();
      if (left > 0) return this.#set(this.#deadline, left);
      this.#deadline = Infinity;
      this.fire();
    });
  }
}
