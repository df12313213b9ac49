/**
 * `ip9258`: Aviosys IP Power 9258, 1.3.6.1.4.1.92.58.2.N.0 over SNMPv1, 1 on / 0 off, `community`
 * default "public".
 * @module
 */
import { fixedDescriptor } from "./_fixed.ts";

/** `ip9258`. */
export const IP9258 = fixedDescriptor(
  ["ip9258"],
  "Aviosys IP Power 9258 over SNMPv1 (1.3.6.1.4.1.92.58.2.N.0)",
  "IP Power 9258",
  "public",
  "1.3.6.1.4.1.92.58.2.*.0",
  1,
  0,
);
