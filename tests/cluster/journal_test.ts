/**
 * The job journal's fold (cluster/journal.ts): which jobs a new owner finds unfinished, and
 * what it runs for each.
 */
import assert from "node:assert/strict";
import {
  decodeRecord,
  encodeRecord,
  type JournalRecord,
  pduFromToken,
  pduToken,
  recover,
  resumeCommand,
} from "../../cluster/mod.ts";
import type { PduCommand } from "../../actors/mod.ts";

const accepted = (id: string, command: PduCommand, at = 0): JournalRecord => ({
  t: "accepted",
  id,
  pdu: "p",
  command,
  node: "a",
  epoch: 1,
  at,
});
const op = (outlet: number, what: "on" | "off", at = 0): JournalRecord => ({
  t: "op",
  pdu: "p",
  outlet: String(outlet),
  op: what,
  node: "a",
  epoch: 1,
  at,
});
const settled = (id: string): JournalRecord => ({
  t: "settled",
  id,
  pdu: "p",
  result: { status: "done", jobId: "j1", pdu: "p", outlet: 1, state: "on", source: "commanded" },
  node: "a",
  at: 0,
});

Deno.test("recover() finds accepted jobs never settled, in acceptance order, with their operations", () => {
  const { unfinished, settled: done } = recover([
    accepted("x", { type: "on", outlet: 1 }),
    accepted("y", { type: "off", outlet: 1 }),
    accepted("z", { type: "reboot", outlet: 2, delay: 5 }),
    op(1, "on"),
    settled("x"),
    op(2, "off", 1000),
    op(1, "off"),
  ]);
  assert.deepEqual(unfinished.map((u) => u.accepted.id), ["y", "z"]);
  // Outlet 1's second operation belongs to y (x had settled), outlet 2's to z.
  assert.deepEqual(unfinished.map((u) => u.ops.map((o) => o.op)), [["off"], ["off"]]);
  assert.deepEqual([...done.keys()], ["x"]);
});

Deno.test("recover() gives an outlet's operations to the oldest unsettled job of that outlet only", () => {
  const { unfinished } = recover([
    accepted("a1", { type: "reboot", outlet: 1, delay: 1 }),
    accepted("a2", { type: "on", outlet: 1 }),
    op(1, "off"),
    op(1, "on"),
  ]);
  assert.deepEqual(unfinished.map((u) => [u.accepted.id, u.ops.length]), [["a1", 2], ["a2", 0]]);
});

Deno.test("recover() marks an operation done by its done record, for the same job", () => {
  const { unfinished } = recover([
    accepted("r", { type: "reboot", outlet: 1, delay: 5 }),
    op(1, "off", 100),
    { ...op(1, "off", 150), done: true } as JournalRecord,
  ]);
  assert.deepEqual(unfinished[0]!.ops, [{ op: "off", at: 100, doneAt: 150 }]);
});

Deno.test("recover() ignores a second accepted record of a settled or known id", () => {
  const { unfinished } = recover([
    accepted("x", { type: "on", outlet: 1 }),
    settled("x"),
    accepted("x", { type: "on", outlet: 1 }),
  ]);
  assert.deepEqual(unfinished, []);
});

Deno.test("resumeCommand(): not started runs as accepted; on/off re-run; a reboot finishes with on", () => {
  const job = (command: PduCommand, ops: { op: "on" | "off"; at: number; doneAt?: number }[]) => ({
    accepted: accepted("x", command) as Extract<JournalRecord, { t: "accepted" }>,
    ops,
  });
  const reboot: PduCommand = { type: "reboot", outlet: 3, delay: 5 };
  assert.deepEqual(resumeCommand(job(reboot, []), 0), reboot);
  assert.deepEqual(
    resumeCommand(job({ type: "off", outlet: 3, delayBefore: 4 }, [{ op: "off", at: 0 }]), 0),
    { type: "off", outlet: 3 },
  );
  // Off started but not known done: the whole reboot again (off is idempotent).
  assert.deepEqual(resumeCommand(job(reboot, [{ op: "off", at: 1000 }]), 3000), reboot);
  // Off done at t=1000, taken over at t=3000: 3 s of the 5 s wait are left.
  assert.deepEqual(resumeCommand(job(reboot, [{ op: "off", at: 900, doneAt: 1000 }]), 3000), {
    type: "on",
    outlet: 3,
    delayBefore: 3,
  });
  // The wait is over: on at once.
  assert.deepEqual(resumeCommand(job(reboot, [{ op: "off", at: 0, doneAt: 10 }]), 9000), {
    type: "on",
    outlet: 3,
  });
  // The on had started: on again (idempotent), never a second off.
  assert.deepEqual(
    resumeCommand(job(reboot, [{ op: "off", at: 0 }, { op: "on", at: 5000 }]), 9000),
    { type: "on", outlet: 3 },
  );
});

Deno.test("recover() knows the last state set on each outlet: switches done and states records, latest wins", () => {
  const done = (outlet: string, what: "on" | "off", at: number): JournalRecord => ({
    t: "op",
    pdu: "p",
    outlet,
    op: what,
    node: "a",
    epoch: 1,
    at,
    done: true,
  });
  const states: JournalRecord = {
    t: "states",
    pdu: "p",
    outlets: {
      "1": { state: "on", at: 100 },
      "2": { state: "off", at: 100 },
      "4": {
        state: "on",
        at: 300,
      },
    },
    node: "a",
    at: 500,
  };
  const { outlets } = recover([
    states,
    done("1", "off", 200), // newer than the states record: wins
    done("4", "off", 250), // older than the states record (a snapshot taken late): loses
    op(3, "on", 300), // started, never known done: not a state pdud set
    done("aux", "on", 400), // a named outlet stays a name
  ]);
  assert.deepEqual(
    [...outlets].sort(([a], [b]) => String(a).localeCompare(String(b))),
    [
      [1, { state: "off", at: 200 }],
      [2, { state: "off", at: 100 }],
      [4, { state: "on", at: 300 }],
      ["aux", { state: "on", at: 400 }],
    ],
  );
  // A states record survives the stream's encoding.
  assert.deepEqual(decodeRecord(encodeRecord(states)), states);
});

Deno.test("pduToken() makes any PDU name a subject token, and back", () => {
  for (const name of ["apc01", "a.b", "with space", "*", ">", "ünï"]) {
    const token = pduToken(name);
    assert.match(token, /^[0-9a-f]+$/);
    assert.equal(pduFromToken(token), name);
  }
  assert.equal(pduFromToken("zz"), undefined);
});
