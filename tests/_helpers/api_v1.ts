/**
 * End-to-end checks through pdud's own JSON API (`/api/v1`) against a simulator, and the direct
 * check of a driver's `listOutlets` (every outlet in one exchange) against its simulator.
 */
import assert from "node:assert/strict";
import { findDriver } from "../../drivers/mod.ts";
import type { Simulator } from "../../simulators/mod.ts";
import { createDriver } from "./conformance.ts";
import { startDaemon } from "./daemon.ts";

/**
 * Switches `outlet` on and off with `POST /api/v1/pdus/{pdu}/outlets/{n}/{on|off}`, asserting the
 * simulator's outlet after each, then changes the outlet behind pdud's back and asserts that
 * `GET /api/v1/pdus/{pdu}/outlets/{n}` reads it from the device (`source: "device"`).
 */
export async function assertDrivesOverApiV1(
  sim: Simulator,
  options: { outlet?: number; pdu?: Record<string, unknown> } = {},
): Promise<void> {
  const outlet = options.outlet ?? sim.device.first;
  const pdu = {
    retries: 1,
    timeout: 10,
    address: sim.pduHostname,
    ...(options.pdu ?? sim.pduConfig()),
  };
  await using d = await startDaemon({ pdus: { dev: pdu } });
  for (const command of ["on", "off"] as const) {
    const r = await fetch(`${d.url}/api/v1/pdus/dev/outlets/${outlet}/${command}`, {
      method: "POST",
    });
    const body = await r.text();
    assert.equal(r.status, 200, `${command}: ${body}`);
    assert.equal(sim.device.get(outlet), command, `outlet after ${command}`);
  }
  sim.device.set(outlet, "on"); // someone pressed the button on the device
  const read = await fetch(`${d.url}/api/v1/pdus/dev/outlets/${outlet}`);
  const state = await read.json();
  assert.equal(read.status, 200, JSON.stringify(state));
  assert.deepEqual(state, { pdu: "dev", outlet, state: "on", source: "device" });
}

/**
 * Calls the driver's `listOutlets` against `sim` after setting a pattern of states on the
 * simulated device, and asserts that every outlet is reported as the device has it, in
 * `requests` HTTP requests (one, or a login, the read and a logout).
 */
export async function assertListsOutlets(sim: Simulator, requests = 1): Promise<void> {
  const descriptor = findDriver(String(sim.pduConfig().driver))!;
  const driver = createDriver(descriptor, sim.pduHostname, sim.pduConfig());
  try {
    assert.ok(driver.listOutlets, `${descriptor.names[0]} implements listOutlets`);
    const outlets = sim.device.outlets();
    outlets.forEach((o, i) => sim.device.set(o, i % 3 === 1 ? "off" : "on"));
    const before = sim.device.received.length;
    const listed = await driver.listOutlets({ signal: AbortSignal.timeout(5000) });
    assert.deepEqual(
      listed.map(({ outlet, state }) => ({ outlet, state })),
      outlets.map((outlet) => ({ outlet, state: sim.device.get(outlet) })),
    );
    assert.equal(sim.device.received.length - before, requests, "requests to read every outlet");
  } finally {
    await driver.close();
  }
}
