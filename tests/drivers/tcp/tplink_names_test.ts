/**
 * tplink names outlets as upstream's tplink.py `get_id` does (b30c332): a port that is not a
 * number is matched exactly against each strip child's `alias`, the outlet name set in the Kasa
 * app. Driven end to end through pdud against the Kasa simulator with named outlets.
 */
import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { control, legacyExchange, startDaemon } from "../../_helpers/daemon.ts";

const legacy = legacyExchange;

const ALIASES = ["board-a", "board-b", "usb-hub-3"];

Deno.test("tplink switches and reads a strip outlet by its alias over HTTP, legacy TCP and aliases", async () => {
  await using sim = await startSimulator("kasa", { outlets: 3 }, { aliases: ALIASES });
  await using d = await startDaemon({
    pdus: { strip: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
    aliases: { hub: { hostname: "strip", port: "usb-hub-3" } },
  });
  assert.deepEqual(await control(d, "on", { hostname: "strip", port: "board-b" }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "on", 3: "off" });
  assert.equal(await legacy(d.port, "strip board-a on"), "ack\n");
  assert.deepEqual(await control(d, "on", { alias: "hub" }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.deepEqual(sim.device.snapshot(), { 1: "on", 2: "on", 3: "on" });
  assert.deepEqual(await control(d, "off", { hostname: "strip", port: "board-b" }), {
    status: 200,
    body: "OK - accepted request\n",
  });

  // Read from the device by name.
  const r = await fetch(`${d.url}/power/control/get-port-state?hostname=strip&port=board-b`);
  assert.equal(r.headers.get("x-pdud-state-source"), "device");
  assert.equal(await r.text(), '{"state": "off"}\n');
  const api = await fetch(`${d.url}/api/v1/pdus/strip/outlets/board-a`);
  assert.deepEqual(await api.json(), {
    pdu: "strip",
    outlet: "board-a",
    state: "on",
    source: "device",
  });
  // Numbers still address the same outlets.
  assert.deepEqual(await control(d, "off", { hostname: "strip", port: 1 }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "off", 3: "on" });
});

Deno.test("tplink: a name no outlet has is refused with the strip's outlet names, nothing switched", async () => {
  await using sim = await startSimulator("kasa", { outlets: 3 }, { aliases: ALIASES });
  await using d = await startDaemon({
    pdus: { strip: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "strip", port: "board-z" });
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /KP303\(UK\) whose outlets are named "board-a", "board-b", "usb-hub-3"; none is named "board-z"/,
  );
  assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "off", 3: "off" });
  assert.ok(!sim.device.received.some((x) => x.text.includes("set_relay_state")));
});

Deno.test("tplink: a plug answers to its own alias; the match is exact, as upstream's", async () => {
  await using sim = await startSimulator("kasa", { outlets: 1 }, { aliases: ["desk-lamp"] });
  const driver = createDriver(findDriver("tplink")!, sim.pduHostname, sim.pduConfig());
  try {
    const signal = AbortSignal.timeout(5000);
    await assert.rejects(
      driver.setNamedOutlet!("Desk-lamp", "on", { signal }),
      /HS105\(US\) named "desk-lamp"; none is named "Desk-lamp"/,
    );
    assert.equal(sim.device.get(1), "off");
    await driver.setNamedOutlet!("desk-lamp", "on", { signal });
    assert.equal(sim.device.get(1), "on");
    assert.equal(await driver.getNamedOutlet!("desk-lamp", { signal }), "on");
  } finally {
    await driver.close();
  }
});
