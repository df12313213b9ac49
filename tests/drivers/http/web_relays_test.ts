import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { lindyLeds } from "../../../drivers/http/lindy.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const wrongPassword = (sim: Simulator) => ({ ...sim.pduConfig(), password: "wrong" });

const ROWS: DriverRow[] = [
  ...([["home", 3], ["adv", 8], ["io", 8], ["pro", 8]] as const).map(([model, n]): DriverRow => ({
    driver: `anel_netpwrctrl${model}`,
    kind: "anel",
    device: { outlets: n },
    options: { model },
    bad: wrongPassword,
    badReason:
      /ANEL NET-PwrCtrl \w+ at 127\.0\.0\.1:\d+ refused user "admin": "User or password error\."/,
  })),
  {
    driver: "intellinet",
    kind: "intellinet",
    device: { outlets: 8, first: 0 },
    bad: wrongPassword,
    badReason: /Intellinet PDU at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "ip9850",
    kind: "ip9850",
    device: { outlets: 4 },
    bad: wrongPassword,
    badReason: /IP Power 9850 at 127\.0\.0\.1:\d+ refused user "admin" \(its answer says 401\)/,
  },
  {
    driver: "LindyIPowerClassic8",
    kind: "lindy-ipower",
    device: { outlets: 8 },
    options: { password: "lindy-pass" },
    bad: wrongPassword,
    badReason: /Lindy iPower at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
    // A switch is two requests (the switch, its read-back): under "flap" one of them always
    // fails. readback_test.ts checks a failed read-back instead.
    conformance: { skipFaults: ["flap"] },
  },
  {
    driver: "sainsmart",
    kind: "sainsmart",
    device: { outlets: 16 },
    error: /SainSmart relay board at 127\.0\.0\.1:\d+ answered HTTP 500 to GET \/30000\/01/,
  },
  {
    driver: "servertechpro2",
    kind: "servertech-pro2",
    device: { outlets: 24 },
    bad: wrongPassword,
    badReason: /ServerTech PRO2 at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
  },
  {
    driver: "ubus",
    kind: "ubus-poe",
    device: { outlets: 8 },
    error: /ubus at 127\.0\.0\.1:\d+ answered HTTP 500 to POST \/ubus/,
  },
];

driverSuite(ROWS);

Deno.test("anel: outlets beyond the model's sockets are refused before anything is sent", async () => {
  await using sim = await startSimulator("anel", { outlets: 3 }, { model: "home" });
  await using d = await startDaemon({ pdus: { [sim.pduHostname]: sim.pduConfig() } });
  const r = await control(d, "on", { hostname: sim.pduHostname, port: 4 });
  assert.equal(r.status, 503);
  assert.match(r.body, /4/);
  assert.equal(sim.device.received.length, 0);
});

Deno.test("LindyIPowerClassic8: the led value is 24 binary digits with outlet 1 first", () => {
  assert.equal(lindyLeds(1), "100000000000000000000000");
  assert.equal(lindyLeds(8), "000000010000000000000000");
});

Deno.test("LindyIPowerClassic8: without credentials no Authorization is sent and none is needed", async () => {
  await using sim = await startSimulator("lindy-ipower", { outlets: 8 });
  assert.equal(sim.pduConfig().password, undefined);
  await assertDrivesOverHttp(sim, { outlet: 5 });
});

Deno.test("ubus: a port the switch does not have is answered with ubus's INVALID_ARGUMENT", async () => {
  await using sim = await startSimulator("ubus-poe", { outlets: 8 });
  await using d = await startDaemon({
    pdus: { [sim.pduHostname]: { ...sim.pduConfig(), retries: 1 } },
  });
  const r = await control(d, "on", { hostname: sim.pduHostname, port: 9 });
  assert.equal(r.status, 503);
  assert.match(r.body, /poe manage failed with INVALID_ARGUMENT \(2\)/);
});

Deno.test("servertechpro2: the JAWS outlet id is outlet_prefix + number; a wrong prefix is the device's 404", async () => {
  await using sim = await startSimulator("servertech-pro2", { outlets: 4 });
  assert.equal(sim.pduConfig().outlet_prefix, "AA");
  const driver = createDriver(findDriver("servertechpro2")!, sim.pduHostname, {
    ...sim.pduConfig(),
    "outlet_prefix": "",
  });
  try {
    await assert.rejects(
      driver.setOutlet(2, "on", { signal: AbortSignal.timeout(5000) }),
      /answered HTTP 404 to PATCH \/jaws\/control\/outlets\/2/,
    );
  } finally {
    await driver.close();
  }
  assert.ok(sim.device.received.some((r) => r.text === "PATCH /jaws/control/outlets/2"));
});

Deno.test("servertechpro2: https with insecure: true skips certificate checks; without it a self-signed device is refused", async () => {
  // A throwaway self-signed certificate made for this test only (tests/_fixtures).
  const fixtures = new URL("../../_fixtures/", import.meta.url);
  const seen: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(new URL("selfsigned.crt", fixtures)),
    key: await Deno.readTextFile(new URL("selfsigned.key", fixtures)),
    onListen: () => {},
  }, async (request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
    return new Response(null, { status: 204 });
  });
  const options = (insecure: boolean) => ({
    ip: `127.0.0.1:${server.addr.port}`,
    protocol: "https",
    insecure,
    "outlet_prefix": "AA",
  });
  const descriptor = findDriver("servertechpro2")!;
  try {
    const trusting = createDriver(descriptor, "x", options(true));
    await trusting.setOutlet(3, "off", { signal: AbortSignal.timeout(5000) });
    await trusting.close();
    assert.deepEqual(seen, ['PATCH /jaws/control/outlets/AA3 {"control_action":"off"}']);

    const checking = createDriver(descriptor, "x", options(false));
    await assert.rejects(
      checking.setOutlet(3, "on", { signal: AbortSignal.timeout(5000) }),
      (e: Error & { kind?: string }) => {
        assert.equal(e.kind, "unreachable");
        assert.match(e.message, /cannot reach ServerTech PRO2 at 127\.0\.0\.1:\d+/);
        return true;
      },
    );
    await checking.close();
    assert.equal(seen.length, 1, "nothing reached the device over the refused connection");
  } finally {
    await server.shutdown();
  }
});
