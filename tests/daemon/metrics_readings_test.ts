/**
 * /metrics power gauges: read through each PDU's actor by the scrape, at most one read job per
 * PDU per interval, a scrape bounded by the wait however slow the device, with a manual clock.
 */
import assert from "node:assert/strict";
import { createSupervisor, SILENT_LOGGER, type Supervisor } from "../../actors/mod.ts";
import { readConfigFile } from "../../config/mod.ts";
import { Metrics, type ReadingSettings, startDaemon as startRaw } from "../../daemon/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { fakeConfig, fakePdu } from "../_helpers/fake_driver.ts";
import { FakeMeter, type MeterAbilities } from "../_helpers/fake_meter.ts";
import { startDaemon } from "../_helpers/daemon.ts";
import { simulatedDevice } from "../../drivers/mod.ts";

function setup(abilities: MeterAbilities, settings: ReadingSettings) {
  const clock = new ManualClock();
  const meter = new FakeMeter(abilities, { min: 1, max: 2 });
  // A timeout longer than any test's wait: a slow read stays in flight, never retried.
  const supervisor = createSupervisor(fakeConfig([fakePdu("p", { timeout: 300 })]), {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => meter.descriptor(),
    abortGraceMs: 1000,
  });
  const current = { ...settings };
  const metrics = new Metrics(() => supervisor, { clock, readings: () => current });
  /** One scrape, letting the manual clock run while it waits. */
  const scrape = async (advanceMs = 0) => {
    const text = metrics.text();
    await clock.advance(advanceMs);
    return (await text).body;
  };
  return { clock, meter, supervisor, metrics, scrape, settings: current };
}

async function stop(supervisor: Supervisor, clock: ManualClock, metrics: Metrics) {
  metrics.close();
  const done = supervisor.shutdown({ graceMs: 0 });
  await clock.advance(5000);
  await done;
}

const lines = (body: string, prefix: string) =>
  body.split("\n").filter((l) => l.startsWith(prefix)).sort();

Deno.test("metrics: a scrape reads power through the actor and exports it as gauges", async () => {
  const { clock, meter, supervisor, metrics, scrape } = setup(
    { get: true, power: true, list: true },
    { intervalMs: 60_000, waitMs: 5000 },
  );
  meter.states.set(2, "on");
  meter.watts.set(2, 40);
  await clock.advance(0);
  const body = await scrape();
  assert.deepEqual(meter.log, ["list"], "one read job, one exchange");
  assert.deepEqual(lines(body, "pdud_outlet_power_watts{"), [
    'pdud_outlet_power_watts{pdu="p",outlet="1"} 0',
    'pdud_outlet_power_watts{pdu="p",outlet="2"} 40',
  ]);
  // The fake counts 10 Wh per watt: 400 Wh are 1 440 000 J.
  assert.deepEqual(lines(body, "pdud_outlet_energy_joules_total{"), [
    'pdud_outlet_energy_joules_total{pdu="p",outlet="1"} 0',
    'pdud_outlet_energy_joules_total{pdu="p",outlet="2"} 1440000',
  ]);
  assert.match(body, /# TYPE pdud_outlet_energy_joules_total counter/);
  assert.deepEqual(lines(body, "pdud_power_reads_total{"), [
    'pdud_power_reads_total{pdu="p",outcome="done"} 1',
  ]);
  assert.deepEqual(lines(body, "pdud_jobs_total{"), [], "pdud's own reads are not requests");
  await stop(supervisor, clock, metrics);
});

Deno.test("metrics: scrapes within the interval queue no second read; the next one does", async () => {
  const { clock, meter, supervisor, metrics, scrape } = setup(
    { power: true, list: true },
    { intervalMs: 60_000, waitMs: 5000 },
  );
  meter.states.set(1, "on");
  meter.watts.set(1, 5);
  await clock.advance(0);
  await scrape();
  await clock.advance(59_999);
  meter.watts.set(1, 6);
  const cached = await scrape();
  assert.deepEqual(meter.log, ["list"], "no read before the interval is over");
  assert.match(cached, /pdud_outlet_power_watts\{pdu="p",outlet="1"\} 5/);
  await clock.advance(1);
  const fresh = await scrape();
  assert.deepEqual(meter.log, ["list", "list"]);
  assert.match(fresh, /pdud_outlet_power_watts\{pdu="p",outlet="1"\} 6/);
  await stop(supervisor, clock, metrics);
});

Deno.test("metrics: a scrape waits at most the wait for a slow read, and never queues a second", async () => {
  const { clock, meter, supervisor, metrics, scrape } = setup(
    { power: true, list: true },
    { intervalMs: 10_000, waitMs: 2000 },
  );
  meter.script = ["gate"];
  await clock.advance(0);
  const text = metrics.text();
  let answered = false;
  text.then(() => answered = true);
  await clock.advance(1999);
  assert.equal(answered, false, "the scrape waits for the read it started");
  await clock.advance(1);
  const body = (await text).body;
  assert.doesNotMatch(body, /pdud_outlet_power_watts\{/, "nothing read yet, nothing exported");
  // The read is still in flight; scrapes after the interval still do not queue another.
  await clock.advance(20_000);
  await scrape(2000);
  assert.deepEqual(meter.log, ["list"]);
  assert.equal(supervisor.snapshot()[0]?.queueDepth, 1, "one read job queued, no more");
  meter.release();
  await clock.advance(0);
  const after = await scrape();
  assert.match(after, /pdud_outlet_power_watts\{pdu="p",outlet="1"\} 0/);
  await stop(supervisor, clock, metrics);
});

Deno.test("metrics: a failed read exports no stale numbers and is counted as failed", async () => {
  const { clock, meter, supervisor, metrics, scrape } = setup(
    { power: true, list: true },
    { intervalMs: 1000, waitMs: 5000 },
  );
  meter.states.set(1, "on");
  meter.watts.set(1, 9);
  await clock.advance(0);
  assert.match(await scrape(), /outlet="1"\} 9/);
  await clock.advance(1000);
  meter.script = ["device-error"];
  const body = await scrape();
  assert.doesNotMatch(body, /pdud_outlet_power_watts\{/);
  assert.match(body, /pdud_power_reads_total\{pdu="p",outcome="failed"\} 1/);
  await stop(supervisor, clock, metrics);
});

Deno.test("metrics: interval 0 reads nothing, and a PDU that reads no power is never asked", async () => {
  const off = setup({ power: true, list: true }, { intervalMs: 0, waitMs: 5000 });
  await off.clock.advance(0);
  assert.doesNotMatch(await off.scrape(), /pdud_outlet_power_watts\{/);
  assert.deepEqual(off.meter.log, []);
  await stop(off.supervisor, off.clock, off.metrics);

  const plain = setup({ get: true, list: true }, { intervalMs: 1000, waitMs: 5000 });
  await plain.clock.advance(0);
  await plain.scrape();
  assert.deepEqual(plain.meter.log, [], "no readPower: no read job");
  await stop(plain.supervisor, plain.clock, plain.metrics);
});

Deno.test("metrics: a switch queued behind a scrape's read runs first", async () => {
  const { clock, meter, supervisor, metrics } = setup(
    { get: true, power: true },
    { intervalMs: 1000, waitMs: 5000 },
  );
  meter.script = ["gate"];
  const on = supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  await clock.advance(0);
  assert.deepEqual(meter.log, ["set 1 on"], "a switch is in flight");
  const text = metrics.text();
  await clock.advance(0);
  const second = supervisor.submit({ pdu: "p", command: { type: "on", outlet: 2 } });
  meter.release();
  await clock.advance(0);
  assert.deepEqual(meter.log, ["set 1 on", "set 2 on", "power 1", "power 2"]);
  assert.equal((await on).status, "done");
  assert.equal((await second).status, "done");
  await text;
  await stop(supervisor, clock, metrics);
});

Deno.test("metrics: the daemon reads simulated PDUs' power at /metrics (daemon keys in force)", async () => {
  const name = `meter-${Date.now().toString(36)}`;
  await using d = await startDaemon({
    daemon: { "power_scrape_interval": 30, "power_scrape_wait": 5 },
    pdus: { [name]: { driver: "simulated", outlets: 2 } },
  });
  const device = simulatedDevice(name);
  device.setLoad(2, 61.5, 2);
  const on = await fetch(`${d.url}/api/v1/pdus/${name}/outlets/2/on`, { method: "POST" });
  assert.equal(on.status, 200);
  await on.body?.cancel();
  const body = await (await fetch(`${d.url}/metrics`)).text();
  assert.match(body, new RegExp(`pdud_outlet_power_watts\\{pdu="${name}",outlet="2"\\} 61.5`));
  assert.match(
    body,
    new RegExp(`pdud_outlet_energy_joules_total\\{pdu="${name}",outlet="2"\\} 7200`),
  );
  assert.match(body, new RegExp(`pdud_outlet_voltage_volts\\{pdu="${name}",outlet="2"\\} 230`));
});

Deno.test("metrics: power_scrape_interval reloads without a restart, from the next scrape", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pdud.yaml`;
  const name = `reload-meter-${Date.now().toString(36)}`;
  const write = (interval: number) =>
    Deno.writeTextFile(
      path,
      `daemon: {power_scrape_interval: ${interval}}\npdus:\n  ${name}: {driver: simulated, outlets: 1}\n`,
    );
  try {
    await write(0);
    await using d = await startRaw(await readConfigFile(path), {
      log: SILENT_LOGGER,
      listen: { hostname: "127.0.0.1", port: 0 },
      readConfig: () => readConfigFile(path),
    });
    const metrics = async () =>
      await (await fetch(`http://127.0.0.1:${d.listeners.port}/metrics`)).text();
    simulatedDevice(name).setLoad(1, 3, 1);
    assert.doesNotMatch(await metrics(), /pdud_outlet_power_watts\{/, "0 = off");
    await write(30);
    const report = await d.reload();
    assert.deepEqual(report.daemon, ["power_scrape_interval"]);
    assert.match(
      await metrics(),
      new RegExp(`pdud_outlet_power_watts\\{pdu="${name}",outlet="1"\\} 0`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
