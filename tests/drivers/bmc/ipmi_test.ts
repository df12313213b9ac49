/**
 * The ipmi driver against OpenIPMI's real BMC simulator, ipmi_sim (tests/_helpers/ipmi_sim.ts),
 * through ipmitool: chassis power over RMCP+ and IPMI 1.5 LAN, the password kept out of
 * ipmitool's argv, refused credentials and privilege, a failing chassis, a silent BMC, and on,
 * off, reboot and status through the daemon's HTTP API. Skipped, saying why, without ipmi_sim
 * or ipmitool.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { ipmiPowerState, ipmitoolArgs } from "../../../drivers/bmc/ipmi.ts";
import { createDriver } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";
import {
  IPMI_ADMIN,
  IPMI_SIM_MISSING,
  IPMI_VIEWER,
  type IpmiSim,
  startIpmiSim,
} from "../../_helpers/ipmi_sim.ts";

const IPMI = findDriver("ipmi")!;
const skip = IPMI_SIM_MISSING ? ` (skipped: ${IPMI_SIM_MISSING})` : "";
const ignore = IPMI_SIM_MISSING !== undefined;

function signal(ms = 15_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** The PDU section without `address` (a common key the config loader takes off). */
function optionsOf(sim: IpmiSim): Record<string, unknown> {
  const { address: _, ...own } = sim.pduConfig();
  return own;
}

function driverFor(sim: IpmiSim, extra: Record<string, unknown> = {}) {
  return createDriver(IPMI, "127.0.0.1", { ...optionsOf(sim), ...extra });
}

async function assertKind(promise: Promise<unknown>, kind: string, permanent?: boolean) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DriverError, `expected a DriverError, got ${error}`);
    assert.equal(error.kind, kind, error.message);
    if (permanent !== undefined) assert.equal(error.permanent, permanent);
    return true;
  });
}

Deno.test("ipmi: ipmitool's argv carries no password: -E (environment) or -f (file) instead", () => {
  const options = IPMI.options.parse({ username: "admin", password: "pw-in-argv-never" });
  const args = ipmitoolArgs("bmc1", options);
  assert.deepEqual(args, [
    "-I",
    "lanplus",
    "-H",
    "bmc1",
    "-p",
    "623",
    "-U",
    "admin",
    "-E",
    "-C",
    "3",
    "-L",
    "ADMINISTRATOR",
    "-v",
  ]);
  const file = ipmitoolArgs(
    "bmc1",
    IPMI.options.parse({ interface: "lan", password_file: "/etc/pdud/bmc1.pw", port: "6230" }),
  );
  assert.deepEqual(file, [
    "-I",
    "lan",
    "-H",
    "bmc1",
    "-p",
    "6230",
    "-f",
    "/etc/pdud/bmc1.pw",
    "-L",
    "ADMINISTRATOR",
    "-v",
  ]);
  assert.equal(
    IPMI.options.safeParse({ password: "a", password_file: "/x" }).success,
    false,
    "password and password_file together are refused",
  );
  assert.equal(IPMI.options.safeParse({ interface: "open" }).success, false);
  assert.equal(IPMI.options.safeParse({ password: "x".repeat(20) }).success, true);
  assert.equal(IPMI.options.safeParse({ password: "x".repeat(21) }).success, false);
  assert.equal(
    IPMI.options.safeParse({ interface: "lan", password: "x".repeat(17) }).success,
    false,
  );
  assert.equal(IPMI.outletRange!(options)?.max, 1);
});

Deno.test("ipmi: chassis power status is read from ipmitool's words", () => {
  assert.equal(ipmiPowerState("Chassis Power is on\n"), "on");
  assert.equal(ipmiPowerState("Chassis Power is off\n"), "off");
  assert.equal(ipmiPowerState("Chassis Power Control: Up/On\n"), undefined);
});

for (const iface of ["lanplus", "lan"] as const) {
  Deno.test({
    name: `ipmi (${iface}): switches ipmi_sim's chassis on and off and reads it back${skip}`,
    ignore,
    async fn() {
      await using sim = await startIpmiSim();
      const driver = driverFor(sim, { interface: iface });
      await driver.setOutlet(1, "on", { signal: signal() });
      assert.equal(await sim.power(), "on");
      assert.equal(await driver.getOutlet!(1, { signal: signal() }), "on");
      await driver.setOutlet(1, "off", { signal: signal() });
      assert.equal(await sim.power(), "off");
      assert.equal(await driver.getOutlet!(1, { signal: signal() }), "off");
      assert.deepEqual(await sim.changes(), ["power 1", "power 0"]);
      // A server switched by hand is read as it is, not as pdud left it.
      await sim.setPower("on");
      assert.equal(await driver.getOutlet!(1, { signal: signal() }), "on");
      await driver.close();
      await driver.close();
    },
  });
}

Deno.test({
  name:
    `ipmi: the password reaches ipmitool through its environment or a file, never its argv${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    const dir = await Deno.makeTempDir({ prefix: "pdud-ipmitool-" });
    try {
      // A stand-in that records what ipmitool was given, then runs the real one.
      const wrapper = `${dir}/ipmitool`;
      await Deno.writeTextFile(
        wrapper,
        `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/argv"\nexec ipmitool "$@"\n`,
      );
      await Deno.chmod(wrapper, 0o755);
      await driverFor(sim, { ipmitool: wrapper }).setOutlet(1, "on", { signal: signal() });
      assert.equal(await sim.power(), "on");
      const pwFile = `${dir}/bmc.pw`;
      await Deno.writeTextFile(pwFile, `${IPMI_ADMIN.password}\n`);
      const fromFile = driverFor(sim, { ipmitool: wrapper, password: undefined });
      await assertKind(fromFile.setOutlet(1, "off", { signal: signal() }), "auth", true);
      const withFile = createDriver(IPMI, "127.0.0.1", {
        ...optionsOf(sim),
        password: undefined,
        "password_file": pwFile,
        ipmitool: wrapper,
      });
      await withFile.setOutlet(1, "off", { signal: signal() });
      assert.equal(await sim.power(), "off");
      const argv = await Deno.readTextFile(`${dir}/argv`);
      assert.equal(argv.trim().split("\n").length, 3);
      assert.ok(!argv.includes(IPMI_ADMIN.password), `the password is in the argv: ${argv}`);
      assert.match(argv, /-E .*chassis power on/);
      assert.match(argv, new RegExp(`-f ${pwFile} .*chassis power off`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    `ipmi: a wrong password, an unknown user and too low a privilege are permanent auth errors${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    const canary = "canary-ipmi-19c4"; // 16 bytes: IPMI 1.5 takes no more
    // (Over IPMI 1.5 LAN ipmitool retries a refused password for 8 s before saying so.)
    const wrong = driverFor(sim, { password: canary });
    await assert.rejects(wrong.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.kind, "auth", error.message);
      assert.equal(error.permanent, true);
      assert.ok(!error.message.includes(canary), error.message);
      assert.match(error.message, /IPMI BMC 127\.0\.0\.1:\d+: ipmitool chassis power on exited/);
      return true;
    });
    for (const iface of ["lanplus", "lan"]) {
      await assertKind(
        driverFor(sim, { interface: iface, username: "nobody" }).getOutlet!(1, {
          signal: signal(),
        }),
        "auth",
        true,
      );
    }
    // ipmi_sim grants any privilege at session set-up and refuses the command itself.
    const viewer = driverFor(sim, { ...IPMI_VIEWER, privilege: "user" });
    await assertKind(viewer.setOutlet(1, "on", { signal: signal() }), "auth", true);
    assert.equal(await sim.power(), "off");
    assert.deepEqual(await sim.changes(), []);
  },
});

Deno.test({
  name: `ipmi: a chassis that cannot be controlled is a device error${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    await sim.failChassis("relay stuck");
    const driver = driverFor(sim);
    await assert.rejects(driver.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.kind, "device", error.message);
      assert.equal(error.permanent, false);
      assert.match(error.message, /Set Chassis Power Control to Up\/On failed/);
      return true;
    });
    await sim.failChassis(undefined);
    await driver.setOutlet(1, "on", { signal: signal() });
    assert.equal(await sim.power(), "on");
  },
});

Deno.test({
  name: `ipmi: a silent BMC is given up on when the operation is aborted, ipmitool killed${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    const dir = await Deno.makeTempDir({ prefix: "pdud-ipmitool-" });
    try {
      // The stand-in writes its pid (ipmitool's, after exec) once it runs.
      const wrapper = `${dir}/ipmitool`;
      await Deno.writeTextFile(wrapper, `#!/bin/sh\necho $$ > "${dir}/pid"\nexec ipmitool "$@"\n`);
      await Deno.chmod(wrapper, 0o755);
      Deno.kill(sim.pid, "SIGSTOP");
      const controller = new AbortController();
      const pending = driverFor(sim, { ipmitool: wrapper }).setOutlet(1, "on", {
        signal: controller.signal,
      });
      pending.catch(() => {});
      let pid = "";
      while (pid === "") {
        pid = (await Deno.readTextFile(`${dir}/pid`).catch(() => "")).trim();
        if (pid === "") await new Promise((resolve) => setTimeout(resolve, 10));
      }
      controller.abort(new Error("test abort"));
      await assertKind(pending, "timeout");
      assert.equal(await Deno.stat(`/proc/${pid}`).then(() => true, () => false), false);
      assert.equal(await sim.power(), "off");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: `ipmi: a missing ipmitool is a config error naming it${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    await assertKind(
      driverFor(sim, { ipmitool: "/nonexistent/ipmitool" }).setOutlet(1, "on", {
        signal: signal(),
      }),
      "config",
      true,
    );
  },
});

Deno.test({
  name: `ipmi: on, off, reboot and status through the daemon's HTTP API${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    await using daemon = await startDaemon({
      pdus: { bmc1: { ...sim.pduConfig(), retries: 1, timeout: 15 } },
    });
    const target = { hostname: "bmc1", port: 1 };
    assert.deepEqual(await control(daemon, "on", target), {
      status: 200,
      body: "OK - accepted request\n",
    });
    assert.equal(await sim.power(), "on");
    const status = await fetch(`${daemon.url}/api/v1/pdus/bmc1/outlets/1`).then((r) => r.json());
    assert.equal(status.state, "on");
    assert.equal((await control(daemon, "off", target)).status, 200);
    assert.equal(await sim.power(), "off");
    assert.equal((await control(daemon, "reboot", { ...target, delay: 0 })).status, 200);
    assert.equal(await sim.power(), "on");
    assert.deepEqual(await sim.changes(), ["power 1", "power 0", "power 0", "power 1"]);
    // One system per BMC: outlet 2 is refused before anything reaches the BMC.
    const two = await control(daemon, "on", { hostname: "bmc1", port: 2 });
    assert.equal(two.status, 503);
  },
});

Deno.test({
  name:
    `ipmi: a wrong password through the daemon is a 503 naming the cause, not the password${skip}`,
  ignore,
  async fn() {
    await using sim = await startIpmiSim();
    const canary = "canary-ipmi-7a2e";
    await using daemon = await startDaemon({
      pdus: { bmc1: { ...sim.pduConfig(), password: canary, retries: 3, retrydelay: 0 } },
    });
    const reply = await control(daemon, "on", { hostname: "bmc1", port: 1 });
    assert.equal(reply.status, 503);
    assert.match(reply.body, /RAKP 2 HMAC is invalid/);
    assert.ok(!reply.body.includes(canary));
    assert.equal(await sim.power(), "off");
  },
});
