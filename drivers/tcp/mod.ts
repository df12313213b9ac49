/**
 * The tcp driver family: devices spoken to over raw TCP sockets with their own binary or line
 * protocols (Devantech ETH and dS relay boards, Energenie EG-PMS LAN, TP-Link Kasa plugs). Its
 * descriptors; imports nothing of pdud outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { DEVANTECH_DS_DRIVERS, DEVANTECH_ETH_DRIVERS } from "./devantech.ts";
import { EGPMS } from "./egpms.ts";
import { TPLINK } from "./tplink.ts";

/** Every tcp driver descriptor. */
export const TCP_DRIVERS: readonly AnyDriverDescriptor[] = [
  ...DEVANTECH_ETH_DRIVERS,
  ...DEVANTECH_DS_DRIVERS,
  EGPMS,
  TPLINK,
];

// What the simulators (simulators/tcp/) share with the drivers: one codec for both ends.
export { DS_MODELS, ETH, ETH_MODELS } from "./devantech.ts";
export * from "./_egpms_cipher.ts";
export { decodeKasa, encodeKasa, KASA_MAX_LENGTH, kasaLength } from "./_kasa_codec.ts";
