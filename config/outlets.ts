/** Outlet lists as people write them: "3", "1-4,7"; single outlets by number or name. */
import { OUTLET_NAME, OUTLET_NAME_RULE, type OutletId } from "../drivers/mod.ts";

/** Expands "1-4,7" into [1, 2, 3, 4, 7]; undefined when malformed or longer than `max`. */
export function parseOutletList(spec: string, max = 1024): number[] | undefined {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > 65535 || out.length + (to - from + 1) > max) return undefined;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** The reason a port word is neither an outlet number nor an outlet name. */
export const OUTLET_EXPECTED =
  `expected an outlet number (an integer 0-65535) or an outlet name (${OUTLET_NAME_RULE})`;

/**
 * A port as written by a client or a config: digits are an outlet number ("05" is 5), anything
 * else must be an outlet name (OUTLET_NAME); the reason otherwise.
 */
export function parseOutlet(text: string): { outlet: OutletId } | { reason: string } {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return text.length <= 5 && n <= 65535
      ? { outlet: n }
      : { reason: "expected an outlet number, an integer 0-65535" };
  }
  return OUTLET_NAME.test(text) ? { outlet: text } : { reason: OUTLET_EXPECTED };
}
