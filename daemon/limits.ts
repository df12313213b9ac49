/**
 * Descriptor arithmetic for the connection cap, and a log that says a recurring condition once
 * per interval with a count instead of once per occurrence.
 * @module
 */
import type { Clock, Timer } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";

/** Descriptors a client connection costs: its socket (HTTP is served on it, no relay). */
export const DESCRIPTORS_PER_CONNECTION = 1;
/**
 * Descriptors a TLS client connection costs: the client's socket, the relay's socket to the
 * internal TLS listener and that listener's end of it.
 */
export const DESCRIPTORS_PER_TLS_CONNECTION = 3;
/** Descriptors kept free whatever the limit: the runtime, stdio, the listeners, the audit log. */
export const RESERVED_DESCRIPTORS = 64;
/**
 * The limit assumed when it cannot be read (Deno grants /proc/self only with --allow-all, and
 * `sh -c "ulimit -Sn"` needs --allow-run): a common default, so the cap errs on the low side.
 */
export const ASSUMED_FILE_LIMIT = 1024;

/**
 * The soft RLIMIT_NOFILE: from `limits` (the text of /proc/self/limits) when given, else read
 * from /proc/self/limits, else asked of a shell (a child inherits pdud's limit).
 */
export function softFileLimit(limits?: string): number | undefined {
  let text = limits;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/self/limits");
    } catch {
      return shellFileLimit();
    }
  }
  const line = /^Max open files\s+(\S+)/m.exec(text);
  if (!line) return undefined;
  return line[1] === "unlimited" ? Infinity : Number(line[1]) || undefined;
}

function shellFileLimit(): number | undefined {
  try {
    const out = new Deno.Command("sh", {
      args: ["-c", "ulimit -Sn"],
      stdin: "null",
      stderr: "null",
    })
      .outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return text === "unlimited" ? Infinity : Number(text) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default `max_connections` for a soft descriptor limit N:
 * `floor((N − 64 − floor(N / 4)) / C)`, at least 1, where C is what a client connection costs
 * (`perConnection`: 1, or 3 with TLS). The 64 + N/4 descriptors held back are for what is not a
 * client: device connections (one or a few per PDU), tool-driven drivers' pipes, the audit log,
 * a reload reading the config, connections refused or evicted at the cap (evicted connections
 * release theirs a few event-loop turns later). N = 1024 gives 704 (234 with TLS); N = 256 gives
 * 128 (42).
 */
export function defaultMaxConnections(
  limit = softFileLimit(),
  perConnection = DESCRIPTORS_PER_CONNECTION,
): number {
  // Unlimited: capped as for a million descriptors, which the kernel's nr_open rarely exceeds.
  const softLimit = limit === undefined ? ASSUMED_FILE_LIMIT : Math.min(limit, 1 << 20);
  const reserve = RESERVED_DESCRIPTORS + Math.floor(softLimit / 4);
  return Math.max(1, Math.floor((softLimit - reserve) / perConnection));
}

/** Whether `error` is the process or the system running out of descriptors. */
export function isDescriptorExhaustion(error: unknown): boolean {
  const text = String(error);
  return /os error 2[34]\b|too many open files/i.test(text);
}

/**
 * Logs a recurring condition at most once per interval: the first occurrence at once, then one
 * line per interval with how many occurred (`count`).
 */
export class RateLimitedLog {
  #pending = new Map<string, { count: number; fields: Record<string, unknown> }>();
  #timer: Timer | undefined;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
  ) {}

  /** Notes one occurrence of `message` (logged as a warning). */
  warn(message: string, fields: Record<string, unknown> = {}): void {
    const pending = this.#pending.get(message);
    if (pending) {
      pending.count++;
      pending.fields = fields;
      return;
    }
    this.log.warn(message, { ...fields, count: 1 });
    this.#pending.set(message, { count: 0, fields });
    this.#timer ??= this.clock.setTimer(this.intervalMs, () => this.#flush());
  }

  #flush(): void {
    this.#timer = undefined;
    for (const [message, { count, fields }] of this.#pending) {
      if (count > 0) this.log.warn(message, { ...fields, count, intervalMs: this.intervalMs });
    }
    // Keep quiet conditions out of the next interval: a new one logs at once again.
    const active = [...this.#pending].filter(([, p]) => p.count > 0);
    this.#pending.clear();
    for (const [message, p] of active) this.#pending.set(message, { count: 0, fields: p.fields });
    if (this.#pending.size > 0) {
      this.#timer = this.clock.setTimer(this.intervalMs, () => this.#flush());
    }
  }

  /** Logs what is still counted and stops the timer. */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const [message, { count, fields }] of this.#pending) {
      if (count > 0) this.log.warn(message, { ...fields, count });
    }
    this.#pending.clear();
  }
}
