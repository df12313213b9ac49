import assert from "node:assert/strict";
import { egpms2SockStates } from "../../../drivers/http/egpms2_web.ts";
import { findDriver } from "../../../drivers/mod.ts";
import type { Simulator } from "../../../simulators/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const DEVICE = { outlets: 4 };

const ROWS: DriverRow[] = [{
  driver: "eg_pms2_network",
  kind: "eg-pms2-web",
  device: DEVICE,
  options: { password: "eg-pass" },
  bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  badReason: /EG-PMS2 web interface at 127\.0\.0\.1:\d+ did not accept the password/,
  error: /EG-PMS2 web interface at 127\.0\.0\.1:\d+ answered HTTP 500 to POST \//,
}];

driverSuite(ROWS);

/** Whether the simulator's one session is free: a status read without login gets the login page. */
async function sessionClosed(sim: Simulator): Promise<boolean> {
  const r = await fetch(`http://${sim.pduHostname}:${sim.address.port}/energenie.html`);
  return !/sockstates/.test(await r.text());
}

Deno.test("eg_pms2_network: switched and read through /api/v1, logged out after each", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE);
  await assertDrivesOverApiV1(sim, { outlet: 4 });
  assert.ok(await sessionClosed(sim));
});

Deno.test("eg_pms2_network: every operation is login, one exchange, logout", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE);
  await assertDrivesOverHttp(sim, { outlet: 2 });
  const texts = sim.device.received.map((r) => r.text);
  // on, off, reboot (off + on): four sessions.
  assert.deepEqual(texts, Array(4).fill(["POST /login.html", "POST /", "GET /login.html"]).flat());
  assert.ok(await sessionClosed(sim));
});

Deno.test("eg_pms2_network: a failed switch still logs out, and the device's error is reported", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE);
  sim.device.fault = "error";
  await using d = await startDaemon({
    pdus: { eg: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "eg", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /answered HTTP 500 to POST \//);
  assert.equal(sim.device.received.at(-1)?.text, "GET /login.html");
  assert.ok(await sessionClosed(sim));
});

Deno.test("eg_pms2_network: an aborted operation still sends its logout", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE);
  sim.device.fault = "hang";
  const driver = createDriver(findDriver("eg_pms2_network")!, sim.pduHostname, sim.pduConfig());
  const controller = new AbortController();
  const seen = sim.device.nextOperation();
  const pending = driver.setOutlet(3, "on", { signal: controller.signal });
  pending.catch(() => {});
  await seen;
  controller.abort(new Error("test abort"));
  await assert.rejects(pending);
  // The logout runs on its own deadline after the abort; close() waits for it.
  await driver.close();
  assert.equal(sim.device.received.at(-1)?.text, "GET /login.html");
  sim.device.fault = "none";
  assert.ok(await sessionClosed(sim));
});

Deno.test("eg_pms2_network: a session held by another client is refused with that reason", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE, { held: true });
  await using d = await startDaemon({
    pdus: { eg: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "eg", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /another client holds its one web session/);
  assert.equal(sim.device.get(1), "off");
});

Deno.test("eg_pms2_network: listOutlets reads the four sockets in one session", async () => {
  await using sim = await startSimulator("eg-pms2-web", DEVICE);
  await assertListsOutlets(sim, 3);
});

Deno.test("eg_pms2_network: sockstates are read from the page's script", () => {
  assert.deepEqual(egpms2SockStates("var sockstates = [1,0,0,1];"), ["on", "off", "off", "on"]);
  assert.equal(egpms2SockStates("var sockstates = [1,0];"), undefined);
});
