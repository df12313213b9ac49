/**
 * HTTP errors that asking again cannot fix are permanent where they arise (401/403, a relay the
 * device does not have); server errors and silence stay transient.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";

async function failure(
  sim: Simulator,
  changes: Record<string, unknown>,
  outlet = sim.device.first,
  ms = 3000,
): Promise<DriverError> {
  const config = { ...sim.pduConfig(), ...changes };
  const driver = createDriver(findDriver(String(config.driver))!, sim.pduHostname, config);
  try {
    await driver.setOutlet(outlet, "on", { signal: AbortSignal.timeout(ms) });
  } catch (error) {
    assert.ok(error instanceof DriverError, `a DriverError, not ${error}`);
    return error;
  } finally {
    await driver.close();
  }
  assert.fail("the operation must fail");
}

Deno.test("HTTP 401 (wrong basic-auth password) is permanent", async () => {
  await using sim = await startSimulator("netio-json", {});
  const error = await failure(sim, { password: "not-the-password" });
  assert.equal(error.kind, "auth");
  assert.equal(error.permanent, true);
  assert.match(error.message, /HTTP 401/);
});

Deno.test("a relay the device does not have (HTTP 404) is permanent", async () => {
  await using sim = await startSimulator("shelly-gen1", { outlets: 2 });
  const error = await failure(sim, {}, sim.device.first + 5);
  assert.equal(error.permanent, true, error.message);
});

Deno.test("a server error and silence are transient", async () => {
  await using sim = await startSimulator("shelly-gen1", {});
  sim.device.fault = "error";
  const error = await failure(sim, {});
  assert.equal(error.permanent, false, error.message);
  sim.device.fault = "hang";
  const silence = await failure(sim, {}, sim.device.first, 200);
  assert.equal(silence.permanent, false, silence.message);
});
