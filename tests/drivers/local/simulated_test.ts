/**
 * The local family's in-process `simulated` driver (the demo's and the actor tests' PDU)
 * through the shared conformance suite: the same faults as every networked driver.
 */
import { findDriver, simulatedDevice } from "../../../drivers/mod.ts";
import { type Simulator } from "../../../simulators/mod.ts";
import { SIMULATED_DEVICES } from "../../../drivers/mod.ts";
import { conformance } from "../../_helpers/conformance.ts";

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
