import assert from "node:assert/strict";
import { dliLegacyStates } from "../../../drivers/http/digitalloggers.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";

const wrongPassword = (sim: { pduConfig(): Record<string, unknown> }) => ({
  ...sim.pduConfig(),
  password: "wrong",
});

const ROWS: DriverRow[] = [
  {
    driver: "digitalloggers_http",
    kind: "dli-http",
    device: { outlets: 8 },
    options: { password: "dli-pass" },
    bad: wrongPassword,
    badReason: /Digital Loggers switch at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "digitalloggers_restapi",
    kind: "dli-restapi",
    device: { outlets: 8 },
    options: { password: "dli-pass" },
    bad: wrongPassword,
    badReason: /Digital Loggers REST API at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
];

driverSuite(ROWS);

for (const kind of ["dli-http", "dli-restapi"]) {
  Deno.test(`${kind}: switched and read through /api/v1, digest or basic auth included`, async () => {
    await using sim = await startSimulator(kind, { outlets: 8 }, { password: "dli-pass" });
    await assertDrivesOverApiV1(sim, { outlet: 8 });
  });

  Deno.test(`${kind}: listOutlets reads every outlet in one request`, async () => {
    await using sim = await startSimulator(kind, { outlets: 8 }, { password: "dli-pass" });
    // Digest auth: the challenge, then the authorized request.
    await assertListsOutlets(sim, kind === "dli-restapi" ? 2 : 1);
  });
}

Deno.test("digitalloggers_restapi: outlet N is relay N-1, switched by PUT with X-CSRF", async () => {
  await using sim = await startSimulator("dli-restapi", { outlets: 8 }, { password: "p" });
  await assertDrivesOverApiV1(sim, { outlet: 1 });
  assert.ok(sim.device.received.some((r) => r.text === "PUT /restapi/relay/outlets/0/state/"));
});

Deno.test("dli-restapi simulator: a PUT without X-CSRF is refused, as the API does", async () => {
  await using sim = await startSimulator("dli-restapi", { outlets: 8 });
  const r = await fetch(
    `http://${sim.pduHostname}:${sim.address.port}/restapi/relay/outlets/2/state/`,
    {
      method: "PUT",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "value=true",
    },
  );
  await r.body?.cancel();
  assert.equal(r.status, 403);
  assert.equal(sim.device.get(3), "off");
});

Deno.test("digitalloggers_http: the state div is a hex mask, bit N-1 = outlet N", () => {
  const states = dliLegacyStates('<div id="state">a1</div><div id="lock">00</div>', "d");
  assert.deepEqual(
    states.filter((s) => s.state === "on").map((s) => s.outlet),
    [1, 6, 8],
  );
  assert.throws(() => dliLegacyStates("<p>no</p>", "d"), /without the state mask/);
});
