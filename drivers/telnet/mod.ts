/**
 * The telnet driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { APC8959, APC_MENU_DRIVERS } from "./apc.ts";
import { APC_CLI, APC_TELNET } from "./apc_simulator.ts";
import { GUDE1202, NETIO4, SYNNETBOOTER } from "./line_devices.ts";
import { GUDE_TELNET, NETIO_KSHELL, SYNACCESS_TELNET } from "./line_simulators.ts";

/** Every telnet driver descriptor. */
export const TELNET_DRIVERS: readonly AnyDriverDescriptor[] = [
  ...APC_MENU_DRIVERS,
  APC8959,
  NETIO4,
  GUDE1202,
  SYNNETBOOTER,
];

/** Every telnet simulator kind. */
export const TELNET_SIMULATORS: readonly AnySimulatorKind[] = [
  APC_TELNET,
  APC_CLI,
  NETIO_KSHELL,
  GUDE_TELNET,
  SYNACCESS_TELNET,
];
