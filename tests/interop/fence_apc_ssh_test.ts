/**
 * fence_apc `--ssh` (through OpenSSH's client) against the APC console simulator of every model
 * fence_apc walks: status, on, status, off of one outlet with the simulated outlet following.
 */
import { eachModel, exercise, FENCE_MODELS, SSH_SKIP, start } from "./_fence_apc.ts";

Deno.test({
  name: `fence_apc (--ssh) reads and switches outlet 3 of each console: ${
    FENCE_MODELS.join(", ")
  }${SSH_SKIP}`,
  ignore: SSH_SKIP !== "",
  // ssh2 under Deno never finalises its node:crypto ciphers (a native resource each).
  sanitizeResources: false,
  async fn() {
    await eachModel(FENCE_MODELS, async (model) => {
      await using sim = await start(model, true);
      await exercise(sim, true, 3);
    });
  },
});
