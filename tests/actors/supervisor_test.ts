import assert from "node:assert/strict";
import {
  createSupervisor,
  type JobResult,
  SILENT_LOGGER,
  type Supervisor,
} from "../../actors/mod.ts";
import type { PduConfig } from "../../config/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { fakeConfig, FakeDevice, fakePdu } from "../_helpers/fake_driver.ts";

function setup(pdus: PduConfig[], device = new FakeDevice()) {
  const clock = new ManualClock();
  const config = fakeConfig(pdus);
  const supervisor = createSupervisor(config, {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => device.descriptor(),
    abortGraceMs: 1000,
    backoff: { initialMs: 30_000, maxMs: 600_000 },
    random: () => 0.5,
  });
  return { clock, device, supervisor };
}

/** Collects a result as it settles, so a test can see what is still pending. */
function track(promise: Promise<JobResult>): () => JobResult | undefined {
  let result: JobResult | undefined;
  promise.then((r) => result = r);
  return () => result;
}

function status(r: JobResult | undefined): string | undefined {
  return r?.status;
}
function kind(r: JobResult | undefined): string | undefined {
  return r && r.status !== "done" ? r.kind : undefined;
}
function reason(r: JobResult | undefined): string {
  return r && r.status !== "done" ? r.reason : "";
}

async function stop(supervisor: Supervisor, clock: ManualClock) {
  const done = supervisor.shutdown({ graceMs: 0 });
  await clock.advance(5000);
  await done;
}

const calls = (d: FakeDevice) => d.calls.map((c) => `${c.outlet} ${c.state}`);

Deno.test("a later off never lands between the halves of an earlier reboot", async () => {
  const { clock, device, supervisor } = setup([fakePdu("p")]);
  const reboot = track(
    supervisor.submit({ pdu: "p", command: { type: "reboot", outlet: 3, delay: 5 } }),
  );
  const off = track(supervisor.submit({ pdu: "p", command: { type: "off", outlet: 3 } }));
  await clock.advance(0);
  assert.deepEqual(calls(device), ["3 off"]);
  assert.equal(off(), undefined, "the off waits behind the reboot");
  await clock.advance(5000);
  assert.deepEqual(calls(device), ["3 off", "3 on", "3 off"]);
  assert.equal(status(reboot()), "done");
  assert.equal(status(off()), "done");
  assert.equal(device.states.get(3), "off", "reboot-then-off ends off");
  await stop(supervisor, clock);
});

Deno.test("a reboot's wait holds only its own outlet", async () => {
  const { clock, device, supervisor } = setup([fakePdu("p")]);
  const reboot = track(
    supervisor.submit({ pdu: "p", command: { type: "reboot", outlet: 3, delay: 5 } }),
  );
  const other = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 4 } }));
  await clock.advance(0);
  assert.deepEqual(calls(device), ["3 off", "4 on"]);
  assert.equal(status(other()), "done", "outlet 4 served during outlet 3's wait");
  assert.equal(reboot(), undefined);
  await clock.advance(4999);
  assert.equal(reboot(), undefined);
  await clock.advance(1);
  assert.equal(status(reboot()), "done");
  await stop(supervisor, clock);
});

Deno.test("one driver operation at a time per PDU, oldest first", async () => {
  const device = new FakeDevice();
  device.fallback = "gate";
  const { clock, supervisor } = setup([fakePdu("p")], device);
  const jobs = [1, 2, 3].map((outlet) =>
    track(supervisor.submit({ pdu: "p", command: { type: "on", outlet } }))
  );
  await clock.advance(0);
  assert.deepEqual(calls(device), ["1 on"]);
  for (let i = 0; i < 3; i++) {
    device.release();
    await clock.advance(0);
  }
  assert.deepEqual(calls(device), ["1 on", "2 on", "3 on"]);
  assert.equal(device.maxInFlight, 1);
  assert.ok(jobs.every((j) => status(j()) === "done"));
  await stop(supervisor, clock);
});

Deno.test("PDUs are independent: a hung PDU does not delay another", async () => {
  const device = new FakeDevice();
  const { clock, supervisor } = setup([fakePdu("slow"), fakePdu("fast")], device);
  device.script = ["gate"];
  const slow = track(supervisor.submit({ pdu: "slow", command: { type: "on", outlet: 1 } }));
  await clock.advance(0);
  const fast = track(supervisor.submit({ pdu: "fast", command: { type: "on", outlet: 1 } }));
  await clock.advance(0);
  assert.equal(status(fast()), "done");
  assert.equal(slow(), undefined);
  device.release();
  await clock.advance(0);
  assert.equal(status(slow()), "done");
  await stop(supervisor, clock);
});

Deno.test("command_gap spaces two operations of one PDU", async () => {
  const { clock, device, supervisor } = setup([fakePdu("p", { "command_gap": 2 })]);
  supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  const second = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } }));
  await clock.advance(0);
  assert.deepEqual(calls(device), ["1 on"]);
  await clock.advance(1999);
  assert.deepEqual(calls(device), ["1 on"]);
  await clock.advance(1);
  assert.deepEqual(calls(device), ["1 on", "2 on"]);
  assert.equal(status(second()), "done");
  await stop(supervisor, clock);
});

Deno.test("a full mailbox refuses at once with queue full", async () => {
  const device = new FakeDevice();
  device.fallback = "gate";
  const { clock, supervisor } = setup([fakePdu("p", { "queue_limit": 2 })], device);
  supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } });
  const third = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 3 } });
  assert.equal(third.status, "refused");
  assert.equal(kind(third), "queue_full");
  assert.match(reason(third), /queue of PDU "p" is full/);
  device.release();
  device.release();
  await stop(supervisor, clock);
});

Deno.test("unknown PDU is refused with its name", async () => {
  const { clock, supervisor } = setup([fakePdu("p")]);
  const r = await supervisor.submit({ pdu: "nope", command: { type: "on", outlet: 1 } });
  assert.deepEqual([r.status, kind(r)], ["refused", "unknown_pdu"]);
  await stop(supervisor, clock);
});

Deno.test("a hung driver times out and the PDU serves the next job", async () => {
  const device = new FakeDevice();
  device.script = ["hang"];
  const { clock, supervisor } = setup([fakePdu("p", { timeout: 10, retries: 1 })], device);
  const hung = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } }));
  const next = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } }));
  await clock.advance(9999);
  assert.equal(hung(), undefined);
  await clock.advance(1);
  assert.equal(status(hung()), "failed");
  assert.equal(kind(hung()), "timeout");
  assert.match(
    reason(hung()),
    /Cannot switch outlet 1 of "p" on: no answer within 10000 ms \(attempt 1 of 1\)/,
  );
  assert.equal(status(next()), "done");
  assert.ok(device.closed >= 1, "the connection is torn down after a timeout");
  await stop(supervisor, clock);
});

Deno.test("retries: attempts in all, retrydelay apart, then done", async () => {
  const device = new FakeDevice();
  device.script = ["device-error", "device-error"];
  const { clock, supervisor } = setup([fakePdu("p", { retries: 3, retrydelay: 5 })], device);
  const job = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } }));
  await clock.advance(0);
  assert.equal(device.calls.length, 1);
  await clock.advance(4999);
  assert.equal(device.calls.length, 1);
  await clock.advance(1);
  assert.equal(device.calls.length, 2);
  await clock.advance(5000);
  assert.equal(device.calls.length, 3);
  assert.equal(status(job()), "done");
  await stop(supervisor, clock);
});

Deno.test("retries exhausted: failed with the device's reason and the attempt count", async () => {
  const device = new FakeDevice();
  device.fallback = "device-error";
  const { clock, supervisor } = setup([fakePdu("p", { retries: 2, retrydelay: 1 })], device);
  const job = track(supervisor.submit({ pdu: "p", command: { type: "off", outlet: 7 } }));
  await clock.advance(1000);
  assert.equal(status(job()), "failed");
  assert.equal(
    reason(job()),
    'Cannot switch outlet 7 of "p" off: fake device said no (attempt 2 of 2)',
  );
  await stop(supervisor, clock);
});

Deno.test("a crashed actor is restarted with a fresh driver and its queued jobs still run", async () => {
  const device = new FakeDevice();
  device.script = ["type-error"];
  const { clock, supervisor } = setup([fakePdu("p", { retries: 2 })], device);
  const first = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } }));
  const second = track(supervisor.submit({ pdu: "p", command: { type: "off", outlet: 2 } }));
  await clock.advance(0);
  assert.equal(device.created, 2, "a new driver for the new incarnation");
  assert.deepEqual(device.calls.map((c) => [c.outlet, c.incarnation]), [[1, 1], [1, 2], [2, 2]]);
  assert.equal(status(first()), "done");
  assert.equal(status(second()), "done");
  assert.equal(supervisor.snapshot()[0]?.restarts, 1);
  await stop(supervisor, clock);
});

Deno.test("a driver that ignores abort is abandoned and the actor restarted", async () => {
  const device = new FakeDevice();
  device.script = ["hang-forever"];
  const { clock, supervisor } = setup([fakePdu("p", { retries: 2, timeout: 10 })], device);
  const job = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } }));
  await clock.advance(10_000);
  assert.equal(job(), undefined);
  await clock.advance(1000);
  assert.equal(device.created, 2);
  assert.equal(status(job()), "done", "re-run by the new incarnation");
  await stop(supervisor, clock);
});

Deno.test("past max_restarts the PDU fails, refuses with the reason, and comes back after back-off", async () => {
  const device = new FakeDevice();
  device.fallback = "type-error";
  const { clock, supervisor } = setup(
    [fakePdu("p", { retries: 100, "max_restarts": 2, "restart_window": 60 })],
    device,
  );
  const job = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } }));
  await clock.advance(0);
  assert.equal(status(job()), "failed");
  assert.equal(kind(job()), "pdu_failed");
  assert.match(reason(job()), /restarted 2 times within 60 s; last crash: .*fake driver bug/);
  const refused = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  assert.equal(kind(refused), "pdu_failed");
  assert.equal(supervisor.snapshot()[0]?.state, "failed");
  device.fallback = "ok";
  await clock.advance(30_000);
  assert.equal(supervisor.snapshot()[0]?.state, "idle");
  const again = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  assert.equal(again.status, "done");
  await stop(supervisor, clock);
});

Deno.test("shutdown mid-reboot turns the outlet back on and refuses unstarted jobs", async () => {
  const { clock, device, supervisor } = setup([fakePdu("p")]);
  const reboot = track(
    supervisor.submit({ pdu: "p", command: { type: "reboot", outlet: 3, delay: 60 } }),
  );
  const queued = track(supervisor.submit({ pdu: "p", command: { type: "off", outlet: 3 } }));
  await clock.advance(1000);
  assert.deepEqual(calls(device), ["3 off"]);
  const report = await supervisor.shutdown({ graceMs: 5000 });
  await clock.flush();
  assert.deepEqual(calls(device), ["3 off", "3 on"]);
  assert.equal(device.states.get(3), "on");
  assert.equal(status(reboot()), "done");
  assert.equal(status(queued()), "refused");
  assert.equal(kind(queued()), "shutting_down");
  assert.deepEqual(report.unfinished, []);
  const late = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  assert.equal(kind(late), "shutting_down");
});

Deno.test("shutdown is bounded by its grace period when a device hangs", async () => {
  const device = new FakeDevice();
  device.fallback = "hang-forever";
  const { clock, supervisor } = setup([fakePdu("p", { timeout: 600 })], device);
  const job = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } }));
  await clock.advance(0);
  const stopping = supervisor.shutdown({ graceMs: 3000 });
  await clock.advance(3000);
  const report = await stopping;
  assert.deepEqual(report.unfinished, [{ pdu: "p", outlet: 2, command: "on" }]);
  assert.equal(kind(job()), "shutdown");
});

Deno.test("reload adds, removes and changes PDUs without losing queued jobs", async () => {
  const device = new FakeDevice();
  device.fallback = "gate";
  const { clock, supervisor } = setup([fakePdu("keep"), fakePdu("gone")], device);
  const a = track(supervisor.submit({ pdu: "keep", command: { type: "on", outlet: 1 } }));
  const b = track(supervisor.submit({ pdu: "keep", command: { type: "on", outlet: 2 } }));
  const c = track(supervisor.submit({ pdu: "gone", command: { type: "on", outlet: 1 } }));
  await clock.advance(0);
  const report = supervisor.reload(
    fakeConfig([fakePdu("keep", { retries: 4 }), fakePdu("added")]),
  );
  assert.deepEqual(report, { added: ["added"], removed: ["gone"], changed: ["keep"] });
  const refused = await supervisor.submit({ pdu: "gone", command: { type: "on", outlet: 1 } });
  assert.equal(refused.status, "refused");
  device.fallback = "ok";
  device.release();
  device.release();
  await clock.advance(0);
  assert.equal(status(a()), "done");
  assert.equal(status(b()), "done", "queued job ran on the new incarnation");
  assert.equal(status(c()), "done", "removed PDU drained its queue");
  const added = await supervisor.submit({ pdu: "added", command: { type: "on", outlet: 1 } });
  assert.equal(added.status, "done");
  await stop(supervisor, clock);
});
