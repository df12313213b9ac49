/**
 * fence_apc over telnet against the APC console simulator of every model pdud names: status, on,
 * status, off of one outlet with the simulated outlet following, a 24-outlet list paged through,
 * and the MasterSwitch menus refused without switching (see tests/interop/_fence_apc.ts).
 */
import assert from "node:assert/strict";
import {
  eachModel,
  exercise,
  FENCE_MODELS,
  fenceApc,
  MASTERSWITCH_MODELS,
  SKIP,
  start,
} from "./_fence_apc.ts";

Deno.test({
  name: `fence_apc (telnet) reads and switches outlet 3 of each console: ${
    FENCE_MODELS.join(", ")
  }${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await eachModel(FENCE_MODELS, async (model) => {
      await using sim = await start(model, false);
      await exercise(sim, false, 3);
    });
  },
});

Deno.test({
  name: `fence_apc (telnet) pages through a 24-outlet list to outlet 23: apc7952, apc7900${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await eachModel(["apc7952", "apc7900"], async (model) => {
      await using sim = await start(model, false, 24);
      await exercise(sim, false, 23);
    });
  },
});

Deno.test({
  name: `fence_apc (telnet) refuses the MasterSwitch menus without switching: ${
    MASTERSWITCH_MODELS.join(", ")
  }${SKIP}`,
  ignore: SKIP !== "",
  async fn() {
    await eachModel(MASTERSWITCH_MODELS, async (model) => {
      await using sim = await start(model, false);
      const on = await fenceApc(sim, false, 3, "on");
      assert.notEqual(on.code, 0, on.out);
      assert.match(on.out, /plug is not available/);
      assert.deepEqual(sim.device.history, []);
    });
  },
});
