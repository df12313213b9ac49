/**
 * Supervisor lifecycle with a fake driver and a manual clock: permanent errors are not retried,
 * every job's outcome is logged, a reload during shutdown is refused, a failed PDU comes back
 * by reload, a PDU re-added while its removal drains keeps one actor, and shutdown answers
 * jobs not started at once.
 */
import assert from "node:assert/strict";
import {
  createSupervisor,
  type JobResult,
  ShuttingDownError,
  type SubmitRequest,
} from "../../actors/mod.ts";
import type { PduConfig } from "../../config/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { fakeConfig, FakeDevice, fakePdu } from "../_helpers/fake_driver.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

function setup(pdus: PduConfig[], device = new FakeDevice()) {
  const clock = new ManualClock();
  const lines: LogLine[] = [];
  const supervisor = createSupervisor(fakeConfig(pdus), {
    clock,
    log: memoryLogger(lines),
    findDriver: () => device.descriptor(),
    abortGraceMs: 1000,
    backoff: { initialMs: 30_000, maxMs: 600_000 },
    random: () => 0.5,
  });
  const track = (request: SubmitRequest) => {
    let result: JobResult | undefined;
    supervisor.submit(request).then((r) => result = r);
    return () => result;
  };
  const stop = async () => {
    const done = supervisor.shutdown({ graceMs: 0 });
    await clock.advance(5000);
    await done;
  };
  return { clock, device, supervisor, lines, track, stop };
}

const reason = (r: JobResult | undefined) => r && r.status !== "done" ? r.reason : "";

Deno.test("a permanent driver error fails the job at once and says it was not retried", async () => {
  const device = new FakeDevice();
  device.script = ["auth-error"];
  const { clock, supervisor, track, stop } = setup([fakePdu("p", { retries: 5 })], device);
  const job = track({ pdu: "p", command: { type: "on", outlet: 1 } });
  await clock.advance(0);
  assert.equal(device.calls.length, 1, "one attempt only");
  assert.equal(job()?.status, "failed");
  const result = job();
  assert.equal(result?.status === "failed" ? result.kind : undefined, "auth");
  assert.equal(
    reason(job()),
    'Cannot switch outlet 1 of "p" on: fake device refused the credentials ' +
      "(attempt 1 of 5; not retried: the error is permanent)",
  );
  await clock.advance(60_000);
  assert.equal(device.calls.length, 1, "no retry later either");
  assert.equal(supervisor.snapshot()[0]?.slot, "running", "a permanent error is no crash");
  await stop();
});

Deno.test("a transient driver error keeps its retries", async () => {
  const device = new FakeDevice();
  device.script = ["device-error", "device-error", "device-error"];
  const { clock, track, stop } = setup([fakePdu("p", { retries: 3, retrydelay: 5 })], device);
  const job = track({ pdu: "p", command: { type: "off", outlet: 2 } });
  await clock.advance(10_000);
  assert.equal(device.calls.length, 3);
  assert.equal(job()?.status, "failed");
  assert.match(reason(job()), /\(attempt 3 of 3\)$/);
  assert.doesNotMatch(reason(job()), /permanent/);
  await stop();
});

Deno.test("every job's outcome is logged: done at INFO, failed and refused (unknown PDU too) at WARN", async () => {
  const device = new FakeDevice();
  const { clock, supervisor, lines, stop } = setup([fakePdu("p", { retries: 1 })], device);
  const requester = { requestId: "r-1", transport: "http", address: "10.0.0.9", token: "ci-bot" };
  await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 3 }, requester });
  device.script = ["device-error"];
  await supervisor.submit({ pdu: "p", command: { type: "off", outlet: 4 }, requester });
  await supervisor.submit({ pdu: "nope", command: { type: "reboot", outlet: 1, delay: 5 } });
  const outcomes = lines.filter((l) => l.level !== "debug" && l.message.startsWith("job "));
  assert.deepEqual(outcomes.map((l) => [l.level, l.message]), [
    ["info", "job done"],
    ["warn", "job failed"],
    ["warn", "job refused"],
  ]);
  const [done, failed, refused] = outcomes.map((l) => l.fields);
  assert.deepEqual(
    { ...done, job: undefined },
    {
      pdu: "p",
      outlet: 3,
      command: "on",
      job: undefined,
      requestId: "r-1",
      transport: "http",
      address: "10.0.0.9",
      principal: "ci-bot",
      state: "on",
    },
  );
  assert.equal(failed?.outlet, 4);
  assert.equal(failed?.command, "off");
  assert.equal(failed?.kind, "device");
  assert.match(String(failed?.reason), /fake device said no/);
  assert.deepEqual(
    [refused?.pdu, refused?.outlet, refused?.command, refused?.kind, refused?.principal],
    ["nope", 1, "reboot", "unknown_pdu", "anonymous"],
  );
  assert.match(String(refused?.reason), /no PDU named "nope"/);
  await clock.advance(0);
  await stop();
});

Deno.test("reload after shutdown began throws ShuttingDownError and starts nothing", async () => {
  const device = new FakeDevice();
  device.script = ["gate"];
  const { clock, supervisor, track } = setup([fakePdu("p")], device);
  const reboot = track({ pdu: "p", command: { type: "reboot", outlet: 1, delay: 3 } });
  await clock.advance(0);
  const stopping = supervisor.shutdown({ graceMs: 30_000 });
  const created = device.created;
  assert.throws(() => supervisor.reload(fakeConfig([fakePdu("p")])), ShuttingDownError);
  assert.throws(() => supervisor.reload(fakeConfig([fakePdu("p", { retries: 3 })])), {
    message: /shutting down/,
  });
  device.release();
  await clock.advance(0);
  await stopping;
  assert.equal(device.created, created, "no incarnation started by the refused reloads");
  assert.deepEqual(device.calls.map((c) => `${c.outlet} ${c.state}`), ["1 off", "1 on"]);
  assert.equal(device.maxInFlight, 1);
  assert.equal(reboot()?.status, "done");
});

for (const changed of [false, true]) {
  Deno.test(`reload of a failed PDU (${changed ? "changed" : "unchanged"} config) brings it back serving`, async () => {
    const device = new FakeDevice();
    device.fallback = "type-error";
    const pdu = fakePdu("p", { "max_restarts": 1, retries: 10 });
    const { clock, supervisor, track, stop } = setup([pdu], device);
    const job = track({ pdu: "p", command: { type: "on", outlet: 1 } });
    await clock.advance(0);
    assert.equal(job()?.status, "failed");
    assert.equal(supervisor.snapshot()[0]?.state, "failed");
    device.fallback = "ok";
    const report = supervisor.reload(
      fakeConfig([changed ? fakePdu("p", { "max_restarts": 1, retries: 9 }) : pdu]),
    );
    assert.deepEqual(report.changed, changed ? ["p"] : []);
    assert.equal(supervisor.snapshot()[0]?.state, "idle");
    const again = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
    assert.equal(again.status, "done", reason(again));
    const created = device.created;
    await clock.advance(600_000);
    assert.equal(device.created, created, "the old back-off timer starts nothing");
    await stop();
  });
}

Deno.test("a PDU re-added while its removal drains: one actor, every wait honoured, truthful snapshot", async () => {
  const { clock, device, supervisor, track, stop } = setup([fakePdu("p")]);
  const reboots = [1, 2, 3].map((outlet) =>
    track({ pdu: "p", command: { type: "reboot", outlet, delay: 3 } })
  );
  await clock.advance(0);
  assert.deepEqual(supervisor.reload(fakeConfig([])).removed, ["p"]);
  assert.equal(supervisor.snapshot()[0]?.slot, "draining");
  await clock.advance(500);
  assert.deepEqual(supervisor.reload(fakeConfig([fakePdu("p")])).added, ["p"]);
  await clock.advance(0);
  assert.deepEqual(
    supervisor.snapshot().map((s) => [s.name, s.slot, s.queueDepth]),
    [["p", "running", 3]],
  );
  await clock.advance(2499);
  assert.equal(device.calls.length, 3, "no wait cut short");
  await clock.advance(1);
  assert.deepEqual(device.calls.map((c) => `${c.outlet} ${c.state}`), [
    "1 off",
    "2 off",
    "3 off",
    "1 on",
    "2 on",
    "3 on",
  ]);
  assert.ok(reboots.every((r) => r()?.status === "done"));
  assert.equal(device.maxInFlight, 1);
  const after = await supervisor.submit({ pdu: "p", command: { type: "on", outlet: 5 } });
  assert.equal(after.status, "done");
  assert.deepEqual(
    supervisor.snapshot().map((s) => [s.name, s.state, s.queueDepth]),
    [["p", "idle", 0]],
  );
  await stop();
});

Deno.test("shutdown answers jobs not started at once, before the step in flight ends", async () => {
  const device = new FakeDevice();
  device.script = ["gate"];
  const { clock, supervisor, track } = setup([fakePdu("p"), fakePdu("q")], device);
  const first = track({ pdu: "p", command: { type: "on", outlet: 1 } });
  const queued = track({ pdu: "p", command: { type: "off", outlet: 2 } });
  await clock.advance(0);
  const stopping = supervisor.shutdown({ graceMs: 30_000 });
  await clock.flush();
  assert.equal(queued()?.status, "refused");
  assert.match(reason(queued()), /^pdud is shutting down, not started: off of outlet 2 on "p"$/);
  assert.equal(first(), undefined);
  device.release();
  await clock.advance(0);
  const report = await stopping;
  assert.equal(first()?.status, "done");
  assert.deepEqual(report.unfinished, []);
});
