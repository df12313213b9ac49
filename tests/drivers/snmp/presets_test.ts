/**
 * The SNMP presets whose switching is more than one integer column (issue 19 item 3), each
 * against its vendor's simulated agent: on, off and reboot through the daemon's HTTP API land on
 * the objects the vendor's MIB names (asserted on what the agent received and on the outlet),
 * `get-port-state` reads the state column, the shared conformance suite, every outlet in one
 * walk (`listOutlets`, with the names the MIB has), and the power readings the MIB reports per
 * outlet (`readPower`), scaled to watts, Wh, volts and amps.
 */
import assert from "node:assert/strict";
import {
  type AnyDriverDescriptor,
  type Driver,
  DriverError,
  findDriver,
  type PowerReading,
} from "../../../drivers/mod.ts";
import type { Simulator } from "../../../simulators/mod.ts";
import { outletPlan } from "../../../drivers/snmp/snmp.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, startDaemon } from "../../_helpers/daemon.ts";

interface Preset {
  name: string;
  kind: string;
  outlets: number;
  options?: Record<string, unknown>;
  /** The outlet the HTTP test switches. */
  outlet: number;
  /** The SETs the agent receives for on, then off, of `outlet`. */
  sets: [string, string];
  /** Whether the table names its outlets ("Outlet N"). */
  names: boolean;
  /**
   * What the agent reports for `outlet` when on and when off (the simulated load: 230 V,
   * 0.25 A per outlet number when on, 1500 Wh per outlet number), in the MIB's resolution.
   */
  power?: { on: PowerReading; off: PowerReading };
}

const PRESETS: Preset[] = [
  {
    name: "EATON-EPDU-MIB (Eaton ePDU)",
    kind: "eaton-snmp",
    outlets: 8,
    options: { version: "2c" },
    outlet: 3,
    // outletControlOnCmd.0.3 and outletControlOffCmd.0.3, each written with 0 (now).
    sets: [
      "SET 1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.3 = 0",
      "SET 1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.3 = 0",
    ],
    names: true,
    // outletWatts W (0.75 A * 230 V = 172.5 W, reported as 173), outletWh, mV, mA.
    power: {
      on: { watts: 173, energyWh: 4500, volts: 230, amps: 0.75 },
      off: { watts: 0, energyWh: 4500, volts: 230, amps: 0 },
    },
  },
  {
    name: "PDU2-MIB (Raritan PX2/PX3)",
    kind: "raritan-snmp",
    outlets: 8,
    options: { version: "2c" },
    outlet: 5,
    // switchingOperation.1.5: on(1), off(0); the state is outletSwitchingState.
    sets: [
      "SET 1.3.6.1.4.1.13742.6.4.1.2.1.2.1.5 = 1",
      "SET 1.3.6.1.4.1.13742.6.4.1.2.1.2.1.5 = 0",
    ],
    names: true,
    // Sensors scaled by outletSensorDecimalDigits: W with 1 digit, A with 3.
    power: {
      on: { watts: 287.5, energyWh: 7500, volts: 230, amps: 1.25 },
      off: { watts: 0, energyWh: 7500, volts: 230, amps: 0 },
    },
  },
  {
    name: "Sentry3-MIB (ServerTech Sentry CDU)",
    kind: "sentry3-snmp",
    outlets: 16,
    outlet: 12,
    // 8 outlets per infeed: outlet 12 is tower 1, infeed 2 (B), outlet 4; on(1) off(2).
    sets: [
      "SET 1.3.6.1.4.1.1718.3.2.3.1.11.1.2.4 = 1",
      "SET 1.3.6.1.4.1.1718.3.2.3.1.11.1.2.4 = 2",
    ],
    names: true,
  },
  {
    name: "POWER-ETHERNET-MIB (PoE switch ports)",
    kind: "poe-snmp",
    outlets: 24,
    options: { version: "3", users: [{ username: "pdudaemon" }] },
    outlet: 7,
    // pethPsePortAdminEnable.1.7 (group 1 unless controlpoint names another): true(1) false(2).
    sets: ["SET 1.3.6.1.2.1.105.1.1.1.3.1.7 = 1", "SET 1.3.6.1.2.1.105.1.1.1.3.1.7 = 2"],
    names: false,
  },
  {
    name: "PowerNet-MIB rPDU2 (APC metered-by-outlet Rack PDU)",
    kind: "apc-snmp",
    outlets: 8,
    options: { version: "2c", controlpoint: "rPDU2OutletSwitchedControlCommand" },
    outlet: 3,
    // rPDU2OutletSwitchedControlCommand.3: immediateOn(1), immediateOff(2).
    sets: [
      "SET 1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.3 = 1",
      "SET 1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.3 = 2",
    ],
    names: true,
    // rPDU2OutletMeteredStatus…: A in tenths (0.75 A reported as 0.8), W, kWh in tenths.
    power: {
      on: { watts: 173, energyWh: 4500, amps: 0.8 },
      off: { watts: 0, energyWh: 4500, amps: 0 },
    },
  },
];

const signal = () => AbortSignal.timeout(10_000);

/**
 * Runs `use` with a driver for `sim`'s PDU (its own driver, unless `descriptor` names another),
 * and closes the driver after, whether `use` passed or threw.
 */
async function withDriver(
  sim: Simulator,
  use: (driver: Driver) => Promise<void> | void,
  descriptor: AnyDriverDescriptor = findDriver(String(sim.pduConfig().driver))!,
): Promise<void> {
  const driver = createDriver(descriptor, sim.pduHostname, sim.pduConfig());
  try {
    await use(driver);
  } finally {
    await driver.close();
  }
}

for (const preset of PRESETS) {
  const start = () =>
    startSimulator(preset.kind, { outlets: preset.outlets }, preset.options ?? {});

  conformance({
    name: preset.name,
    descriptor: findDriver(`snmpv${preset.options?.version ?? "1"}`)!,
    start,
    unreachableKind: "timeout",
    silentFaults: ["refuse", "drop"],
  });

  Deno.test(`${preset.name}: on, off and reboot through the daemon's HTTP API reach the MIB's objects`, async () => {
    await using sim = await start();
    const sets = () => sim.device.received.map((r) => r.text).filter((t) => t.startsWith("SET"));
    await assertDrivesOverHttp(sim, { outlet: preset.outlet });
    // on, off, then reboot's off and on.
    assert.deepEqual(sets(), [...preset.sets, ...preset.sets.slice().reverse()]);
    await assertDrivesOverHttp(sim, { outlet: preset.outlets });

    await using d = await startDaemon({
      pdus: { pdu: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
    });
    sim.device.set(preset.outlet, "off");
    const off = await fetch(
      `${d.url}/power/control/get-port-state?hostname=pdu&port=${preset.outlet}`,
    );
    assert.deepEqual(await off.json(), { state: "off" });
    sim.device.set(preset.outlet, "on");
    const on = await fetch(
      `${d.url}/power/control/get-port-state?hostname=pdu&port=${preset.outlet}`,
    );
    assert.deepEqual(await on.json(), { state: "on" });
  });

  Deno.test(`${preset.name}: listOutlets reads every outlet's state${preset.names ? " and name" : ""} in one walk`, async () => {
    await using sim = await start();
    await withDriver(sim, async (driver) => {
      const on = [2, preset.outlet, preset.outlets];
      for (const outlet of on) sim.device.set(outlet, "on");
      const before = sim.device.received.length;
      const listed = await driver.listOutlets!({ signal: signal() });
      assert.deepEqual(
        listed,
        sim.device.outlets().map((outlet) => ({
          outlet,
          state: on.includes(outlet) ? "on" : "off",
          ...(preset.names ? { name: `Outlet ${outlet}` } : {}),
        })),
      );
      // Read, not written: the walk switched nothing.
      assert.ok(sim.device.received.slice(before).every((r) => r.text.startsWith("GET")));
    });
  });

  if (preset.power) {
    const power = preset.power;
    Deno.test(`${preset.name}: readPower reports the outlet's watts, energy, volts and amps`, async () => {
      await using sim = await start();
      await withDriver(sim, async (driver) => {
        assert.deepEqual(await driver.readPower!(preset.outlet, { signal: signal() }), power.off);
        await driver.setOutlet(preset.outlet, "on", { signal: signal() });
        assert.deepEqual(await driver.readPower!(preset.outlet, { signal: signal() }), power.on);
      });
    });
  } else {
    Deno.test(`${preset.name}: no readPower where the MIB reports no power per outlet`, async () => {
      await using sim = await start();
      await withDriver(sim, (driver) => assert.equal(driver.readPower, undefined));
    });
  }
}

/** The other SNMP tables: each driver lists its outlets (and names, where its table has them). */
const OTHER_TABLES = [
  { name: "snmpv1 (APC sPDUOutletCtl)", kind: "apc-snmp", options: {}, names: true },
  {
    name: "snmpv2c (APC rPDUOutletControlOutletCommand)",
    kind: "apc-snmp",
    options: { version: "2c", controlpoint: "rPDUOutletControlOutletCommand" },
    names: true,
  },
  { name: "snmpv1 (an oid template)", kind: "snmp", options: {}, names: false },
  { name: "cyberpower81001", kind: "cyberpower-snmp", options: {}, names: false },
  { name: "ip9258 (one scalar per outlet)", kind: "ip9258-snmp", options: {}, names: false },
];

for (const row of OTHER_TABLES) {
  Deno.test(`${row.name}: listOutlets walks the outlets' states${row.names ? " and names" : ""}`, async () => {
    await using sim = await startSimulator(row.kind, { outlets: 6 }, row.options);
    await withDriver(sim, async (driver) => {
      sim.device.set(2, "on");
      sim.device.set(6, "on");
      assert.deepEqual(
        await driver.listOutlets!({ signal: signal() }),
        [1, 2, 3, 4, 5, 6].map((outlet) => ({
          outlet,
          state: outlet === 2 || outlet === 6 ? "on" : "off",
          ...(row.names ? { name: `Outlet ${outlet}` } : {}),
        })),
      );
      assert.equal(driver.readPower, undefined, "these tables report no power");
    });
  });
}

Deno.test("listOutlets follows a table longer than one GETBULK answers (120 outlets)", async () => {
  await using sim = await startSimulator("eaton-snmp", { outlets: 120 }, { version: "2c" });
  await withDriver(sim, async (driver) => {
    sim.device.set(77, "on");
    const listed = await driver.listOutlets!({ signal: signal() });
    assert.deepEqual(listed.map((o) => o.outlet), sim.device.outlets());
    assert.deepEqual(listed.filter((o) => o.state === "on").map((o) => o.outlet), [77]);
    assert.equal(listed[119]!.name, "Outlet 120");
  }, findDriver("snmpv2c")!);
});

Deno.test("readPower of an outlet the agent has no meters for is a permanent device error", async () => {
  await using sim = await startSimulator("eaton-snmp", { outlets: 4 }, { version: "2c" });
  await withDriver(sim, async (driver) => {
    await assert.rejects(driver.readPower!(9, { signal: signal() }), (error: DriverError) => {
      assert.equal(error.kind, "device");
      assert.equal(error.permanent, true);
      assert.match(error.message, /reports no power readings for this outlet/);
      return true;
    });
  }, findDriver("snmpv2c")!);
});

Deno.test("an SNMPv1 walk that reaches the end of the agent's MIB (noSuchName) ends the list", async () => {
  // A table past every other object of the agent: the GETNEXT after its last row is answered
  // noSuchName, as SNMPv1 agents end a walk.
  await using sim = await startSimulator("snmp", { outlets: 3 }, {
    oid: ".1.3.6.1.6.3.99.1.1.2.*",
  });
  await withDriver(sim, async (driver) => {
    sim.device.set(3, "on");
    assert.deepEqual(await driver.listOutlets!({ signal: signal() }), [
      { outlet: 1, state: "off" },
      { outlet: 2, state: "off" },
      { outlet: 3, state: "on" },
    ]);
  }, findDriver("snmpv1")!);
});

Deno.test("presets: without inside_number the first unit is addressed; outlets_per_infeed numbers Sentry3 outlets through the infeeds", () => {
  const oid = (o: Record<string, unknown>, outlet: number) =>
    outletPlan({ snmpport: 161, ...o } as Parameters<typeof outletPlan>[0], outlet);
  assert.equal(
    oid({ mib: "PDU2-MIB", controlpoint: "switchingOperation" }, 4).set.on.oid,
    "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.4",
  );
  assert.equal(
    oid({ mib: "EATON-EPDU-MIB", controlpoint: "outletControlOffCmd" }, 4).get.oid,
    "1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.4",
  );
  assert.equal(
    oid({ mib: "POWER-ETHERNET-MIB", controlpoint: "pethPsePortAdminEnable" }, 4).set.off.oid,
    "1.3.6.1.2.1.105.1.1.1.3.1.4",
  );
  assert.equal(
    oid({ mib: "Sentry3-MIB", controlpoint: "outletControlAction" }, 4).set.on.oid,
    "1.3.6.1.4.1.1718.3.2.3.1.11.1.1.4",
  );
  // With inside_number, controlpoint's own indices, as upstream.
  assert.equal(
    oid({ mib: "PDU2-MIB", controlpoint: "switchingOperation.2.*", "inside_number": true }, 4)
      .set.on.oid,
    "1.3.6.1.4.1.13742.6.4.1.2.1.2.2.4",
  );
  const sentry = { mib: "Sentry3-MIB", "outlets_per_infeed": 8 };
  assert.equal(
    oid({ ...sentry, controlpoint: "outletControlAction" }, 12).set.on.oid,
    "1.3.6.1.4.1.1718.3.2.3.1.11.1.2.4",
  );
  assert.equal(
    oid({ ...sentry, controlpoint: "outletControlAction.2" }, 8).get.oid,
    "1.3.6.1.4.1.1718.3.2.3.1.5.2.1.8",
  );

  const parse = (o: Record<string, unknown>) => findDriver("snmpv2c")!.options.safeParse(o);
  const wrong = parse({
    community: "c",
    mib: "PDU2-MIB",
    controlpoint: "switchingOperation",
    "outlets_per_infeed": 8,
  });
  assert.ok(!wrong.success);
  assert.match(JSON.stringify(wrong.error.issues), /outlets_per_infeed .* needs mib: Sentry3-MIB/);
});
