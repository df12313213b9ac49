import assert from "node:assert/strict";
import { SimulatedDevice } from "../../../simulators/mod.ts";

Deno.test("simulated device: history and receive log stay bounded and keep the newest entries", () => {
  const device = new SimulatedDevice("long-running", { outlets: 4 });
  for (let i = 0; i < 25_000; i++) {
    device.set(1 + (i % 4), i % 2 === 0 ? "on" : "off");
    device.record(`command ${i}`);
  }
  assert.equal(device.changes, 25_000);
  assert.ok(device.history.length >= 10_000 && device.history.length < 20_000);
  assert.deepEqual(device.history.at(-1), [4, "off"]);
  assert.deepEqual(device.history.at(-2), [3, "on"]);
  assert.ok(device.received.length >= 1_000 && device.received.length < 2_000);
  assert.equal(device.received.at(-1)?.text, "command 24999");
  assert.equal(device.received[0]?.text, `command ${25_000 - device.received.length}`);
  assert.deepEqual(device.snapshot(), { 1: "on", 2: "off", 3: "on", 4: "off" });
});
