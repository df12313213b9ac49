/**
 * What the fence-agent tests share (fence_agents_test.ts: SNMP, fence_agents_telnet_test.ts,
 * fence_agents_ssh_test.ts; three files so that `deno test --parallel` runs them side by side,
 * each agent run being mostly a Python start-up and the agent's own waits).
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";

export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The tool's path: PATH, then the sbin directories Debian installs fence agents in. */
export function which(tool: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  return dirs.map((d) => `${d}/${tool}`).find(isFile);
}

export const SNMP_READY = !!which("fence_apc_snmp") && !!which("snmpwalk");
export const TELNET_READY = !!which("fence_apc") && !!which("telnet");
// fence_apc runs /usr/bin/ssh (its `--ssh-path` default), whatever PATH says.
export const SSH_READY = !!which("fence_apc") && isFile("/usr/bin/ssh");
export const why = (ready: boolean, tools: string): string =>
  ready ? "" : ` (skipped: ${tools} not installed; .ci/run installs fence-agents)`;

export async function fence(
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
export async function exercise(agent: string, sim: Simulator, login: string[]): Promise<void> {
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

/**
 * fence_apc's `--ssh-options` for a simulator. They replace fence_apc's default `-1 -c blowfish`
 * (SSH protocol 1, which OpenSSH 7.6+ refuses to start with), and check the host key against the
 * simulator's own known_hosts file: nothing is read from or written to the user's ~/.ssh, and
 * host-key checking stays on. `-F /dev/null` keeps the user's and the system's ssh_config out.
 */
export function sshOptions(sim: Simulator): string {
  const { knownHostsFile } = sim as Simulator & { knownHostsFile?: unknown };
  assert.equal(typeof knownHostsFile, "string", "the SSH simulator names its known_hosts file");
  return `-F /dev/null -o UserKnownHostsFile=${knownHostsFile} ` +
    "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes";
}
