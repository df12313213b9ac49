import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { DriverError } from "../../../drivers/mod.ts";
import { ManualClock } from "../../_helpers/clock.ts";
import { createDriver, settle, startSimulator } from "../../_helpers/conformance.ts";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";

const ETH: [string, string, number][] = [
  ["devantech_eth002", "eth002", 2],
  ["devantech_eth0621", "eth0621", 2],
  ["devantech_eth484", "eth484", 4],
  ["devantech_eth008", "eth008", 8],
  ["devantech_eth8020", "eth8020", 20],
];

const ROWS: DriverRow[] = [
  ...ETH.map(([driver, model, relays]): DriverRow => ({
    driver,
    kind: "devantech-eth",
    device: { outlets: relays },
    options: { model, password: "relay-pass" },
    // Not a word of the expected message: configured secrets are scrubbed from replies.
    bad: (sim) => ({ ...sim.pduConfig(), password: "not-eg-pass" }),
    error: new RegExp(
      `Devantech ${model.toUpperCase()} at 127\\.0\\.0\\.1:\\d+ refused to switch relay 1 active \\(answered 1\\)`,
    ),
    badReason: /refused the TCP\/IP password \(answered 2\)/,
  })),
  {
    driver: "devantech_eth008",
    name: "devantech_eth008 without a password",
    kind: "devantech-eth",
    device: { outlets: 8 },
    error:
      /refused to switch relay 1 active \(answered 1; the board may require a TCP\/IP password\)/,
  },
  {
    driver: "devantech_ds2824",
    kind: "devantech-ds",
    device: { outlets: 24 },
    error: /Devantech dS2824 at 127\.0\.0\.1:\d+ refused "SR 1 on": Error/,
  },
  {
    driver: "devantech_ds378",
    kind: "devantech-ds",
    device: { outlets: 8 },
    options: { model: "ds378" },
    error: /Devantech dS378 at 127\.0\.0\.1:\d+ refused "SR 1 on": Error/,
  },
  {
    driver: "egpms",
    kind: "egpms",
    device: { outlets: 4 },
    options: { password: "eg-pass" },
    // Not a word of the expected message: configured secrets are scrubbed from replies.
    bad: (sim) => ({ ...sim.pduConfig(), password: "not-eg-pass" }),
    error: /EG-PMS at 127\.0\.0\.1:\d+ reports socket 1 off after switching it on/,
    badReason: /did not answer the login within 2000 ms: wrong password/,
  },
  {
    driver: "tplink",
    name: "tplink (HS105 plug)",
    kind: "kasa",
    device: { outlets: 1 },
    error:
      /TP-Link Kasa at 127\.0\.0\.1:\d+ refused set_relay_state: err_code -1 \(relay is busy\)/,
  },
  {
    driver: "tplink",
    name: "tplink (KP303 strip)",
    kind: "kasa",
    device: { outlets: 3 },
    error:
      /TP-Link Kasa at 127\.0\.0\.1:\d+ refused set_relay_state: err_code -1 \(relay is busy\)/,
  },
];

driverSuite(ROWS);

Deno.test("devantech_eth008: logic NC drives the relay inactive for on and reads it back", async () => {
  await using sim = await startSimulator("devantech-eth", { outlets: 8 });
  const driver = createDriver(findDriver("devantech_eth008")!, sim.pduHostname, {
    ...sim.pduConfig(),
    logic: "NC",
  });
  const signal = AbortSignal.timeout(5000);
  try {
    sim.device.set(2, "on");
    await driver.setOutlet(2, "on", { signal });
    assert.equal(sim.device.get(2), "off", "relay inactive: the NC contact is closed");
    assert.equal(await driver.getOutlet!(2, { signal }), "on");
    await driver.setOutlet(2, "off", { signal });
    assert.equal(sim.device.get(2), "on");
    assert.equal(await driver.getOutlet!(2, { signal }), "off");
  } finally {
    await driver.close();
  }
});

Deno.test("devantech_eth8020: relays beyond 8 are read from the later status bytes", async () => {
  await using sim = await startSimulator("devantech-eth", { outlets: 20 }, { model: "eth8020" });
  const driver = createDriver(findDriver("devantech_eth8020")!, sim.pduHostname, sim.pduConfig());
  const signal = AbortSignal.timeout(5000);
  try {
    await driver.setOutlet(19, "on", { signal });
    assert.equal(await driver.getOutlet!(19, { signal }), "on");
    assert.equal(await driver.getOutlet!(18, { signal }), "off");
    assert.deepEqual(sim.device.history, [[19, "on"]]);
  } finally {
    await driver.close();
  }
});

Deno.test("devantech drivers: upstream config sections load unchanged", () => {
  // The section of upstream's own example pdudaemon.conf.
  const upstream = { ip: "192.168.56.101", port: "17494", password: "password", logic: "NO" };
  assert.deepEqual(findDriver("devantech_eth008")!.options.parse(upstream), {
    ...upstream,
    port: 17494,
  });
  const eth = findDriver("devantech_eth484")!.options.parse({ ip: "10.0.0.9" });
  assert.deepEqual(eth, { ip: "10.0.0.9", port: 17494, logic: "NO" });
  const ds = findDriver("devantech_ds378")!.options.parse({});
  assert.deepEqual(ds, { ip: "dS2824", port: 17123 });
  assert.deepEqual(findDriver("devantech_ds2824")!.outletRange!(ds), { min: 1, max: 24 });
  assert.deepEqual(findDriver("devantech_ds378")!.outletRange!(ds), { min: 1, max: 8 });
  assert.deepEqual(findDriver("egpms")!.options.parse({ ip: "eg1", password: "p" }), {
    ip: "eg1",
    password: "p",
    port: 5000,
  });
  assert.deepEqual(findDriver("tplink")!.options.parse({}), { port: 9999 });
  assert.equal(findDriver("egpms")!.options.safeParse({ ip: "eg1" }).success, false);
  assert.equal(findDriver("devantech_eth002")!.options.safeParse({ logic: "XX" }).success, false);
});

Deno.test("egpms: a session left unfinished makes the device ignore one start byte, and the driver retries", async () => {
  await using sim = await startSimulator("egpms", { outlets: 4 });
  const raw = sim.pduConfig();
  // An unfinished session: connect, start, hang up mid-login.
  const conn = await Deno.connect({ hostname: sim.address.hostname, port: sim.address.port });
  await conn.write(Uint8Array.of(0x11));
  const task = new Uint8Array(4);
  let got = 0;
  while (got < 4) got += (await conn.read(task.subarray(got))) ?? 4;
  conn.close();
  // The 125 ms wait for the ignored start byte runs on the test's clock.
  const clock = new ManualClock();
  const driver = createDriver(findDriver("egpms")!, sim.pduHostname, raw, clock);
  try {
    await settle(clock, driver.setOutlet(3, "on", { signal: AbortSignal.timeout(5000) }), {
      step: 125,
    });
    assert.equal(sim.device.get(3), "on");
    assert.equal(await driver.getOutlet!(3, { signal: AbortSignal.timeout(5000) }), "on");
  } finally {
    await driver.close();
  }
});

Deno.test("egpms: a silent login is a wrong password after AUTH_WAIT_MS on the driver's clock", async () => {
  await using sim = await startSimulator("egpms", { outlets: 4 });
  const clock = new ManualClock();
  const driver = createDriver(
    findDriver("egpms")!,
    sim.pduHostname,
    { ...sim.pduConfig(), password: "not-the-one" },
    clock,
  );
  try {
    const pending = driver.setOutlet(1, "on", { signal: AbortSignal.timeout(10_000) });
    const error = await settle(clock, pending).then(() => undefined, (e) => e);
    assert.ok(error instanceof DriverError, `a DriverError, not ${error}`);
    assert.equal(error.kind, "auth");
    assert.match(error.message, /did not answer the login within 2000 ms: wrong password/);
    // Ended by virtual time: a driver on the real clock would have let it run on for minutes.
    assert.ok(clock.now() >= 2000 && clock.now() < 10_000, `after ${clock.now()} virtual ms`);
    assert.equal(sim.device.get(1), "off");
  } finally {
    await driver.close();
  }
});

Deno.test("tplink: a strip outlet beyond its children is refused with the model named", async () => {
  await using sim = await startSimulator("kasa", { outlets: 3 });
  const driver = createDriver(findDriver("tplink")!, sim.pduHostname, sim.pduConfig());
  try {
    await assert.rejects(
      driver.setOutlet(4, "on", { signal: AbortSignal.timeout(5000) }),
      /KP303\(UK\) with outlets 1\.\.3, not 4/,
    );
    await driver.setOutlet(2, "on", { signal: AbortSignal.timeout(5000) });
    assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "on", 3: "off" });
    assert.ok(sim.device.received.some((r) => r.text.includes(`"child_ids":["8006`)));
  } finally {
    await driver.close();
  }
});
