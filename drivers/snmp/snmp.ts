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
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, SnmpClient, type SnmpTarget } from "./client.ts";
import { defaultMibDirs, mibSymbolProblem, resolveMibSymbol } from "./mibs.ts";

/** MIB object names pdud resolves itself (upstream's `mib` + `controlpoint`). */
export const MIB_OBJECTS: Record<string, Record<string, string>> = {
  "PowerNet-MIB": {
    sPDUOutletCtl: "1.3.6.1.4.1.318.1.1.4.4.2.1.3",
    rPDUOutletControlOutletCommand: "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4",
    rPDU2OutletSwitchedControlCommand: "1.3.6.1.4.1.318.1.1.26.9.2.4.1.5",
  },
  "CPS-MIB": {
    ePDUOutletControlOutletCommand: "1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4",
    /** CyberPower ePDU2 (PDU15/20/30 series): ePDU2OutletSwitchedControlIndex = outlet. */
    ePDU2OutletSwitchedControlCommand: "1.3.6.1.4.1.3808.1.1.6.6.1.5.1.5",
  },
  // Tables indexed by more than the outlet take the other indices in `controlpoint` with
  // `inside_number`, e.g. "switchingOperation.1.*" for PDU 1 of a daisy chain.
  /** Raritan PX2/PX3: switchingOperation.pduId.outletId, off(0) on(1) cycle(2). */
  "PDU2-MIB": {
    switchingOperation: "1.3.6.1.4.1.13742.6.4.1.2.1.2",
  },
  /** ServerTech Sentry CDU: outletControlAction.tower.infeed.outlet, on(1) off(2) reboot(3). */
  "Sentry3-MIB": {
    outletControlAction: "1.3.6.1.4.1.1718.3.2.3.1.11",
  },
  /** RFC 3621 PoE switches: pethPsePortAdminEnable.group.port, true(1) false(2). */
  "POWER-ETHERNET-MIB": {
    pethPsePortAdminEnable: "1.3.6.1.2.1.105.1.1.1.3",
  },
  /**
   * Eaton ePDU G2/G3: separate command columns per outlet, index strappingIndex.outletIndex;
   * the value written is the delay in seconds (0 = now, -1 cancels). Either name stands for the
   * pair: on writes outletControlOnCmd, off writes outletControlOffCmd.
   */
  "EATON-EPDU-MIB": {
    outletControlOnCmd: "1.3.6.1.4.1.534.6.6.7.6.6.1.4",
    outletControlOffCmd: "1.3.6.1.4.1.534.6.6.7.6.6.1.3",
  },
  /** Liebert/Vertiv MPH2 and MPX: lgpPduRcpEntryControl.pdu.branch.receptacle, off(0) on(1). */
  "LIEBERT-GP-PDU-MIB": {
    lgpPduRcpEntryControl: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.100",
  },
};

/** How a table object is driven when it is not a plain "SET on/off, GET the same column". */
interface MibBehaviour {
  /** The values for on and off when they are not upstream's defaults (1 and 2). */
  on?: number;
  off?: number;
  /** A pair of command columns (EATON-EPDU-MIB): the one written for on, the one for off. */
  pair?: { on: string; off: string };
  /** The column the outlet's state is read from, same index, and its on/off values. */
  state?: { oid: string; on: number; off: number };
}

/** EATON-EPDU-MIB's command pair, written with 0 (now); outletControlStatus off(0) on(1). */
const EATON: MibBehaviour = {
  on: 0,
  off: 0,
  pair: { on: "1.3.6.1.4.1.534.6.6.7.6.6.1.4", off: "1.3.6.1.4.1.534.6.6.7.6.6.1.3" },
  state: { oid: "1.3.6.1.4.1.534.6.6.7.6.6.1.2", on: 1, off: 0 },
};

/**
 * Behaviours by `mib::object`. Sources: the MIB files as compiled in DotZero24/pysnmp-mibs
 * (commit 3ff4d5d0), and NUT's eaton-pdu-marlin-mib.c for the Eaton command semantics.
 */
const BEHAVIOUR: Record<string, MibBehaviour> = {
  /** CyberPower ePDU2: immediateOn(1) immediateOff(2); state outletStatusOn(1)/Off(2). */
  "CPS-MIB::ePDU2OutletSwitchedControlCommand": {
    state: { oid: "1.3.6.1.4.1.3808.1.1.6.6.1.4.1.5", on: 1, off: 2 },
  },
  /** Raritan: switchingOperation off(0) on(1) cycle(2); outletSwitchingState on(7) off(8). */
  "PDU2-MIB::switchingOperation": {
    on: 1,
    off: 0,
    state: { oid: "1.3.6.1.4.1.13742.6.4.1.2.1.3", on: 7, off: 8 },
  },
  /** ServerTech: outletControlAction on(1) off(2); outletStatus off(0) on(1). */
  "Sentry3-MIB::outletControlAction": {
    state: { oid: "1.3.6.1.4.1.1718.3.2.3.1.5", on: 1, off: 0 },
  },
  "EATON-EPDU-MIB::outletControlOnCmd": EATON,
  "EATON-EPDU-MIB::outletControlOffCmd": EATON,
  /** Liebert: off(0) on(1) cycle-power(2); lgpPduRcpEntryPwrState off(1) on(2). */
  "LIEBERT-GP-PDU-MIB::lgpPduRcpEntryControl": {
    on: 1,
    off: 0,
    state: { oid: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.95", on: 2, off: 1 },
  },
};

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
  "mib_dirs": z.array(z.string().min(1)).min(1).optional(),
}).strict().superRefine((o, ctx) => {
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

/** The index after the object's column: the outlet, or `controlpoint`'s own with `*` = outlet. */
function indexOf(o: GenericOptions, outlet: number): string {
  if (o.inside_number) {
    // controlpoint "name.*.x" → ".outlet.x"; static_ending appended as upstream does.
    const rest = o.controlpoint!.split(".").slice(1).join(".").replaceAll("*", String(outlet));
    const end = o.static_ending === undefined ? "" : `.${o.static_ending}`;
    return `${rest ? `.${rest}` : `.${outlet}`}${end}`;
  }
  return `.${outlet}`;
}

/** The outlet's control OID from the options, as upstream builds it. */
export function outletOid(o: GenericOptions, outlet: number): string {
  if (o.oid !== undefined) return o.oid.replace(/^\./, "").replaceAll("*", String(outlet));
  return `${baseOf(o.mib!, o.controlpoint!) ?? o.resolved!}${indexOf(o, outlet)}`;
}

/** What one switch and one read of `outlet` are: the OIDs and values, from table and options. */
export function outletPlan(o: GenericOptions, outlet: number): {
  set: Record<OutletState, { oid: string; value: number }>;
  get: { oid: string; on: number; off: number };
} {
  const behaviour = o.oid === undefined
    ? BEHAVIOUR[`${o.mib}::${symbolOf(o.controlpoint!)}`]
    : undefined;
  const on = o.onsetting ?? behaviour?.on ?? 1;
  const off = o.offsetting ?? behaviour?.off ?? 2;
  const control = outletOid(o, outlet);
  const index = o.oid === undefined ? indexOf(o, outlet) : "";
  return {
    set: {
      on: { oid: behaviour?.pair ? behaviour.pair.on + index : control, value: on },
      off: { oid: behaviour?.pair ? behaviour.pair.off + index : control, value: off },
    },
    get: behaviour?.state
      ? { oid: behaviour.state.oid + index, on: behaviour.state.on, off: behaviour.state.off }
      : { oid: control, on, off },
  };
}

/** An outlet's state from the integer its agent reports on its control OID. */
export function stateOf(
  value: number,
  on: number,
  off: number,
  device: string,
  oid: string,
): OutletState {
  if (value === on) return "on" as const;
  if (value === off) return "off" as const;
  throw new DriverError(
    "protocol",
    `${device} reports ${oid} = ${value}, neither on (${on}) nor off (${off})`,
  );
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
      return {
        async setOutlet(outlet, state, { signal }) {
          const { oid, value } = outletPlan(options, outlet).set[state];
          await client.setInteger(oid, value, signal);
        },
        async getOutlet(outlet, { signal }) {
          const { oid, on, off } = outletPlan(options, outlet).get;
          return stateOf(await client.getInteger(oid, signal), on, off, device, oid);
        },
        close: () => client.close(),
      };
    },
  };
}

/** `snmpv1`. */
export const SNMP_V1 = genericDescriptor("snmpv1", "1");
/** `snmpv2c`. */
export const SNMP_V2C = genericDescriptor("snmpv2c", "2c");
/** `snmpv3`. */
export const SNMP_V3 = genericDescriptor("snmpv3", "3");
