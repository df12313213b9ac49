/**
 * Simulator of a PoE switch's SNMP agent, POWER-ETHERNET-MIB (RFC 3621): pethPsePortTable for
 * port group 1, indexed pethPsePortGroupIndex.pethPsePortIndex, with pethPsePortAdminEnable
 * true(1)/false(2) (switched and read back) and pethPsePortDetectionStatus deliveringPower(3)
 * or disabled(1) by it. Driven by the named preset (`mib: POWER-ETHERNET-MIB`, `controlpoint:
 * pethPsePortAdminEnable`), where the generic `snmp` kind takes an OID template. OIDs from the
 * RFC's MIB (snmptranslate -On).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";
import { outletRows, registerTables, stateOf } from "./_tables.ts";

const PORT_ENTRY = "1.3.6.1.2.1.105.1.1.1";
const GROUP = 1;

/** `poe-snmp`: a PoE switch's ports (POWER-ETHERNET-MIB). */
export const POE_SNMP: SimulatorKind<Options> = {
  name: "poe-snmp",
  summary: "PoE switch SNMP agent (POWER-ETHERNET-MIB: pethPsePortAdminEnable, " +
    "pethPsePortDetectionStatus, port group 1)",
  options: OPTIONS,
  start: (device, settings) =>
    startAgent("poe-snmp", device, settings, {
      on: 1,
      off: 2,
      tables: (context) =>
        registerTables(context, [{
          name: "pethPsePortEntry",
          entry: PORT_ENTRY,
          indexArcs: 2,
          rows: outletRows([GROUP]),
          columns: [
            {
              number: 3, // pethPsePortAdminEnable
              type: "Integer",
              read: (r) => device.get(r.outlet) === "on" ? 1 : 2,
              write: {
                accepts: (value) => value === 1 || value === 2,
                apply: (r, value) => device.set(r.outlet, value === 1 ? "on" : "off"),
              },
            },
            stateOf(device, 6, { on: 3, off: 1 }), // pethPsePortDetectionStatus
          ],
        }]),
      config: (_o, port) => ({
        mib: "POWER-ETHERNET-MIB",
        controlpoint: "pethPsePortAdminEnable",
        snmpport: port,
      }),
    }),
};
