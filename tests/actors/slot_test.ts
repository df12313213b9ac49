/**
 * The slot state machine (actors/slot.ts): the table walked pair by pair, refused pairs
 * included; then a real Slot on a fake driver and a manual clock driven into every state and
 * handed every outside event, with the guarantees checked after each: one operation in flight,
 * every job answered once, a working mailbox after every way out of `failed`.
 */
import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import type { Job } from "../../actors/job.ts";
import type { JobResult, PduCommand } from "../../actors/messages.ts";
import {
  Slot,
  SLOT_EVENTS,
  SLOT_STATES,
  type SlotEventType,
  type SlotState,
  transition,
  type TransitionFacts,
} from "../../actors/slot.ts";
import { ActorCrash } from "../../actors/pdu_actor.ts";
import { stepsOf } from "../../actors/messages.ts";
import type { PduConfig } from "../../config/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { FakeDevice, fakePdu } from "../_helpers/fake_driver.ts";

// ---- the table ---------------------------------------------------------------------------

type Expect = SlotState | null | ((f: TransitionFacts) => SlotState | null);

/** The contract, written out independently of the implementation's table. */
const EXPECTED: Record<SlotState, Record<SlotEventType, Expect>> = {
  running: {
    crashed: (f) => f.mayRestart ? "running" : "failed",
    incarnationEnded: null,
    reconfigure: "reconfiguring",
    remove: "draining",
    shutdown: "stopping",
    backoffElapsed: null,
  },
  reconfiguring: {
    crashed: (f) => f.available ? (f.mayRestart ? "running" : "failed") : "unavailable",
    incarnationEnded: (f) => f.available ? "running" : "unavailable",
    reconfigure: "reconfiguring",
    remove: "draining",
    shutdown: "stopping",
    backoffElapsed: null,
  },
  failed: {
    crashed: null,
    incarnationEnded: null,
    reconfigure: (f) => f.available ? "running" : "unavailable",
    remove: "stopped",
    shutdown: "stopped",
    backoffElapsed: "running",
  },
  draining: {
    crashed: (f) => f.mayRestart && f.pending ? "draining" : "stopped",
    incarnationEnded: (f) => f.pending ? "draining" : "stopped",
    reconfigure: "reconfiguring",
    remove: null,
    shutdown: "stopping",
    backoffElapsed: null,
  },
  stopping: {
    crashed: (f) => f.mayRestart && f.pending ? "stopping" : "stopped",
    incarnationEnded: (f) => f.pending ? "stopping" : "stopped",
    reconfigure: null,
    remove: null,
    shutdown: null,
    backoffElapsed: null,
  },
  stopped: {
    crashed: null,
    incarnationEnded: null,
    reconfigure: null,
    remove: null,
    shutdown: null,
    backoffElapsed: null,
  },
  unavailable: {
    crashed: null,
    incarnationEnded: null,
    reconfigure: (f) => f.available ? "running" : "unavailable",
    remove: "stopped",
    shutdown: "stopped",
    backoffElapsed: null,
  },
};

const ALL_FACTS: TransitionFacts[] = [false, true].flatMap((mayRestart) =>
  [false, true].flatMap((pending) =>
    [false, true].map((available) => ({ mayRestart, pending, available }))
  )
);

for (const state of SLOT_STATES) {
  for (const event of SLOT_EVENTS) {
    const expect = EXPECTED[state][event];
    const label = typeof expect === "function" ? "depends on the facts" : expect ?? "refused";
    Deno.test(`slot table: ${state} + ${event} → ${label}`, () => {
      for (const facts of ALL_FACTS) {
        const want = typeof expect === "function" ? expect(facts) : expect;
        assert.equal(transition(state, event, facts), want, JSON.stringify(facts));
      }
    });
  }
}

Deno.test("slot table: stopped is final and failed is left only by reconfigure, back-off, remove or shutdown", () => {
  for (const facts of ALL_FACTS) {
    for (const event of SLOT_EVENTS) {
      assert.equal(transition("stopped", event, facts), null);
    }
  }
  const exits = SLOT_EVENTS.filter((e) => transition("failed", e, ALL_FACTS[7]!) !== null);
  assert.deepEqual(exits, ["reconfigure", "remove", "shutdown", "backoffElapsed"]);
});

// ---- a real slot -------------------------------------------------------------------------

let jobs = 0;

function setup(config: PduConfig, device = new FakeDevice()) {
  const clock = new ManualClock();
  const slot = new Slot(config, {
    clock,
    log: SILENT_LOGGER,
    find: () => device.descriptor(),
    abortGraceMs: 1000,
    backoff: { initialMs: 30_000, maxMs: 600_000 },
    random: () => 0.5,
  });
  const results: JobResult[] = [];
  const submit = (command: PduCommand) => {
    let result: JobResult | undefined;
    const job: Omit<Job, "seq"> = {
      id: `t${++jobs}`,
      pdu: config.name,
      command,
      steps: stepsOf(command),
      requester: {},
      acceptedAt: clock.now(),
      stepIndex: 0,
      attempts: 0,
      started: false,
      lastState: null,
      resolve: (r) => {
        assert.equal(result, undefined, `job ${job.id} answered twice`);
        result = r;
        results.push(r);
      },
    };
    const accepted = slot.offer(job);
    return { accepted, result: () => result };
  };
  return { clock, device, slot, submit, results };
}

const on = (outlet: number): PduCommand => ({ type: "on", outlet });

/** Drives a fresh slot into `state`; a gated operation is in flight where one can be. */
async function into(state: SlotState) {
  const device = new FakeDevice();
  const config = fakePdu("p", {
    "max_restarts": state === "failed" ? 0 : 3,
    available: state !== "unavailable",
  });
  const t = setup(config, device);
  const { clock, slot, submit } = t;
  switch (state) {
    case "running":
      break;
    case "failed":
      device.script = ["type-error"];
      submit(on(1));
      break;
    case "reconfiguring":
    case "draining":
    case "stopping":
      device.script = ["gate"];
      submit(on(1));
      submit(on(2));
      await clock.advance(0);
      slot.dispatch(
        state === "reconfiguring"
          ? { type: "reconfigure", config: fakePdu("p", { retries: 2 }) }
          : { type: state === "draining" ? "remove" : "shutdown" },
      );
      break;
    case "stopped":
      slot.dispatch({ type: "remove" });
      break;
    case "unavailable":
      break;
  }
  await clock.advance(0);
  assert.equal(slot.state, state, "reached the state under test");
  return t;
}

/** Ends the slot and checks the guarantees that hold whatever happened. */
async function finish(t: Awaited<ReturnType<typeof into>>, submitted: number) {
  const { clock, device, slot, results } = t;
  for (let i = 0; i < 5; i++) device.release();
  slot.dispatch({ type: "shutdown" });
  for (let i = 0; i < 5; i++) device.release();
  await clock.advance(60_000);
  slot.abandon(0);
  await clock.advance(60_000);
  assert.equal(slot.state, "stopped");
  assert.ok(device.maxInFlight <= 1, "one operation in flight at most");
  assert.equal(results.length, submitted, "every job answered");
}

const OUTSIDE = ["reconfigure", "remove", "shutdown"] as const;
const submittedBy: Record<SlotState, number> = {
  running: 0,
  failed: 1,
  reconfiguring: 2,
  draining: 2,
  stopping: 2,
  stopped: 0,
  unavailable: 0,
};

for (const state of SLOT_STATES) {
  for (const event of OUTSIDE) {
    const want = EXPECTED[state][event];
    Deno.test(`Slot in ${state} handed ${event}: as the table says`, async () => {
      const t = await into(state);
      const facts = {
        mayRestart: true,
        pending: t.slot.snapshot().queueDepth > 0,
        available: true,
      };
      const expected = typeof want === "function" ? want(facts) : want;
      const accepted = t.slot.dispatch(
        event === "reconfigure" ? { type: event, config: fakePdu("p", { retries: 3 }) } : {
          type: event,
        },
      );
      assert.equal(accepted, expected !== null);
      assert.equal(t.slot.state, expected ?? state);
      await finish(t, submittedBy[state]);
    });
  }
  Deno.test(`Slot in ${state}: a late incarnation event or a stale back-off is refused`, async () => {
    const t = await into(state);
    const crash = new ActorCrash("test", "late");
    assert.equal(t.slot.dispatch({ type: "crashed", incarnation: -1, crash }), false);
    assert.equal(t.slot.dispatch({ type: "incarnationEnded", incarnation: -1 }), false);
    assert.equal(t.slot.dispatch({ type: "backoffElapsed", generation: -1 }), false);
    assert.equal(t.slot.state, state);
    await finish(t, submittedBy[state]);
  });
}

Deno.test("Slot: a removed PDU re-added while it drains keeps one incarnation and every reboot's wait", async () => {
  const t = setup(fakePdu("p"));
  const { clock, device, slot, submit } = t;
  const reboots = [1, 2, 3].map((outlet) => submit({ type: "reboot", outlet, delay: 3 }).result);
  await clock.advance(0);
  assert.deepEqual(device.calls.map((c) => `${c.outlet} ${c.state}`), ["1 off", "2 off", "3 off"]);
  slot.dispatch({ type: "remove" });
  await clock.advance(500);
  assert.equal(slot.state, "draining");
  assert.equal(slot.dispatch({ type: "reconfigure", config: fakePdu("p") }), true);
  await clock.advance(0);
  assert.equal(slot.state, "running");
  await clock.advance(2499);
  assert.equal(device.calls.length, 3, "no reboot's wait is cut short");
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
  assert.equal(submit(on(4)).accepted, true, "serving afterwards");
  await clock.advance(0);
  assert.equal(device.states.get(4), "on");
  await finish(t, 4);
});

for (const changed of [false, true]) {
  Deno.test(`Slot: reconfigure of a failed PDU (${changed ? "changed" : "unchanged"} config) serves again with a fresh mailbox and no stray back-off`, async () => {
    const t = await into("failed");
    const { clock, device, slot, submit } = t;
    assert.equal(t.results[0]?.status, "failed");
    assert.equal(submit(on(1)).accepted, false, "the failed mailbox is closed");
    device.fallback = "ok";
    const config = fakePdu("p", { "max_restarts": 0, ...(changed ? { retries: 2 } : {}) });
    assert.equal(slot.dispatch({ type: "reconfigure", config }), true);
    assert.equal(slot.state, "running");
    const job = submit(on(1));
    assert.equal(job.accepted, true);
    await clock.advance(0);
    assert.equal(job.result()?.status, "done");
    const created = device.created;
    await clock.advance(600_000);
    assert.equal(device.created, created, "the cancelled back-off does not start an incarnation");
    assert.equal(slot.state, "running");
    await finish(t, 2);
  });
}

Deno.test("Slot: back-off doubles while failures follow each other, and starts anew after a success", async () => {
  const t = setup(fakePdu("p", { "max_restarts": 0 }));
  const { clock, device, slot, submit } = t;
  device.fallback = "type-error";
  const failAndTime = async () => {
    submit(on(1));
    await clock.advance(0);
    assert.equal(slot.state, "failed");
    const from = clock.now();
    while (slot.state === "failed") await clock.advance(5000);
    return clock.now() - from;
  };
  assert.equal(await failAndTime(), 30_000);
  assert.equal(await failAndTime(), 60_000);
  assert.equal(await failAndTime(), 120_000);
  device.fallback = "ok";
  submit(on(1));
  await clock.advance(0);
  device.fallback = "type-error";
  assert.equal(await failAndTime(), 30_000, "a success resets the back-off");
  await finish(t, 5);
});

Deno.test("Slot: shutdown answers jobs not started at once, while an operation is in flight", async () => {
  const t = setup(fakePdu("p"));
  const { clock, device, slot, submit } = t;
  device.script = ["gate"];
  const first = submit(on(1));
  const queued = submit(on(2));
  await clock.advance(0);
  slot.dispatch({ type: "shutdown" });
  const r = queued.result();
  assert.equal(r?.status, "refused");
  assert.match(r?.status === "refused" ? r.reason : "", /shutting down, not started/);
  assert.equal(first.result(), undefined, "the started job finishes");
  device.release();
  await clock.advance(0);
  assert.equal(first.result()?.status, "done");
  assert.equal(slot.state, "stopped");
  await finish(t, 2);
});
