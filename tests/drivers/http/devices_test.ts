import assert from "node:assert/strict";
import { type DeviceOptions, findDriver, type Simulator } from "../../../drivers/mod.ts";
import { conformance, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  driver: string;
  kind: string;
  device: DeviceOptions;
  options?: Record<string, unknown>;
  /** Options that must fail authentication. */
  bad?: (sim: Simulator) => Record<string, unknown>;
  /** What the 503 of the failure case must say. */
  failure: RegExp;
}

const ROWS: Row[] = [
  {
    driver: "shelly_gen1",
    kind: "shelly-gen1",
    device: { outlets: 2, first: 0 },
    options: { password: "shelly-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    failure: /Shelly at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "shelly_gen2",
    kind: "shelly-gen2",
    device: { outlets: 4, first: 0 },
    failure: /Shelly at 127\.0\.0\.1:\d+ answered HTTP 500/,
  },
  {
    driver: "esphome-http",
    kind: "esphome",
    device: { outlets: 3 },
    options: { password: "esp-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    failure: /ESPHome at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "home-assistant-http",
    kind: "home-assistant",
    device: { outlets: 4 },
    bad: (sim) => ({ ...sim.pduConfig(), "api_key": "not-the-token" }),
    failure: /Home Assistant at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "netiojson",
    kind: "netio-json",
    device: { outlets: 4 },
    options: { password: "netio-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    failure: /NETIO at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
];

for (const row of ROWS) {
  const start = () => startSimulator(row.kind, row.device, row.options);
  conformance({
    name: row.driver,
    descriptor: findDriver(row.driver)!,
    start,
    ...(row.bad ? { badCredentials: row.bad } : {}),
  });

  Deno.test(`${row.driver}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start();
    await assertDrivesOverHttp(sim);
    await assertDrivesOverHttp(sim, { outlet: sim.device.first + sim.device.count - 1 });
  });

  Deno.test(`${row.driver}: a failure is answered 503 with the device's reason`, async () => {
    await using sim = await start();
    const pdu = row.bad ? row.bad(sim) : sim.pduConfig();
    if (!row.bad) sim.device.fault = "error";
    await using d = await startDaemon({
      pdus: { dev: { ...pdu, address: sim.pduHostname, retries: 1 } },
    });
    const r = await control(d, "on", { hostname: "dev", port: sim.device.first });
    assert.equal(r.status, 503);
    assert.match(r.body, row.failure);
    assert.equal(sim.device.get(sim.device.first), "off");
  });
}

Deno.test("esphome-http: the upstream fixture's section loads; without switch_ids an operation says what is missing", async () => {
  await using d = await startDaemon({
    pdus: { esphome: { driver: "esphome-http", username: "admin", password: "web", retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "esphome", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /no switch_ids configured/);
});
