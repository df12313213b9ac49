/**
 * Shared by the fence_apc interop tests: ClusterLabs' `fence_apc` against the APC console simulator of every model pdud names, over
 * telnet and (`--ssh`, through OpenSSH's client) SSH: status, on, status, off of one outlet,
 * the simulated outlet following. fence_apc walks the AOS v2/v3 Control Console menus (and the
 * `apc>` CLI of AOS v5+); the MasterSwitch menus of the AP9210/AP9211-9218/AP9606, which
 * PowerMan, PDUDaemon and Linux-HA's apcmaster drive (tests/interop/powerman_test.ts), are not
 * among them: there fence_apc must refuse without switching anything.
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { run, skipUnless } from "./_tools.ts";

export type { Simulator };

export const SKIP = skipUnless(["fence_apc", "telnet"], "fence-agents telnet");
// fence_apc runs /usr/bin/ssh (its --ssh-path default), whatever PATH says.
export const SSH_SKIP = skipUnless(["fence_apc", "ssh"], "fence-agents openssh-client");

/** The models whose menus fence_apc walks (AOS v3 "Outlet Management", AOS v2 item 3). */
export const FENCE_MODELS = ["apc7952", "apc7921", "apc7932", "apc7900", "apc7920"];
/** MasterSwitch firmware fence_apc does not know (see the module comment). */
export const MASTERSWITCH_MODELS = ["apc9218", "ap9218", "apc9606", "ap9606", "apc9210"];

const USER = "labuser";
const PASSWORD = "s3cret pass";

/**
 * fence_apc's `--ssh-options` for a simulator: they replace its default `-1 -c blowfish`
 * (SSH protocol 1, which OpenSSH refuses), check the host key against the simulator's own
 * known_hosts file and keep the user's and the system's ssh_config out.
 */
export function sshOptions(sim: Simulator): string[] {
  const { knownHostsFile } = sim as Simulator & { knownHostsFile?: string };
  assert.equal(typeof knownHostsFile, "string", "the SSH simulator names its known_hosts file");
  return [
    "--ssh",
    "--ssh-options",
    `-F /dev/null -o UserKnownHostsFile=${knownHostsFile} ` +
    "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes",
  ];
}

export function fenceApc(
  sim: Simulator,
  ssh: boolean,
  plug: number,
  action: string,
): ReturnType<typeof run> {
  return run("fence_apc", [
    "--ip",
    "127.0.0.1",
    "--ipport",
    String(sim.address.port),
    "--username",
    USER,
    "--password",
    PASSWORD,
    ...(ssh ? sshOptions(sim) : []),
    "--plug",
    String(plug),
    "--action",
    action,
    "--login-timeout",
    "5",
    "--shell-timeout",
    "5",
    "--power-timeout",
    "5",
  ], { limitMs: 60_000 });
}

export async function start(model: string, ssh: boolean, outlets = 8): Promise<Simulator> {
  return await startSimulator("apc-telnet", { outlets }, {
    model,
    username: USER,
    password: PASSWORD,
    ...(ssh ? { transport: "ssh" } : {}),
  });
}

/** status, on, status, off of `plug`, each checked against the simulated outlet. */
export async function exercise(sim: Simulator, ssh: boolean, plug: number): Promise<void> {
  const before = await fenceApc(sim, ssh, plug, "status");
  assert.equal(before.code, 2, before.out); // fence agents exit 2 for "off"
  assert.match(before.out, /Status: OFF/);
  const on = await fenceApc(sim, ssh, plug, "on");
  assert.equal(on.code, 0, on.out);
  assert.match(on.out, /Success: Powered ON/);
  assert.equal(sim.device.get(plug), "on");
  const status = await fenceApc(sim, ssh, plug, "status");
  assert.equal(status.code, 0, status.out);
  assert.match(status.out, /Status: ON/);
  const off = await fenceApc(sim, ssh, plug, "off");
  assert.equal(off.code, 0, off.out);
  assert.match(off.out, /Success: Powered OFF/);
  assert.deepEqual(sim.device.history, [[plug, "on"], [plug, "off"]], "no other outlet switched");
}

/**
 * Runs `check` for every model at once: fence_apc spends its time waiting on its own timers (a
 * status read is ~1.2 s of which ~0.1 s CPU), so models side by side take as long as one. Fails
 * with every model's error, each named.
 */
export async function eachModel(
  models: readonly string[],
  check: (model: string) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(models.map(check));
  const failures = results.flatMap((result, i) =>
    result.status === "rejected"
      ? [`${models[i]}: ${result.reason instanceof Error ? result.reason.message : result.reason}`]
      : []
  );
  assert.deepEqual(failures, [], failures.join("\n\n"));
}
