/**
 * The tests every network driver name gets, from one table row: the conformance suite, on, off
 * and reboot through the daemon's HTTP API on the first and last outlet (asserting the
 * simulator's outlets), and the failure cases answered 503 with the device's reason.
 */
import assert from "node:assert/strict";
import { type DeviceOptions, findDriver } from "../../drivers/mod.ts";
import { type Simulator } from "../../simulators/mod.ts";
import { ManualClock } from "./clock.ts";
import { conformance, type ConformanceCase, settle, startSimulator } from "./conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "./daemon.ts";

/** One driver name against one simulator. */
export interface DriverRow {
  /** Test name (default: the driver name). */
  name?: string;
  driver: string;
  kind: string;
  device: DeviceOptions;
  options?: Record<string, unknown>;
  /** The 503 reason when the device answers its error (the simulator's `error` fault). */
  error?: RegExp;
  /** The PDU section with credentials the device refuses… */
  bad?: (sim: Simulator) => Record<string, unknown>;
  /** …and the 503 reason it then gives. */
  badReason?: RegExp;
  /** Conformance settings of this front end (silent faults, fault kinds…). */
  conformance?: Pick<ConformanceCase, "silentFaults" | "skipFaults" | "faultKinds" | "replugs">;
}

/** Registers the tests of every row. */
export function driverSuite(rows: readonly DriverRow[]): void {
  for (const row of rows) {
    if (!row.error && !(row.bad && row.badReason)) {
      throw new TypeError(`${row.driver}: a row needs a device error or bad credentials case`);
    }
    const name = row.name ?? row.driver;
    const start = () => startSimulator(row.kind, row.device, row.options);
    conformance({
      name,
      descriptor: findDriver(row.driver)!,
      start,
      ...(row.bad ? { badCredentials: row.bad } : {}),
      ...row.conformance,
    });

    Deno.test(`${name}: on, off and reboot through the daemon's HTTP API`, async () => {
      await using sim = await start();
      assert.equal(sim.pduConfig().driver, row.driver);
      await assertDrivesOverHttp(sim);
      await assertDrivesOverHttp(sim, { outlet: sim.device.first + sim.device.count - 1 });
    });

    const cases = [row.error ? "a device error" : "", row.bad ? "refused credentials" : ""]
      .filter(Boolean).join(" and ");
    Deno.test(`${name}: ${cases} answered 503 with the reason`, async () => {
      await using sim = await start();
      const at = { address: sim.pduHostname, retries: 1 };
      // The daemon's clock reaches its drivers: a device silent at a wrong secret (EG-PMS) is
      // named after its login deadline in virtual time.
      const clock = new ManualClock();
      await using d = await startDaemon({
        pdus: {
          dev: { ...sim.pduConfig(), ...at },
          ...(row.bad ? { bad: { ...row.bad(sim), ...at } } : {}),
        },
      }, { clock });
      const outlet = sim.device.first;
      if (row.error) {
        sim.device.fault = "error";
        const r = await settle(clock, control(d, "on", { hostname: "dev", port: outlet }));
        assert.equal(r.status, 503);
        assert.match(r.body, row.error);
        sim.device.fault = "none";
      }
      if (row.bad) {
        const wrong = await settle(clock, control(d, "on", { hostname: "bad", port: outlet }));
        assert.equal(wrong.status, 503);
        assert.match(wrong.body, row.badReason!);
      }
      assert.equal(sim.device.get(outlet), "off");
    });
  }
}
