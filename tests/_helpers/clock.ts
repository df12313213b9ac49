/** A manual Clock for deterministic tests: time moves only when the test says so. */
import type { Clock, Timer } from "../../actors/mod.ts";

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Time stands still until `advance()`. */
export class ManualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, callback: () => void): Timer {
    const timer: Pending = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return { cancel: () => timer.cancelled = true };
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Lets every promise chain that can make progress do so (no time passes). */
  async flush(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Moves time forward by `ms`, firing due timers in order and flushing after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.flush();
    while (true) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      const next = this.#timers.filter((t) =>
        t.at <= target
      ).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#now = next.at;
      next.cancelled = true;
      next.callback();
      await this.flush();
    }
    this.#now = target;
    await this.flush();
  }
}
