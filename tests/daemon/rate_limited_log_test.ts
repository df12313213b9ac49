/**
 * The accept loop's log under EMFILE (issue 15.2: 558,145 `accept failed` lines in 12 s): a
 * recurring condition is logged at once, then once per interval with a count.
 */
import assert from "node:assert/strict";
import { isDescriptorExhaustion, RateLimitedLog } from "../../daemon/limits.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

Deno.test("a recurring warning is logged once, then once per interval with a count", async () => {
  const clock = new ManualClock();
  const lines: LogLine[] = [];
  const log = new RateLimitedLog(memoryLogger(lines), clock, 10_000);
  for (let i = 0; i < 100_000; i++) log.warn("accept failed: out of file descriptors");
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.fields.count, 1);
  await clock.advance(10_000);
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.fields.count, 99_999);
  // A quiet interval: nothing logged, and the next occurrence is logged at once again.
  await clock.advance(10_000);
  await clock.advance(10_000);
  assert.equal(lines.length, 2);
  log.warn("accept failed: out of file descriptors");
  assert.equal(lines.length, 3);
  log.close();
  assert.equal(clock.pending, 0, "no timer left behind");
});

Deno.test("EMFILE and ENFILE are told from other accept errors", () => {
  assert.ok(isDescriptorExhaustion(new Error("Too many open files (os error 24)")));
  assert.ok(isDescriptorExhaustion(new Error("Too many open files in system (os error 23)")));
  assert.ok(!isDescriptorExhaustion(new Error("Connection reset by peer (os error 104)")));
});
