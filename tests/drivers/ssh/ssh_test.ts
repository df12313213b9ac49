import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import { type DeviceOptions, findDriver } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  name: string;
  driver: string;
  kind: string;
  device: DeviceOptions;
  options?: Record<string, unknown>;
  bad: (sim: Simulator) => Record<string, unknown>;
}

const ROWS: Row[] = [
  ...[3, 6, 8].map((n): Row => ({
    name: `ubntmfi${n}port`,
    driver: `ubntmfi${n}port`,
    kind: "ubnt-mfi",
    device: { outlets: n },
    options: { password: "mfi-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  })),
  {
    name: "acme (key authentication)",
    driver: "acme",
    kind: "acme",
    device: { outlets: 8 },
    bad: (sim) => ({ ...sim.pduConfig(), username: "someone" }),
  },
  {
    name: "acme (password)",
    driver: "acme",
    kind: "acme",
    device: { outlets: 8 },
    options: { password: "acme-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
  },
];

function starter(kind: string, device: DeviceOptions, options: Record<string, unknown> = {}) {
  return () => startSimulator(kind, device, options);
}

for (const row of ROWS) {
  const start = starter(row.kind, row.device, row.options);
  conformance({
    name: row.name,
    descriptor: findDriver(row.driver)!,
    start,
    badCredentials: row.bad,
  });

  Deno.test(`${row.name}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start();
    assert.equal(sim.pduConfig().driver, row.driver);
    await assertDrivesOverHttp(sim);
    await assertDrivesOverHttp(sim, { outlet: sim.device.first + sim.device.count - 1 });
  });

  Deno.test(`${row.name}: a failing command and a refused login are answered 503 with the reason`, async () => {
    await using sim = await start();
    sim.device.fault = "error";
    await using d = await startDaemon({
      pdus: {
        dev: { ...sim.pduConfig(), address: "127.0.0.1", retries: 1 },
        badlogin: { ...row.bad(sim), address: "127.0.0.1", retries: 1 },
      },
    });
    const r = await control(d, "on", { hostname: "dev", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, /at 127\.0\.0\.1:\d+: ".*" failed \(exit status 1\): .*Resource busy/);
    sim.device.fault = "none";
    const refused = await control(d, "on", { hostname: "badlogin", port: 1 });
    assert.equal(refused.status, 503);
    assert.match(refused.body, /refused the login of user/);
    assert.equal(sim.device.get(1), "off");
  });
}

Deno.test("ubntmfi3port: outlets beyond the strip's three are refused before queueing", async () => {
  await using sim = await starter("ubnt-mfi", { outlets: 3 })();
  await using d = await startDaemon({
    pdus: { mfi: { ...sim.pduConfig(), address: "127.0.0.1" } },
  });
  const r = await control(d, "on", { hostname: "mfi", port: 4 });
  assert.equal(r.status, 503);
  assert.match(r.body, /4/);
  assert.equal(sim.device.received.length, 0);
});

Deno.test("ssh host keys: verified by default against hostkey or known_hosts; opt-out is explicit", async (t) => {
  await using sim = await starter("ubnt-mfi", { outlets: 3 })();
  const { hostkey: _, ...noHostkey } = sim.pduConfig() as Record<string, unknown>;
  const descriptor = findDriver("ubntmfi3port")!;
  const port = sim.address.port;
  const keyLine = await hostKeyLine(sim);
  const dir = await Deno.makeTempDir();
  const tryOn = async (options: Record<string, unknown>) => {
    const driver = createDriver(descriptor, "127.0.0.1", options);
    try {
      await driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) });
    } finally {
      await driver.close();
    }
  };
  const rejectsWith = (options: Record<string, unknown>, pattern: RegExp) =>
    assert.rejects(tryOn(options), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, "auth");
      assert.match(e.message, pattern);
      return true;
    });
  try {
    await t.step("a different configured hostkey is refused", async () => {
      await rejectsWith(
        { ...sim.pduConfig(), hostkey: "SHA256:" + "A".repeat(43) },
        /presented host key SHA256:\S+, not the configured hostkey/,
      );
    });
    await t.step("an unknown host names the file and the fix", async () => {
      await rejectsWith(
        { ...noHostkey, "known_hosts": [`${dir}/empty`] },
        /is not in .*empty; add it \(ssh-keyscan\) or set hostkey: SHA256:/,
      );
    });
    await t.step("a plain known_hosts entry [host]:port is accepted", async () => {
      await Deno.writeTextFile(`${dir}/plain`, `[127.0.0.1]:${port} ${keyLine}\n`);
      await tryOn({ ...noHostkey, "known_hosts": [`${dir}/plain`] });
      assert.equal(sim.device.get(1), "on");
    });
    await t.step("a hashed known_hosts entry is accepted", async () => {
      const salt = crypto.randomBytes(20);
      const hash = crypto.createHmac("sha1", salt).update(`[127.0.0.1]:${port}`).digest("base64");
      await Deno.writeTextFile(
        `${dir}/hashed`,
        `# comment\n|1|${salt.toString("base64")}|${hash} ${keyLine}\n`,
      );
      sim.device.set(1, "off");
      await tryOn({ ...noHostkey, "known_hosts": [`${dir}/hashed`] });
      assert.equal(sim.device.get(1), "on");
    });
    await t.step("a changed key for a known host is refused", async () => {
      const other = `ssh-ed25519 ${Buffer.alloc(51, 7).toString("base64")}`;
      await Deno.writeTextFile(`${dir}/changed`, `[127.0.0.1]:${port} ${other}\n`);
      await rejectsWith(
        { ...noHostkey, "known_hosts": [`${dir}/changed`] },
        /does not match known_hosts/,
      );
    });
    await t.step("verify_hostkey: false skips the check", async () => {
      sim.device.set(1, "off");
      await tryOn({ ...noHostkey, "verify_hostkey": false, "known_hosts": [`${dir}/empty`] });
      assert.equal(sim.device.get(1), "on");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ubnt-mfi simulator: anything but the relay commands fails as the strip's shell does", async () => {
  await using sim = await starter("ubnt-mfi", { outlets: 3 })();
  const { sshExec } = await import("../../../drivers/_transport/ssh.ts");
  const cfg = sim.pduConfig() as Record<string, string>;
  const result = await sshExec(
    {
      host: "127.0.0.1",
      port: sim.address.port,
      username: cfg.username!,
      password: cfg.password!,
      verifyHostkey: true,
      hostkey: cfg.hostkey,
      device: "mfi",
    },
    "rm -rf /",
    AbortSignal.timeout(5000),
  );
  assert.equal(result.code, 127);
  assert.match(result.stderr, /rm: not found/);
});

/** The simulator's host key as a known_hosts "type base64" pair, read over the wire. */
async function hostKeyLine(sim: Simulator): Promise<string> {
  const { default: ssh2 } = await import("ssh2");
  let timer: ReturnType<typeof setTimeout> | undefined;
  return await new Promise<string>((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("error", () => {});
    client.connect({
      host: "127.0.0.1",
      port: sim.address.port,
      username: "probe",
      password: "x",
      hostVerifier: (key: Buffer) => {
        const type = key.subarray(4, 4 + key.readUInt32BE(0)).toString();
        resolve(`${type} ${Buffer.from(key).toString("base64")}`);
        client.end();
        return false;
      },
    });
    timer = setTimeout(() => reject(new Error("no host key")), 5000);
  }).finally(() => clearTimeout(timer));
}
