/**
 * The ssh driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { ACME, UBNT_DRIVERS } from "./devices.ts";
import { ACME_SSH, UBNT_MFI } from "./simulator.ts";

/** Every ssh driver descriptor. */
export const SSH_DRIVERS: readonly AnyDriverDescriptor[] = [...UBNT_DRIVERS, ACME];

/** Every ssh simulator kind. */
export const SSH_SIMULATORS: readonly AnySimulatorKind[] = [UBNT_MFI, ACME_SSH];
