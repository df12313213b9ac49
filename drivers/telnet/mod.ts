/**
 * The telnet driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { APC8959, APC_MENU_DRIVERS } from "./apc.ts";
import { APC_CLI, APC_TELNET } from "./apc_simulator.ts";

/** Every telnet driver descriptor. */
export const TELNET_DRIVERS: readonly AnyDriverDescriptor[] = [...APC_MENU_DRIVERS, APC8959];

/** Every telnet simulator kind. */
export const TELNET_SIMULATORS: readonly AnySimulatorKind[] = [APC_TELNET, APC_CLI];
