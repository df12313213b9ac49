/**
 * Every driver and simulator pdud has, in static arrays (no discovery, no import side effects),
 * and lookups by upstream name. `drivers/` imports nothing of pdud outside itself.
 * @module
 */
import type { AnyDriverDescriptor } from "./driver.ts";
import type { AnySimulatorKind } from "./simulator/mod.ts";
import { LOCAL_DRIVERS, LOCAL_SIMULATORS } from "./local/mod.ts";
import { SNMP_DRIVERS, SNMP_SIMULATORS } from "./snmp/mod.ts";
import { TELNET_DRIVERS, TELNET_SIMULATORS } from "./telnet/mod.ts";
import { SSH_DRIVERS, SSH_SIMULATORS } from "./ssh/mod.ts";
import { HTTP_DRIVERS, HTTP_SIMULATORS } from "./http/mod.ts";
import { TCP_DRIVERS, TCP_SIMULATORS } from "./tcp/mod.ts";
import { MODBUS_DRIVERS, MODBUS_SIMULATORS } from "./modbus/mod.ts";
import { XMLRPC_DRIVERS, XMLRPC_SIMULATORS } from "./xmlrpc/mod.ts";
import { USB_DRIVERS, USB_SIMULATORS } from "./usb/mod.ts";

export type {
  AnyDriverDescriptor,
  Driver,
  DriverDescriptor,
  DriverSettings,
  Logger,
  OperationOptions,
  OutletState,
} from "./driver.ts";
export { DriverError, type DriverErrorKind, type DriverErrorOptions, printable } from "./errors.ts";
export {
  REDACTED,
  scrubbedDriver,
  scrubbedLogger,
  scrubError,
  scrubList,
  scrubText,
} from "./scrub.ts";
export * from "./simulator/mod.ts";
export { SIMULATED_DEVICES, simulatedDevice } from "./local/simulated.ts";

/** Every driver descriptor, grouped by family. */
export const DRIVERS: readonly AnyDriverDescriptor[] = [
  ...LOCAL_DRIVERS,
  ...SNMP_DRIVERS,
  ...TELNET_DRIVERS,
  ...SSH_DRIVERS,
  ...HTTP_DRIVERS,
  ...TCP_DRIVERS,
  ...MODBUS_DRIVERS,
  ...XMLRPC_DRIVERS,
  ...USB_DRIVERS,
];

/** Every simulator kind, for `pdud simulate`. */
export const SIMULATORS: readonly AnySimulatorKind[] = [
  ...LOCAL_SIMULATORS,
  ...SNMP_SIMULATORS,
  ...TELNET_SIMULATORS,
  ...SSH_SIMULATORS,
  ...HTTP_SIMULATORS,
  ...TCP_SIMULATORS,
  ...MODBUS_SIMULATORS,
  ...XMLRPC_SIMULATORS,
  ...USB_SIMULATORS,
];

const BY_NAME = new Map<string, AnyDriverDescriptor>();
for (const d of DRIVERS) for (const n of d.names) BY_NAME.set(n, d);

/** The descriptor registered under an upstream driver name, or undefined. */
export function findDriver(name: string): AnyDriverDescriptor | undefined {
  return BY_NAME.get(name);
}

/** Every registered driver name, sorted. */
export function driverNames(): string[] {
  return [...BY_NAME.keys()].sort((a, b) => a.localeCompare(b));
}

/** The simulator kind with this name, or undefined. */
export function findSimulator(name: string): AnySimulatorKind | undefined {
  return SIMULATORS.find((s) => s.name === name);
}
