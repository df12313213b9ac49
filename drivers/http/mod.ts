/**
 * The http driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { BRENNENSTUHL_WSPL01_TASMOTA, SONOFF_S20_TASMOTA, TASMOTA } from "./tasmota.ts";
import { TASMOTA_SIMULATOR } from "./tasmota_simulator.ts";

/** Every http driver descriptor. */
export const HTTP_DRIVERS: readonly AnyDriverDescriptor[] = [
  TASMOTA,
  SONOFF_S20_TASMOTA,
  BRENNENSTUHL_WSPL01_TASMOTA,
];

/** Every http simulator kind. */
export const HTTP_SIMULATORS: readonly AnySimulatorKind[] = [TASMOTA_SIMULATOR];
