/**
 * labgrid-style use against a device that can report its state: on, off and cycle over the
 * upstream URLs, then `get` — through upstream's get-status route and the JSON outlet-state
 * endpoint — returns what the device says, even when something else switched it behind pdud.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../_helpers/conformance.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

Deno.test("labgrid-style: on, off, cycle, then get returns the device's true state", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 4 });
  await using d = await startDaemon({
    pdus: { plug: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const get = async () => {
    const r = await control(d, "get-status", { hostname: "plug", port: 2 });
    assert.equal(r.status, 200, r.body);
    return r.body;
  };
  const outlet = async () => {
    const r = await fetch(`${d.url}/api/v1/pdus/plug/outlets/2`);
    assert.equal(r.status, 200);
    return await r.json() as { state?: string; source?: string };
  };

  assert.equal((await control(d, "on", { hostname: "plug", port: 2 })).status, 200);
  assert.equal(await get(), "on\n");
  assert.equal((await control(d, "off", { hostname: "plug", port: 2 })).status, 200);
  assert.equal(await get(), "off\n");
  const cycle = await control(d, "reboot", { hostname: "plug", port: 2, delay: 0 });
  assert.equal(cycle.status, 200);
  assert.equal(await get(), "on\n");
  assert.deepEqual(sim.device.history.filter(([o]) => o === 2).map(([, s]) => s), [
    "on",
    "off",
    "off",
    "on",
  ]);

  // Someone pressed the plug's button: pdud reports the device, not what it last commanded.
  sim.device.set(2, "off");
  assert.equal(await get(), "off\n");
  const state = await outlet();
  assert.equal(state.state, "off");
  assert.equal(state.source, "device");
});

Deno.test("JSON API: reload with nothing to reload is 409 with a JSON reason", async () => {
  await using d = await startDaemon({ pdus: { sim1: { driver: "simulated", outlets: 2 } } });
  const r = await fetch(`${d.url}/api/v1/reload`, { method: "POST" });
  assert.equal(r.status, 409);
  const body = await r.json() as { error?: string };
  assert.match(body.error ?? "", /nothing to reload/);
});
