/**
 * pdud's APC menu drivers on the console layouts real clients showed the simulator must draw
 * (tests/interop/ runs those clients): a 24-outlet list that pages after 22 items (outlet 23 is
 * only seen after ENTER), the AP7932's "Control Outlet" menu (fence_apc, PowerMan and APC's
 * guide show it; upstream PDUDaemon's apc7932 went without it), and the login prompts.
 */
import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";

for (const model of ["apc7952", "apc7900", "apc9218"]) {
  Deno.test(`${model}: the driver pages through a 24-outlet list to outlet 23 and back`, async () => {
    await using sim = await startSimulator("apc-telnet", { outlets: 24 }, { model });
    const driver = createDriver(findDriver(model)!, "127.0.0.1", sim.pduConfig());
    try {
      await driver.setOutlet(23, "on", { signal: AbortSignal.timeout(10_000) });
      await driver.setOutlet(23, "off", { signal: AbortSignal.timeout(10_000) });
    } finally {
      await driver.close?.();
    }
    assert.deepEqual(sim.device.history, [[23, "on"], [23, "off"]]);
  });
}

Deno.test("apc7932: the driver walks through the Control Outlet menu the AP7932 draws", async () => {
  await using sim = await startSimulator("apc-telnet", { outlets: 8 }, { model: "apc7932" });
  const driver = createDriver(findDriver("apc7932")!, "127.0.0.1", sim.pduConfig());
  try {
    await driver.setOutlet(5, "on", { signal: AbortSignal.timeout(10_000) });
  } finally {
    await driver.close?.();
  }
  assert.deepEqual(sim.device.history, [[5, "on"]]);
  assert.ok(sim.device.received.some((r) => r.text === "Immediate On outlet 5"));
});

Deno.test("the login prompts follow a bare CR, as PowerMan's APC scripts wait for", async () => {
  await using sim = await startSimulator("apc-telnet", { outlets: 8 }, { model: "apc7900" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: sim.address.port });
  try {
    let text = "";
    const buffer = new Uint8Array(1024);
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const n = await conn.read(buffer);
        assert.notEqual(n, null, `closed before ${JSON.stringify(until)}`);
        text += new TextDecoder("latin1").decode(buffer.subarray(0, n!));
      }
    };
    await read("\rUser Name : ");
    assert.ok(text.endsWith("\n\rUser Name : "), JSON.stringify(text));
    await conn.write(new TextEncoder().encode("apc\r\n"));
    await read("\rPassword  : ");
  } finally {
    conn.close();
  }
});
