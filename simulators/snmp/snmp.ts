/**
 * SNMP agent simulators on `net-snmp`'s agent (the generic `snmp` kind here; apc.ts,
 * cyberpower.ts and ip9258.ts are the vendors' kinds on the same agent): v1/v2c communities and
 * v3 USM users (noAuthNoPriv, authNoPriv, authPriv), checked as a real agent checks them (Net-SNMP's snmpd
 * was the reference): a wrong community or privacy key is dropped without an answer, an unknown
 * user or a wrong authentication key gets an RFC 3414 report (usmStatsUnknownUserNames,
 * usmStatsWrongDigests). Each outlet is an integer object at the OID
 * its device uses (APC PowerNet-MIB sPDUOutletCtl or rPDUOutletControlOutletCommand, CyberPower
 * ePDUOutletControlOutletCommand, IP Power 9258, or any OID template given with `oid`); a SET of
 * a value other than on/off (or APC's reboot, 3) is refused with wrongValue/badValue, as the
 * devices do.
 *
 * Errors follow the protocol version of the request, as RFC 3416 §4.2.5 and RFC 3584 §4.4
 * define them and Net-SNMP's snmpd sends them: a SET of a missing outlet is `noCreation` (an
 * object outside every table `notWritable`), a read-only column `notWritable`, a value the
 * device does not take `wrongValue`; an SNMPv1 manager gets those as `noSuchName` / `badValue`
 * and, where v2c answers a GET with a noSuchInstance/noSuchObject/endOfMibView value, an SNMPv1
 * `noSuchName` error, because SNMPv1 has no exception values (RFC 1157 §4.1.2).
 * @module
 */
import dgram from "node:dgram";
import { z } from "zod";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import { installSnmpPrivacy, loadNetSnmp } from "../../drivers/snmp/mod.ts";

const USER = z.object({
  "username": z.string().min(1),
  "authpassphrase": z.string().min(8).optional(),
  "privpassphrase": z.string().min(8).optional(),
  "auth_protocol": z.enum(["md5", "sha", "sha224", "sha256", "sha384", "sha512"]).default("sha"),
  "priv_protocol": z.enum(["des", "aes", "aes256b", "aes256r"]).default("aes"),
}).strict();

/** The options every SNMP simulator kind takes: the agent's version and credentials, the OID. */
export const OPTIONS = z.object({
  "community": z.string().min(1).default("private"),
  "version": z.enum(["1", "2c", "3"]).default("1"),
  "users": z.array(USER).default([]),
  /** OID template with `*` for the outlet (generic kind only). */
  "oid": z.string().regex(/^\.?\d+(\.\d+)*\.\*(\.0)?$/).optional(),
  "onsetting": z.number().int().default(1),
  "offsetting": z.number().int().default(2),
  /** Sentry3 kind: outlets per infeed (tower 1's infeeds A, B … hold the outlets in turn). */
  "outlets_per_infeed": z.number().int().min(1).max(128).default(8),
  /** APC kind: which PowerNet-MIB table. */
  "controlpoint": z.enum([
    "sPDUOutletCtl",
    "rPDUOutletControlOutletCommand",
    "rPDU2OutletSwitchedControlCommand",
  ]).default("sPDUOutletCtl"),
}).strict();
/** OPTIONS, parsed. */
export type Options = z.infer<typeof OPTIONS>;

/** Where a device keeps its outlets and what else its agent shows. */
export interface Layout {
  /** OID template with `*` (one integer object per outlet), unless `tables` describe them. */
  template?: string;
  /** The device's tables (_tables.ts), for agents whose outlets are more than one column. */
  tables?: (context: AgentContext) => void;
  on: number;
  off: number;
  /** A value that switches the outlet off and on again (APC's outletReboot/immediateReboot). */
  reboot?: number;
  /**
   * A device with a driver of its own (cyberpower81001, ip9258); without one, the generic
   * snmpv1/v2c/v3 driver for the version, with the credentials added to `config`.
   */
  driver?: string;
  /** The pdud config (besides the driver name) that drives it. */
  config(options: Options, port: number): Record<string, unknown>;
  /** The agent's sysObjectID (managers such as fence_apc_snmp pick the device model by it). */
  sysObjectID?: string;
  /** A column of the control table holding each outlet's name ("Outlet N"). */
  nameColumn?: number;
  /** A separate read-only status table (APC rPDU: rPDUOutletStatusTable). */
  statusTable?: { entry: string; nameColumn: number; stateColumn: number };
}

/** What a table of _tables.ts needs from the agent it is registered on. */
export interface AgentContext {
  // deno-lint-ignore no-explicit-any
  snmp: any;
  // deno-lint-ignore no-explicit-any
  mib: any;
  device: SimulatedDevice;
  /**
   * Answers one varbind of a request under the device's fault: records it, waits out the
   * device's latency, then runs `act` (which changes the device or refreshes the value read)
   * and answers, or answers as the fault says.
   */
  // deno-lint-ignore no-explicit-any
  serve(request: any, act: () => void): void;
}

/** Picks a free UDP port: net-snmp's agent treats port 0 as "use 161". */
function freeUdpPort(hostname: string): Promise<number> {
  // node:dgram because Deno.listenDatagram still needs --unstable-net.
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, hostname, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function credentials(options: Options): Record<string, unknown> {
  if (options.version !== "3") return { community: options.community };
  const user = options.users[0];
  if (!user) throw new TypeError("version 3 needs at least one entry in users");
  const auth: Record<string, string> = {
    md5: "usmHMACMD5AuthProtocol",
    sha: "usmHMACSHAAuthProtocol",
    sha224: "usmHMAC128SHA224AuthProtocol",
    sha256: "usmHMAC192SHA256AuthProtocol",
    sha384: "usmHMAC256SHA384AuthProtocol",
    sha512: "usmHMAC384SHA512AuthProtocol",
  };
  const priv: Record<string, string> = {
    aes: "usmAesCfb128Protocol",
    aes256b: "usmAesBlumenthalCfb256Protocol",
    aes256r: "usmAesCfb256Protocol",
    des: "usmDESPrivProtocol",
  };
  return {
    username: user.username,
    ...(user.authpassphrase
      ? { authpassphrase: user.authpassphrase, "auth_protocol": auth[user.auth_protocol] }
      : {}),
    ...(user.privpassphrase
      ? { privpassphrase: user.privpassphrase, "priv_protocol": priv[user.priv_protocol] }
      : {}),
  };
}

function driverFor(options: Options): string {
  return options.version === "1" ? "snmpv1" : options.version === "2c" ? "snmpv2c" : "snmpv3";
}

/** SNMPv2's exception values, which an SNMPv1 message cannot carry. */
const EXCEPTIONS = new Set([128, 129, 130]); // noSuchObject, noSuchInstance, endOfMibView

/**
 * Makes net-snmp's agent answer errors per protocol version (see the module comment), where
 * net-snmp 3.29 answers a SET of a missing instance with "no error" and a noSuchInstance value
 * (Net-SNMP's `snmpset` then exits 0 and fence_apc_snmp waits 45 s for the outlet to change)
 * and sends v2 exception values to SNMPv1 managers. A SET naming a missing object is answered
 * before any handler runs, so nothing in the same request is switched (SETs are all or none).
 */
// deno-lint-ignore no-explicit-any
function errorsPerVersion(agent: any, snmp: any): void {
  const request = agent.request;
  // deno-lint-ignore no-explicit-any
  agent.request = function (socket: unknown, message: any, rinfo: unknown) {
    const pdu = message.pdu;
    if (pdu.type === snmp.PduType.SetRequest) {
      // deno-lint-ignore no-explicit-any
      const missing = pdu.varbinds.findIndex((vb: any) => !agent.mib.lookup(vb.oid));
      if (missing >= 0) {
        const response = pdu.getResponsePduForRequest();
        // deno-lint-ignore no-explicit-any
        response.varbinds = pdu.varbinds.map((vb: any) => ({ ...vb }));
        // noCreation: a row the table cannot grow; notWritable: no writable object there at all.
        response.errorStatus = agent.mib.getAncestorProviderFromOid(pdu.varbinds[missing].oid)
          ? snmp.ErrorStatus.NoCreation
          : snmp.ErrorStatus.NotWritable;
        response.errorIndex = missing + 1;
        return agent.sendResponse(socket, rinfo, message, response);
      }
    }
    return request.call(agent, socket, message, rinfo);
  };
  const sendResponse = agent.sendResponse;
  // deno-lint-ignore no-explicit-any
  agent.sendResponse = function (socket: unknown, rinfo: unknown, message: any, response: any) {
    if (message.version === snmp.Version1) {
      if (!response.errorStatus) {
        // deno-lint-ignore no-explicit-any
        const i = response.varbinds.findIndex((vb: any) => EXCEPTIONS.has(vb?.type));
        if (i >= 0) {
          response.errorStatus = snmp.ErrorStatus.NoSuchName;
          response.errorIndex = i + 1;
        }
      }
      if (response.errorStatus) {
        // RFC 1157 §4.1: an error response carries the request's variable bindings as sent (a
        // GETNEXT's are the names asked for, not the ones found).
        // deno-lint-ignore no-explicit-any
        response.varbinds = message.pdu.varbinds.map((vb: any) =>
          vb.previousOid === undefined
            ? { oid: vb.oid, type: vb.type, value: vb.value }
            : { oid: vb.previousOid, type: snmp.ObjectType.Null, value: null }
        );
      }
    }
    return sendResponse.call(agent, socket, rinfo, message, response);
  };
}

/** net-snmp's usmStatsWrongDigests error type (RFC 3414 §3.2 step 6). */
const WRONG_DIGESTS = "5";
const patched = new WeakSet<object>();

/**
 * Makes net-snmp's agent answer a wrong SNMPv3 authentication key with a usmStatsWrongDigests
 * report, as RFC 3414 §3.2 and real agents do (Net-SNMP's snmpd: "Authentication failure"),
 * where net-snmp 3.29 drops the message. The agent's message parser is reachable only as a
 * static of its listener's class, so it is wrapped there, once: the message is parsed again
 * with authentication off, only to build the report, which carries no data.
 */
// deno-lint-ignore no-explicit-any
function reportWrongDigests(agent: any): void {
  const Listener = agent.listener.constructor;
  if (patched.has(Listener)) return;
  patched.add(Listener);
  const processIncoming = Listener.processIncoming;
  Listener.processIncoming = function (
    buffer: Uint8Array,
    // deno-lint-ignore no-explicit-any
    authorizer: any,
    callback: (error: Error | null, data?: unknown) => void,
  ) {
    let wrongDigest = false;
    const result = processIncoming(buffer, authorizer, (error: Error | null, data?: unknown) => {
      const code = (error as { code?: number } | null)?.code;
      if (error?.name === "ResponseInvalidError" && /^Authentication digest/.test(error.message)) {
        wrongDigest = code !== undefined;
      }
      callback(error, data);
    });
    if (!wrongDigest) return result;
    // deno-lint-ignore no-explicit-any
    const message: any = processIncoming(
      buffer,
      { ...authorizer, users: authorizer.users, disableAuthorization: true },
      () => {},
    );
    if (!message?.isReportable?.()) return result;
    return { original: message, report: true, errorType: WRONG_DIGESTS };
  };
}

/** Starts an agent of `kind` for `device` with the outlet table `layout` describes. */
export async function startAgent(
  kind: string,
  device: SimulatedDevice,
  settings: { options: Options; hostname: string; port: number },
  layout: Layout,
): Promise<Simulator> {
  // The free port is found by binding and closing a socket, so another process (tests run in
  // parallel) may take it before the agent binds: try another one then.
  for (let attempt = 1;; attempt++) {
    const port = settings.port || await freeUdpPort(settings.hostname);
    try {
      return await startAgentOn(kind, device, { ...settings, port }, layout);
    } catch (error) {
      const inUse = (error as { code?: string }).code === "EADDRINUSE";
      if (!inUse || settings.port !== 0 || attempt === 5) throw error;
    }
  }
}

async function startAgentOn(
  kind: string,
  device: SimulatedDevice,
  settings: { options: Options; hostname: string; port: number },
  layout: Layout,
): Promise<Simulator> {
  const { options, hostname, port } = settings;
  const snmp = await loadNetSnmp();
  if (options.users.some((u) => u.privpassphrase)) await installSnmpPrivacy();
  const operations = new AbortController();
  const agent = snmp.createAgent(
    {
      port,
      address: hostname,
      transport: "udp4",
      accessControlModelType: snmp.AccessControlModelType.None,
    },
    // Authentication failures and bad packets are reported here; the agent drops them, as
    // real agents do, and so does the simulator after recording them.
    (error: Error | null) => {
      if (error) device.record(`rejected: ${error.message}`);
    },
  );
  reportWrongDigests(agent);
  errorsPerVersion(agent, snmp);
  const authorizer = agent.getAuthorizer();
  if (options.version !== "3") authorizer.addCommunity(options.community);
  for (const user of options.users) {
    authorizer.addUser({
      name: user.username,
      level: user.privpassphrase
        ? snmp.SecurityLevel.authPriv
        : user.authpassphrase
        ? snmp.SecurityLevel.authNoPriv
        : snmp.SecurityLevel.noAuthNoPriv,
      ...(user.authpassphrase
        ? { authProtocol: snmp.AuthProtocols[user.auth_protocol], authKey: user.authpassphrase }
        : {}),
      ...(user.privpassphrase
        ? { privProtocol: snmp.PrivProtocols[user.priv_protocol], privKey: user.privpassphrase }
        : {}),
    });
  }

  // deno-lint-ignore no-explicit-any
  const serve = (request: any, act: () => void) => {
    const isSet = request.operation === snmp.PduType.SetRequest;
    device.record(isSet ? `SET ${request.oid} = ${request.setValue}` : `GET ${request.oid}`);
    void (async () => {
      const fault = await device.beginOperation(operations.signal);
      try {
        if (operations.signal.aborted) return;
        switch (fault) {
          case "refuse":
          case "drop":
          case "hang":
            return; // A lost datagram: the manager hears nothing.
          case "error":
            return request.done({ errorStatus: snmp.ErrorStatus.GeneralError });
          case "garbage":
            return request.done({
              errorStatus: snmp.ErrorStatus.NoError,
              type: snmp.ObjectType.OctetString,
              value: "\u0000\u0013garbage",
            });
        }
        act();
        request.done();
      } finally {
        device.endOperation();
      }
    })();
  };
  const mib = agent.getMib();
  if (layout.tables) layout.tables({ snmp, mib, device, serve });
  const template = (layout.template ?? "").replace(/^\./, "");
  const [prefix, suffix] = template.split("*") as [string, string];
  const outletOf = (oid: string): number => {
    if (!oid.startsWith(prefix) || !oid.endsWith(suffix)) return NaN;
    return Number(oid.slice(prefix.length, oid.length - suffix.length));
  };
  // deno-lint-ignore no-explicit-any
  const handler = (request: any) => {
    const outlet = outletOf(request.oid);
    // Another column of the table (index, name), met by a walk: its stored value stands.
    if (!device.has(outlet)) return request.done();
    const isSet = request.operation === snmp.PduType.SetRequest;
    if (isSet && request.testSet) {
      // The test pass: refuse values the device does not know before anything changes.
      const known = [
        layout.on,
        layout.off,
        ...(layout.reboot === undefined ? [] : [layout.reboot]),
      ];
      if (!known.includes(request.setValue)) {
        device.record(`SET ${request.oid} = ${request.setValue} (refused: wrongValue)`);
        return request.done({ errorStatus: snmp.ErrorStatus.WrongValue });
      }
      return request.done();
    }
    serve(request, () => {
      if (isSet && request.setValue === layout.reboot) {
        // Off, then on again after the device's reboot duration (not simulated: at once).
        device.set(outlet, "off");
        device.set(outlet, "on");
      } else if (isSet) device.set(outlet, request.setValue === layout.on ? "on" : "off");
      else request.instanceNode.value = device.get(outlet) === "on" ? layout.on : layout.off;
    });
  };

  const outlets = Array.from({ length: device.count }, (_, i) => device.first + i);
  const initial = (outlet: number) => device.get(outlet) === "on" ? layout.on : layout.off;
  const outletName = (outlet: number) => `Outlet ${outlet}`;
  if (layout.template === undefined) {
    // The tables registered above are the whole device.
  } else if (suffix === ".0") {
    // IP Power 9258 style: one scalar per outlet, instance .0.
    for (const outlet of outlets) {
      const name = `outlet${outlet}`;
      mib.registerProvider({
        name,
        type: snmp.MibProviderType.Scalar,
        oid: `${prefix}${outlet}`,
        scalarType: snmp.ObjectType.Integer,
        maxAccess: snmp.MaxAccess["read-write"],
        handler,
      });
      mib.setScalarValue(name, initial(outlet));
    }
  } else {
    // A table column: the entry is the prefix without its last arc, which is the column.
    const arcs = prefix.replace(/\.$/, "").split(".");
    const column = Number(arcs.pop());
    const indexColumn = column === 1 ? 2 : 1;
    const columns = [
      { number: indexColumn, name: "index", value: (o: number) => o, type: "Integer" },
      { number: column, name: "control", value: initial, type: "Integer" },
      ...(layout.nameColumn
        ? [{ number: layout.nameColumn, name: "name", value: outletName, type: "OctetString" }]
        : []),
    ].sort((a, b) => a.number - b.number);
    mib.registerProvider({
      name: "outlets",
      type: snmp.MibProviderType.Table,
      oid: arcs.join("."),
      maxAccess: snmp.MaxAccess["not-accessible"],
      tableColumns: columns.map((c) => ({
        number: c.number,
        name: c.name,
        type: snmp.ObjectType[c.type],
        maxAccess: snmp.MaxAccess[c.name === "control" ? "read-write" : "read-only"],
      })),
      tableIndex: [{ columnName: "index" }],
      handler,
    });
    for (const outlet of outlets) {
      mib.addTableRow("outlets", columns.map((c) => c.value(outlet)));
    }
  }
  if (layout.statusTable) {
    const { entry, nameColumn, stateColumn } = layout.statusTable;
    const stateOf = (oid: string) => {
      const m = new RegExp(`^${entry.replaceAll(".", "\\.")}\\.${stateColumn}\\.(\\d+)$`)
        .exec(oid);
      return m ? Number(m[1]) : NaN;
    };
    mib.registerProvider({
      name: "status",
      type: snmp.MibProviderType.Table,
      oid: entry,
      maxAccess: snmp.MaxAccess["not-accessible"],
      tableColumns: [
        { number: 1, name: "statusIndex", type: snmp.ObjectType.Integer },
        { number: nameColumn, name: "statusName", type: snmp.ObjectType.OctetString },
        { number: stateColumn, name: "state", type: snmp.ObjectType.Integer },
      ].map((c) => ({ ...c, maxAccess: snmp.MaxAccess["read-only"] })),
      tableIndex: [{ columnName: "statusIndex" }],
      // deno-lint-ignore no-explicit-any
      handler: (request: any) => {
        const outlet = stateOf(request.oid);
        if (device.has(outlet)) {
          request.instanceNode.value = device.get(outlet) === "on" ? layout.on : layout.off;
        }
        request.done();
      },
    });
    for (const outlet of outlets) {
      mib.addTableRow("status", [outlet, outletName(outlet), initial(outlet)]);
    }
  }
  // SNMP-FRAMEWORK-MIB's snmpEngineMaxMessageSize, which every agent has: it lies past the
  // device's tables, so a walk of them ends on it rather than at the end of the MIB (where
  // net-snmp's agent answers an SNMPv1 GETNEXT with endOfMibView, which v1 does not have).
  mib.registerProvider({
    name: "snmpEngineMaxMessageSize",
    type: snmp.MibProviderType.Scalar,
    oid: "1.3.6.1.6.3.10.2.1.4",
    scalarType: snmp.ObjectType.Integer,
    maxAccess: snmp.MaxAccess["read-only"],
  });
  mib.setScalarValue("snmpEngineMaxMessageSize", 1500);
  if (layout.sysObjectID) {
    mib.registerProvider({
      name: "sysObjectID",
      type: snmp.MibProviderType.Scalar,
      oid: "1.3.6.1.2.1.1.2",
      scalarType: snmp.ObjectType.OID,
      maxAccess: snmp.MaxAccess["read-only"],
    });
    mib.setScalarValue("sysObjectID", layout.sysObjectID.replace(/^\./, ""));
  }

  // Bound before anyone sends to it, and closed without net-snmp's close callback, which asks
  // the socket for its address and throws if binding never finished.
  const sockets = Object.values(agent.listener.sockets) as dgram.Socket[];
  try {
    await Promise.all(sockets.map((socket) =>
      new Promise<void>((resolve, reject) => {
        try {
          socket.address();
          resolve();
        } catch {
          socket.once("listening", () => resolve());
          socket.once("error", reject);
        }
      })
    ));
  } catch (error) {
    for (const socket of sockets) {
      try {
        socket.close();
      } catch { /* never bound: nothing to close */ }
    }
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      operations.abort();
      const done = sockets.map((socket) =>
        new Promise<void>((resolve) => socket.once("close", () => resolve()))
      );
      agent.close();
      await Promise.all(done);
    })();
    return closed;
  };
  return {
    kind,
    device,
    address: { hostname, port, transport: "udp" as const },
    pduHostname: hostname,
    pduConfig: () => ({
      driver: layout.driver ?? driverFor(options),
      ...layout.config(options, port),
      ...(layout.driver ? {} : credentials(options)),
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

const POE_ADMIN_OID = ".1.3.6.1.2.1.105.1.1.1.3.1.*";

/** `snmp`: any outlet OID template (`oid` with `*`), e.g. a PoE switch's port admin table. */
export const GENERIC_SNMP: SimulatorKind<Options> = {
  name: "snmp",
  summary: "SNMP agent with an outlet OID template (`oid` with *, default a PoE switch's " +
    "pethPsePortAdminEnable), any on/off values",
  options: OPTIONS,
  start(device, settings) {
    // Default: a PoE switch's pethPsePortAdminEnable column (upstream's cbs350 example).
    const oid = settings.options.oid ?? POE_ADMIN_OID;
    return startAgent("snmp", device, settings, {
      template: oid,
      on: settings.options.onsetting,
      off: settings.options.offsetting,
      config: (o, port) => ({
        oid,
        onsetting: o.onsetting,
        offsetting: o.offsetting,
        snmpport: port,
      }),
    });
  },
};
