/** fence_apc over telnet against the APC console simulators (see fence_agents_test.ts). */
import assert from "node:assert/strict";
import { startSimulator } from "../_helpers/conformance.ts";
import { exercise, fence, TELNET_READY, why } from "./_fence.ts";

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
        "1",
        "--shell-timeout",
        "1",
      ]);
      assert.notEqual(wrong.code, 0, "a wrong password does not switch");
      assert.equal(sim.device.get(3), "off");
    },
  });
}
