import assert from "node:assert/strict";
import { gudeMetaStates, gudeTableStates } from "../../../drivers/http/gude.ts";
import { findDriver } from "../../../drivers/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const MODELS = [["gude", 8], ["gude24", 24], ["gude8316", 8], ["gude8031", 20], [
  "gude8225",
  12,
]] as const;

const ROWS: DriverRow[] = MODELS.map(([model, outlets]) => ({
  driver: model,
  kind: "gude-http",
  device: { outlets },
  options: { model, password: "epc-pass" },
  bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  badReason: /Gude EPC at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  // The 8225's switch is two requests (ov.html, its read-back): under "flap" one of them always
  // fails. readback_test.ts checks a failed read-back instead.
  ...(model === "gude8225" ? { conformance: { skipFaults: ["flap"] } } : {}),
}));

driverSuite(ROWS);

for (const [model, outlets] of MODELS) {
  Deno.test(`${model}: switched and read through /api/v1`, async () => {
    await using sim = await startSimulator("gude-http", { outlets }, { model });
    await assertDrivesOverApiV1(sim, { outlet: outlets });
  });

  Deno.test(`${model}: listOutlets reads every port in one request`, async () => {
    await using sim = await startSimulator("gude-http", { outlets }, { model });
    await assertListsOutlets(sim);
  });
}

Deno.test("gude8316: the firmware's meta tags without port numbers are read by position", () => {
  const page = [
    "<html><head>",
    '<meta http-equiv="powerstate" content="Power Port ,0">',
    '<meta http-equiv="powerstate" content="Power Port ,1">',
    '<meta http-equiv="powerstate" content="Power Port ,0">',
    "</head></html>",
  ].join("");
  // All on one line: labgrid's line counting would find nothing; the position still says it.
  assert.deepEqual([...gudeMetaStates(page)], [[1, "off"], [2, "on"], [3, "off"]]);
  const numbered = '<meta http-equiv="powerstate" content="Power Port 2,1">' +
    '<meta http-equiv="powerstate" content="Power Port 1,0">';
  assert.deepEqual([...gudeMetaStates(numbered)], [[2, "on"], [1, "off"]]);
});

Deno.test("gude: the old main page's rows are read, SwitchPort rows too", () => {
  const page = "<tr><td>Power Port 1</td><td>ON</td></tr>\n" +
    "<tr><td>SwitchPort 2</td><td>OFF</td></tr>\n<tr><td>Power Port 11</td><td>ON</td></tr>";
  assert.deepEqual([...gudeTableStates(page)], [[1, "on"], [2, "off"], [11, "on"]]);
});

Deno.test("gude24: a device locked by another web user fails naming that user, switching nothing", async () => {
  await using sim = await startSimulator("gude-http", { outlets: 8 }, {
    model: "gude24",
    "blocked_by": "10.1.2.3",
  });
  await using d = await startDaemon({
    pdus: { epc: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "epc", port: 3 });
  assert.equal(r.status, 503);
  assert.match(r.body, /blocked by another user of its web interface \(10\.1\.2\.3\)/);
  assert.equal(sim.device.get(3), "off");
});

Deno.test("gude24: a port the device lacks (within the model's range) is its HTTP 400", async () => {
  await using sim = await startSimulator("gude-http", { outlets: 8 }, { model: "gude24" });
  // Port 9 is outside this 8-port device but inside gude24's range: the device answers 400.
  const driver = createDriver(findDriver("gude24")!, sim.pduHostname, sim.pduConfig());
  try {
    await assert.rejects(
      driver.setOutlet(9, "on", { signal: AbortSignal.timeout(5000) }),
      /answered HTTP 400 to GET \/ov\.html/,
    );
  } finally {
    await driver.close();
  }
});

Deno.test("gude: outlets beyond the model are refused before anything is sent", async () => {
  await using sim = await startSimulator("gude-http", { outlets: 8 }, { model: "gude" });
  await using d = await startDaemon({
    pdus: { epc: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "epc", port: 9 });
  assert.equal(r.status, 503);
  assert.equal(sim.device.received.length, 0);
});
