/**
 * Clients nobody here wrote, against pdud's APC simulators: ClusterLabs' fence agents (Debian's
 * `fence-agents`). `fence_apc_snmp` picks the model by sysObjectID, walks the outlet names and
 * reads and sets the outlet; `fence_apc` walks the Control Console menus or, on AOS v5+ firmware,
 * the `apc>` command line, over telnet or (`--ssh`) through OpenSSH's client. When the agents (or
 * the snmpwalk/telnet/ssh they run) are missing, the tests say they were skipped.
 */
import assert from "node:assert/strict";
import { configFor, startSimulators } from "../../cli/simulate.ts";
import type { Simulator } from "../../drivers/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The tool's path: PATH, then the sbin directories Debian installs fence agents in. */
function which(tool: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  return dirs.map((d) => `${d}/${tool}`).find(isFile);
}

const SNMP_READY = !!which("fence_apc_snmp") && !!which("snmpwalk");
const TELNET_READY = !!which("fence_apc") && !!which("telnet");
// fence_apc runs /usr/bin/ssh (its `--ssh-path` default), whatever PATH says.
const SSH_READY = !!which("fence_apc") && isFile("/usr/bin/ssh");
const why = (ready: boolean, tools: string) =>
  ready ? "" : ` (skipped: ${tools} not installed; .ci/run installs fence-agents)`;

async function fence(
  agent: string,
  sim: Simulator,
  args: string[],
): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(which(agent)!, {
    args: ["--ip", "127.0.0.1", "--ipport", String(sim.address.port), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout) + decoder.decode(output.stderr),
  };
}

/** list, on, status, reboot, off, status of outlet 3, each checked against the simulated outlet. */
async function exercise(agent: string, sim: Simulator, login: string[]) {
  const run = (...args: string[]) => fence(agent, sim, [...login, ...args]);

  const list = await run("--action", "list");
  assert.equal(list.code, 0, list.out);
  const listed = list.out.trim().split("\n").filter((l) => /^\d+,/.test(l));
  assert.deepEqual(listed, sim.device.outlets().map((n) => `${n},Outlet ${n}`));

  const on = await run("--plug", "3", "--action", "on");
  assert.equal(on.code, 0, on.out);
  assert.match(on.out, /Success: Powered ON/);
  assert.equal(sim.device.get(3), "on");

  const status = await run("--plug", "3", "--action", "status");
  assert.equal(status.code, 0, status.out);
  assert.match(status.out, /Status: ON/);

  const before = sim.device.history.length;
  const reboot = await run("--plug", "3", "--action", "reboot");
  assert.equal(reboot.code, 0, reboot.out);
  assert.match(reboot.out, /Success: Rebooted/);
  assert.equal(sim.device.get(3), "on");
  assert.deepEqual(sim.device.history.slice(before), [[3, "off"], [3, "on"]]);
  const off = await run("--plug", "3", "--action", "off");
  assert.equal(off.code, 0, off.out);
  assert.equal(sim.device.get(3), "off");
  const offStatus = await run("--plug", "3", "--action", "status");
  assert.equal(offStatus.code, 2, offStatus.out); // fence agents exit 2 for "off"
  assert.match(offStatus.out, /Status: OFF/);

  assert.equal(sim.device.get(2), "off", "no other outlet switched");
}

for (const controlpoint of ["sPDUOutletCtl", "rPDUOutletControlOutletCommand"]) {
  Deno.test({
    name: `fence_apc_snmp lists, reads and switches the apc-snmp simulator (${controlpoint})${
      why(SNMP_READY, "fence_apc_snmp/snmpwalk")
    }`,
    ignore: !SNMP_READY,
    async fn() {
      await using sim = await startSimulator("apc-snmp", { outlets: 8 }, { controlpoint });
      await exercise("fence_apc_snmp", sim, ["--community", "private"]);
      const wrong = await fence("fence_apc_snmp", sim, [
        "--community",
        "not-it",
        "--plug",
        "3",
        "--action",
        "on",
        "--power-timeout",
        "2",
        "--shell-timeout",
        "2",
      ]);
      assert.notEqual(wrong.code, 0, "a wrong community does not switch");
      assert.equal(sim.device.get(3), "off");
    },
  });
}

for (const [kind, options] of [["apc-telnet", { model: "apc7952" }], ["apc-cli", {}]] as const) {
  Deno.test({
    name: `fence_apc lists, reads and switches the ${kind} simulator over telnet${
      why(TELNET_READY, "fence_apc/telnet")
    }`,
    ignore: !TELNET_READY,
    async fn() {
      await using sim = await startSimulator(kind, { outlets: 8 }, options);
      const { username, password } = sim.pduConfig() as { username: string; password: string };
      await exercise("fence_apc", sim, ["--username", username, "--password", password]);
      const wrong = await fence("fence_apc", sim, [
        "--username",
        username,
        "--password",
        "not-it",
        "--plug",
        "3",
        "--action",
        "on",
        "--login-timeout",
        "2",
        "--shell-timeout",
        "2",
      ]);
      assert.notEqual(wrong.code, 0, "a wrong password does not switch");
      assert.equal(sim.device.get(3), "off");
    },
  });
}

/**
 * fence_apc's `--ssh-options` for a simulator. They replace fence_apc's default `-1 -c blowfish`
 * (SSH protocol 1, which OpenSSH 7.6+ refuses to start with), and check the host key against the
 * simulator's own known_hosts file: nothing is read from or written to the user's ~/.ssh, and
 * host-key checking stays on. `-F /dev/null` keeps the user's and the system's ssh_config out.
 */
function sshOptions(sim: Simulator): string {
  const { knownHostsFile } = sim as Simulator & { knownHostsFile?: unknown };
  assert.equal(typeof knownHostsFile, "string", "the SSH simulator names its known_hosts file");
  return `-F /dev/null -o UserKnownHostsFile=${knownHostsFile} ` +
    "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes";
}

for (const [kind, options] of [["apc-telnet", { model: "apc7952" }], ["apc-cli", {}]] as const) {
  Deno.test({
    name: `fence_apc --ssh lists, reads and switches the ${kind} simulator over SSH${
      why(SSH_READY, "fence_apc/ssh")
    }`,
    ignore: !SSH_READY,
    // ssh2 under Deno never finalises its node:crypto ciphers (a native resource each), so the
    // resource sanitizer would blame this test for the library's cipher objects.
    sanitizeResources: false,
    async fn() {
      await using sim = await startSimulator(kind, { outlets: 8 }, {
        ...options,
        username: "labuser",
        password: "s3cret pass",
        transport: "ssh",
      });
      const ssh = ["--ssh", "--ssh-options", sshOptions(sim)];
      await exercise("fence_apc", sim, [
        ...ssh,
        "--username",
        "labuser",
        "--password",
        "s3cret pass",
      ]);
      assert.ok(sim.device.received.some((r) => r.text === "login labuser"));

      const wrong = await fence("fence_apc", sim, [
        ...ssh,
        "--username",
        "labuser",
        "--password",
        "not-it",
        "--plug",
        "3",
        "--action",
        "on",
        "--login-timeout",
        "2",
      ]);
      assert.notEqual(wrong.code, 0, "a wrong password does not switch");
      assert.match(wrong.out, /Unable to connect\/login to fencing device/);
      // The password reached the simulator and was refused there: not an ssh option that failed.
      assert.equal(sim.device.received.at(-1)?.text, 'login refused for "labuser"');
      assert.equal(sim.device.get(3), "off");
    },
  });
}

Deno.test({
  name: `pdud drives an APC console on SSH with the config pdud simulate prints for it${
    why(SSH_READY, "fence_apc/ssh")
  }`,
  ignore: !SSH_READY,
  // ssh2's ciphers, as above.
  sanitizeResources: false,
  async fn() {
    const simulators = await startSimulators(
      "simulators:\n  rack:\n    kind: apc-telnet\n    transport: ssh\n    outlets: 4\n" +
        '    password: "it\'s 100%"\n',
    );
    try {
      const config = configFor(simulators);
      const sim = simulators[0]!;
      assert.equal(
        (config.pdus as Record<string, { driver: string }>).rack!.driver,
        "localcmdline",
      );
      await using d = await startDaemon(config);
      const on = await control(d, "on", { hostname: "rack", port: 2 });
      assert.equal(on.status, 200, on.body);
      assert.equal(sim.device.get(2), "on");
      const off = await control(d, "off", { hostname: "rack", port: 2 });
      assert.equal(off.status, 200, off.body);
      assert.equal(sim.device.get(2), "off");
      assert.deepEqual(sim.device.history, [[2, "on"], [2, "off"]]);
    } finally {
      await Promise.all(simulators.map((s) => s.close()));
    }
  },
});
