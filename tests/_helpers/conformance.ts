/**
 * The driver conformance suite (Hono's common.case.test.ts pattern): every driver runs the same
 * checks against its simulator on 127.0.0.1:0.
 */
import assert from "node:assert/strict";
import {
  type AnyDriverDescriptor,
  type DeviceOptions,
  type Driver,
  DriverError,
  type DriverErrorKind,
  type Fault,
  SimulatedDevice,
} from "../../drivers/mod.ts";
import { findSimulator, type Simulator } from "../../simulators/mod.ts";
import { ManualClock } from "./clock.ts";
import { memoryLogger } from "./log.ts";

/** What a driver's test provides to the suite. */
export interface ConformanceCase {
  /** Test name prefix, usually the driver name. */
  name: string;
  /** The descriptor under test (looked up by name in the registry by the caller). */
  descriptor: AnyDriverDescriptor;
  /** Starts a fresh simulator for one step. */
  start(): Promise<Simulator>;
  /** Raw options for the driver (as in a config file) talking to `sim`. Defaults to sim.pduConfig(). */
  options?(sim: Simulator): Record<string, unknown>;
  /** Options that must fail authentication, if the device has credentials. */
  badCredentials?(sim: Simulator): Record<string, unknown>;
  /** The outlet to exercise (default: the device's first outlet). */
  outlet?: number;
  /** Driver error kind expected when the simulator answers an error (default "device"). */
  errorKind?: DriverErrorKind;
  /** Skip the unreachable check (UDP devices can only time out). */
  unreachableKind?: DriverErrorKind;
  /** False for an in-process device, which cannot be gone. */
  canBeGone?: boolean;
  /**
   * Faults this device's front end answers with silence (a UDP agent that drops or refuses a
   * datagram says nothing): tested like a hang, by aborting once the device saw the command.
   */
  silentFaults?: readonly Fault[];
  /** Fault steps (or the slow-device step) that do not apply to this front end. */
  skipFaults?: readonly (Fault | "slow")[];
  /** Kinds other than the usual a fault may be reported as (a tool's exit code is "device"). */
  faultKinds?: Partial<Record<Fault, DriverErrorKind[]>>;
  /**
   * Refuse and drop re-enumerate a local device node: the command is lost with the old node,
   * which a driver cannot always tell from silence, and the node comes back on its own time.
   * Those steps abort once the device saw the command, and check the failure, not the recovery.
   */
  replugs?: boolean;
}

const CONTROL_KEYS = ["driver", "retries", "retrydelay", "timeout", "command_gap", "queue_limit"];

/**
 * Builds a driver from raw options the way the config loader does. With `clock`, the driver's
 * own waits (SNMP's probe, EG-PMS's login deadline) run on it: see `settle`.
 */
export function createDriver(
  descriptor: AnyDriverDescriptor,
  hostname: string,
  raw: Record<string, unknown>,
  clock?: ManualClock,
): Driver {
  const own = Object.fromEntries(Object.entries(raw).filter(([k]) => !CONTROL_KEYS.includes(k)));
  const options = descriptor.options.parse(own);
  return descriptor.create(hostname, { options, log: memoryLogger(), ...(clock ? { clock } : {}) });
}

/**
 * Moves `clock` on by `step` ms at a time until `promise` settles, so a driver's own waits end
 * in virtual time while its sockets still talk for real. Gives up advancing after `limitMs` of
 * virtual time (then only the real world can settle it).
 */
export async function settle<T>(
  clock: ManualClock,
  promise: Promise<T>,
  { step = 500, limitMs = 120_000 }: { step?: number; limitMs?: number } = {},
): Promise<T> {
  let done = false;
  const watched = promise.finally(() => done = true);
  watched.catch(() => {});
  for (let t = 0; !done && t < limitMs; t += step) await clock.advance(step);
  return await watched;
}

/** Starts simulator `kind` on 127.0.0.1:0 with a fresh device and the kind's parsed options. */
export function startSimulator(
  kind: string,
  device: DeviceOptions = {},
  options: Record<string, unknown> = {},
): Promise<Simulator> {
  const simulator = findSimulator(kind);
  if (!simulator) throw new TypeError(`no simulator kind "${kind}"`);
  return simulator.start(new SimulatedDevice(`${kind}-sim`, device), {
    options: simulator.options.parse(options),
    hostname: "127.0.0.1",
    port: 0,
  });
}

function signal(ms = 5000): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** Whether something listens on 127.0.0.1:`port` now. */
async function listened(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

async function assertDriverError(promise: Promise<unknown>, kinds: DriverErrorKind[]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DriverError, `expected DriverError, got ${error}`);
    assert.ok(kinds.includes(error.kind), `expected kind ${kinds.join("|")}, got ${error.kind}`);
    assert.ok(error.message.length > 0);
    return true;
  });
}

/**
 * Starts an operation, waits until the device has seen it (not merely until the driver began
 * connecting), aborts, and expects the driver to give up with a DriverError.
 */
async function assertAbortsOnceSeen(sim: Simulator, driver: Driver, outlet: number) {
  const controller = new AbortController();
  const begun = sim.device.nextOperation();
  const pending = driver.setOutlet(outlet, "on", { signal: controller.signal });
  pending.catch(() => {});
  const noCommand = Promise.withResolvers<never>();
  const timer = setTimeout(
    () => noCommand.reject(new Error("the device never saw the command within 5 s")),
    5000,
  );
  try {
    await Promise.race([begun, noCommand.promise]);
  } finally {
    clearTimeout(timer);
  }
  controller.abort(new Error("test abort"));
  await assertDriverError(pending, ["timeout", "unreachable", "protocol"]);
}

/** Registers the conformance tests for one driver. */
export function conformance(c: ConformanceCase): void {
  const opts = (sim: Simulator) => c.options?.(sim) ?? sim.pduConfig();

  Deno.test(`${c.name}: conformance`, async (t) => {
    await t.step("switches an outlet on and off, idempotently", async () => {
      await using sim = await c.start();
      const outlet = c.outlet ?? sim.device.first;
      const driver = createDriver(c.descriptor, sim.pduHostname, opts(sim));
      try {
        await driver.setOutlet(outlet, "on", { signal: signal() });
        assert.equal(sim.device.get(outlet), "on");
        await driver.setOutlet(outlet, "on", { signal: signal() });
        assert.equal(sim.device.get(outlet), "on");
        await driver.setOutlet(outlet, "off", { signal: signal() });
        assert.equal(sim.device.get(outlet), "off");
        if (driver.getOutlet) {
          assert.equal(await driver.getOutlet(outlet, { signal: signal() }), "off");
          await driver.setOutlet(outlet, "on", { signal: signal() });
          assert.equal(await driver.getOutlet(outlet, { signal: signal() }), "on");
        }
      } finally {
        await driver.close();
        await driver.close();
      }
    });

    await t.step("reports a device error as a DriverError", async () => {
      await using sim = await c.start();
      const driver = createDriver(c.descriptor, sim.pduHostname, opts(sim));
      sim.device.fault = "error";
      try {
        await assertDriverError(
          driver.setOutlet(c.outlet ?? sim.device.first, "on", { signal: signal() }),
          [c.errorKind ?? "device", "protocol"],
        );
      } finally {
        await driver.close();
      }
    });

    await t.step("honours abort when the device hangs", async () => {
      await using sim = await c.start();
      const driver = createDriver(c.descriptor, sim.pduHostname, opts(sim));
      sim.device.fault = "hang";
      try {
        await assertAbortsOnceSeen(sim, driver, c.outlet ?? sim.device.first);
      } finally {
        await driver.close();
      }
    });

    // Each fault fails one operation with a DriverError, leaves the outlet alone, and the same
    // driver works again once the device behaves: no session is left half-open.
    const faults: [Fault, string, DriverErrorKind[]][] = [
      ["refuse", "refuses the connection", ["unreachable", "protocol", "timeout"]],
      ["drop", "drops the connection without answering", ["unreachable", "protocol", "timeout"]],
      ["garbage", "answers garbage", ["protocol", "device"]],
      ["flap", "fails every other operation", [c.errorKind ?? "device", "protocol"]],
    ];
    for (const [fault, what, kinds] of faults) {
      if (c.skipFaults?.includes(fault)) continue;
      const replugged = c.replugs && (fault === "refuse" || fault === "drop");
      await t.step(`reports a device that ${what}, then works again`, async () => {
        await using sim = await c.start();
        const outlet = c.outlet ?? sim.device.first;
        const driver = createDriver(c.descriptor, sim.pduHostname, opts(sim));
        sim.device.fault = fault;
        try {
          if (c.silentFaults?.includes(fault) || replugged) {
            await assertAbortsOnceSeen(sim, driver, outlet);
          } else {
            await assertDriverError(
              driver.setOutlet(outlet, "on", { signal: signal() }),
              [...kinds, ...c.faultKinds?.[fault] ?? []],
            );
          }
          assert.equal(sim.device.get(outlet), "off", `${fault}: the outlet must not change`);
          if (replugged) return;
          if (fault !== "flap") sim.device.fault = "none";
          await driver.setOutlet(outlet, "on", { signal: signal() });
          assert.equal(sim.device.get(outlet), "on");
        } finally {
          await driver.close();
        }
      });
    }

    await t.step({
      name: "waits for a slow device",
      ignore: c.skipFaults?.includes("slow") ?? false,
      fn: async () => {
        await using sim = await c.start();
        const outlet = c.outlet ?? sim.device.first;
        const driver = createDriver(c.descriptor, sim.pduHostname, opts(sim));
        sim.device.latencyMs = 20;
        try {
          await driver.setOutlet(outlet, "on", { signal: signal() });
          assert.equal(sim.device.get(outlet), "on");
        } finally {
          await driver.close();
        }
      },
    });

    if (c.canBeGone !== false) {
      await t.step("reports a device that is gone", async () => {
        // Test files run side by side, each binding port 0: the port a closed simulator freed
        // can be handed to another file's listener at once. A run whose port was taken proves
        // nothing about a gone device and is done again on a fresh port (at most three times).
        for (let attempt = 1;; attempt++) {
          const sim = await c.start();
          const raw = opts(sim);
          const hostname = sim.pduHostname;
          const { port, transport } = sim.address;
          await sim.close();
          const driver = createDriver(c.descriptor, hostname, raw);
          try {
            // A closed TCP port answers at once; a UDP device that is gone only stays silent.
            const operation = driver.setOutlet(c.outlet ?? sim.device.first, "on", {
              // Silence proves the same after 50 ms as after 500.
              signal: signal(c.unreachableKind === "timeout" ? 50 : 500),
            });
            const outcome = await operation.then(() => undefined, (error: unknown) => error);
            const gone: DriverErrorKind[] = [c.unreachableKind ?? "unreachable", "timeout"];
            // Anything but "unreachable" or silence means something answered on that port: a
            // listener of another file that may already have closed again, which listened()
            // cannot see any more (CI once got "protocol" in 14 ms that way).
            const answered = !(outcome instanceof DriverError && gone.includes(outcome.kind));
            if (attempt < 3 && transport === "tcp" && (answered || await listened(port))) continue;
            await assertDriverError(
              outcome === undefined ? Promise.resolve() : Promise.reject(outcome),
              gone,
            );
            return;
          } finally {
            await driver.close();
          }
        }
      });
    }

    if (c.badCredentials) {
      const bad = c.badCredentials;
      await t.step("reports bad credentials as auth", async () => {
        await using sim = await c.start();
        // Devices that stay silent at a wrong secret are told apart by the driver's own waits
        // (SNMP's probe, EG-PMS's login deadline): virtual time, so no step waits seconds.
        const clock = new ManualClock();
        const driver = createDriver(c.descriptor, sim.pduHostname, bad(sim), clock);
        try {
          await assertDriverError(
            settle(
              clock,
              driver.setOutlet(c.outlet ?? sim.device.first, "on", { signal: signal(60_000) }),
            ),
            ["auth"],
          );
          assert.equal(sim.device.get(c.outlet ?? sim.device.first), "off");
        } finally {
          await driver.close();
        }
      });
    }
  });
}
