/**
 * What the fixed-OID SNMPv1 PDUs of this family share (CyberPower, IP Power 9258): upstream
 * shells out to `snmpset` for them; here they are native SNMPv1 SETs on the device's OID, with
 * `community` (the model's default) and pdud's `snmpport` (161). Status: GET of the same OID; all
 * outlets: a walk of it.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { SnmpClient } from "./client.ts";
import { templateIndex } from "./presets.ts";
import { listOutletsOf, stateOf } from "./_readings.ts";

const FIXED = z.object({
  "community": z.string().min(1).optional(),
  "snmpport": portNumber(161),
}).strict();
type FixedOptions = z.infer<typeof FIXED>;

export function fixedDescriptor(
  names: string[],
  summary: string,
  model: string,
  community: string,
  /** The outlet's OID with `*` for the outlet. */
  template: string,
  on: number,
  off: number,
): DriverDescriptor<FixedOptions> {
  return {
    names,
    summary,
    options: FIXED,
    create(hostname, { options, clock }) {
      const star = template.indexOf("*");
      const column = template.slice(0, star).replace(/\.$/, "");
      const index = templateIndex(template.slice(star));
      const oid = (outlet: number) => column + index.of(outlet);
      const device = `${model} at ${hostname}:${options.snmpport}`;
      const client = new SnmpClient({
        host: hostname,
        port: options.snmpport,
        version: "1",
        community: options.community ?? community,
        device,
      }, clock);
      return {
        async setOutlet(outlet, state, { signal }) {
          await client.setInteger(oid(outlet), state === "on" ? on : off, signal);
        },
        async getOutlet(outlet, { signal }) {
          return stateOf(
            await client.getInteger(oid(outlet), signal),
            on,
            off,
            device,
            oid(outlet),
          );
        },
        listOutlets: ({ signal }) =>
          listOutletsOf(client, { index, state: { column, on, off } }, device, signal),
        close: () => client.close(),
      };
    },
  };
}
