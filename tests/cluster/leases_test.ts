/**
 * Leases (cluster/leases.ts) against a fake KV bucket with a stepped clock: acquire, renew,
 * local expiry before the servers' TTL, a renewal whose answer was lost, a lease taken by
 * another node, and the errors treated as transient.
 */
import assert from "node:assert/strict";
import type { KV } from "@nats-io/kv";
import { isRetryable, Leases } from "../../cluster/leases.ts";

/** An in-memory bucket: revisions per write, "wrong last sequence" like JetStream's. */
class FakeKv {
  entries = new Map<string, { value: string; revision: number; operation: "PUT" | "DEL" }>();
  revision = 0;
  /** When set, the next update lands but its answer is lost (the call throws a timeout). */
  loseNextAnswer = false;

  create(key: string, value: string): Promise<number> {
    const entry = this.entries.get(key);
    if (entry && entry.operation === "PUT") {
      return Promise.reject(new Error(`wrong last sequence: ${entry.revision}`));
    }
    return Promise.resolve(this.#put(key, value));
  }

  update(key: string, value: string, version: number): Promise<number> {
    const entry = this.entries.get(key);
    if (!entry || entry.revision !== version) {
      return Promise.reject(new Error(`wrong last sequence: ${entry?.revision ?? 0}`));
    }
    const revision = this.#put(key, value);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      return Promise.reject(new Error("TimeoutError: timeout"));
    }
    return Promise.resolve(revision);
  }

  get(key: string) {
    const entry = this.entries.get(key);
    return Promise.resolve(
      entry ? { ...entry, string: () => entry.value } : null,
    );
  }

  delete(key: string, options?: { previousSeq?: number }): Promise<void> {
    const entry = this.entries.get(key);
    if (options?.previousSeq !== undefined && entry?.revision !== options.previousSeq) {
      return Promise.reject(new Error("wrong last sequence"));
    }
    this.entries.set(key, { value: "", revision: ++this.revision, operation: "DEL" });
    return Promise.resolve();
  }

  /** The servers' TTL ran out: the key is gone. */
  expire(key: string): void {
    this.entries.delete(key);
  }

  #put(key: string, value: string): number {
    this.entries.set(key, { value, revision: ++this.revision, operation: "PUT" });
    return this.revision;
  }
}

function setup(node = "a") {
  const kv = new FakeKv();
  let now = 0;
  const leases = new Leases(kv as unknown as KV, { node, ttlMs: 3000, now: () => now });
  return { kv, leases, step: (ms: number) => now += ms };
}

Deno.test("Leases: acquire is a create; a second node cannot acquire a held key", async () => {
  const { kv, leases } = setup();
  const held = await leases.acquire("k");
  assert.deepEqual(held, { epoch: 1, revision: 1, validUntil: 2000 });
  const other = new Leases(kv as unknown as KV, { node: "b", ttlMs: 3000, now: () => 0 });
  assert.equal(await other.acquire("k"), undefined);
});

Deno.test("Leases: held only until sent + ttl - margin; a renewal extends it, keeping the epoch", async () => {
  const { leases, step } = setup();
  await leases.acquire("k");
  step(1999);
  assert.ok(leases.held("k"));
  assert.equal(await leases.renew("k"), true);
  step(1999);
  assert.equal(leases.held("k")?.epoch, 1);
  assert.equal(leases.held("k", 2), undefined, "another epoch's check fails");
  step(1);
  assert.equal(leases.held("k"), undefined, "a third of the lease before the servers' TTL");
  assert.deepEqual(leases.expired(), ["k"]);
});

Deno.test("Leases: a renewal whose answer was lost is checked by reading the key", async () => {
  const { kv, leases } = setup();
  await leases.acquire("k");
  kv.loseNextAnswer = true;
  assert.equal(await leases.renew("k"), true);
  assert.equal(leases.held("k")?.revision, 2, "the landed write's revision is adopted");
  assert.equal(await leases.renew("k"), true, "and the next renewal uses it");
});

Deno.test("Leases: a key another node took after the TTL means the lease is lost", async () => {
  const { kv, leases } = setup();
  await leases.acquire("k");
  kv.expire("k");
  await kv.create("k", "b");
  assert.equal(await leases.renew("k"), false);
  assert.equal(leases.held("k"), undefined);
});

Deno.test("Leases: a key that still names this node is taken back with a new epoch", async () => {
  const { kv, leases } = setup();
  await kv.create("k", "a"); // a previous life of node a
  const held = await leases.acquire("k");
  assert.equal(held?.epoch, 2);
});

Deno.test("Leases: release deletes with the last revision, so another node acquires at once", async () => {
  const { kv, leases } = setup();
  await leases.acquire("k");
  await leases.release("k");
  const other = new Leases(kv as unknown as KV, { node: "b", ttlMs: 3000, now: () => 0 });
  assert.ok(await other.acquire("k"));
});

Deno.test("isRetryable: elections and timeouts are transient, a wrong revision is not", () => {
  assert.ok(isRetryable(new Error("jetstream is not enabled")));
  assert.ok(isRetryable(new Error("JetStream not enabled for account")));
  assert.ok(isRetryable(new Error("TimeoutError: timeout")));
  assert.ok(isRetryable(new Error("no responders")));
  assert.equal(isRetryable(new Error("wrong last sequence: 4")), false);
});
