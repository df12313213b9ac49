import assert from "node:assert/strict";
import { Mailbox } from "../../actors/mailbox.ts";
import { RestartWindow } from "../../actors/restart_window.ts";
import { decide, type Decision, heads, type JobView } from "../../actors/scheduler.ts";
import { stepsOf } from "../../actors/messages.ts";
import { Watchdog } from "../../actors/clock.ts";
import { ManualClock } from "../_helpers/clock.ts";

const T = { now: 100, lastOperationAt: -Infinity, gapMs: 0 };
const rows: [string, JobView[], typeof T, Decision][] = [
  ["idle with no jobs", [], T, { type: "idle" }],
  [
    "runs the oldest runnable set",
    [
      { seq: 2, outlet: 1, step: "set", readyAt: 0 },
      { seq: 1, outlet: 2, step: "set", readyAt: 0 },
    ],
    T,
    { type: "run", seq: 1 },
  ],
  [
    "a later job of the same outlet waits behind its head",
    [
      { seq: 1, outlet: 3, step: "wait", readyAt: 500 },
      { seq: 2, outlet: 3, step: "set", readyAt: 0 },
    ],
    T,
    { type: "sleep", until: 500 },
  ],
  [
    "runs outlet 4 while outlet 3 waits out a reboot",
    [
      { seq: 1, outlet: 3, step: "wait", readyAt: 500 },
      { seq: 2, outlet: 4, step: "set", readyAt: 0 },
    ],
    T,
    { type: "run", seq: 2 },
  ],
  [
    "advances waits that are over",
    [
      { seq: 1, outlet: 3, step: "wait", readyAt: 100 },
      { seq: 2, outlet: 4, step: "wait", readyAt: 50 },
    ],
    T,
    { type: "advance", seqs: [1, 2] },
  ],
  ["respects command_gap", [{ seq: 1, outlet: 1, step: "set", readyAt: 0 }], {
    now: 100,
    lastOperationAt: 90,
    gapMs: 50,
  }, { type: "sleep", until: 140 }],
  ["waits out a retry delay", [{ seq: 1, outlet: 1, step: "set", readyAt: 300 }], T, {
    type: "sleep",
    until: 300,
  }],
];
for (const [name, jobs, timing, expected] of rows) {
  Deno.test(`scheduler: ${name}`, () => assert.deepEqual(decide(jobs, timing), expected));
}

Deno.test("heads() picks each outlet's oldest job by seq, whether or not the input is in order", () => {
  const jobs = [
    { seq: 1, outlet: 3 },
    { seq: 2, outlet: 1 },
    { seq: 3, outlet: 3 },
    { seq: 4, outlet: 2 },
    { seq: 5, outlet: 1 },
  ];
  const outletOf = (j: { outlet: number }) => j.outlet;
  const expected = [1, 2, 4];
  assert.deepEqual(heads(jobs, outletOf).map((j) => j.seq), expected);
  assert.deepEqual(heads([...jobs].reverse(), outletOf).map((j) => j.seq), expected);
  const swapped = [jobs[2]!, jobs[1]!, jobs[0]!, jobs[4]!, jobs[3]!];
  assert.deepEqual(heads(swapped, outletOf).map((j) => j.seq), expected);
});

Deno.test("stepsOf compiles reboot into off, wait, on and on-with-delay into wait, on", () => {
  assert.deepEqual(stepsOf({ type: "reboot", outlet: 1, delay: 5 }), [
    { kind: "set", state: "off" },
    { kind: "wait", ms: 5000 },
    { kind: "set", state: "on" },
  ]);
  assert.deepEqual(stepsOf({ type: "on", outlet: 1, delayBefore: 2 }), [
    { kind: "wait", ms: 2000 },
    { kind: "set", state: "on" },
  ]);
  assert.deepEqual(stepsOf({ type: "off", outlet: 1 }), [{ kind: "set", state: "off" }]);
});

Deno.test("Mailbox.offer() refuses a job when the queue is full, and close() settles all", () => {
  const settled: string[] = [];
  const entry = (name: string) => ({ name, resolve: (r: string) => settled.push(`${name}:${r}`) });
  const box = new Mailbox<ReturnType<typeof entry>, string>(2);
  assert.equal(box.offer(entry("a")), true);
  assert.equal(box.offer(entry("b")), true);
  assert.equal(box.offer(entry("c")), false);
  box.settle(box.entries()[0]!, "done");
  assert.equal(box.offer(entry("d")), true);
  box.close((e) => `closed-${e.name}`);
  assert.deepEqual(settled, ["a:done", "b:closed-b", "d:closed-d"]);
  assert.equal(box.offer(entry("e")), false);
  assert.throws(() => new Mailbox(0), RangeError);
});

Deno.test("RestartWindow allows intensity restarts within the period, as OTP's add_restart", () => {
  const w = new RestartWindow(3, 60_000);
  assert.equal(w.record(0), true);
  assert.equal(w.record(1000), true);
  assert.equal(w.record(2000), true);
  assert.equal(w.record(3000), false);
  const x = new RestartWindow(3, 60_000);
  for (const t of [0, 20_000, 40_000, 60_001, 80_002]) assert.equal(x.record(t), true, `at ${t}`);
});

Deno.test("Watchdog fires once at the last armed deadline, never when disarmed, with one timer", async () => {
  const clock = new ManualClock();
  let fired = 0;
  const watchdog = new Watchdog(clock, () => fired++);
  watchdog.arm(1000);
  await clock.advance(400);
  // Re-armed later: the timer already set is kept and re-armed for what is left when it fires.
  watchdog.arm(1000);
  assert.equal(clock.pending, 1);
  await clock.advance(999);
  assert.equal(fired, 0, "not before the new deadline");
  await clock.advance(1);
  assert.equal(fired, 1, "at the new deadline");
  await clock.advance(5000);
  assert.equal(fired, 1, "once");
  watchdog.arm(100);
  watchdog.disarm();
  await clock.advance(200);
  assert.equal(fired, 1, "a disarmed watchdog does not fire");
  assert.equal(clock.pending, 0, "and its timer is gone once it went off");
  // An earlier deadline than the timer's replaces the timer.
  watchdog.arm(1000);
  watchdog.arm(10);
  await clock.advance(10);
  assert.equal(fired, 2);
  watchdog.arm(100);
  watchdog.stop();
  assert.equal(clock.pending, 0, "stop() releases the timer");
});
