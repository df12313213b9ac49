/**
 * The bmc driver family: server power through a server's baseboard management controller, the
 * system being the outlet — IPMI chassis control (through ipmitool) and Redfish's
 * ComputerSystem.Reset. Imports nothing of pdud outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { IPMI } from "./ipmi.ts";

/** Every bmc driver descriptor. */
export const BMC_DRIVERS: readonly AnyDriverDescriptor[] = [IPMI];
