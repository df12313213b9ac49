/**
 * The tcp driver family: devices spoken to over raw TCP sockets with their own binary or line
 * protocols (Devantech ETH and dS relay boards, Energenie EG-PMS LAN, TP-Link Kasa plugs). Its
 * descriptors and simulator kinds; imports nothing of pdud outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { DEVANTECH_DS_DRIVERS, DEVANTECH_ETH_DRIVERS } from "./devantech.ts";
import { DEVANTECH_DS, DEVANTECH_ETH } from "./devantech_simulator.ts";
import { EGPMS } from "./egpms.ts";
import { EGPMS_SIMULATOR } from "./egpms_simulator.ts";
import { TPLINK } from "./tplink.ts";
import { KASA_SIMULATOR } from "./tplink_simulator.ts";

/** Every tcp driver descriptor. */
export const TCP_DRIVERS: readonly AnyDriverDescriptor[] = [
  ...DEVANTECH_ETH_DRIVERS,
  ...DEVANTECH_DS_DRIVERS,
  EGPMS,
  TPLINK,
];

/** Every tcp simulator kind. */
export const TCP_SIMULATORS: readonly AnySimulatorKind[] = [
  DEVANTECH_ETH,
  DEVANTECH_DS,
  EGPMS_SIMULATOR,
  KASA_SIMULATOR,
];
