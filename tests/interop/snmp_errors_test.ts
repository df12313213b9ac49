/**
 * The apc-snmp simulator's errors, read by Net-SNMP's own tools: each protocol version answers
 * as RFC 3416 §4.2.5 (v2c/v3), RFC 1157 with RFC 3584 §4.4's mapping (v1) and RFC 3414 §3.2
 * (v3 security) say, the way Net-SNMP's snmpd answers. `snmpset`/`snmpget` exit 2 with
 * "Error in packet" and name the error; a timeout exits 1. Then fence_apc_snmp on a missing
 * outlet fails at once instead of waiting 45 s for the outlet to change.
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { run, skipUnless } from "./_tools.ts";

const SKIP = skipUnless(["snmpset", "snmpget", "snmpwalk", "snmpgetnext"], "snmp");
const FENCE_SKIP = skipUnless(["fence_apc_snmp", "snmpwalk"], "fence-agents snmp");

/** PowerNet-MIB sPDUOutletCtl and sPDUOutletCtlName (read-only). */
const CTL = ".1.3.6.1.4.1.318.1.1.4.4.2.1.3";
const NAME = ".1.3.6.1.4.1.318.1.1.4.4.2.1.4";
const USER = { username: "labuser", authpassphrase: "auth-pass-1", privpassphrase: "priv-pass-1" };

type Version = "1" | "2c" | "3";

function login(version: Version, user = USER.username, auth = USER.authpassphrase): string[] {
  if (version !== "3") return ["-v", version, "-c", "private"];
  return [
    "-v3",
    "-l",
    "authPriv",
    "-u",
    user,
    "-a",
    "SHA",
    "-A",
    auth,
    "-x",
    "AES",
    "-X",
    USER.privpassphrase,
  ];
}

/**
 * One Net-SNMP tool against the simulator: one try, one second (a dropped request is a
 * timeout). `args` are the options, then `--`, then the object names and values.
 */
/**
 * Runs a Net-SNMP tool once (no retries). `timeoutS` is long by default: on a loaded machine the
 * simulator may take more than a second to answer, and a slow answer must not read as a dropped
 * one; only the cases that expect silence wait the short second.
 */
function tool(name: string, sim: Simulator, args: string[], timeoutS = 5) {
  const split = args.indexOf("--");
  const target = `udp:127.0.0.1:${sim.address.port}`;
  return run(name, [
    ...args.slice(0, split),
    "-t",
    String(timeoutS),
    "-r",
    "0",
    "-On",
    target,
    ...args.slice(split + 1),
  ], {
    limitMs: 10_000,
  });
}

function start(version: Version) {
  return startSimulator("apc-snmp", { outlets: 8 }, {
    version,
    ...(version === "3" ? { users: [USER] } : {}),
  });
}

/** Asserts Net-SNMP reported error `reason` for `oid` (exit 2, "Error in packet"). */
function assertError(result: { code: number; out: string }, reason: RegExp, oid: string) {
  assert.equal(result.code, 2, result.out);
  assert.match(result.out, /Error in packet/, result.out);
  assert.match(result.out, reason, result.out);
  assert.match(result.out, new RegExp(`Failed object: ${oid.replaceAll(".", "\\.")}\\b`));
}

const EXPECTED: Record<Version, {
  missingSet: RegExp;
  readOnly: RegExp;
  wrongValue: RegExp;
  wrongType: RegExp;
  foreignSet: RegExp;
}> = {
  "1": {
    missingSet: /\(noSuchName\)/,
    readOnly: /\(noSuchName\)/,
    wrongValue: /\(badValue\)/,
    wrongType: /\(badValue\)/,
    foreignSet: /\(noSuchName\)/,
  },
  "2c": {
    missingSet: /noCreation/,
    readOnly: /notWritable/,
    wrongValue: /wrongValue/,
    wrongType: /wrongType/,
    foreignSet: /notWritable/,
  },
  "3": {
    missingSet: /noCreation/,
    readOnly: /notWritable/,
    wrongValue: /wrongValue/,
    wrongType: /wrongType/,
    foreignSet: /notWritable/,
  },
};

for (const version of ["1", "2c", "3"] as const) {
  Deno.test({
    name: `Net-SNMP against apc-snmp v${version}: missing outlet, read-only object, wrong value, ` +
      `foreign object are errors of v${version}; reboot (3) switches off then on${SKIP}`,
    ignore: SKIP !== "",
    async fn() {
      await using sim = await start(version);
      const v = [...login(version), "--"];
      const want = EXPECTED[version];

      // A SET of outlet 12 of 8: no row to create. Nothing is switched.
      assertError(
        await tool("snmpset", sim, [...v, `${CTL}.12`, "i", "1"]),
        want.missingSet,
        `${CTL}.12`,
      );
      // A read-only column (the outlet's name).
      assertError(
        await tool("snmpset", sim, [...v, `${NAME}.3`, "s", "x"]),
        want.readOnly,
        `${NAME}.3`,
      );
      // A value sPDUOutletCtl does not take (4 is outletUnknown, read-only; 9 nothing).
      assertError(
        await tool("snmpset", sim, [...v, `${CTL}.3`, "i", "9"]),
        want.wrongValue,
        `${CTL}.3`,
      );
      // A string where the device takes an integer.
      assertError(
        await tool("snmpset", sim, [...v, `${CTL}.3`, "s", "on"]),
        want.wrongType,
        `${CTL}.3`,
      );
      // An object the agent does not have at all.
      const foreign = ".1.3.6.1.4.1.318.1.1.99.1.0";
      assertError(await tool("snmpset", sim, [...v, foreign, "i", "1"]), want.foreignSet, foreign);
      // A SET naming a missing outlet with a good one switches neither (all or none).
      assertError(
        await tool("snmpset", sim, [...v, `${CTL}.3`, "i", "1", `${CTL}.12`, "i", "1"]),
        want.missingSet,
        `${CTL}.12`,
      );
      assert.deepEqual(sim.device.history, [], "no refused SET switched anything");

      // GET of a missing outlet: v1 has no exception values, so it is an error there.
      const get = await tool("snmpget", sim, [...v, `${CTL}.12`]);
      if (version === "1") assertError(get, /\(noSuchName\)/, `${CTL}.12`);
      else {
        assert.equal(get.code, 0, get.out);
        assert.match(get.out, /No Such Instance currently exists at this OID/);
      }
      // GETNEXT past the last object: v1 noSuchName, v2c/v3 endOfMibView.
      const last = ".1.3.6.1.6.3.10.2.1.4.0";
      const next = await tool("snmpgetnext", sim, [...v, last]);
      if (version === "1") assertError(next, /\(noSuchName\)/, last);
      else assert.match(next.out, /No more variables left in this MIB View/);

      // The table walks cleanly in every version (a v1 walk ends on noSuchName, silently).
      const walk = await tool("snmpwalk", sim, [...v, NAME]);
      assert.equal(walk.code, 0, walk.out);
      assert.equal(walk.out.trim().split("\n").length, 8, walk.out);

      // APC's reboot (outletReboot / immediateReboot = 3): accepted, and the outlet goes off
      // then on.
      const on = await tool("snmpset", sim, [...v, `${CTL}.3`, "i", "1"]);
      assert.equal(on.code, 0, on.out);
      const reboot = await tool("snmpset", sim, [...v, `${CTL}.3`, "i", "3"]);
      assert.equal(reboot.code, 0, reboot.out);
      assert.match(reboot.out, /INTEGER: 3/);
      assert.deepEqual(sim.device.history, [[3, "on"], [3, "off"], [3, "on"]]);
      const state = await tool("snmpget", sim, [...v, `${CTL}.3`]);
      assert.match(state.out, /INTEGER: 1\b/, state.out);
    },
  });
}

Deno.test({
  name: `Net-SNMP against apc-snmp: a wrong community gets no answer at all${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await using sim = await start("2c");
    for (const version of ["1", "2c"]) {
      const r = await tool("snmpget", sim, ["-v", version, "-c", "not-it", "--", `${CTL}.3`], 1);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /Timeout: No Response from/);
    }
  },
});

Deno.test({
  name: `Net-SNMP against apc-snmp v3: an unknown user and a wrong auth key are reported ` +
    `(usmStatsUnknownUserNames, usmStatsWrongDigests), not left to time out${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await using sim = await start("3");
    const unknown = await tool("snmpget", sim, [...login("3", "nobody"), "--", `${CTL}.3`]);
    assert.equal(unknown.code, 1, unknown.out);
    // A report, not a timeout (which Net-SNMP would name "Timeout: No Response").
    assert.match(unknown.out, /Unknown user name/);
    const wrong = await tool("snmpget", sim, [
      ...login("3", USER.username, "wrong-auth-key"),
      "--",
      `${CTL}.3`,
    ]);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /Authentication failure \(incorrect password, community or key\)/);
  },
});

/** fence_apc_snmp's options for the simulator's community or v3 user. */
function fenceLogin(version: Version): string[] {
  if (version !== "3") return ["--community", "private", "--snmp-version", version];
  return [
    "--snmp-version",
    "3",
    "--username",
    USER.username,
    "--password",
    USER.authpassphrase,
    "--snmp-auth-prot",
    "SHA",
    "--snmp-sec-level",
    "authPriv",
    "--snmp-priv-prot",
    "AES",
    "--snmp-priv-passwd",
    USER.privpassphrase,
  ];
}

for (const version of ["1", "2c", "3"] as const) {
  Deno.test({
    name:
      `fence_apc_snmp --plug 12 of 8 fails at once (v${version}), naming the agent's error${FENCE_SKIP}`,
    ignore: FENCE_SKIP !== "",
    async fn() {
      await using sim = await start(version);
      const r = await run("fence_apc_snmp", [
        "--ip",
        "127.0.0.1",
        "--ipport",
        String(sim.address.port),
        ...fenceLogin(version),
        "--plug",
        "12",
        "--action",
        "on",
      ], { limitMs: 40_000 });
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, version === "1" ? /noSuchName/ : /noCreation/);
      assert.ok(r.ms < 20_000, `failed fast, not after its 45 s wait (${Math.round(r.ms)} ms)`);
      assert.deepEqual(sim.device.history, []);
    },
  });
}

Deno.test({
  name: `Net-SNMP against apc-snmp's Rack PDU table (rPDUOutletControlOutletCommand): ` +
    `outlet 12 is noCreation, immediateReboot (3) switches off then on${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await using sim = await startSimulator("apc-snmp", { outlets: 8 }, {
      version: "2c",
      controlpoint: "rPDUOutletControlOutletCommand",
    });
    const command = ".1.3.6.1.4.1.318.1.1.12.3.3.1.1.4";
    const v = ["-v", "2c", "-c", "private", "--"];
    assertError(
      await tool("snmpset", sim, [...v, `${command}.12`, "i", "1"]),
      /noCreation/,
      `${command}.12`,
    );
    const reboot = await tool("snmpset", sim, [...v, `${command}.5`, "i", "3"]);
    assert.equal(reboot.code, 0, reboot.out);
    assert.deepEqual(sim.device.history, [[5, "off"], [5, "on"]]);
    // rPDUOutletStatusOutletState is read-only.
    const status = ".1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.5";
    assertError(await tool("snmpset", sim, [...v, status, "i", "2"]), /notWritable/, status);
    assert.match((await tool("snmpget", sim, [...v, status])).out, /INTEGER: 1\b/);
  },
});
