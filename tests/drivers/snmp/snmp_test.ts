import assert from "node:assert/strict";
import { type DeviceOptions, findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { aesCfb, desCbc } from "../../../drivers/snmp/_privacy.ts";
import { outletOid } from "../../../drivers/snmp/snmp.ts";
import { conformance, settle, startSimulator } from "../../_helpers/conformance.ts";
import { ManualClock } from "../../_helpers/clock.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  /** Test name. */
  name: string;
  driver: string;
  kind: string;
  device: DeviceOptions;
  options?: Record<string, unknown>;
  /** The daemon's PDU section for `sim` (default: the simulator's own). */
  pdu?: (sim: Simulator) => Record<string, unknown>;
  /** The same section with credentials the agent does not accept. */
  bad: (sim: Simulator) => Record<string, unknown>;
  /** What the 503 for `bad` says (default: silence, so the actor's timeout). */
  badReason?: RegExp;
}

const V3_USER = { username: "pdudaemon" };
const AUTH = { authpassphrase: "pdudaemonauthpassphrase", "auth_protocol": "sha" };
const PRIV = { privpassphrase: "pdudaemonprivpassphrase", "priv_protocol": "aes" };

const ROWS: Row[] = [
  {
    name: "snmpv1 (APC sPDUOutletCtl)",
    driver: "snmpv1",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: { community: "private" },
    bad: (sim) => ({ ...sim.pduConfig(), community: "public" }),
  },
  {
    name: "snmpv1 (PoE switch OID template)",
    driver: "snmpv1",
    kind: "snmp",
    device: { outlets: 24 },
    options: { community: "private", oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*" },
    bad: (sim) => ({ ...sim.pduConfig(), community: "public" }),
  },
  {
    name: "snmpv2c (APC rPDUOutletControlOutletCommand)",
    driver: "snmpv2c",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: { version: "2c", community: "lab", controlpoint: "rPDUOutletControlOutletCommand" },
    bad: (sim) => ({ ...sim.pduConfig(), community: "private" }),
  },
  {
    name: "snmpv3 noAuthNoPriv",
    driver: "snmpv3",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: { version: "3", users: [{ username: "pdudaemon-noauth" }] },
    bad: (sim) => ({ ...sim.pduConfig(), username: "someone-else" }),
    badReason: /rejected the SNMPv3 credentials: Unknown User Name/,
  },
  {
    name: "snmpv3 authNoPriv (SHA)",
    driver: "snmpv3",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: { version: "3", users: [{ ...V3_USER, ...AUTH }] },
    bad: (sim) => ({ ...sim.pduConfig(), authpassphrase: "not-the-passphrase" }),
    badReason: /rejected the SNMPv3 credentials: Wrong Digest \(authpassphrase or auth_protocol/,
  },
  {
    name: "snmpv3 authPriv (SHA + AES-128)",
    driver: "snmpv3",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: { version: "3", users: [{ ...V3_USER, ...AUTH, ...PRIV }] },
    bad: (sim) => ({ ...sim.pduConfig(), privpassphrase: "not-the-passphrase" }),
  },
  {
    name: "snmpv3 authPriv (SHA-256 + AES-256)",
    driver: "snmpv3",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: {
      version: "3",
      users: [{
        ...V3_USER,
        ...AUTH,
        ...PRIV,
        "auth_protocol": "sha256",
        "priv_protocol": "aes256b",
      }],
    },
    bad: (sim) => ({ ...sim.pduConfig(), authpassphrase: "not-the-passphrase" }),
    badReason: /rejected the SNMPv3 credentials: Wrong Digest \(authpassphrase or auth_protocol/,
  },
  {
    name: "snmpv3 authPriv (MD5 + DES, pysnmp's default privacy)",
    driver: "snmpv3",
    kind: "apc-snmp",
    device: { outlets: 8 },
    options: {
      version: "3",
      users: [{ ...V3_USER, ...AUTH, ...PRIV, "auth_protocol": "md5", "priv_protocol": "des" }],
    },
    // upstream's fixture style: no priv_protocol means DES, as in pysnmp.
    pdu: (sim) => {
      const { "priv_protocol": _, ...rest } = sim.pduConfig() as Record<string, unknown>;
      return rest;
    },
    bad: (sim) => ({ ...sim.pduConfig(), privpassphrase: "not-the-passphrase" }),
  },
  {
    name: "cyberpower81001",
    driver: "cyberpower81001",
    kind: "cyberpower-snmp",
    device: { outlets: 8 },
    bad: (sim) => ({ ...sim.pduConfig(), community: "public" }),
  },
  {
    name: "cyberpower41001",
    driver: "cyberpower41001",
    kind: "cyberpower-snmp",
    device: { outlets: 4 },
    pdu: (sim) => ({ ...sim.pduConfig(), driver: "cyberpower41001" }),
    bad: (sim) => ({ ...sim.pduConfig(), driver: "cyberpower41001", community: "public" }),
  },
  {
    name: "ip9258",
    driver: "ip9258",
    kind: "ip9258-snmp",
    device: { outlets: 4 },
    bad: (sim) => ({ ...sim.pduConfig(), community: "private" }),
  },
];

for (const row of ROWS) {
  const start = () => startSimulator(row.kind, row.device, row.options);
  const pdu = (sim: Simulator) => row.pdu?.(sim) ?? sim.pduConfig();
  conformance({
    name: row.name,
    descriptor: findDriver(row.driver)!,
    start,
    options: pdu,
    // A UDP agent that is gone or hangs is silence; SNMP cannot tell the two apart.
    unreachableKind: "timeout",
    silentFaults: ["refuse", "drop"],
  });

  Deno.test(`${row.name}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start();
    assert.equal(pdu(sim).driver, row.driver);
    await assertDrivesOverHttp(sim, { pdu: pdu(sim) });
    await assertDrivesOverHttp(sim, {
      pdu: pdu(sim),
      outlet: sim.device.first + sim.device.count - 1,
    });
  });

  Deno.test(`${row.name}: an agent error is answered 503 with its status`, async () => {
    await using sim = await start();
    sim.device.fault = "error";
    await using d = await startDaemon({
      pdus: { dev: { ...pdu(sim), address: sim.pduHostname, retries: 1 } },
    });
    const r = await control(d, "on", { hostname: "dev", port: sim.device.first });
    assert.equal(r.status, 503);
    assert.match(r.body, /at 127\.0\.0\.1:\d+ refused the SNMP SET: GeneralError/);
    assert.equal(sim.device.get(sim.device.first), "off");
  });

  Deno.test(`${row.name}: credentials the agent does not accept are refused, nothing switches`, async () => {
    await using sim = await start();
    await using d = await startDaemon({
      pdus: { dev: { ...row.bad(sim), address: sim.pduHostname, retries: 1, timeout: 0.5 } },
    });
    const r = await control(d, "on", { hostname: "dev", port: sim.device.first });
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      row.badReason ??
        /no answer within 500 ms: .* did not answer the SNMP SET \(wrong community or credentials/,
    );
    assert.equal(sim.device.get(sim.device.first), "off");
    assert.ok(
      !sim.device.received.some((r) => r.text.startsWith("SET")),
      `the agent must not have acted: ${sim.device.received.map((r) => r.text).join(" | ")}`,
    );
  });
}

Deno.test("AES-CFB128 matches NIST SP 800-38A F.3.13 both ways", () => {
  const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
  const key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const iv = hex("000102030405060708090a0b0c0d0e0f");
  const plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  const cipher = hex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b");
  assert.deepEqual(new Uint8Array(aesCfb(key, iv, plain, false)), cipher);
  assert.deepEqual(new Uint8Array(aesCfb(key, iv, cipher, true)), plain);
  // A partial last block (SNMP PDUs are not block-aligned) is the keystream's prefix.
  assert.deepEqual(
    new Uint8Array(aesCfb(key, iv, plain.subarray(0, 20), false)),
    cipher.subarray(0, 20),
  );
});

Deno.test("outlet OIDs are built as upstream builds them", () => {
  const base = {
    onsetting: 1,
    offsetting: 2,
    snmpport: 161,
  };
  assert.equal(
    outletOid({ ...base, oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*" }, 7),
    "1.3.6.1.2.1.105.1.1.1.3.1.7",
  );
  assert.equal(
    outletOid({ ...base, mib: "PowerNet-MIB", controlpoint: "sPDUOutletCtl" }, 3),
    "1.3.6.1.4.1.318.1.1.4.4.2.1.3.3",
  );
  assert.equal(
    outletOid({
      ...base,
      mib: "PowerNet-MIB",
      controlpoint: "rPDU2OutletSwitchedControlCommand.*",
      "inside_number": true,
      "static_ending": 1,
    }, 5),
    "1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.5.1",
  );
});

Deno.test("snmp configs: unknown MIB names, short passphrases and unknown protocols are refused by name", () => {
  const parse = (o: Record<string, unknown>) => findDriver("snmpv3")!.options.safeParse(o);
  const unknown = parse({ username: "u", mib: "PowerNet-MIB", controlpoint: "nope" });
  assert.ok(!unknown.success);
  assert.match(JSON.stringify(unknown.error.issues), /unknown PowerNet-MIB::nope; pdud knows/);
  const short = parse({ username: "u", oid: "1.3.*", authpassphrase: "short" });
  assert.ok(!short.success);
  assert.match(JSON.stringify(short.error.issues), /at least 8 characters/);
  const proto = parse({ username: "u", oid: "1.3.*", "auth_protocol": "usmHMACFOO" });
  assert.ok(!proto.success);
  assert.match(JSON.stringify(proto.error.issues), /unknown auth_protocol; expected one of/);
  const none = parse({ username: "u" });
  assert.ok(!none.success);
  assert.match(JSON.stringify(none.error.issues), /expected `oid`/);
});

Deno.test("DES-CBC: the FIPS 81 CBC example", () => {
  const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
  const plain = new TextEncoder().encode("Now is the time for all ");
  const key = hex("0123456789abcdef");
  const iv = hex("1234567890abcdef");
  const cipher = desCbc(key, iv, plain, false);
  assert.deepEqual(cipher, hex("e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"));
  assert.deepEqual(desCbc(key, iv, cipher, true), plain);
});

const NET_SNMP_SET = (() => {
  try {
    return Deno.statSync("/usr/bin/snmpset").isFile;
  } catch {
    return false;
  }
})();

for (const [auth, priv] of [["MD5", "DES"], ["SHA", "AES"]] as const) {
  Deno.test({
    name: `net-snmp's snmpset (${auth}/${priv}) switches the agent simulator: pdud's ${priv} ` +
      `is the standard one${NET_SNMP_SET ? "" : " (skipped: snmpset not installed)"}`,
    ignore: !NET_SNMP_SET,
    async fn() {
      await using sim = await startSimulator("apc-snmp", { outlets: 8 }, {
        version: "3",
        users: [{
          ...V3_USER,
          ...AUTH,
          ...PRIV,
          "auth_protocol": auth.toLowerCase(),
          "priv_protocol": priv.toLowerCase(),
        }],
      });
      const output = await new Deno.Command("/usr/bin/snmpset", {
        args: [
          ...["-v3", "-l", "authPriv", "-u", V3_USER.username, "-a", auth, "-A"],
          ...[AUTH.authpassphrase, "-x", priv, "-X", PRIV.privpassphrase, "-t", "3", "-r", "0"],
          `127.0.0.1:${sim.address.port}`,
          ".1.3.6.1.4.1.318.1.1.4.4.2.1.3.5",
          "i",
          "1",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { MIBS: "" },
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, text);
      assert.match(text, /INTEGER: 1/);
      assert.equal(sim.device.get(5), "on");
    },
  });
}

for (const version of ["1", "2c"] as const) {
  Deno.test(`snmpv${version}: a wrong community is named as such, not left to the timeout`, async () => {
    await using sim = await startSimulator("apc-snmp", { outlets: 4 }, {
      version,
      community: "lab",
    });
    // The slot hands the daemon's clock to the driver: the probe and its grace pass in virtual
    // time. A driver on the real clock would still be waiting when virtual time reaches the
    // 60 s timeout, and the answer would be that timeout.
    const clock = new ManualClock();
    await using d = await startDaemon({
      pdus: {
        // A timeout far longer than the probe and its grace: the answer must come from them.
        dev: {
          ...sim.pduConfig(),
          community: "private",
          address: sim.pduHostname,
          retries: 1,
          timeout: 60,
        },
      },
    }, { clock });
    const r = await settle(clock, control(d, "on", { hostname: "dev", port: 2 }), { step: 1000 });
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      new RegExp(
        `answers SNMP \\(an SNMPv3 discovery, which needs no credentials, in \\d+ ms\\) but ` +
          `not this v${version} SET in 4 s: the configured community is wrong or may not write`,
      ),
    );
    assert.doesNotMatch(r.body, /no answer within/);
    assert.ok(!r.body.includes("private"), `the community must not be in the reply: ${r.body}`);
    assert.equal(sim.device.get(2), "off");
  });
}
