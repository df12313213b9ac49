/**
 * Simulator of the Aviosys IP Power 9258 SNMPv1 agent (1.3.6.1.4.1.92.58.2.N.0, 1 on / 0 off,
 * community "public"), on the agent of snmp.ts.
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";

/** `ip9258-snmp`: Aviosys IP Power 9258 (community "public"). */
export const IP9258_SNMP: SimulatorKind<Options> = {
  name: "ip9258-snmp",
  summary: "Aviosys IP Power 9258 SNMP agent (1.3.6.1.4.1.92.58.2.N.0, 1 on / 0 off)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent(
      "ip9258-snmp",
      device,
      { ...settings, options: { ...settings.options, version: "1", community: "public" } },
      {
        template: "1.3.6.1.4.1.92.58.2.*.0",
        on: 1,
        off: 0,
        driver: "ip9258",
        config: (_o, port) => ({ snmpport: port }),
      },
    ),
};
