import assert from "node:assert/strict";
import { type DeviceOptions, findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  driver: string;
  kind: string;
  options?: Record<string, unknown>;
  device: DeviceOptions;
  /** What the 503 of a device error says. */
  error: RegExp;
}

const MENU_MODELS = [
  "apc7952",
  "apc7921",
  "apc7932",
  "apc7900",
  "apc7920",
  "apc9218",
  "ap9218",
  "apc9606",
  "ap9606",
  "apc9210",
];

const ROWS: Row[] = [
  ...MENU_MODELS.map((model): Row => ({
    driver: model,
    kind: "apc-telnet",
    options: { model, username: "labuser", password: "s3cret pass" },
    device: { outlets: 8 },
    error: new RegExp(`APC ${model} at 127\\.0\\.0\\.1:\\d+ did not switch outlet 1 on: .*locked`),
  })),
  {
    driver: "apc8959",
    kind: "apc-cli",
    options: { username: "labuser", password: "s3cret pass" },
    device: { outlets: 24 },
    error: /APC apc8959 at 127\.0\.0\.1:\d+ refused "olOn 1": E200: Input Error/,
  },
];

for (const row of ROWS) {
  const start = () => startSimulator(row.kind, row.device, row.options);
  const bad = (sim: Simulator) => ({ ...sim.pduConfig(), password: "wrong" });
  conformance({
    name: row.driver,
    descriptor: findDriver(row.driver)!,
    start,
    badCredentials: bad,
    // A console that prints garbage and never its prompt leaves the driver waiting: a hang.
    silentFaults: ["garbage"],
  });

  Deno.test(`${row.driver}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start();
    assert.equal(sim.pduConfig().driver, row.driver);
    await assertDrivesOverHttp(sim);
    await assertDrivesOverHttp(sim, { outlet: sim.device.first + sim.device.count - 1 });
    const log = sim.device.received.map((r) => r.text);
    // The client answered the telnet negotiation (IAC DO ECHO, DO SGA, WONT NAWS).
    assert.ok(
      log.some((l) => l === "negotiated [[255,253,1],[255,253,3],[255,252,31]]"),
      log.join(" | "),
    );
  });

  Deno.test(`${row.driver}: a device error and a wrong password are answered 503 with the reason`, async () => {
    await using sim = await start();
    sim.device.fault = "error";
    await using d = await startDaemon({
      pdus: {
        dev: { ...sim.pduConfig(), address: "127.0.0.1", retries: 1 },
        badpass: { ...bad(sim), address: "127.0.0.1", retries: 1 },
      },
    });
    const r = await control(d, "on", { hostname: "dev", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, row.error);
    sim.device.fault = "none";
    const wrong = await control(d, "on", { hostname: "badpass", port: 1 });
    assert.equal(wrong.status, 503);
    assert.match(wrong.body, /refused the login of user "labuser"/);
    assert.equal(sim.device.get(1), "off");
  });
}

Deno.test("apc menus: an outlet the PDU does not have is refused with the menu it showed", async () => {
  await using sim = await startSimulator("apc-telnet", { outlets: 4 });
  await using d = await startDaemon({
    pdus: { apc: { ...sim.pduConfig(), address: "127.0.0.1", retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "apc", port: 7 });
  assert.equal(r.status, 503);
  assert.match(r.body, /the menu has no outlet 7 \(is the outlet number right/);
  assert.match(r.body, /Outlet 4/);
});

Deno.test("apc8959: olStatus is read as the outlet's state", async () => {
  await using sim = await startSimulator("apc-cli", { outlets: 8 });
  const driver = createDriver(findDriver("apc8959")!, "127.0.0.1", sim.pduConfig());
  try {
    sim.device.set(3, "on");
    assert.equal(await driver.getOutlet!(3, { signal: AbortSignal.timeout(5000) }), "on");
    assert.equal(await driver.getOutlet!(4, { signal: AbortSignal.timeout(5000) }), "off");
  } finally {
    await driver.close();
  }
});
