/** EventHub: numbering, the ring, bounded subscribers, and reporting only real outlet changes. */
import assert from "node:assert/strict";
import { EventHub, Subscription } from "../../actors/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";

function subscribe(hub: EventHub, lastEventId?: string): Subscription {
  const s = hub.subscribe(lastEventId);
  assert.ok(s instanceof Subscription, JSON.stringify(s));
  return s;
}

Deno.test("EventHub.publish() records nothing and numbers nothing before the first subscriber", () => {
  const hub = new EventHub({ boot: "b" });
  hub.publish("job.accepted", { n: 1 });
  hub.outletState("p", 1, "on", "commanded", {});
  assert.equal(hub.published, 0);
  assert.equal(hub.lastId, null);
  const s = subscribe(hub);
  hub.publish("job.accepted", { n: 2 });
  assert.deepEqual(s.take().map((e) => [e.id, JSON.parse(e.data).n]), [["b-1", 2]]);
  s.close();
  hub.publish("job.accepted", { n: 3 });
  assert.equal(hub.lastId, "b-2", "once wanted, the ring keeps recording for later resumes");
});

Deno.test("EventHub.outletState() reports every set but a device read only when it changed", () => {
  const hub = new EventHub({ boot: "b" });
  const s = subscribe(hub);
  hub.outletState("p", 1, "on", "commanded", {});
  hub.outletState("p", 1, "on", "commanded", {});
  hub.outletState("p", 1, "on", "device", {});
  hub.outletState("p", 1, "off", "device", {});
  hub.outletState("p", 1, "off", "device", {});
  const seen = s.take().map((e) => JSON.parse(e.data));
  assert.deepEqual(
    seen.map((d) => `${d.state}/${d.source}/${d.previous}`),
    ["on/commanded/null", "on/commanded/on", "off/device/on"],
  );
  s.close();
});

Deno.test("EventHub refuses subscribers beyond its limit", () => {
  const hub = new EventHub({ maxSubscribers: 2 });
  const a = subscribe(hub);
  const b = subscribe(hub);
  const c = hub.subscribe();
  assert.ok(!(c instanceof Subscription));
  assert.equal(c.error, "too_many");
  assert.match(c.message, /2 subscribers, its limit/);
  a.close();
  subscribe(hub).close();
  b.close();
});

Deno.test("a full subscriber is dropped: its buffer is freed, a final event says why", async () => {
  const clock = new ManualClock();
  const hub = new EventHub({ clock, bufferSize: 3, dropGraceMs: 100 });
  const s = subscribe(hub);
  let abandoned = false;
  s.onAbandon(() => abandoned = true);
  for (let i = 0; i < 10; i++) hub.publish("job.accepted", { i });
  assert.equal(hub.subscribers, 0);
  assert.equal(s.buffered, 0, "what was waiting is freed at once");
  assert.equal(s.ended, true);
  const [final] = s.take();
  assert.equal(final!.type, "dropped");
  assert.equal(final!.id, "", "not numbered, not in the ring");
  const why = JSON.parse(final!.data);
  assert.deepEqual([why.discarded, why.firstDiscarded], [3, `${hub.boot}-1`]);
  await clock.advance(100);
  assert.equal(abandoned, true, "a subscriber that does not finish in time is abandoned");
});

Deno.test("a subscriber that finishes in time is not abandoned; waits wake on events and heartbeats", async () => {
  const clock = new ManualClock();
  const hub = new EventHub({ clock, heartbeatMs: 1000, dropGraceMs: 100 });
  const s = subscribe(hub);
  const idle = s.wait();
  await clock.advance(1000);
  assert.equal(await idle, "idle");
  const ready = s.wait();
  hub.publish("job.done", {});
  assert.equal(await ready, "ready");
  assert.equal(s.take().length, 1);
  let abandoned = false;
  s.onAbandon(() => abandoned = true);
  hub.closeAll("bye");
  assert.deepEqual(s.take().map((e) => e.type), ["closed"]);
  s.close();
  await clock.advance(1000);
  assert.equal(abandoned, false);
  assert.equal(clock.pending, 0, "no timer left behind");
});

Deno.test("EventHub.close() ends every subscription and refuses new ones", () => {
  const hub = new EventHub();
  const s = subscribe(hub);
  hub.close("pdud is shutting down");
  assert.deepEqual(s.take().map((e) => e.type), ["closed"]);
  s.close();
  const late = hub.subscribe();
  assert.ok(!(late instanceof Subscription));
  assert.equal(late.error, "closed");
});
