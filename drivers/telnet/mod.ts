/**
 * The telnet driver family: its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { APC8959, APC_MENU_DRIVERS } from "./apc.ts";
import { NETIO4 } from "./netio.ts";
import { GUDE1202 } from "./gude.ts";
import { SYNNETBOOTER } from "./synaccess.ts";

/** Every telnet driver descriptor. */
export const TELNET_DRIVERS: readonly AnyDriverDescriptor[] = [
  ...APC_MENU_DRIVERS,
  APC8959,
  NETIO4,
  GUDE1202,
  SYNNETBOOTER,
];
