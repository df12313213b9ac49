/**
 * The five generic-HTTP recipes of docs/drivers.md ("Generic HTTP"), loaded from the page as they
 * are written and driven through the daemon against a simulator of each device's API: only the
 * address (the recipe's host becomes the simulator's), the secrets ("…" becomes the simulator's)
 * and, for the HTTPS webhook, the scheme and `ca_file` change. A recipe edited into something
 * its device would not take fails here.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { Simulator } from "../../../simulators/mod.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverApiV1 } from "../../_helpers/api_v1.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

type Pdu = Record<string, unknown>;

async function recipes(): Promise<Record<string, Pdu>> {
  const doc = await Deno.readTextFile(new URL("../../../docs/drivers.md", import.meta.url));
  const section = doc.slice(doc.indexOf("## Generic HTTP"), doc.indexOf("## Simulators"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the Generic HTTP section has a yaml block");
  return parse(block) as Record<string, Pdu>;
}

/** The recipe pointed at `sim`: `host` (as written in the recipe) replaced in every string. */
function retarget(recipe: Pdu, host: string, sim: Simulator, secrets: Pdu = {}): Pdu {
  const base = `http://${sim.pduHostname}:${sim.address.port}`;
  const out = JSON.parse(JSON.stringify(recipe).replaceAll(host, base)) as Pdu;
  for (const [key, value] of Object.entries(secrets)) {
    assert.equal(out[key], "…", `the recipe's ${key} is the placeholder`);
    out[key] = value;
  }
  return out;
}

Deno.test("recipe relay-pi (labgrid simplerest) drives the http-generic simplerest relay", async () => {
  const recipe = (await recipes())["relay-pi"]!;
  await using sim = await startSimulator("http-generic", { outlets: 4, first: 0 }, {
    style: "simplerest",
  });
  const pdu = retarget(recipe, "http://relay-pi:9999", sim);
  await assertDrivesOverHttp(sim, { pdu, outlet: 0 });
  await assertDrivesOverHttp(sim, { pdu, outlet: 3 });
  await assertDrivesOverApiV1(sim, { pdu, outlet: 2 });
});

Deno.test("recipe shelly-pro-2 (Shelly Gen2 RPC over GET, digest) drives the shelly-gen2 simulator", async () => {
  const recipe = (await recipes())["shelly-pro-2"]!;
  await using sim = await startSimulator("shelly-gen2", { outlets: 2, first: 0 }, {
    password: "shelly-pass",
  });
  const pdu = retarget(recipe, "http://{hostname}", sim, { password: "shelly-pass" });
  await assertDrivesOverHttp(sim, { pdu, outlet: 1 });
  await assertDrivesOverApiV1(sim, { pdu, outlet: 0 });
  const wrong = { ...pdu, password: "wrong", retries: 1 };
  await using d = await startDaemon({ pdus: { shelly: wrong } });
  const r = await control(d, "on", { hostname: "shelly", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /refused the credentials \(HTTP 401\)/);
});

Deno.test("recipe esphome-board (ESPHome web_server) drives the esphome simulator", async () => {
  const recipe = (await recipes())["esphome-board"]!;
  await using sim = await startSimulator("esphome", { outlets: 4 });
  const pdu = retarget(recipe, "http://{hostname}", sim);
  await assertDrivesOverHttp(sim, { pdu, outlet: 4 });
  await assertDrivesOverApiV1(sim, { pdu, outlet: 1 });
});

Deno.test("recipe ha (Home Assistant switch entities) drives the home-assistant simulator", async () => {
  const recipe = (await recipes())["ha"]!;
  await using sim = await startSimulator("home-assistant", { outlets: 8 }, {
    "api_key": "ha-token",
    "entity_prefix": "board_",
  });
  const pdu = retarget(recipe, "http://ha.lab:8123", sim, { token: "ha-token" });
  await assertDrivesOverHttp(sim, { pdu, outlet: 8 });
  await assertDrivesOverApiV1(sim, { pdu, outlet: 3 });
  assert.ok(sim.device.received.some((r) => r.text === "GET /api/states/switch.board_3"));
});

Deno.test("recipe webhook (MAAS-style power webhook, basic auth) drives the http-generic webhook", async () => {
  const recipe = (await recipes())["webhook"]!;
  assert.equal(recipe["ca_file"], "/etc/pdud/power-lab-ca.pem");
  delete recipe["ca_file"]; // the simulator speaks plain HTTP (https with ca_file: generic_test.ts)
  // The recipe's machine is node7, its one outlet pdud's outlet 1.
  await using sim = await startSimulator("http-generic", { outlets: 1, first: 7 }, {
    style: "webhook",
    auth: "basic",
    username: "maas",
    password: "maas-pass",
  });
  const pdu = {
    ...retarget(recipe, "https://power.lab", sim, { password: "maas-pass" }),
    retries: 1,
  };
  await using d = await startDaemon({ pdus: { node7: pdu } });
  for (const command of ["on", "off", "on"]) {
    const r = await control(d, command, { hostname: "node7", port: 1 });
    assert.deepEqual(r, { status: 200, body: "OK - accepted request\n" }, command);
    assert.equal(sim.device.get(7), command);
  }
  const reboot = await control(d, "reboot", { hostname: "node7", port: 1, delay: 0 });
  assert.equal(reboot.status, 200, reboot.body);
  assert.deepEqual(sim.device.history.slice(-2).map(([, s]) => s), ["off", "on"]);
  sim.device.set(7, "off");
  const read = await (await fetch(`${d.url}/api/v1/pdus/node7/outlets/1`)).json();
  assert.deepEqual(read, { pdu: "node7", outlet: 1, state: "off", source: "device" });
  assert.deepEqual(sim.device.received.slice(0, 2).map((r) => r.text), [
    "POST /api/machines/node7/on",
    "POST /api/machines/node7/off",
  ]);
});
