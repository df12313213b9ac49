import assert from "node:assert/strict";
import { tcpduStates, tinycontrolXmlStates } from "../../../drivers/http/tinycontrol.ts";
import { findDriver } from "../../../drivers/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";

const ROWS: DriverRow[] = [
  {
    driver: "tinycontrol",
    kind: "tinycontrol",
    device: { outlets: 6, first: 0 },
    options: { password: "tc-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason:
      /Tinycontrol IP Power Socket at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "tinycontrol_tcpdu",
    kind: "tinycontrol-tcpdu",
    device: { outlets: 7 },
    error: /Tinycontrol tcPDU at 127\.0\.0\.1:\d+ answered HTTP 500 to GET \/api\/v1\/save\//,
    // A switch is two requests (the switch, its read-back): under "flap" one of them always
    // fails. readback_test.ts checks a failed read-back instead.
    conformance: { skipFaults: ["flap"] },
  },
];

driverSuite(ROWS);

for (const row of ROWS) {
  Deno.test(`${row.driver}: switched and read through /api/v1`, async () => {
    await using sim = await startSimulator(row.kind, row.device);
    await assertDrivesOverApiV1(sim, { outlet: sim.device.first + 2 });
  });

  Deno.test(`${row.driver}: listOutlets reads every output in one request`, async () => {
    await using sim = await startSimulator(row.kind, row.device);
    await assertListsOutlets(sim);
  });

  Deno.test(`${row.driver}: an output the device does not list is a config error when read`, async () => {
    await using sim = await startSimulator(row.kind, row.device);
    const driver = createDriver(findDriver(row.driver)!, sim.pduHostname, sim.pduConfig());
    try {
      await assert.rejects(
        driver.getOutlet!(42, { signal: AbortSignal.timeout(5000) }),
        /has no output out42/,
      );
    } finally {
      await driver.close();
    }
  });
}

Deno.test("tinycontrol: st0.xml and the tcPDU status object are read output by output", () => {
  assert.deepEqual(
    tinycontrolXmlStates("<response><out0>1</out0><out1>0</out1><ia0>1</ia0></response>"),
    [{ outlet: 0, state: "on" }, { outlet: 1, state: "off" }],
  );
  assert.deepEqual(tcpduStates({ out1: 0, out2: 1, outName1: "x", out3: "1" }), [
    { outlet: 1, state: "off" },
    { outlet: 2, state: "on" },
  ]);
});
