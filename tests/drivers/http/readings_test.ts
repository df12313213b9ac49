/**
 * readPower and listOutlets of the metering HTTP drivers against their simulators, including
 * models without a meter, and the parsers on the shapes real devices answer.
 */
import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../../actors/mod.ts";
import { findDriver, type PowerReading } from "../../../drivers/mod.ts";
import { energyOf } from "../../../drivers/http/tasmota.ts";
import { gen1Reading, gen2Reading } from "../../../drivers/http/shelly.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import type { Simulator } from "../../../simulators/mod.ts";

const signal = () => AbortSignal.timeout(5000);

/** A driver for `sim` as the daemon would build it. */
function driverFor(sim: Simulator) {
  const config = sim.pduConfig();
  const descriptor = findDriver(String(config.driver))!;
  const { driver: _, ...keys } = config;
  return descriptor.create(sim.pduHostname, {
    options: descriptor.options.parse(keys),
    log: SILENT_LOGGER,
  });
}

Deno.test("tasmota energyOf: one value on a one-relay device, arrays per channel, none on a strip's single value", () => {
  const single = { ENERGY: { Power: 12, Total: 1.234, Voltage: 229, Current: 0.052 } };
  assert.deepEqual(energyOf(single, 1, 1), {
    watts: 12,
    energyWh: 1234,
    volts: 229,
    amps: 0.052,
  });
  const strip = { ENERGY: { Power: [3, 4], Total: 0.5, Voltage: 230, Current: [0.01, 0.02] } };
  assert.deepEqual(
    energyOf(strip, 2, 2),
    { watts: 4, amps: 0.02 },
    "the whole strip's Total is not outlet 2's",
  );
  assert.deepEqual(energyOf({ Time: "x" }, 1, 1), {}, "no energy monitor");
  assert.deepEqual(energyOf(undefined, 1, 1), {});
});

Deno.test("shelly readings: Gen1 total is watt-minutes; Gen2 fields only on PM models", () => {
  assert.deepEqual(gen1Reading({ power: 5.5, total: 90 }), { watts: 5.5, energyWh: 1.5 });
  assert.deepEqual(gen1Reading(undefined), {});
  assert.deepEqual(
    gen2Reading({
      output: true,
      apower: 8,
      voltage: 231.2,
      current: 0.035,
      aenergy: { total: 12.5 },
    }),
    { watts: 8, energyWh: 12.5, volts: 231.2, amps: 0.035 },
  );
  assert.deepEqual(gen2Reading({ output: true }), {});
});

const cases: { kind: string; options?: Record<string, unknown>; first: number }[] = [
  { kind: "tasmota", options: { meter: false }, first: 1 },
  { kind: "shelly-gen1", options: { meter: false }, first: 0 },
  { kind: "shelly-gen2", options: { meter: false }, first: 0 },
  { kind: "netio-json", options: { meter: false }, first: 1 },
];

for (const c of cases) {
  Deno.test(`${c.kind} without a meter: readPower reports nothing, listOutlets the states`, async () => {
    await using sim = await startSimulator(c.kind, { outlets: 2, first: c.first }, c.options);
    sim.device.set(c.first + 1, "on");
    const driver = driverFor(sim);
    try {
      const reading: PowerReading = await driver.readPower!(c.first, { signal: signal() });
      assert.deepEqual(reading, {});
      const list = await driver.listOutlets!({ signal: signal() });
      assert.deepEqual(
        list.map((o) => [o.outlet, o.state, o.power ?? {}]),
        [[c.first, "off", {}], [c.first + 1, "on", {}]],
      );
    } finally {
      await driver.close();
    }
  });
}

Deno.test("ubus: a port the switch does not have is a permanent device error for readPower", async () => {
  await using sim = await startSimulator("ubus-poe", { outlets: 2 });
  const driver = driverFor(sim);
  await assert.rejects(
    driver.readPower!(9, { signal: signal() }),
    (e: Error & { kind?: string; permanent?: boolean }) =>
      e.kind === "device" && e.permanent === true && /has no port lan9/.test(e.message),
  );
  await driver.close();
});

Deno.test("tasmota: one relay reports under POWER, and its reading under scalar ENERGY values", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 1 }, {
    driver: "sonoff_s20_tasmota",
  });
  sim.device.set(1, "on");
  sim.device.setLoad(1, 60, 12_345);
  const driver = driverFor(sim);
  try {
    assert.deepEqual(await driver.readPower!(1, { signal: signal() }), {
      watts: 60,
      energyWh: 12_345,
      volts: 230,
      amps: 0.261,
    });
    assert.deepEqual(sim.device.received.at(-1)?.text, "GET /cm?cmnd=Status 8");
    const list = await driver.listOutlets!({ signal: signal() });
    assert.equal(sim.device.received.at(-1)?.text, "GET /cm?cmnd=Status 0");
    assert.deepEqual(list, [{
      outlet: 1,
      state: "on",
      power: { watts: 60, energyWh: 12_345, volts: 230, amps: 0.261 },
    }]);
  } finally {
    await driver.close();
  }
});
