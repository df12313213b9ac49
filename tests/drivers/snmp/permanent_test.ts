/**
 * SNMP errors that asking again cannot fix are marked permanent where they arise (wrong
 * community after the probe, usmStats reports, error statuses, an OID the agent does not have);
 * silence and genErr stay transient. No error message holds a community or key.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { SnmpClient } from "../../../drivers/snmp/client.ts";
import { createDriver, settle, startSimulator } from "../../_helpers/conformance.ts";
import { ManualClock } from "../../_helpers/clock.ts";

const USER = {
  username: "pdudaemon",
  authpassphrase: "canary-auth-7f3e1",
  privpassphrase: "canary-priv-92ab4",
  "auth_protocol": "sha",
  "priv_protocol": "aes",
};

async function failure(
  sim: Simulator,
  changes: Record<string, unknown>,
  outlet = sim.device.first,
  ms = 10_000,
  { probe = true } = {},
): Promise<DriverError> {
  const config = { ...sim.pduConfig(), ...changes };
  // The probe and its grace run on a manual clock: a wrong secret is named in virtual seconds.
  const clock = new ManualClock();
  const driver = createDriver(findDriver(String(config.driver))!, "127.0.0.1", config, clock);
  try {
    const pending = driver.setOutlet(outlet, "on", { signal: AbortSignal.timeout(ms) });
    // Without `probe`, virtual time stands still: only the signal can end the wait.
    await (probe ? settle(clock, pending) : pending);
  } catch (error) {
    assert.ok(error instanceof DriverError, `a DriverError, not ${error}`);
    // The driver's waits ran on the test's clock: a driver on the real one would still be
    // waiting after 4 s while virtual time ran on for minutes.
    assert.ok(clock.now() < 10_000, `answered after ${clock.now()} virtual ms`);
    return error;
  } finally {
    await driver.close();
  }
  assert.fail("the operation must fail");
}

function assertNoSecret(error: Error, ...secrets: string[]): void {
  for (const secret of secrets) {
    assert.ok(!error.message.includes(secret), `"${secret}" in: ${error.message}`);
  }
}

for (const version of ["1", "2c"] as const) {
  Deno.test(`snmpv${version}: a wrong community is permanent (after the probe) and not named`, async () => {
    await using sim = await startSimulator("apc-snmp", { outlets: 4 }, {
      version,
      community: "canary-right-community",
    });
    const error = await failure(sim, { community: "canary-wrong-community" });
    assert.equal(error.kind, "auth");
    assert.equal(error.permanent, true);
    assert.match(error.message, /the configured community is wrong/);
    assertNoSecret(error, "canary-right-community", "canary-wrong-community");
  });
}

Deno.test("snmpv3: a wrong auth key is reported by the agent (usmStatsWrongDigests) and fails at once, permanently", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 4 }, {
    version: "3",
    users: [USER],
  });
  const started = performance.now();
  const error = await failure(sim, { authpassphrase: "canary-wrong-auth" });
  assert.ok(performance.now() - started < 1000, "the report comes back at once");
  assert.equal(error.kind, "auth");
  assert.equal(error.permanent, true);
  assert.match(error.message, /Wrong Digest/);
  assertNoSecret(error, USER.authpassphrase, USER.privpassphrase, "canary-wrong-auth");
  assert.ok(sim.device.received.every((r) => !r.text.startsWith("SET")));
});

Deno.test("snmpv3: an unknown user is permanent", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 4 }, {
    version: "3",
    users: [USER],
  });
  const error = await failure(sim, { username: "someone-else" });
  assert.equal(error.permanent, true);
  assert.match(error.message, /Unknown User Name/);
});

Deno.test("snmpv3: a wrong privacy key (dropped silently, as snmpd does) is named after the probe, permanently", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 4 }, {
    version: "3",
    users: [USER],
  });
  const error = await failure(sim, { privpassphrase: "canary-wrong-priv" });
  assert.equal(error.kind, "auth");
  assert.equal(error.permanent, true);
  assert.match(error.message, /privacy passphrase \(privpassphrase\) or priv_protocol is wrong/);
  assertNoSecret(error, USER.authpassphrase, USER.privpassphrase, "canary-wrong-priv");
});

Deno.test("an outlet the agent does not have is permanent", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 4 }, { version: "2c" });
  const error = await failure(sim, {}, 40);
  assert.equal(error.permanent, true, error.message);
});

Deno.test("a value the agent refuses (wrongValue) is permanent; genErr and silence are not", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 4 }, { version: "2c" });
  const client = new SnmpClient({
    host: "127.0.0.1",
    port: sim.address.port,
    version: "2c",
    community: "private",
    device: "APC at test",
  });
  const oid = "1.3.6.1.4.1.318.1.1.4.4.2.1.3.1";
  try {
    const wrong = await client.setInteger(oid, 7, AbortSignal.timeout(5000)).then(
      () => assert.fail("must fail"),
      (e) => e as DriverError,
    );
    assert.match(wrong.message, /WrongValue/);
    assert.equal(wrong.permanent, true);

    sim.device.fault = "error";
    const general = await failure(sim, {});
    assert.match(general.message, /GeneralError/);
    assert.equal(general.permanent, false);

    sim.device.fault = "drop";
    const silence = await failure(sim, {}, sim.device.first, 300, { probe: false });
    assert.equal(silence.kind, "timeout");
    assert.equal(silence.permanent, false);
  } finally {
    await client.close();
  }
});
