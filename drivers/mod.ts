/**
 * Every driver pdud has, in static arrays (no discovery, no import side effects),
 * and lookups by upstream name. `drivers/` imports nothing of pdud outside itself.
 * @module
 */
import type { AnyDriverDescriptor } from "./driver.ts";
import { LOCAL_DRIVERS } from "./local/mod.ts";
import { SNMP_DRIVERS } from "./snmp/mod.ts";
import { TELNET_DRIVERS } from "./telnet/mod.ts";
import { SSH_DRIVERS } from "./ssh/mod.ts";
import { HTTP_DRIVERS } from "./http/mod.ts";
import { TCP_DRIVERS } from "./tcp/mod.ts";
import { MODBUS_DRIVERS } from "./modbus/mod.ts";
import { XMLRPC_DRIVERS } from "./xmlrpc/mod.ts";
import { USB_DRIVERS } from "./usb/mod.ts";
import { BMC_DRIVERS } from "./bmc/mod.ts";

export type {
  AnyDriverDescriptor,
  Driver,
  DriverClock,
  DriverDescriptor,
  DriverSettings,
  Logger,
  OperationOptions,
  OutletId,
  OutletState,
  OutletStatus,
  PowerReading,
} from "./driver.ts";
export { OUTLET_NAME, OUTLET_NAME_RULE } from "./driver.ts";
export { SYSTEM_DRIVER_CLOCK } from "./driver.ts";
export { DriverError, type DriverErrorKind, type DriverErrorOptions, printable } from "./errors.ts";
export {
  REDACTED,
  scrubbedDriver,
  scrubbedLogger,
  scrubError,
  scrubList,
  scrubText,
} from "./scrub.ts";
export { wrapDriver } from "./wrap.ts";
export { FILE_PATH, PATH_KEYS, type PathKind, PROGRAM } from "./_options.ts";
export {
  type DeviceOptions,
  type Fault,
  FAULTS,
  type Received,
  SimulatedDevice,
  type SimulatedReading,
} from "./local/device.ts";
export { PLUGIN_HOST, pluginDescriptors, type PluginHost } from "./plugins.ts";
export {
  SIMULATED_DEVICES,
  simulatedDevice,
  type SimulatedDevices,
  simulatedDriver,
} from "./local/simulated.ts";

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
  ...BMC_DRIVERS,
];

const BY_NAME = new Map<string, AnyDriverDescriptor>();
for (const d of DRIVERS) for (const n of d.names) BY_NAME.set(n, d);

/**
 * Names upstream matches in any letter case, keyed by their lower-case form: its APC9218 driver
 * compares `drivername.lower()` with its four model names, and its Cleware drivers compare
 * `drivername.lower()` with their class name. Every other upstream `accepts()` compares the
 * string exactly (YKUSH and SERVO with the upper-case class name, modbustcp with the lower-case
 * one), so those stay exact here too: a config upstream refuses is refused.
 */
const ANY_CASE = new Map<string, string>(
  ["apc9218", "ap9218", "apc9606", "ap9606", "ClewareUsbSwitch4", "ClewareUsbSwitch8"]
    .map((n) => [n.toLowerCase(), n]),
);

/**
 * Names upstream's `accepts()` takes but whose class is an abstract base with no outlets
 * (`port_count = 0`): every request to such a PDU fails there. pdud refuses the config instead,
 * pointing at the driver meant.
 */
const UPSTREAM_ABSTRACT: ReadonlyMap<string, string> = new Map([
  ["clewarebase", "ClewareUsbSwitch4 or ClewareUsbSwitch8"],
  ["clewareswitch1base", "ClewareUsbSwitch4"],
  ["clewarecontact00base", "ClewareUsbSwitch8"],
  ["YKUSHBASE", "YKUSH, YKUSHXS or YKUSH3"],
]);

/**
 * The registered name a config's driver name stands for, matched as upstream's `accepts()`
 * matches it; undefined when no driver takes it.
 */
export function canonicalDriverName(name: string): string | undefined {
  if (BY_NAME.has(name)) return name;
  return ANY_CASE.get(name.toLowerCase());
}

/**
 * For a name upstream accepts only as an abstract base class, the driver(s) meant instead;
 * undefined for every other name.
 */
export function abstractUpstreamDriver(name: string): string | undefined {
  return UPSTREAM_ABSTRACT.get(name) ?? UPSTREAM_ABSTRACT.get(name.toLowerCase()) ??
    undefined;
}

/** The descriptor registered under an upstream driver name (matched as upstream), or undefined. */
export function findDriver(name: string): AnyDriverDescriptor | undefined {
  const canonical = canonicalDriverName(name);
  return canonical === undefined ? undefined : BY_NAME.get(canonical);
}

/** Every registered driver name, sorted. */
export function driverNames(): string[] {
  return [...BY_NAME.keys()].sort((a, b) => a.localeCompare(b));
}

/**
 * Whether a plugin may register `name`: not when it is, in any letter case, a built-in name or an
 * upstream base-class name (a plugin never replaces a built-in driver, and two names differing only
 * in case would read as one). Returns the built-in name it clashes with, or undefined.
 */
export function builtinNameClash(name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const n of BY_NAME.keys()) if (n.toLowerCase() === lower) return n;
  for (const n of UPSTREAM_ABSTRACT.keys()) if (n.toLowerCase() === lower) return n;
  return undefined;
}

/**
 * A lookup by driver name over the built-in drivers, then `plugins` (matched exactly): what the
 * supervisor and the config loader use when a config loads out-of-tree drivers.
 */
export function driverLookup(
  plugins: readonly AnyDriverDescriptor[],
): (name: string) => AnyDriverDescriptor | undefined {
  if (plugins.length === 0) return findDriver;
  const byName = new Map<string, AnyDriverDescriptor>();
  for (const d of plugins) for (const n of d.names) byName.set(n, d);
  return (name) => findDriver(name) ?? byName.get(name);
}
