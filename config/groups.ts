/**
 * Named groups of outlets, from both spellings: pdud's `groups` section (one PDU, outlets as
 * "1-4,7") and upstream's alias key `group` (pdudaemon PR #169: every alias tagged with the same
 * group name, across PDUs). One list per name, in order.
 * @module
 */
import type { OutletId } from "../drivers/mod.ts";
import type { Config } from "./schema.ts";
import { parseOutletList } from "./outlets.ts";

/** One outlet of a group; `alias` when it came from an alias's `group` key. */
export interface GroupMember {
  pdu: string;
  outlet: OutletId;
  alias?: string;
}

/**
 * Every group with its outlets in order: a `groups` entry's outlets first, then the aliases
 * naming that group in the order the config lists them (upstream's order).
 */
export function configGroups(
  config: Pick<Config, "aliases" | "groups">,
): Map<string, GroupMember[]> {
  const groups = new Map<string, GroupMember[]>();
  const members = (name: string) => {
    let list = groups.get(name);
    if (list === undefined) groups.set(name, list = []);
    return list;
  };
  for (const [name, g] of Object.entries(config.groups)) {
    const list = members(name);
    for (const outlet of parseOutletList(g.ports) ?? []) list.push({ pdu: g.hostname, outlet });
  }
  for (const [alias, a] of Object.entries(config.aliases)) {
    if (a.group !== undefined) members(a.group).push({ pdu: a.hostname, outlet: a.port, alias });
  }
  return groups;
}
