/** The asynchronous job store: expiry on the manual clock, O(1) work per add, its bound. */
import assert from "node:assert/strict";
import type { JobResult } from "../../actors/mod.ts";
import { JobStore } from "../../routes/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { startDaemon } from "../_helpers/daemon.ts";

const done = (outlet: number): JobResult => ({
  status: "done",
  jobId: `j${outlet}`,
  pdu: "rack",
  outlet,
  state: "on",
  source: "commanded",
});

/** A result the test settles when it wants. */
function later(): { promise: Promise<JobResult>; settle: (r: JobResult) => void } {
  let settle!: (r: JobResult) => void;
  const promise = new Promise<JobResult>((resolve) => settle = resolve);
  return { promise, settle };
}

Deno.test("job store: a finished job stays job_ttl, then expires; a pending one never does", async () => {
  const clock = new ManualClock();
  const store = new JobStore(clock, 1000);
  const a = later();
  const pending = store.add("rack", 1, "on", a.promise);
  const finished = store.add("rack", 2, "on", Promise.resolve(done(2)));
  await clock.flush();
  assert.equal(store.get(finished.id)?.status, "done");
  await clock.advance(999);
  assert.equal(store.get(finished.id)?.status, "done", "still there 1 ms before its TTL");
  await clock.advance(1);
  assert.equal(store.get(finished.id), undefined, "gone at its TTL");
  await clock.advance(1_000_000);
  assert.equal(store.get(pending.id)?.status, "pending", "pending jobs do not expire");
  a.settle(done(1));
  await clock.flush();
  assert.equal(store.get(pending.id)?.status, "done");
  await clock.advance(1000);
  assert.equal(store.get(pending.id), undefined);
  // The expired entries are dropped by the next add, not merely hidden.
  store.add("rack", 3, "on", later().promise);
  assert.equal(store.size, 1);
});

Deno.test("job store: an add looks at O(1) entries, however many jobs are stored", async () => {
  const clock = new ManualClock();
  const store = new JobStore(clock, 60_000);
  for (let i = 0; i < 20_000; i++) store.add("rack", 1, "on", Promise.resolve(done(1)));
  await clock.flush();
  assert.equal(store.size, 20_000);
  let before = store.examined;
  store.add("rack", 1, "on", Promise.resolve(done(1)));
  assert.ok(store.examined - before <= 2, `one add examined ${store.examined - before} entries`);
  // Expiring k jobs costs k examinations, plus the one that stops the walk if any is left.
  await clock.advance(30_000);
  store.add("rack", 1, "on", Promise.resolve(done(1)));
  await clock.flush();
  await clock.advance(30_000);
  before = store.examined;
  store.add("rack", 1, "on", later().promise);
  assert.equal(store.examined - before, 20_001 + 1);
  assert.equal(store.size, 2); // the one finished later, and the new pending one
  before = store.examined;
  for (let i = 0; i < 1000; i++) store.add("rack", 1, "on", later().promise);
  assert.ok(store.examined - before <= 1000 * 2);
});

Deno.test("job store: at its bound the oldest finished job goes; pending jobs alone fill it", async () => {
  const clock = new ManualClock();
  const store = new JobStore(clock, 60_000, 3);
  const first = store.add("rack", 1, "on", Promise.resolve(done(1)));
  const held = [later(), later()];
  const pending = held.map((h, i) => store.add("rack", i + 2, "on", h.promise));
  await clock.flush();
  assert.equal(store.room(), 1);
  const fourth = store.add("rack", 4, "on", later().promise);
  assert.equal(store.get(first.id), undefined, "the oldest finished job made way");
  assert.equal(store.size, 3);
  assert.equal(store.room(), 0);
  assert.throws(() => store.add("rack", 5, "on", later().promise), /job store is full/);
  for (const view of [...pending, fourth]) assert.equal(store.get(view.id)?.status, "pending");
  held[0]!.settle(done(2));
  await clock.flush();
  assert.equal(store.room(), 1);
});

Deno.test("wait: false answers a job refused at once as refused, with the reason", async () => {
  await using d = await startDaemon({
    pdus: { rack: { driver: "simulated", outlets: 4 } },
  });
  const post = (path: string) =>
    fetch(`${d.url}/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wait: false }),
    });
  const unknown = await post("/pdus/nope/outlets/1/on");
  assert.equal(unknown.status, 202);
  const [job] = (await unknown.json()).jobs;
  assert.equal(job.status, "refused");
  assert.equal(job.result.kind, "unknown_pdu");
  assert.match(job.result.reason, /no PDU named "nope"/);
  const polled = await (await fetch(`${d.url}/api/v1/jobs/${job.id}`)).json();
  assert.equal(polled.status, "refused");
  const badOutlet = await (await post("/pdus/rack/outlets/9/on")).json();
  assert.equal(badOutlet.jobs[0].status, "refused");
  assert.match(badOutlet.jobs[0].result.reason, /has outlets 1 to 4, not 9/);
});
