/**
 * Every relative path a config gives is taken from the config file's folder, at load, whatever
 * the working directory (under systemd it is `/`): `daemon.tls`, `daemon.audit_log`,
 * `cluster.credentials` and each driver key its schema marks a path (`ca_file`, `password_file`,
 * `mib_dirs`, `identity_file`, `known_hosts`, device nodes, programs given with a `/`). Absolute
 * paths, URLs and bare program names stay as written; a config given as an object takes them from
 * the working directory, as before.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { type Config, ConfigError, loadConfig, readConfigFile } from "../../config/mod.ts";
import { preflight } from "../../daemon/preflight.ts";
import { ROOT, runPdud } from "../_helpers/process.ts";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-paths-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Each driver's minimal PDU with one path key, and the key's value as the driver sees it. */
const PDU_PATHS: { pdu: Record<string, unknown>; key: string; written: unknown }[] = [
  { pdu: { driver: "http", url: "https://10.0.0.1/{outlet}" }, key: "ca_file", written: "ca.pem" },
  { pdu: { driver: "redfish" }, key: "ca_file", written: "certs/bmc-ca.pem" },
  { pdu: { driver: "ipmi" }, key: "password_file", written: "bmc.pw" },
  { pdu: { driver: "ipmi" }, key: "ipmitool", written: "./bin/ipmitool" },
  { pdu: { driver: "acme" }, key: "identity_file", written: "keys/id_ed25519" },
  { pdu: { driver: "acme" }, key: "known_hosts", written: ["known_hosts", "../ssh/hosts"] },
  {
    pdu: { driver: "snmpv1", oid: "1.3.6.1.4.1.318.1.1.4.4.2.1.3.*" },
    key: "mib_dirs",
    written: ["mibs"],
  },
  { pdu: { driver: "YKUSH" }, key: "path", written: "dev/hidraw3" },
  { pdu: { driver: "ClewareUsbSwitch4", serial: 1 }, key: "sysroot", written: "fake-sys" },
  { pdu: { driver: "NumatoUSB8" }, key: "device", written: "dev/ttyACM0" },
  { pdu: { driver: "bcu" }, key: "bcu_exe", written: "tools/bcu" },
  { pdu: { driver: "EG-PMS", device: "01:01:4f:2b:a3" }, key: "sispmctl", written: "bin/sispmctl" },
  { pdu: { driver: "uhubctl", location: "1-1" }, key: "uhubctl", written: "bin/uhubctl" },
  { pdu: { driver: "vusbhid", serial: "QAAMZ" }, key: "usbrelay", written: "bin/usbrelay" },
  { pdu: { driver: "localcmdline", cmd_on: "true" }, key: "shell", written: "bin/sh" },
];

/** The config: every path key once, relative; the daemon's and the cluster's too. */
function configWith(pick: (written: unknown) => unknown): Record<string, unknown> {
  const pdus: Record<string, unknown> = {};
  PDU_PATHS.forEach(({ pdu, key, written }, i) => pdus[`p${i}`] = { ...pdu, [key]: pick(written) });
  return {
    daemon: {
      listener: "http",
      "audit_log": pick("log/audit.jsonl"),
      tls: { cert: pick("tls/cert.pem"), key: pick("tls/key.pem") },
    },
    cluster: { nats: ["nats://127.0.0.1:4222"], node: "a", credentials: pick("nats.creds") },
    pdus,
  };
}

/** What each path key holds in a loaded config, by name. */
function pathsOf(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {
    "daemon.audit_log": config.daemon.audit_log,
    "daemon.tls.cert": config.daemon.tls?.cert,
    "daemon.tls.key": config.daemon.tls?.key,
    "cluster.credentials": config.cluster?.credentials,
  };
  PDU_PATHS.forEach(({ key }, i) => {
    out[`p${i}.${key}`] = (config.pdus[`p${i}`]!.options as Record<string, unknown>)[key];
  });
  return out;
}

/** `written` taken from `dir`, as every path key of the config should hold it. */
const from = (dir: string) => (written: unknown): unknown =>
  Array.isArray(written) ? written.map((w) => resolve(dir, w)) : resolve(dir, String(written));

Deno.test("paths: every relative path key of a config file is taken from the file's folder", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "pdud.json");
    await Deno.writeTextFile(file, JSON.stringify(configWith((w) => w), null, 2));
    assert.notEqual(Deno.cwd(), dir);
    const loaded = pathsOf(await readConfigFile(file));
    assert.deepEqual(loaded, pathsOf(await loadConfig(configWith(from(dir)))));
    // Spelled out for two keys, so the comparison above cannot pass by resolving neither side.
    assert.equal(loaded["daemon.tls.cert"], `${dir}/tls/cert.pem`);
    assert.deepEqual(loaded["p5.known_hosts"], [
      `${dir}/known_hosts`,
      resolve(dir, "../ssh/hosts"),
    ]);
  });
});

Deno.test("paths: a YAML config and an upstream JSON config follow the same rule", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "etc"));
    const yaml = join(dir, "etc", "pdud.yaml");
    await Deno.writeTextFile(
      yaml,
      "daemon:\n  audit_log: audit.jsonl\npdus:\n  bmc:\n    driver: ipmi\n" +
        "    password_file: ../secrets/bmc.pw\n",
    );
    const fromYaml = await readConfigFile(yaml);
    assert.equal(fromYaml.daemon.audit_log, `${dir}/etc/audit.jsonl`);
    const ipmi = fromYaml.pdus.bmc!.options as Record<string, unknown>;
    assert.equal(ipmi.password_file, `${dir}/secrets/bmc.pw`);
    // Upstream's pdudaemon.conf: JSON with a "daemon" and a "pdus" object.
    const upstream = join(dir, "etc", "pdudaemon.conf");
    await Deno.writeTextFile(
      upstream,
      JSON.stringify({
        daemon: { hostname: "0.0.0.0", port: 16421, dbname: "pdudaemon" },
        pdus: { web: { driver: "rest", url: "https://10.0.0.2/{outlet}", ca_file: "ca.pem" } },
      }),
    );
    const fromJson = await readConfigFile(upstream);
    assert.equal((fromJson.pdus.web!.options as { ca_file: string }).ca_file, `${dir}/etc/ca.pem`);
  });
});

Deno.test("paths: absolute paths, URLs and bare program names stay as written", async () => {
  await withDir(async (dir) => {
    const config = configWith((w) => Array.isArray(w) ? w.map((p) => `/abs/${p}`) : `/abs/${w}`);
    const file = join(dir, "pdud.json");
    await Deno.writeTextFile(file, JSON.stringify(config));
    for (const [key, value] of Object.entries(pathsOf(await readConfigFile(file)))) {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) assert.ok(String(v).startsWith("/abs/"), `${key}: ${v}`);
    }
    // Absolute: left as written, not even normalised.
    const written = pathsOf(await readConfigFile(file));
    assert.deepEqual(written["p5.known_hosts"], ["/abs/known_hosts", "/abs/../ssh/hosts"]);
    assert.equal(written["p3.ipmitool"], "/abs/./bin/ipmitool");

    const bare = join(dir, "bare.yaml");
    await Deno.writeTextFile(
      bare,
      "pdus:\n  bmc:\n    driver: ipmi\n    ipmitool: ipmitool-1.8\n" +
        "  strip:\n    driver: NumatoUSB8\n    device: rfc2217://10.0.0.3:4000\n",
    );
    // A program without a `/` is looked up in PATH when it runs, not in the config's folder.
    await assert.rejects(readConfigFile(bare), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      // A URL is not a path: refused as one, not turned into `<dir>/rfc2217:/10.0.0.3:4000`.
      assert.deepEqual(error.issues.map((i) => i.path), ["pdus.strip.device"]);
      assert.match(error.issues[0]!.message, /pyserial URLs are not supported/);
      return true;
    });
    await Deno.writeTextFile(bare, "pdus:\n  bmc:\n    driver: ipmi\n    ipmitool: ipmitool-1.8\n");
    const ipmi = (await readConfigFile(bare)).pdus.bmc!.options as { ipmitool: string };
    assert.equal(ipmi.ipmitool, "ipmitool-1.8");
  });
});

Deno.test("paths: a config given as an object takes relative paths from the working directory", async () => {
  const config = await loadConfig(configWith((w) => w));
  assert.equal(config.daemon.audit_log, resolve("log/audit.jsonl"));
  assert.equal(config.daemon.tls?.cert, join(Deno.cwd(), "tls/cert.pem"));
  // Defaults are not paths written in the config: left alone.
  const defaults = await loadConfig({ pdus: { c: { driver: "ClewareUsbSwitch4", serial: 1 } } });
  assert.equal((defaults.pdus.c!.options as { sysroot: string }).sysroot, "/");
});

Deno.test("paths: mib_dirs is resolved before the schema looks MIB names up in it", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "mibs"));
    await Deno.writeTextFile(join(dir, "mibs", "PDUD-PATHS-MIB.txt"), MIB);
    const file = join(dir, "pdud.yaml");
    await Deno.writeTextFile(
      file,
      "pdus:\n  p:\n    driver: snmpv1\n    mib: PDUD-PATHS-MIB\n" +
        "    controlpoint: pathsOutletCommand\n    mib_dirs: [mibs]\n",
    );
    const options = (await readConfigFile(file)).pdus.p!.options as { resolved?: string };
    assert.equal(options.resolved, "1.3.6.1.4.1.99999.8.1");
  });
});

/** A made-up MIB (enterprise 99999, the example range) with one object. */
const MIB = `PDUD-PATHS-MIB DEFINITIONS ::= BEGIN
IMPORTS OBJECT-TYPE, enterprises FROM SNMPv2-SMI;
pathsOutletCommand OBJECT-TYPE
    SYNTAX INTEGER { on(1), off(2) }
    MAX-ACCESS read-write
    STATUS current
    DESCRIPTION "Switches an outlet."
    ::= { enterprises 99999 8 1 }
END
`;

Deno.test("paths: the pre-flight finds relative TLS files and the audit log's folder from anywhere", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "tls"));
    await Deno.mkdir(join(dir, "log"));
    await Deno.copyFile(join(ROOT, "tests/_fixtures/selfsigned.crt"), join(dir, "tls/cert.pem"));
    await Deno.copyFile(join(ROOT, "tests/_fixtures/selfsigned.key"), join(dir, "tls/key.pem"));
    const file = join(dir, "pdud.yaml");
    await Deno.writeTextFile(
      file,
      "daemon:\n  listener: http\n  audit_log: log/audit.jsonl\n" +
        "  tls:\n    cert: tls/cert.pem\n    key: tls/key.pem\npdus: {}\n",
    );
    assert.deepEqual((await preflight(await readConfigFile(file))).problems, []);
    // From the working directory the same text names files that are not there.
    const text = await Deno.readTextFile(file);
    const fromCwd = await preflight(await loadConfig(text));
    assert.deepEqual(fromCwd.problems.map((p) => p.path), [
      "daemon.tls.cert",
      "daemon.tls.key",
      "daemon.audit_log",
    ]);
  });
});

Deno.test("paths: pdud check-config run from another folder finds the config's relative files", async () => {
  await withDir(async (dir) => {
    const elsewhere = await Deno.makeTempDir({ prefix: "pdud-cwd-" });
    try {
      await Deno.mkdir(join(dir, "tls"));
      await Deno.copyFile(join(ROOT, "tests/_fixtures/selfsigned.crt"), join(dir, "tls/cert.pem"));
      await Deno.copyFile(join(ROOT, "tests/_fixtures/selfsigned.key"), join(dir, "tls/key.pem"));
      const file = join(dir, "pdud.yaml");
      await Deno.writeTextFile(
        file,
        "daemon:\n  listener: http\n  port: 0\n  tls:\n    cert: tls/cert.pem\n    key: tls/key.pem\n" +
          "pdus:\n  web:\n    driver: http\n    url: https://10.0.0.1/{outlet}\n    ca_file: tls/cert.pem\n",
      );
      const ok = await runPdud(["check-config", file], { cwd: elsewhere });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      // The control: the files are missing, and the message names them in the config's folder.
      await Deno.remove(join(dir, "tls/key.pem"));
      const missing = await runPdud(["check-config", file], { cwd: elsewhere });
      assert.equal(missing.code, 3, missing.stdout + missing.stderr);
      assert.ok(
        (missing.stdout + missing.stderr).includes(`cannot read ${dir}/tls/key.pem`),
        missing.stdout + missing.stderr,
      );
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});
