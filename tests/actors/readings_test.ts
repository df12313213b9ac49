/**
 * Power and list reads through the supervisor and a PDU's actor: one exchange in flight, per-outlet
 * order, readings yielding to switching, timeouts, and what a driver that cannot read answers.
 */
import assert from "node:assert/strict";
import {
  ALL_OUTLETS,
  createSupervisor,
  EventHub,
  type JobResult,
  type PduCommand,
  SILENT_LOGGER,
  type Supervisor,
} from "../../actors/mod.ts";
import type { PduConfig } from "../../config/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { fakeConfig, fakePdu } from "../_helpers/fake_driver.ts";
import { FakeMeter } from "../_helpers/fake_meter.ts";
import { decide } from "../../actors/scheduler.ts";

function setup(meter: FakeMeter, pdu: PduConfig = fakePdu("p")) {
  const clock = new ManualClock();
  const supervisor = createSupervisor(fakeConfig([pdu]), {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => meter.descriptor(),
    abortGraceMs: 1000,
    random: () => 0.5,
  });
  const submit = (command: PduCommand) => track(supervisor.submit({ pdu: "p", command }));
  return { clock, supervisor, submit };
}

function track(promise: Promise<JobResult>): () => JobResult | undefined {
  let result: JobResult | undefined;
  promise.then((r) => result = r);
  return () => result;
}

async function stop(supervisor: Supervisor, clock: ManualClock) {
  const done = supervisor.shutdown({ graceMs: 0 });
  await clock.advance(5000);
  await done;
}

const LIST: PduCommand = { type: "list", outlet: ALL_OUTLETS };
const POWER_LIST: PduCommand = { type: "list", outlet: ALL_OUTLETS, power: true };

Deno.test("a power job reads the outlet through the actor and answers the reading", async () => {
  const meter = new FakeMeter({ power: true });
  meter.states.set(2, "on");
  meter.watts.set(2, 42.5);
  const { clock, supervisor, submit } = setup(meter);
  const result = submit({ type: "power", outlet: 2 });
  await clock.advance(0);
  assert.deepEqual(meter.log, ["power 2"]);
  const r = result();
  assert.equal(r?.status, "done");
  assert.deepEqual(r?.status === "done" && r.power, { watts: 42.5, energyWh: 425 });
  await stop(supervisor, clock);
});

Deno.test("a PDU whose driver reads no power refuses a power job as not supported, at once", async () => {
  const meter = new FakeMeter({ get: true });
  const { clock, supervisor, submit } = setup(meter);
  await clock.advance(0);
  const result = submit({ type: "power", outlet: 1 });
  await clock.flush();
  const r = result();
  assert.equal(r?.status, "refused");
  assert.equal(r?.status === "refused" && r.kind, "not_supported");
  assert.match(r?.status === "refused" ? r.reason : "", /does not report power/);
  assert.deepEqual(meter.log, [], "nothing reached the device");
  await stop(supervisor, clock);
});

Deno.test("a power job outside the outlet range is refused as a bad outlet", async () => {
  const { clock, supervisor, submit } = setup(new FakeMeter({ power: true }));
  await clock.advance(0);
  const result = submit({ type: "power", outlet: 9 });
  await clock.flush();
  assert.equal(result()?.status === "refused" && result()?.status, "refused");
  const r = result();
  assert.equal(r?.status === "refused" && r.kind, "bad_outlet");
  await stop(supervisor, clock);
});

Deno.test("a list job takes one exchange where the driver lists, with names and power", async () => {
  const meter = new FakeMeter({ get: true, power: true, list: true }, { min: 1, max: 3 });
  meter.states.set(3, "on");
  meter.watts.set(3, 7);
  const { clock, supervisor, submit } = setup(meter);
  const result = submit(LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["list"]);
  const r = result();
  assert.ok(r?.status === "done");
  assert.equal(r.exchanges, 1);
  assert.equal(r.via, "list");
  assert.equal(r.source, "device");
  assert.deepEqual(r.outlets, [
    { outlet: 1, state: "off", name: "socket-1", power: { watts: 0, energyWh: 0 } },
    { outlet: 2, state: "off", name: "socket-2", power: { watts: 0, energyWh: 0 } },
    { outlet: 3, state: "on", name: "socket-3", power: { watts: 7, energyWh: 70 } },
  ]);
  await stop(supervisor, clock);
});

Deno.test("a list job reads outlet by outlet over the range where the driver cannot list", async () => {
  const meter = new FakeMeter({ get: true });
  meter.states.set(2, "on");
  const { clock, supervisor, submit } = setup(meter);
  const result = submit(LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["get 1", "get 2", "get 3", "get 4"]);
  assert.equal(meter.maxInFlight, 1);
  const r = result();
  assert.ok(r?.status === "done");
  assert.equal(r.exchanges, 4);
  assert.equal(r.via, "per-outlet");
  assert.deepEqual(r.outlets?.map((o) => `${o.outlet}:${o.state}`), [
    "1:off",
    "2:on",
    "3:off",
    "4:off",
  ]);
  await stop(supervisor, clock);
});

Deno.test("a list job is refused as not supported without listOutlets and getOutlet", async () => {
  const { clock, supervisor, submit } = setup(new FakeMeter({ power: true }));
  await clock.advance(0);
  const result = submit(LIST);
  await clock.flush();
  const r = result();
  assert.equal(r?.status === "refused" && r.kind, "not_supported");
  assert.match(r?.status === "refused" ? r.reason : "", /cannot read its outlets' states/);
  await stop(supervisor, clock);
});

Deno.test("a list job is refused as not supported when the driver declares no outlet range", async () => {
  const { clock, supervisor, submit } = setup(new FakeMeter({ get: true }, null));
  await clock.advance(0);
  const result = submit(LIST);
  await clock.flush();
  const r = result();
  assert.equal(r?.status === "refused" && r.kind, "not_supported");
  assert.match(r?.status === "refused" ? r.reason : "", /declares no outlet range/);
  await stop(supervisor, clock);
});

Deno.test("switching jobs run before the rest of an earlier list's reads", async () => {
  const meter = new FakeMeter({ get: true });
  meter.script = ["gate"];
  const { clock, supervisor, submit } = setup(meter);
  const list = submit(LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["get 1"], "the list's first read is in flight");
  const on2 = submit({ type: "on", outlet: 2 });
  const on3 = submit({ type: "on", outlet: 3 });
  await clock.advance(0);
  assert.deepEqual(meter.log, ["get 1"], "one operation at a time: the switches wait");
  meter.release();
  await clock.advance(0);
  assert.deepEqual(meter.log, ["get 1", "set 2 on", "set 3 on", "get 2", "get 3", "get 4"]);
  assert.equal(meter.maxInFlight, 1);
  assert.equal(on2()?.status, "done");
  assert.equal(on3()?.status, "done");
  const r = list();
  assert.ok(r?.status === "done");
  assert.deepEqual(r.outlets?.map((o) => o.state), ["off", "on", "on", "off"]);
  await stop(supervisor, clock);
});

Deno.test("a power read waits behind an earlier reboot of its outlet, not in its middle", async () => {
  const meter = new FakeMeter({ power: true });
  meter.watts.set(3, 12);
  const { clock, supervisor, submit } = setup(meter);
  const reboot = submit({ type: "reboot", outlet: 3, delay: 5 });
  const power = submit({ type: "power", outlet: 3 });
  const other = submit({ type: "power", outlet: 4 });
  await clock.advance(0);
  assert.deepEqual(meter.log, ["set 3 off", "power 4"], "outlet 4 is read during 3's wait");
  assert.equal(power(), undefined);
  await clock.advance(5000);
  assert.deepEqual(meter.log, ["set 3 off", "power 4", "set 3 on", "power 3"]);
  assert.equal(reboot()?.status, "done");
  const r = power();
  assert.deepEqual(r?.status === "done" && r.power, { watts: 12, energyWh: 120 });
  assert.equal(other()?.status, "done");
  await stop(supervisor, clock);
});

Deno.test("a power read that hangs fails as a timeout after the PDU's timeout", async () => {
  const meter = new FakeMeter({ power: true });
  meter.script = ["hang"];
  const { clock, supervisor, submit } = setup(meter, fakePdu("p", { timeout: 3 }));
  const result = submit({ type: "power", outlet: 1 });
  await clock.advance(0);
  const after = submit({ type: "on", outlet: 2 });
  await clock.advance(2999);
  assert.equal(result(), undefined);
  assert.equal(after(), undefined, "the switch waits: one operation in flight");
  await clock.advance(1);
  const r = result();
  assert.equal(r?.status === "failed" && r.kind, "timeout");
  assert.match(
    r?.status === "failed" ? r.reason : "",
    /^Cannot read the power of outlet 1 of "p": no answer within 3000 ms/,
  );
  assert.equal(after()?.status, "done", "switching goes on once the read timed out");
  await stop(supervisor, clock);
});

Deno.test("a failed read is retried like any operation, retrydelay apart", async () => {
  const meter = new FakeMeter({ power: true });
  meter.script = ["device-error"];
  const { clock, supervisor, submit } = setup(
    meter,
    fakePdu("p", { retries: 2, retrydelay: 5 }),
  );
  const result = submit({ type: "power", outlet: 1 });
  await clock.advance(4999);
  assert.deepEqual(meter.log, ["power 1"]);
  await clock.advance(1);
  assert.deepEqual(meter.log, ["power 1", "power 1"]);
  assert.equal(result()?.status, "done");
  await stop(supervisor, clock);
});

Deno.test("a power list reads power outlet by outlet where the listing carries none", async () => {
  const meter = new FakeMeter({ get: true, power: true, list: true, listPower: false }, {
    min: 1,
    max: 2,
  });
  meter.states.set(1, "on");
  meter.watts.set(1, 3);
  const { clock, supervisor, submit } = setup(meter);
  const result = submit(POWER_LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["list", "power 1", "power 2"]);
  const r = result();
  assert.ok(r?.status === "done");
  assert.equal(r.exchanges, 3);
  assert.deepEqual(r.outlets?.map((o) => [o.outlet, o.state, o.power?.watts]), [
    [1, "on", 3],
    [2, "off", 0],
  ]);
  await stop(supervisor, clock);
});

Deno.test("a power list without listOutlets reads power over the range, no states", async () => {
  const meter = new FakeMeter({ power: true }, { min: 1, max: 2 });
  const { clock, supervisor, submit } = setup(meter);
  const result = submit(POWER_LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["power 1", "power 2"]);
  const r = result();
  assert.ok(r?.status === "done");
  assert.deepEqual(r.outlets, [
    { outlet: 1, power: { watts: 0, energyWh: 0 } },
    { outlet: 2, power: { watts: 0, energyWh: 0 } },
  ]);
  await stop(supervisor, clock);
});

Deno.test("command_gap separates the reads of a per-outlet list", async () => {
  const meter = new FakeMeter({ get: true }, { min: 1, max: 2 });
  const { clock, supervisor, submit } = setup(meter, fakePdu("p", { "command_gap": 2 }));
  const result = submit(LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["get 1"]);
  await clock.advance(1999);
  assert.deepEqual(meter.log, ["get 1"]);
  await clock.advance(1);
  assert.deepEqual(meter.log, ["get 1", "get 2"]);
  assert.equal(result()?.status, "done");
  await stop(supervisor, clock);
});

Deno.test("reads pdud asks itself (background) are not on the event stream; clients' are", async () => {
  const meter = new FakeMeter({ power: true });
  const clock = new ManualClock();
  const events = new EventHub({ clock, boot: "b" });
  const subscription = events.subscribe();
  const supervisor = createSupervisor(fakeConfig([fakePdu("p")]), {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => meter.descriptor(),
    events,
  });
  const command: PduCommand = { type: "power", outlet: 1 };
  await clock.advance(0);
  const before = events.published;
  const quiet = track(supervisor.submit({ pdu: "p", command, background: true }));
  await clock.advance(0);
  assert.equal(quiet()?.status, "done");
  assert.equal(events.published, before, "nothing published for pdud's own read");
  const asked = track(supervisor.submit({ pdu: "p", command }));
  await clock.advance(0);
  assert.equal(asked()?.status, "done");
  assert.ok(events.published >= before + 2, "a client's read is accepted and done on the stream");
  if ("take" in subscription) subscription.close();
  await stop(supervisor, clock);
});

Deno.test("scheduler runs a newer switching step before an older reading", () => {
  const timing = { now: 10, lastOperationAt: 0, gapMs: 0 };
  const reading = { seq: 1, outlet: "*", step: "set" as const, readyAt: 0, background: true };
  const switching = { seq: 2, outlet: 3, step: "set" as const, readyAt: 0 };
  assert.deepEqual(decide([reading, switching], timing), { type: "run", seq: 2 });
  assert.deepEqual(decide([reading], timing), { type: "run", seq: 1 }, "alone, the reading runs");
  const later = { ...switching, readyAt: 20 };
  assert.deepEqual(
    decide([reading, later], timing),
    { type: "run", seq: 1 },
    "a switch waiting out its retry delay does not hold the reading",
  );
});

Deno.test("a power list skips an outlet the device does not meter; a transient failure fails it", async () => {
  const meter = new FakeMeter({ power: true }, { min: 1, max: 3 });
  meter.states.set(3, "on");
  meter.watts.set(3, 8);
  meter.script = ["ok", "unmetered"];
  const { clock, supervisor, submit } = setup(meter);
  const result = submit(POWER_LIST);
  await clock.advance(0);
  assert.deepEqual(meter.log, ["power 1", "power 2", "power 3"]);
  const r = result();
  assert.ok(r?.status === "done");
  assert.deepEqual(r.outlets?.map((o) => [o.outlet, o.power?.watts]), [
    [1, 0],
    [2, undefined],
    [3, 8],
  ]);
  assert.equal(supervisor.snapshot()[0]?.lastError, null, "an unmetered outlet is no PDU error");
  meter.script = ["device-error"];
  const failed = submit(POWER_LIST);
  await clock.advance(0);
  assert.equal(failed()?.status, "failed", "retries: 1, a transient failure ends the read");
  await stop(supervisor, clock);
});

Deno.test("a list is not read one by one over more than 256 outlets", async () => {
  const meter = new FakeMeter({ get: true }, { min: 0, max: 65535 });
  const { clock, supervisor, submit } = setup(meter);
  await clock.advance(0);
  const result = submit(LIST);
  await clock.flush();
  const r = result();
  assert.equal(r?.status === "refused" && r.kind, "not_supported");
  assert.match(r?.status === "refused" ? r.reason : "", /its 65536 outlets are more than 256/);
  assert.deepEqual(meter.log, []);
  await stop(supervisor, clock);
});

Deno.test("a client's list read reports on the event stream the outlet changes it found", async () => {
  const meter = new FakeMeter({ get: true, list: true }, { min: 1, max: 3 });
  const clock = new ManualClock();
  const events = new EventHub({ clock, boot: "b" });
  const subscription = events.subscribe();
  assert.ok("take" in subscription);
  const supervisor = createSupervisor(fakeConfig([fakePdu("p")]), {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => meter.descriptor(),
    events,
  });
  const on = track(supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } }));
  await clock.advance(0);
  assert.equal(on()?.status, "done");
  meter.states.set(2, "off"); // behind pdud's back
  meter.states.set(3, "on");
  subscription.take();
  const list = track(supervisor.submit({ pdu: "p", command: LIST }));
  await clock.advance(0);
  assert.equal(list()?.status, "done");
  const changes = subscription.take().filter((e) => e.type === "outlet.state").map((e) => {
    const d = JSON.parse(e.data);
    return `${d.outlet} ${d.previous}->${d.state} ${d.source}`;
  });
  assert.deepEqual(changes, ["1 null->off device", "2 on->off device", "3 null->on device"]);
  subscription.close();
  await stop(supervisor, clock);
});
