import assert from "node:assert/strict";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const ROWS: DriverRow[] = [
  {
    driver: "shelly_gen1",
    kind: "shelly-gen1",
    device: { outlets: 2, first: 0 },
    options: { password: "shelly-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason: /Shelly at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "shelly_gen2",
    kind: "shelly-gen2",
    device: { outlets: 4, first: 0 },
    error: /Shelly at 127\.0\.0\.1:\d+ answered HTTP 500/,
  },
  {
    driver: "esphome-http",
    kind: "esphome",
    device: { outlets: 3 },
    options: { password: "esp-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason: /ESPHome at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "home-assistant-http",
    kind: "home-assistant",
    device: { outlets: 4 },
    bad: (sim) => ({ ...sim.pduConfig(), "api_key": "not-the-token" }),
    badReason: /Home Assistant at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "netiojson",
    kind: "netio-json",
    device: { outlets: 4 },
    options: { password: "netio-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason: /NETIO at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
];

driverSuite(ROWS);

Deno.test("esphome-http: the upstream fixture's section loads; without switch_ids an operation says what is missing", async () => {
  await using d = await startDaemon({
    pdus: { esphome: { driver: "esphome-http", username: "admin", password: "web", retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "esphome", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /no switch_ids configured/);
});
