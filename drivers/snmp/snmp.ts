/**
 * SNMP-managed PDUs. `snmpv1`, `snmpv3` (upstream's) and `snmpv2c` (new): an integer SET on the
 * outlet's control OID, with upstream's keys — `community`; `username`, `authpassphrase`,
 * `privpassphrase`, `auth_protocol`, `priv_protocol` (pysnmp's names such as
 * `usmHMACSHAAuthProtocol`, `usmAesCfb128Protocol`); the OID either as `oid` with `*` for the
 * outlet, or as `mib` + `controlpoint` (APC PowerNet-MIB names; with `inside_number` the `*` in
 * `controlpoint` takes the outlet and `static_ending` is appended); `onsetting`, `offsetting`.
 * Upstream resolves MIB names by downloading MIB files at run time; pdud carries the names PDUs
 * use (table below) so nothing is fetched. New key `snmpport` (default 161, upstream's fixed port).
 *
 * Status: GET of the same OID — APC agents answer the outlet's state there with the on/off
 * values. The fixed-OID SNMPv1 PDUs are in cyberpower.ts and ip9258.ts.
 * @module
 */
import { z } from "zod";
import { FILE_PATH, portNumber } from "../_options.ts";
import type { Driver, DriverDescriptor, OutletState } from "../driver.ts";
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, SnmpClient, type SnmpTarget } from "./client.ts";
import { defaultMibDirs, mibSymbolProblem, resolveMibSymbol } from "./mibs.ts";
import {
  BEHAVIOUR,
  MIB_OBJECTS,
  type MibBehaviour,
  type OutletIndex,
  type PowerColumn,
  sentryIndex,
  templateIndex,
} from "./presets.ts";
import { listOutletsOf, readPowerOf, stateOf } from "./_readings.ts";

export { MIB_OBJECTS } from "./presets.ts";
export { stateOf } from "./_readings.ts";

const integer = z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number)]).pipe(
  z.number().int(),
);
const protocolName = (table: Record<string, string>, what: string) =>
  z.string().refine((v) => v in table, {
    message: `unknown ${what}; expected one of ${Object.keys(table).join(", ")}`,
  });

const GENERIC = z.object({
  "community": z.string().min(1).optional(),
  "username": z.string().min(1).optional(),
  "authpassphrase": z.string().min(8, "SNMPv3 passphrases have at least 8 characters").optional(),
  "privpassphrase": z.string().min(8, "SNMPv3 passphrases have at least 8 characters").optional(),
  "auth_protocol": protocolName(AUTH_PROTOCOLS, "auth_protocol").optional(),
  "priv_protocol": protocolName(PRIV_PROTOCOLS, "priv_protocol").optional(),
  "oid": z.string().regex(/^\.?\d+(\.(\d+|\*))*$/, "expected a numeric OID with * for the outlet")
    .optional(),
  "mib": z.string().optional(),
  "controlpoint": z.string().optional(),
  "inside_number": z.union([z.boolean(), z.string(), z.number()]).optional(),
  "static_ending": integer.optional(),
  "onsetting": integer.optional(),
  "offsetting": integer.optional(),
  "snmpport": portNumber(161),
  /** Folders of MIB files for `mib` + `controlpoint` names pdud's table does not carry. */
  "mib_dirs": z.array(FILE_PATH).min(1).optional(),
  /** Sentry3-MIB: outlets numbered through the tower's infeeds, this many to each. */
  "outlets_per_infeed": z.number().int().min(1).max(128).optional(),
}).strict().superRefine((o, ctx) => {
  if (o.outlets_per_infeed !== undefined && o.mib !== "Sentry3-MIB") {
    ctx.addIssue({
      code: "custom",
      path: ["outlets_per_infeed"],
      message: "outlets_per_infeed numbers Sentry3-MIB outlets (tower.infeed.outlet); " +
        "it needs mib: Sentry3-MIB",
    });
  }
  if (o.oid === undefined && (o.mib === undefined || o.controlpoint === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: "expected `oid` (with * for the outlet) or `mib` and `controlpoint`",
    });
  } else if (o.oid === undefined && baseOf(o.mib!, o.controlpoint!) === undefined) {
    const problem = mibSymbolProblem(o.mib!, symbolOf(o.controlpoint!), mibDirs(o));
    if (problem !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["controlpoint"],
        message: `unknown ${o.mib}::${o.controlpoint}; pdud knows ${
          Object.entries(MIB_OBJECTS).flatMap(([m, names]) =>
            Object.keys(names).map((n) => `${m}::${n}`)
          ).join(", ")
        } — or give the numeric \`oid\`, or put the MIB file in mib_dirs (${problem})`,
      });
    }
  }
}).transform((o, ctx) => {
  // Only a name outside the table reaches net-snmp (and makes this parse asynchronous).
  if (o.oid !== undefined || baseOf(o.mib!, o.controlpoint!) !== undefined) return o;
  return resolveMibSymbol(o.mib!, symbolOf(o.controlpoint!), mibDirs(o)).then(
    (resolved) => ({ ...o, resolved }),
    (error: Error) => {
      ctx.addIssue({ code: "custom", path: ["controlpoint"], message: error.message, input: o });
      return z.NEVER;
    },
  );
});
type GenericOptions = z.output<typeof GENERIC> & { resolved?: string };

function symbolOf(controlpoint: string): string {
  return controlpoint.split(".")[0]!.replace("*", "");
}

function mibDirs(o: { "mib_dirs"?: string[] | undefined }): string[] {
  return o.mib_dirs ?? defaultMibDirs();
}

function baseOf(mib: string, controlpoint: string): string | undefined {
  return MIB_OBJECTS[mib]?.[symbolOf(controlpoint)];
}

/** The behaviour of the configured object, when pdud's table has one. */
function behaviourOf(o: GenericOptions): MibBehaviour | undefined {
  return o.oid === undefined ? BEHAVIOUR[`${o.mib}::${symbolOf(o.controlpoint!)}`] : undefined;
}

/** The object's column: the `oid` before its `*` arc, or the MIB object's OID. */
function columnOf(o: GenericOptions): string {
  if (o.oid !== undefined) {
    const oid = o.oid.replace(/^\./, "");
    const star = oid.indexOf("*");
    return star < 0 ? oid : oid.slice(0, star).replace(/\.$/, "");
  }
  return baseOf(o.mib!, o.controlpoint!) ?? o.resolved!;
}

/**
 * How the outlet becomes the index after the column: the `oid`'s template; `controlpoint`'s own
 * indices with `*` = outlet (`inside_number`, `static_ending` appended, as upstream does); the
 * Sentry3 tower.infeed.outlet numbering; the preset's first unit; or the outlet alone.
 */
function indexOf(o: GenericOptions): OutletIndex {
  if (o.oid !== undefined) {
    const oid = o.oid.replace(/^\./, "");
    const star = oid.indexOf("*");
    return templateIndex(star < 0 ? "" : oid.slice(star));
  }
  const indices = o.controlpoint!.split(".").slice(1);
  if (o.outlets_per_infeed !== undefined) {
    return sentryIndex(Number(indices[0]) || 1, o.outlets_per_infeed);
  }
  if (o.inside_number) {
    const end = o.static_ending === undefined ? [] : [String(o.static_ending)];
    return templateIndex([...(indices.length > 0 ? indices : ["*"]), ...end].join("."));
  }
  const unit = behaviourOf(o)?.unit;
  return templateIndex(unit === undefined ? "*" : `${unit}.*`);
}

/** The outlet's control OID from the options, as upstream builds it. */
export function outletOid(o: GenericOptions, outlet: number): string {
  return `${columnOf(o)}${indexOf(o).of(outlet)}`;
}

/** Everything about an outlet table that does not depend on the outlet. */
export interface TablePlan {
  index: OutletIndex;
  set: Record<OutletState, { column: string; value: number }>;
  state: { column: string; on: number; off: number };
  name?: string | undefined;
  power?: PowerColumn[] | undefined;
}

/** The table the options describe: columns, values and indexing, from pdud's table and keys. */
export function tablePlan(o: GenericOptions): TablePlan {
  const behaviour = behaviourOf(o);
  const on = o.onsetting ?? behaviour?.on ?? 1;
  const off = o.offsetting ?? behaviour?.off ?? 2;
  const control = columnOf(o);
  return {
    index: indexOf(o),
    set: {
      on: { column: behaviour?.pair?.on ?? control, value: on },
      off: { column: behaviour?.pair?.off ?? control, value: off },
    },
    state: behaviour?.state
      ? { column: behaviour.state.oid, on: behaviour.state.on, off: behaviour.state.off }
      : { column: control, on, off },
    name: behaviour?.name,
    power: behaviour?.power,
  };
}

/** What one switch and one read of `outlet` are: the OIDs and values, from table and options. */
export function outletPlan(o: GenericOptions, outlet: number): {
  set: Record<OutletState, { oid: string; value: number }>;
  get: { oid: string; on: number; off: number };
} {
  const plan = tablePlan(o);
  const index = plan.index.of(outlet);
  return {
    set: {
      on: { oid: plan.set.on.column + index, value: plan.set.on.value },
      off: { oid: plan.set.off.column + index, value: plan.set.off.value },
    },
    get: { oid: plan.state.column + index, on: plan.state.on, off: plan.state.off },
  };
}

function genericDescriptor(
  name: "snmpv1" | "snmpv2c" | "snmpv3",
  version: SnmpTarget["version"],
): DriverDescriptor<GenericOptions> {
  return {
    names: [name],
    summary: `SNMP${version === "3" ? "v3 (USM auth/priv)" : `v${version}`} integer SET on an ` +
      "outlet OID (MIB names from pdud's table or mib_dirs, or any numeric OID)",
    options: GENERIC,
    create(hostname, { options, clock }) {
      const device = `SNMP agent at ${hostname}:${options.snmpport}`;
      const client = new SnmpClient({
        host: hostname,
        port: options.snmpport,
        version,
        community: options.community,
        user: options.username === undefined ? undefined : {
          name: options.username,
          authKey: options.authpassphrase,
          authProtocol: options.auth_protocol,
          privKey: options.privpassphrase,
          privProtocol: options.priv_protocol,
        },
        device,
      }, clock);
      const plan = tablePlan(options);
      const driver: Driver = {
        async setOutlet(outlet, state, { signal }) {
          const { oid, value } = outletPlan(options, outlet).set[state];
          await client.setInteger(oid, value, signal);
        },
        async getOutlet(outlet, { signal }) {
          const { oid, on, off } = outletPlan(options, outlet).get;
          return stateOf(await client.getInteger(oid, signal), on, off, device, oid);
        },
        listOutlets: ({ signal }) => listOutletsOf(client, plan, device, signal),
        close: () => client.close(),
      };
      // Only a table that meters its outlets offers readings.
      const power = plan.power;
      if (power !== undefined) {
        driver.readPower = (outlet, { signal }) =>
          readPowerOf(client, power, plan.index.of(outlet), device, signal);
      }
      return driver;
    },
  };
}

/** `snmpv1`. */
export const SNMP_V1 = genericDescriptor("snmpv1", "1");
/** `snmpv2c`. */
export const SNMP_V2C = genericDescriptor("snmpv2c", "2c");
/** `snmpv3`. */
export const SNMP_V3 = genericDescriptor("snmpv3", "3");
