/**
 * fence_apc `--ssh` (OpenSSH's client) against the APC console simulators on SSH, and pdud
 * itself on the config `pdud simulate` prints for one (see fence_agents_test.ts).
 */
import assert from "node:assert/strict";
import { configFor, startSimulators } from "../../cli/simulate.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";
import { exercise, fence, SSH_READY, sshOptions, why } from "./_fence.ts";

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
        "1",
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
