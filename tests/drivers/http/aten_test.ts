import assert from "node:assert/strict";
import { atenRelays } from "../../../drivers/http/aten.ts";
import { findDriver } from "../../../drivers/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverApiV1, assertListsOutlets } from "../../_helpers/api_v1.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const ROWS: DriverRow[] = [{
  driver: "pe6216",
  kind: "aten-pe",
  device: { outlets: 16 },
  options: { password: "aten-pass" },
  bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  badReason: /ATEN PDU at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  // A switch is two requests (the switch, its read-back): under "flap" one of them always
  // fails. readback_test.ts checks a failed read-back instead.
  conformance: { skipFaults: ["flap"] },
}];

driverSuite(ROWS);

Deno.test("pe6216: switched and read through /api/v1", async () => {
  await using sim = await startSimulator("aten-pe", { outlets: 16 });
  await assertDrivesOverApiV1(sim, { outlet: 16 });
});

Deno.test("pe6216: listOutlets reads every outlet from /api/device/relay in one request", async () => {
  await using sim = await startSimulator("aten-pe", { outlets: 16 });
  await assertListsOutlets(sim);
});

Deno.test("pe6216: an outlet the PDU lacks is its 404, permanent (not retried)", async () => {
  await using sim = await startSimulator("aten-pe", { outlets: 8 });
  await using d = await startDaemon({
    pdus: { pe: { ...sim.pduConfig(), address: sim.pduHostname, retries: 3, retrydelay: 0 } },
  });
  const r = await control(d, "on", { hostname: "pe", port: 12 });
  assert.equal(r.status, 503);
  assert.match(r.body, /answered HTTP 404 to POST \/api\/outlet\/relay/);
  assert.equal(sim.device.received.length, 1, "a permanent error is not retried");
});

Deno.test("pe6216: the password is required by the config; the factory user is the default", async () => {
  const { loadConfig } = await import("../../../config/mod.ts");
  await assert.rejects(loadConfig({ pdus: { pe: { driver: "pe6216" } } }), /password/);
  const config = await loadConfig({ pdus: { pe: { driver: "pe6216", password: "x" } } });
  assert.equal((config.pdus.pe?.options as { username: string }).username, "administrator");
});

Deno.test("pe6216: relay states: PENDING is a transient device error, CAP and POP read as off", async () => {
  assert.deepEqual(
    atenRelays("<OutletRelay><01>ON</01><02>POP</02><10>PENDING</10></OutletRelay>"),
    [
      { outlet: 1, relay: "ON" },
      { outlet: 2, relay: "POP" },
      { outlet: 10, relay: "PENDING" },
    ],
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const index = new URL(request.url).searchParams.get("index");
    const relay = index === "1" ? "PENDING" : "CAP";
    return new Response(`<OutletRelay><0${index}>${relay}</0${index}></OutletRelay>`);
  });
  const driver = createDriver(findDriver("pe6216")!, "127.0.0.1", {
    port: server.addr.port,
    password: "p",
  });
  try {
    await assert.rejects(
      driver.getOutlet!(1, { signal: AbortSignal.timeout(5000) }),
      (e: Error & { kind?: string; permanent?: boolean }) => {
        assert.equal(e.kind, "device");
        assert.equal(e.permanent, false);
        assert.match(e.message, /still switching outlet 1 \(PENDING\)/);
        return true;
      },
    );
    assert.equal(await driver.getOutlet!(2, { signal: AbortSignal.timeout(5000) }), "off");
  } finally {
    await driver.close();
    await server.shutdown();
  }
});
