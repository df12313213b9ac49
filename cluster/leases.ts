/**
 * PDU leases in a replicated KV bucket whose TTL is the lease length (nats-server 2.9 honours
 * only the bucket-wide TTL; a per-key TTL would be silently ignored). Create = acquire, update
 * with the last revision = renew, delete with the last revision = release. The revision of the
 * acquiring write is the lease's epoch: it travels with every device operation (fencing).
 *
 * This node trusts its lease until `sent + ttl - margin`, where `sent` is when the last
 * successful renewal was sent: the server cannot expire the key before `sent + ttl`, so the
 * lease is given up locally at least `margin` before anyone else can acquire it.
 * @module
 */
import type { KV } from "@nats-io/kv";

/** A lease this node holds. */
export interface Held {
  /** The revision of the write that acquired it. */
  epoch: number;
  /** The revision of the last write (acquire or renew). */
  revision: number;
  /** Local time (ms) until which this node may act as owner. */
  validUntil: number;
}

/** Options of Leases. */
export interface LeaseOptions {
  node: string;
  ttlMs: number;
  /** Local clock in ms (tests may step it). */
  now?: () => number;
  /** How long a renewal may take before it is checked by reading the key. */
  renewTimeoutMs?: number;
}

/** Whether `error` is one of the transient errors of a cluster electing its leaders. */
export function isRetryable(error: unknown): boolean {
  const text = String(error instanceof Error ? `${error.name} ${error.message}` : error);
  return /jetstream (is )?not enabled|timeout|no responders|leader|temporarily|disconnect|closed|connection/i
    .test(text);
}

function isWrongRevision(error: unknown): boolean {
  return /wrong last sequence/i.test(String(error instanceof Error ? error.message : error));
}

/** The leases of this node. */
export class Leases {
  readonly #kv: KV;
  readonly #node: string;
  readonly #ttlMs: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  readonly #renewTimeoutMs: number;
  readonly #held = new Map<string, Held>();

  /**
   * @param kv the lease bucket (its TTL is `options.ttlMs`)
   * @param options this node's name and the lease length
   */
  constructor(kv: KV, options: LeaseOptions) {
    this.#kv = kv;
    this.#node = options.node;
    this.#ttlMs = options.ttlMs;
    this.#marginMs = Math.max(Math.floor(options.ttlMs / 3), 500);
    this.#now = options.now ?? (() => performance.now());
    this.#renewTimeoutMs = options.renewTimeoutMs ?? Math.max(500, Math.floor(options.ttlMs / 4));
  }

  /** How often to renew: three times within the local validity. */
  get renewEveryMs(): number {
    return Math.max(100, Math.floor((this.#ttlMs - this.#marginMs) / 3));
  }

  /** The lease held on `key` when it is still valid here (and of `epoch`, if given). */
  held(key: string, epoch?: number): Held | undefined {
    const held = this.#held.get(key);
    if (!held || this.#now() >= held.validUntil) return undefined;
    return epoch === undefined || held.epoch === epoch ? held : undefined;
  }

  /** Keys whose lease ran out here without a renewal (forgotten: the caller stops their work). */
  expired(): string[] {
    const now = this.#now();
    const out: string[] = [];
    for (const [key, held] of this.#held) {
      if (now >= held.validUntil) {
        this.#held.delete(key);
        out.push(key);
      }
    }
    return out;
  }

  /** Every key held and still valid. */
  keys(): string[] {
    return [...this.#held.keys()].filter((k) => this.held(k) !== undefined);
  }

  /**
   * Tries to acquire `key`: resolves with the lease, or undefined when another node holds it.
   * A key that still names this node (a renewal whose answer was lost) is taken back with a
   * new epoch.
   */
  async acquire(key: string): Promise<Held | undefined> {
    const sent = this.#now();
    try {
      const revision = await this.#kv.create(key, this.#node);
      return this.#set(key, { epoch: revision, revision, validUntil: this.#until(sent) });
    } catch (error) {
      if (!isWrongRevision(error) && !/exists/i.test(String(error))) throw error;
    }
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== "PUT" || entry.string() !== this.#node) return undefined;
    const again = this.#now();
    const revision = await this.#kv.update(key, this.#node, entry.revision);
    return this.#set(key, { epoch: revision, revision, validUntil: this.#until(again) });
  }

  /**
   * Renews `key`. Resolves true when renewed; false when the lease is lost (another write came
   * first). A renewal that timed out is checked by reading the key: if the write landed, its
   * revision is adopted.
   */
  async renew(key: string): Promise<boolean> {
    const held = this.#held.get(key);
    if (!held) return false;
    const sent = this.#now();
    try {
      const revision = await this.#kv.update(key, this.#node, held.revision, this.#renewTimeoutMs);
      if (this.#held.get(key) === held) {
        held.revision = revision;
        held.validUntil = this.#until(sent);
      }
      return true;
    } catch (error) {
      if (isWrongRevision(error)) {
        // Someone else wrote the key, or our last renewal landed unseen: read it.
        const entry = await this.#kv.get(key).catch(() => null);
        if (entry && entry.operation === "PUT" && entry.string() === this.#node) {
          held.revision = entry.revision;
          // Only as long as the write we saw lasts: its time is not known, so not extended.
          return true;
        }
        this.#held.delete(key);
        return false;
      }
      // Timed out or the connection moved: the lease runs on until validUntil.
      const entry = await this.#kv.get(key).catch(() => undefined);
      if (
        entry === null || (entry && (entry.operation !== "PUT" || entry.string() !== this.#node))
      ) {
        this.#held.delete(key);
        return false;
      }
      if (entry) held.revision = entry.revision;
      return this.held(key) !== undefined;
    }
  }

  /** Gives `key` up at once so another node may take it without waiting for the TTL. */
  async release(key: string): Promise<void> {
    const held = this.#held.get(key);
    this.#held.delete(key);
    if (!held) return;
    await this.#kv.delete(key, { previousSeq: held.revision }).catch(() => {});
  }

  /** Forgets `key` without writing (this node stops acting as its owner). */
  forget(key: string): void {
    this.#held.delete(key);
  }

  #until(sent: number): number {
    return sent + this.#ttlMs - this.#marginMs;
  }

  #set(key: string, held: Held): Held {
    this.#held.set(key, held);
    return held;
  }
}
