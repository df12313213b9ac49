import assert from "node:assert/strict";
import { netioPortString } from "../../../drivers/http/netio_cgi.ts";
import { loadConfig } from "../../../config/mod.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";
import { assertDrivesOverHttp } from "../../_helpers/daemon.ts";

const DEVICE = { outlets: 4 };

const ROWS: DriverRow[] = [{
  driver: "netio",
  kind: "netio-cgi",
  device: DEVICE,
  // The characters a query string and percent-encoding care about (a colon is refused).
  options: { password: "n&t%io?" },
  bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  badReason: /NETIO-230 at 127\.0\.0\.1:\d+ refused user "admin" \(553 INVALID LOGIN\)/,
  error: /NETIO-230 at 127\.0\.0\.1:\d+ answered HTTP 500 to GET \/tgi\/control\.tgi/,
}];

driverSuite(ROWS);

Deno.test("netio: switched and read through /api/v1", async () => {
  await using sim = await startSimulator("netio-cgi", DEVICE);
  await assertDrivesOverApiV1(sim, { outlet: 4 });
});

Deno.test("netio: each request logs in, switches one output (u for the others) and logs out", async () => {
  await using sim = await startSimulator("netio-cgi", DEVICE);
  sim.device.set(1, "on");
  await assertDrivesOverHttp(sim, { outlet: 3 });
  assert.equal(sim.device.get(1), "on", "the other outputs are left as they were");
  assert.equal(netioPortString(3, "on"), "uu1u");
  assert.equal(netioPortString(1, "off"), "0uuu");
});

Deno.test("netio: listOutlets reads the four outputs in one request", async () => {
  await using sim = await startSimulator("netio-cgi", DEVICE);
  await assertListsOutlets(sim);
});

Deno.test("netio: a colon in the account is refused by the config (the login's separator)", async () => {
  await assert.rejects(
    loadConfig({ pdus: { n: { driver: "netio", password: "a:b" } } }),
    /password cannot contain ":"/,
  );
});
