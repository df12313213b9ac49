/**
 * Simulator of a ServerTech Sentry CDU's SNMP agent (Sentry3-MIB): tower 1's outletTable,
 * indexed towerIndex.infeedIndex.outletIndex, its outlets spread over infeeds A, B … of
 * `outlets_per_infeed` each (outlet 9 of 8 per infeed is 1.2.1, outletID "AB1"): outletName,
 * outletStatus off(0) on(1) (the state), outletControlState off(4) on(5), and
 * outletControlAction, written on(1) off(2) reboot(3) and read none(0). OIDs from the MIB
 * (snmptranslate -On).
 * @module
 */
import type { SimulatorKind } from "../kind.ts";
import { OPTIONS, type Options, startAgent } from "./snmp.ts";
import { registerTables, stateOf, text } from "./_tables.ts";

const OUTLET_ENTRY = "1.3.6.1.4.1.1718.3.2.3.1";
const TOWER = 1;

/** `sentry3-snmp`: a ServerTech Sentry CDU (Sentry3-MIB). */
export const SENTRY3_SNMP: SimulatorKind<Options> = {
  name: "sentry3-snmp",
  summary: "ServerTech Sentry CDU SNMP agent (Sentry3-MIB: outletControlAction, outletStatus, " +
    "outletName; tower.infeed.outlet, `outlets_per_infeed`)",
  options: OPTIONS,
  start: (device, settings) => {
    const perInfeed = settings.options.outlets_per_infeed;
    const place = (outlet: number) => ({
      infeed: Math.floor((outlet - 1) / perInfeed) + 1,
      number: ((outlet - 1) % perInfeed) + 1,
    });
    return startAgent("sentry3-snmp", device, settings, {
      on: 1,
      off: 0,
      sysObjectID: "1.3.6.1.4.1.1718.3",
      tables: (context) =>
        registerTables(context, [{
          name: "outletEntry",
          entry: OUTLET_ENTRY,
          indexArcs: 3,
          rows: (d) =>
            d.outlets().map((outlet) => {
              const { infeed, number } = place(outlet);
              return { outlet, index: [TOWER, infeed, number] };
            }),
          columns: [
            text(2, (r) => {
              // outletID: tower letter, infeed letter, outlet number ("AB1").
              const { infeed, number } = place(r.outlet);
              return `A${String.fromCharCode(64 + infeed)}${number}`;
            }),
            text(3, (r) => `Outlet ${r.outlet}`), // outletName
            stateOf(device, 5, { on: 1, off: 0 }), // outletStatus
            stateOf(device, 10, { on: 5, off: 4 }), // outletControlState
            {
              number: 11, // outletControlAction
              type: "Integer",
              read: () => 0,
              write: {
                accepts: (value) => value === 1 || value === 2 || value === 3,
                apply(r, value) {
                  if (value === 3) {
                    // reboot: off, then on again (the reboot delay is not simulated).
                    device.set(r.outlet, "off");
                    device.set(r.outlet, "on");
                  } else device.set(r.outlet, value === 1 ? "on" : "off");
                },
              },
            },
          ],
        }]),
      config: (o, port) => ({
        mib: "Sentry3-MIB",
        controlpoint: "outletControlAction",
        "outlets_per_infeed": o.outlets_per_infeed,
        snmpport: port,
      }),
    });
  },
};
