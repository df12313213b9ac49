/**
 * simulated: an in-process PDU (no socket), used by the demo config, the actor tests and the
 * benchmarks. Its outlets live in a SimulatedDevice that outlives driver incarnations, found
 * by PDU name in the device registry the driver is built with, so a restarted actor sees the
 * same device, as it would see real hardware. The registered driver uses `SIMULATED_DEVICES`;
 * `simulatedDriver()` builds one on any other registry. It reads power (the device's loads,
 * `SimulatedDevice.setLoad`) and lists every outlet in one operation. Neither needs a simulator module: the
 * device is `./device.ts`, and the protocol simulators under `simulators/` only reuse it.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type Fault, FAULTS, SimulatedDevice } from "./device.ts";

/** The simulated driver's keys. */
export interface SimulatedOptions {
  outlets: number;
  "first_outlet": number;
  "latency_ms": number;
  fault: Fault;
}

/** In-process simulated devices by PDU name: what a simulated driver is built with. */
export type SimulatedDevices = Map<string, SimulatedDevice>;

/** The devices of the registered `simulated` driver (the demo config's, the tests'). */
export const SIMULATED_DEVICES: SimulatedDevices = new Map();

/**
 * The in-process device behind the simulated PDU `name` in `devices`, created on first use;
 * `options` (when given) set its latency and fault.
 */
export function simulatedDevice(
  name: string,
  options?: SimulatedOptions,
  devices: SimulatedDevices = SIMULATED_DEVICES,
): SimulatedDevice {
  let device = devices.get(name);
  if (device === undefined) {
    device = new SimulatedDevice(name, {
      outlets: options?.outlets ?? 8,
      first: options?.first_outlet ?? 1,
    });
    devices.set(name, device);
  }
  if (options !== undefined) {
    device.latencyMs = options.latency_ms;
    device.fault = options.fault;
  }
  return device;
}

/** A `simulated` driver whose PDUs are the devices of `devices`, by PDU name. */
export function simulatedDriver(devices: SimulatedDevices): DriverDescriptor<SimulatedOptions> {
  return {
    names: ["simulated"],
    summary: "an in-process simulated PDU (demo, tests, benchmarks)",
    options: z.object({
      "outlets": z.number().int().min(1).max(4096).default(8),
      "first_outlet": z.number().int().min(0).default(1),
      "latency_ms": z.number().min(0).default(0),
      "fault": z.enum(FAULTS as [Fault, ...Fault[]]).default("none"),
    }).strict(),
    outletRange: (o) => ({ min: o.first_outlet, max: o.first_outlet + o.outlets - 1 }),
    create(hostname, { options }) {
      const device = simulatedDevice(hostname, options, devices);
      async function operate<T>(signal: AbortSignal, action: () => T): Promise<T> {
        const fault = await device.beginOperation(signal);
        try {
          if (signal.aborted) {
            throw new DriverError("timeout", "operation aborted", { aborted: true });
          }
          switch (fault) {
            case "none":
              return action();
            case "refuse":
              throw new DriverError(
                "unreachable",
                `simulated PDU "${hostname}" refused to connect`,
              );
            case "error":
            case "flap":
              throw new DriverError("device", `simulated PDU "${hostname}" answered an error`);
            case "drop":
              throw new DriverError(
                "protocol",
                `simulated PDU "${hostname}" dropped the connection`,
              );
            case "garbage":
              throw new DriverError("protocol", `simulated PDU "${hostname}" answered garbage`);
            case "hang":
              return await new Promise<T>((_, reject) => {
                const abort = () =>
                  reject(new DriverError("timeout", "operation aborted", { aborted: true }));
                if (signal.aborted) abort();
                else signal.addEventListener("abort", abort, { once: true });
              });
          }
        } finally {
          device.endOperation();
        }
      }
      return {
        setOutlet(outlet: number, state: OutletState, { signal }) {
          return operate(signal, () => {
            device.record(`set ${outlet} ${state}`);
            device.set(outlet, state);
          });
        },
        getOutlet(outlet: number, { signal }) {
          return operate(signal, () => device.get(outlet));
        },
        readPower(outlet: number, { signal }) {
          return operate(signal, () => device.reading(outlet));
        },
        listOutlets({ signal }) {
          return operate(
            signal,
            () =>
              device.outlets().map((outlet) => ({
                outlet,
                state: device.get(outlet),
                power: device.reading(outlet),
              })),
          );
        },
        async close() {},
      };
    },
  };
}

/** pdud's `simulated` driver, on `SIMULATED_DEVICES`. */
export const SIMULATED: DriverDescriptor<SimulatedOptions> = simulatedDriver(SIMULATED_DEVICES);
