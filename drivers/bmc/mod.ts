/**
 * The bmc driver family: server power through a server's baseboard management controller, the
 * system being the outlet — IPMI chassis control (through ipmitool) and Redfish's
 * ComputerSystem.Reset. Imports nothing of pdud outside `drivers/`.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { IPMI } from "./ipmi.ts";
import { REDFISH } from "./redfish.ts";

/** Every bmc driver descriptor. */
export const BMC_DRIVERS: readonly AnyDriverDescriptor[] = [IPMI, REDFISH];

// What the Redfish simulator (simulators/bmc/) shares with the driver.
export { REDFISH_RESET_TYPES, type RedfishResetType } from "./redfish.ts";
