/**
 * The local family's in-process `simulated` driver (the demo's and the actor tests' PDU)
 * through the shared conformance suite: the same faults as every networked driver.
 */
import assert from "node:assert/strict";
import {
  findDriver,
  SIMULATED_DEVICES,
  simulatedDevice,
  type SimulatedDevices,
  simulatedDriver,
} from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { conformance } from "../../_helpers/conformance.ts";
import { memoryLogger } from "../../_helpers/log.ts";

let count = 0;

/** A Simulator face for an in-process device: nothing listens, so close only forgets it. */
function start(): Promise<Simulator> {
  const name = `conformance-simulated-${++count}`;
  const device = simulatedDevice(name);
  const close = () => {
    SIMULATED_DEVICES.delete(name);
    return Promise.resolve();
  };
  return Promise.resolve({
    kind: "simulated",
    device,
    address: { hostname: "in-process", port: 0, transport: "tcp" },
    pduConfig: () => ({ driver: "simulated", outlets: device.count }),
    pduHostname: name,
    close,
    [Symbol.asyncDispose]: close,
  });
}

conformance({ name: "simulated", descriptor: findDriver("simulated")!, start, canBeGone: false });

Deno.test("simulated: a driver built on its own device registry switches those devices, not the shared ones", async () => {
  const devices: SimulatedDevices = new Map();
  const driver = simulatedDriver(devices);
  const options = driver.options.parse({ outlets: 2 });
  const pdu = driver.create("own-registry", { options, log: memoryLogger() });
  const signal = new AbortController().signal;
  await pdu.setOutlet(2, "on", { signal });
  assert.equal(devices.get("own-registry")?.get(2), "on");
  assert.equal(await pdu.getOutlet!(2, { signal }), "on");
  assert.equal(SIMULATED_DEVICES.has("own-registry"), false);
  await pdu.close?.();
});
