import assert from "node:assert/strict";
import fc from "fast-check";
import { findDriver } from "../../../drivers/mod.ts";
import { formEncode } from "../../../drivers/http/tasmota.ts";
import { conformance, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const start = (driver: string, outlets: number, password?: string) => () =>
  startSimulator("tasmota", { outlets }, { driver, ...(password ? { password } : {}) });

for (
  const [driver, outlets] of [["tasmota", 4], ["sonoff_s20_tasmota", 1], [
    "brennenstuhl_wspl01_tasmota",
    2,
  ]] as const
) {
  conformance({
    name: driver,
    descriptor: findDriver(driver)!,
    start: start(driver, outlets, "web-secret"),
    badCredentials: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    outlet: outlets,
  });

  Deno.test(`${driver}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start(driver, outlets)();
    await assertDrivesOverHttp(sim, { outlet: outlets });
  });
}

Deno.test("tasmota: a wrong web password is answered 503 naming the credentials", async () => {
  await using sim = await start("tasmota", 4, "web-secret")();
  await using d = await startDaemon({
    pdus: { plug: { ...sim.pduConfig(), password: "nope", retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "plug", port: 2 });
  assert.equal(r.status, 503);
  assert.match(r.body, /Tasmota at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/);
  assert.equal(sim.device.get(2), "off");
  assert.deepEqual(sim.device.received, [], "a request without the password switches nothing");
});

Deno.test("tasmota: formEncode writes the bytes URLSearchParams writes, for any string", () => {
  const form = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  for (const value of ["Power1 On", "Status 0", " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "é€😀"]) {
    assert.equal(formEncode(value), form(value), value);
  }
  assert.equal(formEncode("a\uD800b"), form("a\uD800b"), "a lone surrogate becomes U+FFFD");
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (value) => formEncode(value) === form(value)),
    { numRuns: 500 },
  );
});

Deno.test("tasmota: a web password of special characters reaches the device intact", async () => {
  const password = "p&ss=w+rd %!'()~?#é😀";
  await using sim = await start("tasmota", 4, password)();
  await using d = await startDaemon({ pdus: { plug: { ...sim.pduConfig(), retries: 1 } } });
  assert.equal((await control(d, "on", { hostname: "plug", port: 3 })).status, 200);
  assert.equal(sim.device.get(3), "on");
});

Deno.test("tasmota: outlets beyond port_count are refused before any request", async () => {
  await using sim = await start("tasmota", 4)();
  await using d = await startDaemon({ pdus: { plug: { ...sim.pduConfig(), retries: 1 } } });
  const r = await control(d, "on", { hostname: "plug", port: 5 });
  assert.equal(r.status, 503);
  assert.match(r.body, /has outlets 1 to 4, not 5/);
  assert.equal(sim.device.received.length, 0);
});

Deno.test("tasmota: the upstream fixture's TasmotaPowerStrip section is valid", async () => {
  const { loadConfig } = await import("../../../config/mod.ts");
  const fixture = JSON.parse(
    await Deno.readTextFile(
      new URL("../../_fixtures/upstream-pdudaemon.conf", import.meta.url),
    ),
  );
  const config = await loadConfig({ pdus: { TasmotaPowerStrip: fixture.pdus.TasmotaPowerStrip } });
  assert.equal(config.pdus["TasmotaPowerStrip"]?.available, true);
  assert.deepEqual(config.pdus["TasmotaPowerStrip"]?.options, {
    ip: "192.168.42.101",
    "port_count": 4,
    username: "user",
    password: "password",
  });
});
