/**
 * The simulator framework: a simulated PDU is a SimulatedDevice (outlets and fault knobs) behind
 * a protocol front end that speaks a real device's protocol on a real socket. Each driver family
 * has its front ends as SimulatorKind descriptors under `simulators/<family>/`; `pdud simulate` and
 * the tests start them. The device itself lives with the in-process `simulated` driver.
 *
 * Imports nothing of pdud but `drivers/` (through its faces).
 * @module
 */
import { z } from "zod";
import { type DeviceOptions, type Fault, FAULTS, SimulatedDevice } from "../drivers/mod.ts";

export {
  type DeviceOptions,
  type Fault,
  FAULTS,
  type Received,
  SimulatedDevice,
  type SimulatedReading,
} from "../drivers/mod.ts";

/** Where a running simulator listens. */
export interface SimulatorAddress {
  /** Always a loopback or configured listen address. */
  hostname: string;
  /** The bound port (never 0 once started). */
  port: number;
  /** The transport the device speaks. */
  transport: "tcp" | "udp";
}

/** A running simulated PDU. */
export interface Simulator extends AsyncDisposable {
  /** The kind it was started as ("tasmota", "snmp"…). */
  readonly kind: string;
  /** Its outlets and knobs. */
  readonly device: SimulatedDevice;
  /** Where it listens. */
  readonly address: SimulatorAddress;
  /**
   * The pdud PDU config (driver name and keys, without the hostname) that drives this
   * simulator; used by `pdud simulate` output, the demo config and tests.
   */
  pduConfig(): Record<string, unknown>;
  /** The hostname pdud should use as the PDU name (usually "127.0.0.1"). */
  readonly pduHostname: string;
  /** Stops listening and closes every connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Options common to every simulator kind, as given in a simulate config. */
export const COMMON_SIMULATOR_OPTIONS = {
  "kind": z.string(),
  "hostname": z.string().default("127.0.0.1"),
  "port": z.number().int().min(0).max(65535).default(0),
  "outlets": z.number().int().min(1).max(4096).default(8),
  "first_outlet": z.number().int().min(0).default(1),
  "initial": z.enum(["on", "off"]).default("off"),
  "latency_ms": z.number().min(0).default(0),
  "fault": z.enum(FAULTS as [Fault, ...Fault[]]).default("none"),
};

/** The common simulator options, parsed. */
export interface CommonSimulatorOptions {
  kind: string;
  hostname: string;
  port: number;
  outlets: number;
  "first_outlet": number;
  initial: "on" | "off";
  "latency_ms": number;
  fault: Fault;
}

/** Describes one simulator front end, as the driver descriptors describe drivers. */
export interface SimulatorKind<O = unknown> {
  /** The `kind` value in a simulate config ("tasmota", "apc-snmp", "apc7952-telnet"…). */
  readonly name: string;
  /** One line for `pdud simulate --help`. */
  readonly summary: string;
  /** The kind's own options (besides the common ones); unknown keys are rejected. */
  readonly options: z.ZodType<O>;
  /** Starts listening; `listen` carries hostname and port (0 = any free port). */
  start(
    device: SimulatedDevice,
    settings: { options: O; hostname: string; port: number },
  ): Promise<Simulator>;
}

/** A kind whose option type is erased, as the registry holds them. */
// deno-lint-ignore no-explicit-any
export type AnySimulatorKind = SimulatorKind<any>;

/** Builds the device a simulate-config entry describes. */
export function deviceFromOptions(name: string, common: CommonSimulatorOptions): SimulatedDevice {
  const options: DeviceOptions = {
    outlets: common.outlets,
    first: common.first_outlet,
    initial: common.initial,
    latencyMs: common.latency_ms,
    fault: common.fault,
  };
  return new SimulatedDevice(name, options);
}

/**
 * One command of a stream front end (a console line, a binary frame) under the device's fault:
 * `ok()` applies the command and gives the answer, `error()` the protocol's error answer,
 * `garbage` the junk the front end sends; "hang" means answer nothing, "hangup" close.
 */
export async function streamFault<T>(
  device: SimulatedDevice,
  ok: () => T,
  error: () => T,
  garbage: T,
): Promise<T | "hang" | "hangup"> {
  const fault = await device.beginOperation();
  try {
    switch (fault) {
      case "drop":
      case "refuse":
        return "hangup";
      case "hang":
        return "hang";
      case "garbage":
        return garbage;
      case "error":
        return error();
      default:
        return ok();
    }
  } finally {
    device.endOperation();
  }
}
