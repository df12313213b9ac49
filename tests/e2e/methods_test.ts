/**
 * Only GET switches (issue 14.1): Hono runs GET routes for HEAD, so a HEAD on a switching route
 * used to switch the outlet. Every switching route, every listener mode that speaks HTTP.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { startDaemon } from "../_helpers/daemon.ts";

for (const listener of ["both", "http"] as const) {
  Deno.test(`listener ${listener}: HEAD and other methods on /power/* answer 405, switch nothing`, async () => {
    const pdu = "methods-" + crypto.randomUUID();
    await using d = await startDaemon(
      { pdus: { [pdu]: { driver: "simulated", outlets: 4, "latency_ms": 0 } } },
      { listener },
    );
    const device = simulatedDevice(pdu)!;
    const before = device.history.length;
    for (const command of ["on", "off", "reboot"]) {
      for (const method of ["HEAD", "POST", "PUT", "DELETE", "OPTIONS"]) {
        const response = await fetch(
          `${d.url}/power/control/${command}?hostname=${pdu}&port=2&delay=0`,
          { method },
        );
        await response.body?.cancel();
        assert.equal(response.status, 405, `${method} ${command}`);
        assert.equal(response.headers.get("allow"), "GET", `${method} ${command}`);
      }
    }
    assert.deepEqual(device.history.slice(before), [], "nothing was switched");
    const get = await fetch(`${d.url}/power/control/on?hostname=${pdu}&port=2`);
    assert.equal(await get.text(), "OK - accepted request\n");
    assert.equal(device.get(2), "on", "GET still switches");
  });
}
