/**
 * What upstream PDUDaemon's own tests assert (pdudaemon main, 2026-06: tests/*.py,
 * pdudaemon/drivers/test_numatousb.py, share/pdudaemon-test.sh), ported to what pdud can observe:
 * the bytes and SNMP SETs its simulators receive and the replies of its HTTP and TCP routes.
 * Each test names the upstream test it mirrors. What upstream asserts that pdud cannot observe
 * or does differently on purpose is listed in docs/upstream-differences.md.
 */
import assert from "node:assert/strict";
import { findDriver } from "../../drivers/mod.ts";
import { type Simulator } from "../../simulators/mod.ts";
import { numatoRelayId } from "../../drivers/usb/numato.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";
import { NODE_SKIP } from "../drivers/usb/_probe.ts";

const OK = { status: 200, body: "OK - accepted request\n" };
const sets = (sim: Simulator) =>
  sim.device.received.map((r) => r.text).filter((t) => t.startsWith("SET "));

// --- tests/test_cyberpower81001.py ---------------------------------------------------------

Deno.test("test_cyberpower81001.py test_driver_accepts: both model names, not 'other'", () => {
  assert.ok(findDriver("cyberpower81001"));
  assert.equal(findDriver("cyberpower41001"), findDriver("cyberpower81001"));
  assert.equal(findDriver("other"), undefined);
});

Deno.test("test_cyberpower81001.py test_initialization_default_community: without community, 'private'", async () => {
  // The simulator's agent accepts only "private": a PDU section without community reaches it.
  await using sim = await startSimulator("cyberpower-snmp", { outlets: 8 });
  const { community, ...rest } = sim.pduConfig();
  assert.equal(community, "private");
  await using d = await startDaemon({
    pdus: { cps: { ...rest, address: sim.pduHostname, retries: 1 } },
  });
  assert.deepEqual(await control(d, "on", { hostname: "cps", port: 4 }), OK);
  assert.equal(sim.device.get(4), "on");
});

Deno.test("test_cyberpower81001.py test_port_interaction_on/off, test_port_number_conversion: the SETs", async () => {
  // Upstream: snmpset … enterprises.3808.1.1.3.3.3.1.1.4.<port> integer 1 (on) / 2 (off).
  await using sim = await startSimulator("cyberpower-snmp", { outlets: 8 }, {
    community: "testcommunity",
  });
  await using d = await startDaemon({
    pdus: { cps: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  assert.deepEqual(await control(d, "on", { hostname: "cps", port: 1 }), OK);
  assert.deepEqual(await control(d, "off", { hostname: "cps", port: 2 }), OK);
  assert.deepEqual(await control(d, "on", { hostname: "cps", port: "05" }), OK);
  assert.deepEqual(sets(sim), [
    "SET 1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.1 = 1",
    "SET 1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.2 = 2",
    "SET 1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.5 = 1",
  ]);
});

Deno.test("test_cyberpower81001.py test_port_interaction_unknown_command: nothing is sent", async () => {
  // Upstream's driver also knows "reboot" (3) and "cancel" (4); neither is a request upstream's
  // listeners accept, and pdud refuses any other command before it reaches a PDU.
  await using sim = await startSimulator("cyberpower-snmp", { outlets: 8 });
  await using d = await startDaemon({
    pdus: { cps: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  for (const command of ["unknown", "cancel", "1"]) {
    const r = await control(d, command, { hostname: "cps", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, /unknown command/);
  }
  assert.deepEqual(sim.device.received, []);
});

// --- tests/test_intellinet.py ---------------------------------------------------------------

Deno.test("test_intellinet.py test_port_interaction(_port_in_range): outlet 0 works, 8 and -1 do not", async () => {
  await using sim = await startSimulator("intellinet", { outlets: 8, first: 0 });
  await using d = await startDaemon({
    pdus: { pdu: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  assert.deepEqual(await control(d, "on", { hostname: "pdu", port: 0 }), OK);
  assert.equal(sim.device.get(0), "on");
  const before = sim.device.received.length;
  const high = await control(d, "on", { hostname: "pdu", port: 8 });
  assert.equal(high.status, 503);
  assert.match(high.body, /has outlets 0 to 7, not 8/);
  const negative = await control(d, "on", { hostname: "pdu", port: -1 });
  assert.equal(negative.status, 503);
  assert.match(negative.body, /port: expected an outlet number/);
  assert.equal(sim.device.received.length, before, "nothing sent for a refused outlet");
});

// --- tests/test_snmp.py ---------------------------------------------------------------------

Deno.test("test_snmp.py TestAccepts: snmpv1 and snmpv3, not snmpv99 or telnet", () => {
  assert.ok(findDriver("snmpv1"));
  assert.ok(findDriver("snmpv3"));
  assert.equal(findDriver("snmpv99"), undefined);
  assert.equal(findDriver("telnet"), undefined);
});

Deno.test("test_snmp.py TestInit: upstream's v1 and v3 settings load as written", () => {
  const v1 = findDriver("snmpv1")!.options.parse({
    mib: "PowerNet-MIB",
    controlpoint: "sPDUOutletCtl",
    onsetting: "1",
    offsetting: "2",
    community: "private",
  });
  assert.equal(v1.community, "private");
  assert.equal(v1.onsetting, 1);
  assert.equal(v1.offsetting, 2);
  const v3 = findDriver("snmpv3")!.options.parse({
    mib: "PowerNet-MIB",
    controlpoint: "sPDUOutletCtl",
    onsetting: "1",
    offsetting: "2",
    username: "testuser",
    authpassphrase: "authpass123",
    privpassphrase: "privpass123",
  });
  assert.equal(v3.username, "testuser");
  // test_optional_settings_default_none: nothing is invented for keys not given.
  assert.equal(v1.inside_number, undefined);
  assert.equal(v1.static_ending, undefined);
  assert.equal(v1.auth_protocol, undefined);
  assert.equal(v1.priv_protocol, undefined);
  assert.equal(v1.username, undefined);
});

Deno.test("test_snmp.py test_snmpv3_no_username_raises: the request fails naming the username", async () => {
  // As upstream, the config loads and the request fails with the reason.
  await using sim = await startSimulator("apc-snmp", { outlets: 8 });
  const { username: _, ...rest } = { ...sim.pduConfig(), username: undefined };
  await using d = await startDaemon({
    pdus: {
      v3: { ...rest, driver: "snmpv3", address: sim.pduHostname, retries: 1 },
    },
  });
  const r = await control(d, "on", { hostname: "v3", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /snmpv3 needs a username/);
  assert.deepEqual(sim.device.received, []);
});

Deno.test("test_snmp.py test_on_command/test_off_command, test_snmpv1_set_cmd_called: one SET each", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 8 });
  await using d = await startDaemon({
    pdus: { apc: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  assert.deepEqual(await control(d, "on", { hostname: "apc", port: 1 }), OK);
  assert.deepEqual(await control(d, "off", { hostname: "apc", port: 1 }), OK);
  assert.deepEqual(sets(sim), [
    "SET 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1 = 1",
    "SET 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1 = 2",
  ]);
});

Deno.test("test_snmp.py test_snmpv3_with_auth_priv_protocols: pysnmp 7's USM_* names work end to end", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 8 }, {
    version: "3",
    users: [{
      username: "testuser",
      authpassphrase: "authpass123",
      privpassphrase: "privpass123",
      "auth_protocol": "sha",
      "priv_protocol": "aes",
    }],
  });
  await using d = await startDaemon({
    pdus: {
      apc: {
        ...sim.pduConfig(),
        address: sim.pduHostname,
        retries: 1,
        "auth_protocol": "USM_AUTH_HMAC96_SHA",
        "priv_protocol": "USM_PRIV_CFB128_AES",
      },
    },
  });
  assert.deepEqual(await control(d, "on", { hostname: "apc", port: 3 }), OK);
  assert.equal(sim.device.get(3), "on");
});

Deno.test("test_snmp.py test_error_status_raises / test_error_indication_raises: a failed SET is a 503", async () => {
  await using sim = await startSimulator("apc-snmp", { outlets: 8 });
  sim.device.fault = "error";
  await using d = await startDaemon({
    pdus: { apc: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "apc", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /GeneralError|genErr|general/i);
  assert.equal(sim.device.get(1), "off");
});

// --- pdudaemon/drivers/test_numatousb.py -----------------------------------------------------

Deno.test("test_numatousb.py test_numato4/32/64: the relay ids written for an outlet", () => {
  // Upstream: NumatoUSB4 port_on(3) → "relay on 2\r"; NumatoUSB32 port_on(32) → "relay on V\r";
  // NumatoUSB64 port_on(32) → "relay on 31\r".
  assert.equal(numatoRelayId(4, 3), "2");
  assert.equal(numatoRelayId(32, 32), "V");
  assert.equal(numatoRelayId(64, 32), "31");
});

Deno.test({
  name: `test_numatousb.py test_numato4: the line on the wire${NODE_SKIP}`,
  ignore: NODE_SKIP !== "",
  async fn() {
    await using sim = await startSimulator("numato-usb", { outlets: 4 });
    assert.equal(sim.pduConfig().driver, "NumatoUSB4");
    await using d = await startDaemon({ pdus: { numato: { ...sim.pduConfig(), retries: 1 } } });
    assert.deepEqual(await control(d, "on", { hostname: "numato", port: 3 }), OK);
    assert.ok(
      sim.device.received.some((r) => r.text === "< relay on 2"),
      JSON.stringify(sim.device.received),
    );
  },
});

// --- share/pdudaemon-test.sh with PR #169's alias group line ---------------------------------

Deno.test("share/pdudaemon-test.sh (PR #169 head): reboot?group=testgroup gives its expected lines", async () => {
  // PR #169's expected_output.txt adds, after the alias reboot's two lines, the group's:
  // "httpalias 1 off/on" then "drivealias 2 off/on" (upstream runs the members one by one).
  const dir = await Deno.makeTempDir({ prefix: "pdud-group-" });
  try {
    const out = `${dir}/pdu`;
    const cmd = (name: string) => ({
      driver: "localcmdline",
      "cmd_on": `echo '${name} %s on' >> ${out}`,
      "cmd_off": `echo '${name} %s off' >> ${out}`,
    });
    await using d = await startDaemon({
      pdus: { httpalias: cmd("httpalias"), drivealias: cmd("drivealias") },
      aliases: {
        aliastesthttp01: { hostname: "httpalias", port: 1, group: "testgroup" },
        aliastestdrive02: { hostname: "drivealias", port: 2, group: "testgroup" },
        aliastestother03: { hostname: "drivealias", port: 3, group: "othergroup" },
      },
    });
    assert.deepEqual(await control(d, "reboot", { alias: "aliastesthttp01", delay: 0 }), OK);
    assert.deepEqual(await control(d, "reboot", { group: "testgroup", delay: 0 }), OK);
    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), ["httpalias 1 off", "httpalias 1 on"]);
    // The group's members run side by side across PDUs in pdud: each PDU's lines are in order.
    const group = lines.slice(2);
    assert.deepEqual(group.filter((l) => l.startsWith("httpalias")), [
      "httpalias 1 off",
      "httpalias 1 on",
    ]);
    assert.deepEqual(group.filter((l) => l.startsWith("drivealias")), [
      "drivealias 2 off",
      "drivealias 2 on",
    ]);
    assert.equal(group.length, 4, "othergroup's alias is not switched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
