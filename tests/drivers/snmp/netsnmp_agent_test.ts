/**
 * The SNMP driver against a real agent, Net-SNMP's snmpd (skipped when it is not installed):
 * the permanent errors the simulator produces are the ones a real agent produces. A wrong auth
 * key gets a usmStatsWrongDigests report at once; a wrong privacy key and a wrong community are
 * dropped silently and named after the probe; a SET of an object snmpd does not have is refused
 * with an error status. None is retried, none quotes a secret.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { createDriver, settle } from "../../_helpers/conformance.ts";
import { ManualClock } from "../../_helpers/clock.ts";
import { type Snmpd, startSnmpd } from "../../interop/_snmpd.ts";
import { which } from "../../interop/_tools.ts";

const HAVE_SNMPD = which("snmpd") !== undefined;

const AUTH = "canary-netsnmp-auth";
const PRIV = "canary-netsnmp-priv";
const COMMUNITY = "canary-netsnmp-community";

/** snmpd in the foreground on 127.0.0.1 with one v3 user and one v2c community. */
function startAgent(): Promise<Snmpd> {
  return startSnmpd([
    `createUser pdudaemon SHA ${AUTH} AES ${PRIV}`,
    "rwuser pdudaemon priv",
    `rwcommunity ${COMMUNITY} 127.0.0.1`,
  ]);
}

async function failure(config: Record<string, unknown>, ms = 10_000): Promise<DriverError> {
  // The probe and its grace run on a manual clock: a wrong secret is named in virtual seconds.
  const clock = new ManualClock();
  const driver = createDriver(findDriver(String(config.driver))!, "127.0.0.1", config, clock);
  try {
    await settle(clock, driver.setOutlet(3, "on", { signal: AbortSignal.timeout(ms) }));
  } catch (error) {
    assert.ok(error instanceof DriverError, `a DriverError, not ${error}`);
    for (const secret of [AUTH, PRIV, COMMUNITY, "canary-wrong"]) {
      assert.ok(!error.message.includes(secret), `"${secret}" in: ${error.message}`);
    }
    return error;
  } finally {
    await driver.close();
  }
  assert.fail("the operation must fail");
}

const OID = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3.*";
const v3 = (port: number) => ({
  driver: "snmpv3",
  username: "pdudaemon",
  authpassphrase: AUTH,
  privpassphrase: PRIV,
  "auth_protocol": "usmHMACSHAAuthProtocol",
  "priv_protocol": "usmAesCfb128Protocol",
  oid: OID,
  snmpport: port,
});

Deno.test({
  name:
    `Net-SNMP's snmpd: wrong auth key, wrong privacy key, wrong community and a missing object are permanent${
      HAVE_SNMPD ? "" : " (skipped: snmpd not installed)"
    }`,
  ignore: !HAVE_SNMPD,
  async fn() {
    await using agent = await startAgent();
    const started = performance.now();
    const digest = await failure({ ...v3(agent.port), authpassphrase: "canary-wrong-auth" });
    assert.ok(performance.now() - started < 2000, "the report comes back at once");
    assert.match(digest.message, /Wrong Digest/);
    assert.equal(digest.permanent, true);

    const priv = await failure({ ...v3(agent.port), privpassphrase: "canary-wrong-priv" });
    assert.match(priv.message, /privacy passphrase \(privpassphrase\) or priv_protocol is wrong/);
    assert.equal(priv.permanent, true);

    const community = await failure({
      driver: "snmpv2c",
      community: "canary-wrong-community",
      oid: OID,
      snmpport: agent.port,
    });
    assert.match(community.message, /the configured community is wrong/);
    assert.equal(community.permanent, true);

    // The right credentials reach the agent, which has no APC outlet table: refused by status.
    const missing = await failure(v3(agent.port));
    assert.match(missing.message, /refused the SNMP SET: (NotWritable|NoCreation|NoAccess)/);
    assert.equal(missing.permanent, true);
  },
});
