/**
 * The local family: drivers that need no network — a shell command, and the in-process
 * simulated PDU.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { LOCALCMDLINE } from "./localcmdline.ts";
import { SIMULATED } from "./simulated.ts";

/** Every local driver descriptor. */
export const LOCAL_DRIVERS: readonly AnyDriverDescriptor[] = [LOCALCMDLINE, SIMULATED];
