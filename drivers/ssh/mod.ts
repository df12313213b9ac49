/**
 * The ssh driver family: its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { UBNT_DRIVERS } from "./ubiquiti.ts";
import { ACME } from "./acme.ts";

/** Every ssh driver descriptor. */
export const SSH_DRIVERS: readonly AnyDriverDescriptor[] = [...UBNT_DRIVERS, ACME];

// What the simulators (simulators/ssh/) share with the drivers: one codec for both ends.
export { loadSsh2 } from "../_libraries.ts";
export { fingerprint } from "../_transport/ssh.ts";
