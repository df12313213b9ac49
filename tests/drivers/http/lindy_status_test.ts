import assert from "node:assert/strict";
import { lindyStatusStates } from "../../../drivers/http/lindy.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";

// LindyIPowerClassic8's switching rows live in web_relays_test.ts; its reading and the digipower
// name are tested here.
const ROWS: DriverRow[] = [{
  driver: "digipower",
  kind: "lindy-ipower",
  device: { outlets: 8 },
  options: { driver: "digipower", username: "snmp", password: "1234" },
  bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  badReason: /Lindy iPower at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  // A switch is two requests (the switch, its read-back): under "flap" one of them always
  // fails. readback_test.ts checks a failed read-back instead.
  conformance: { skipFaults: ["flap"] },
}];

driverSuite(ROWS);

for (const driver of ["LindyIPowerClassic8", "digipower"]) {
  Deno.test(`${driver}: switched and its state read from status.xml through /api/v1`, async () => {
    await using sim = await startSimulator("lindy-ipower", { outlets: 8 }, {
      driver,
      password: "lindy-pass",
    });
    await assertDrivesOverApiV1(sim, { outlet: 8 });
    await assertDrivesOverApiV1(sim, { outlet: 1 });
  });

  Deno.test(`${driver}: listOutlets reads the eight outlets from one status.xml`, async () => {
    await using sim = await startSimulator("lindy-ipower", { outlets: 8 }, { driver });
    await assertListsOutlets(sim);
  });
}

Deno.test("LindyIPowerClassic8: status.xml fields 11–18 are outlets 1–8; anything else is refused", () => {
  const page = "<response><pot0>0,0.0,0,0,0,0,0,0,25,0,1,0,0,0,0,0,0,1,0,0</pot0></response>";
  const states = lindyStatusStates(page, "d");
  assert.deepEqual(states.filter((s) => s.state === "on").map((s) => s.outlet), [1, 8]);
  assert.throws(
    () => lindyStatusStates("<response><pot0>0,1,2</pot0></response>", "d"),
    /without outlet 1's state in field 11/,
  );
});
