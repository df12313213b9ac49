/**
 * An SNMP client for the drivers: `net-snmp` sessions (v1, v2c, v3 USM) with integer SET and GET
 * of one OID, a GET of several readings and a walk of table columns, AbortSignal-driven (the actor owns timeouts and retries, so net-snmp never
 * retries), and net-snmp's errors turned into DriverErrors a lab engineer can act on.
 * @module
 */
import type NetSnmp from "net-snmp";
import { abortError, DriverError, printable } from "../errors.ts";
import { type DriverClock, SYSTEM_DRIVER_CLOCK } from "../driver.ts";
import { loadNetSnmp } from "../_libraries.ts";

/** pysnmp's protocol names (upstream's `auth_protocol`/`priv_protocol` values) and plain ones. */
export const AUTH_PROTOCOLS: Record<string, string> = {
  usmHMACMD5AuthProtocol: "md5",
  usmHMACSHAAuthProtocol: "sha",
  usmHMAC128SHA224AuthProtocol: "sha224",
  usmHMAC192SHA256AuthProtocol: "sha256",
  usmHMAC256SHA384AuthProtocol: "sha384",
  usmHMAC384SHA512AuthProtocol: "sha512",
  // pysnmp 7's names, which upstream (pysnmp 7 since 2025) and its tests/test_snmp.py use.
  USM_AUTH_HMAC96_MD5: "md5",
  USM_AUTH_HMAC96_SHA: "sha",
  USM_AUTH_HMAC128_SHA224: "sha224",
  USM_AUTH_HMAC192_SHA256: "sha256",
  USM_AUTH_HMAC256_SHA384: "sha384",
  USM_AUTH_HMAC384_SHA512: "sha512",
  MD5: "md5",
  SHA: "sha",
  SHA224: "sha224",
  SHA256: "sha256",
  SHA384: "sha384",
  SHA512: "sha512",
};

/** Privacy protocols (DES is pysnmp's default when only a privpassphrase is given). */
export const PRIV_PROTOCOLS: Record<string, string> = {
  usmDESPrivProtocol: "des",
  usmAesCfb128Protocol: "aes",
  usmAesBlumenthalCfb256Protocol: "aes256b",
  usmAesCfb256Protocol: "aes256r",
  USM_PRIV_CBC56_DES: "des",
  USM_PRIV_CFB128_AES: "aes",
  USM_PRIV_CFB256_AES_BLUMENTHAL: "aes256b",
  USM_PRIV_CFB256_AES: "aes256r",
  DES: "des",
  AES: "aes",
  AES128: "aes",
  AES256B: "aes256b",
  AES256R: "aes256r",
};

/** How to reach and authenticate to an agent. */
export interface SnmpTarget {
  host: string;
  port: number;
  version: "1" | "2c" | "3";
  community?: string | undefined;
  user?: {
    name: string;
    authKey?: string | undefined;
    authProtocol?: string | undefined;
    privKey?: string | undefined;
    privProtocol?: string | undefined;
  } | undefined;
  /** For messages: "APC at 10.0.0.5:161". */
  device: string;
}

// deno-lint-ignore no-explicit-any
type Session = any;
type Varbind = { oid: string; type: number; value: unknown };

/** How long a v1/v2c request may go unanswered before pdud asks whether the agent is there. */
const PROBE_AFTER_MS = 1000;
/** How long after a live agent answered the probe its silence means a wrong community. */
const GRACE_MS = 3000;
const SYS_UP_TIME = "1.3.6.1.2.1.1.3.0";
/** Rows asked for per GETBULK: a 48-outlet PDU's column in one request. */
const WALK_REPETITIONS = 50;
/** A walk that needs more requests than this is an agent going round in circles. */
const MAX_WALK_REQUESTS = 1000;

/** SNMP error statuses that may not recur: genErr, tooBig, resourceUnavailable, commit/undo. */
const TRANSIENT_STATUSES = new Set([1, 5, 13, 14, 15]);

/** RFC 3414 usmStats reports as net-snmp words them, and whether asking again can help. */
const USM_REPORTS = [
  { text: "Unsupported Security Level", permanent: true, hint: "the user has another level" },
  { text: "Not In Time Window", permanent: false, hint: "the agent's clock moved" },
  { text: "Unknown User Name", permanent: true, hint: "check username" },
  { text: "Unknown Engine ID", permanent: false, hint: "the agent restarted" },
  { text: "Wrong Digest", permanent: true, hint: "authpassphrase or auth_protocol is wrong" },
  { text: "Decryption Error", permanent: true, hint: "privpassphrase or priv_protocol is wrong" },
];

/** One agent's session, opened lazily and torn down after any failure or abort. */
export class SnmpClient {
  #session: Session | undefined;

  /**
   * @param target the agent and its credentials
   * @param clock times the wrong-community probe (a test advances it instead of waiting 4 s)
   */
  constructor(readonly target: SnmpTarget, readonly clock: DriverClock = SYSTEM_DRIVER_CLOCK) {}

  /** SETs `oid` to the integer `value`; checks the agent echoed it. */
  async setInteger(oid: string, value: number, signal: AbortSignal): Promise<void> {
    const snmp = await loadNetSnmp();
    const varbinds = await this.#request(
      snmp,
      "set",
      [{ oid, type: snmp.ObjectType.Integer, value }],
      signal,
    );
    const echoed = varbinds[0];
    if (!echoed || echoed.type !== snmp.ObjectType.Integer || echoed.value !== value) {
      throw new DriverError(
        "protocol",
        `${this.target.device} answered SET ${oid} = ${value} with ${describe(snmp, echoed)}`,
      );
    }
  }

  /** GETs `oid`, which must hold an integer. */
  async getInteger(oid: string, signal: AbortSignal): Promise<number> {
    const snmp = await loadNetSnmp();
    const [varbind] = await this.#request(snmp, "get", [oid], signal);
    if (!varbind || varbind.type !== snmp.ObjectType.Integer || typeof varbind.value !== "number") {
      throw new DriverError(
        "protocol",
        `${this.target.device} answered GET ${oid} with ${describe(snmp, varbind)}`,
      );
    }
    return varbind.value;
  }

  /**
   * GETs `oids` in one request. A number for each numeric value (Integer, Gauge32, Counter32,
   * Counter64), a string for an OCTET STRING, undefined where the agent has no such instance.
   */
  async getValues(
    oids: readonly string[],
    signal: AbortSignal,
  ): Promise<(number | string | undefined)[]> {
    const snmp = await loadNetSnmp();
    const varbinds = await this.#request(snmp, "get", [...oids], signal, { exceptions: true });
    return oids.map((oid, i) => {
      const varbind = varbinds[i];
      if (!varbind || snmp.isVarbindError(varbind)) return undefined;
      const value = valueOf(snmp, varbind);
      if (value === undefined) {
        throw new DriverError(
          "protocol",
          `${this.target.device} answered GET ${oid} with ${describe(snmp, varbind)}`,
        );
      }
      return value;
    });
  }

  /**
   * Walks the table columns `bases` together: GETBULK (v2c, v3; one request for a table of up to
   * WALK_REPETITIONS rows) or one GETNEXT per row (v1), until every column has left its subtree.
   * Returns, per column, each instance's index (the OID after the base) and value.
   */
  async walk(
    bases: readonly string[],
    signal: AbortSignal,
  ): Promise<Map<string, number | string>[]> {
    const snmp = await loadNetSnmp();
    const found = bases.map(() => new Map<string, number | string>());
    const cursors = bases.map((b) => b);
    let active = bases.map((_, i) => i);
    let rows = 0;
    while (active.length > 0) {
      const asked = active.map((i) => cursors[i]!);
      const columns: Varbind[][] = this.target.version === "1"
        ? (await this.#request(snmp, "getNext", asked, signal, { exceptions: true, walk: true }))
          .map((v) => [v])
        : (await this.#request(snmp, "getBulk", asked, signal, {
          exceptions: true,
          bulk: WALK_REPETITIONS,
        })) as unknown as Varbind[][];
      // An SNMPv1 agent ends a walk past the end of its MIB with noSuchName: nothing follows.
      if (columns.length === 0) break;
      const next: number[] = [];
      active.forEach((column, position) => {
        const base = bases[column]!;
        let inside = true;
        for (const varbind of columns[position] ?? []) {
          if (snmp.isVarbindError(varbind) || !varbind.oid.startsWith(`${base}.`)) {
            inside = false;
            break;
          }
          const value = valueOf(snmp, varbind);
          if (value !== undefined) found[column]!.set(varbind.oid.slice(base.length + 1), value);
          cursors[column] = varbind.oid;
        }
        if (inside && (columns[position]?.length ?? 0) > 0) next.push(column);
      });
      active = next;
      if (++rows > MAX_WALK_REQUESTS) {
        throw new DriverError(
          "protocol",
          `${this.target.device} did not end the walk of ${bases.join(", ")} within ` +
            `${MAX_WALK_REQUESTS} requests`,
        );
      }
    }
    return found;
  }

  close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    try {
      session?.close();
    } catch { /* already closed */ }
    return Promise.resolve();
  }

  async #open(snmp: typeof NetSnmp): Promise<Session> {
    if (this.#session) return this.#session;
    const { target } = this;
    // net-snmp's own timer only bounds a lost datagram; the actor's signal is the real limit.
    const options = { port: target.port, retries: 0, timeout: 60_000, idBitsSize: 32 };
    let session: Session;
    if (target.version === "3") {
      const user = target.user;
      if (!user?.name) {
        throw new DriverError("config", `${target.device}: snmpv3 needs a username`);
      }
      const auth = user.authKey
        ? AUTH_PROTOCOLS[user.authProtocol ?? "usmHMACMD5AuthProtocol"]
        : undefined;
      const priv = user.privKey
        ? PRIV_PROTOCOLS[user.privProtocol ?? "usmDESPrivProtocol"]
        : undefined;
      if (user.authKey && !auth) {
        throw new DriverError(
          "config",
          `${target.device}: unknown auth_protocol "${user.authProtocol}"`,
        );
      }
      if (user.privKey && !user.authKey) {
        throw new DriverError(
          "config",
          `${target.device}: privpassphrase needs authpassphrase too`,
        );
      }
      if (user.privKey && !priv) {
        throw new DriverError(
          "config",
          `${target.device}: unknown priv_protocol "${user.privProtocol}"`,
        );
      }
      // Loaded with the first authPriv session: des.js and the AES patch are needed only then.
      if (priv) (await import("./_privacy.ts")).installPrivacy();
      session = snmp.createV3Session(target.host, {
        name: user.name,
        level: priv
          ? snmp.SecurityLevel.authPriv
          : auth
          ? snmp.SecurityLevel.authNoPriv
          : snmp.SecurityLevel.noAuthNoPriv,
        // net-snmp keys its algorithm tables by its enum numbers, not the names.
        ...(auth ? { authProtocol: snmp.AuthProtocols[auth], authKey: user.authKey } : {}),
        ...(priv ? { privProtocol: snmp.PrivProtocols[priv], privKey: user.privKey } : {}),
      }, options);
    } else {
      if (!target.community) {
        throw new DriverError(
          "config",
          `${target.device}: snmpv${target.version} needs a community`,
        );
      }
      session = snmp.createSession(target.host, target.community, {
        ...options,
        version: target.version === "1" ? snmp.Version1 : snmp.Version2c,
      });
    }
    // A socket error must not become an uncaught exception of the daemon.
    session.on("error", () => {});
    this.#session = session;
    return session;
  }

  async #request(
    snmp: typeof NetSnmp,
    method: "get" | "set" | "getNext" | "getBulk",
    varbinds: unknown[],
    signal: AbortSignal,
    how: {
      /** noSuchObject/noSuchInstance/endOfMibView values are the caller's to read. */
      exceptions?: boolean;
      /** A v1 GETNEXT ending the walk (noSuchName) answers no varbinds instead of failing. */
      walk?: boolean;
      /** GETBULK's max-repetitions. */
      bulk?: number;
    } = {},
  ): Promise<Varbind[]> {
    if (signal.aborted) throw abortError(signal, `The SNMP ${method.toUpperCase()}`);
    const session = await this.#open(snmp);
    if (signal.aborted) throw abortError(signal, `The SNMP ${method.toUpperCase()}`);
    return await new Promise((resolve, reject) => {
      const what = `SNMP ${method.toUpperCase()}`;
      let settled = false;
      let probeTimer: { cancel(): void } | undefined;
      let graceTimer: { cancel(): void } | undefined;
      const probing = new AbortController();
      const finish = (error: DriverError | undefined, result?: Varbind[]) => {
        if (settled) return;
        settled = true;
        probeTimer?.cancel();
        graceTimer?.cancel();
        probing.abort();
        signal.removeEventListener("abort", onAbort);
        if (error) {
          void this.close();
          reject(error);
        } else resolve(result!);
      };
      const onAbort = () =>
        finish(
          new DriverError(
            "timeout",
            `${this.target.device} did not answer the ${what} ` +
              `(wrong community or credentials also look like this: agents drop them silently)`,
          ),
        );
      signal.addEventListener("abort", onAbort, { once: true });
      const v3Priv = this.target.version === "3" && this.target.user?.privKey !== undefined;
      if (this.target.version !== "3" || v3Priv) {
        // A v1/v2c agent drops a wrong community without a word, and an SNMPv3 agent drops what
        // it cannot decrypt (Net-SNMP's snmpd: "error parsing ScopedPDU"), which would look like
        // a dead agent until the timeout. An agent this slow gets asked whether it is there at
        // all; if it answers that at once but still not this request, the secret is the problem.
        probeTimer = this.clock.setTimer(PROBE_AFTER_MS, async () => {
          const answeredIn = await this.#agentAnswers(snmp, probing.signal);
          if (answeredIn === undefined || settled) return;
          const seconds = (PROBE_AFTER_MS + GRACE_MS) / 1000;
          const access = method === "set" ? "write" : "read";
          const culprit = v3Priv
            ? `the privacy passphrase (privpassphrase) or priv_protocol is wrong (agents drop ` +
              `what they cannot decrypt)`
            : `the configured community is wrong or may not ${access} (agents drop such ` +
              `requests silently)`;
          graceTimer = this.clock.setTimer(GRACE_MS, () =>
            finish(
              new DriverError(
                "auth",
                `${this.target.device} answers SNMP (an SNMPv3 discovery, which needs no ` +
                  `credentials, in ${Math.round(answeredIn)} ms) but not this ` +
                  `v${this.target.version} ${method.toUpperCase()} in ${seconds} s: ${culprit}`,
                { permanent: true },
              ),
            ));
        });
      }
      const callback = (error: Error | null, result: Varbind[]) => {
        if (settled) return;
        const status = (error as Error & { status?: number } | null)?.status;
        if (error && how.walk && status === snmp.ErrorStatus.NoSuchName) finish(undefined, []);
        else if (error) finish(this.#translate(snmp, error, method));
        else if (!how.exceptions && result.some((v) => snmp.isVarbindError(v))) {
          // noSuchObject / noSuchInstance: an outlet the device does not have stays missing.
          finish(
            new DriverError(
              "device",
              `${this.target.device} has no ${result.map((v) => v.oid).join(", ")} (${
                result.map((v) => snmp.varbindError(v)).join("; ")
              })`,
              { permanent: true },
            ),
          );
        } else finish(undefined, result);
      };
      if (method === "getBulk") session.getBulk(varbinds, 0, how.bulk ?? 1, callback);
      else session[method](varbinds, callback);
    });
  }

  /**
   * Whether an agent is there at all, asked without a community: an SNMPv3 request from an
   * unknown user, which an RFC 3414 agent answers with a report (the engine id, then "unknown
   * user name"). Resolves with how long that took, or undefined when nothing answered.
   */
  #agentAnswers(snmp: typeof NetSnmp, signal: AbortSignal): Promise<number | undefined> {
    const started = this.clock.now();
    return new Promise((resolve) => {
      let probe: Session;
      try {
        probe = snmp.createV3Session(
          this.target.host,
          { name: "pdud-probe", level: snmp.SecurityLevel.noAuthNoPriv },
          { port: this.target.port, retries: 0, timeout: GRACE_MS, idBitsSize: 32 },
        );
      } catch {
        return resolve(undefined);
      }
      probe.on("error", () => {});
      const done = (answered: boolean) => {
        signal.removeEventListener("abort", onAbort);
        try {
          probe.close();
        } catch { /* closed */ }
        resolve(answered ? this.clock.now() - started : undefined);
      };
      // The request was answered or gave up meanwhile: the probe is not needed any more.
      const onAbort = () => done(false);
      signal.addEventListener("abort", onAbort, { once: true });
      probe.get([SYS_UP_TIME], (error: Error | null) => {
        if (signal.aborted) return;
        done(
          !error || error.name === "ResponseInvalidError" || error.name === "RequestFailedError",
        );
      });
    });
  }

  #translate(snmp: typeof NetSnmp, error: Error, method: string): DriverError {
    const device = this.target.device;
    const name = error.name;
    if (name === "RequestTimedOutError") {
      return new DriverError(
        "timeout",
        `${device} did not answer the SNMP ${method.toUpperCase()}`,
      );
    }
    if (name === "RequestFailedError") {
      const status = (error as Error & { status?: number }).status;
      const text = status === undefined
        ? printable(error.message)
        : snmp.ErrorStatus[status] ?? `error status ${status}`;
      const kind =
        status === snmp.ErrorStatus.AuthorizationError || status === snmp.ErrorStatus.NoAccess
          ? "auth"
          : "device";
      // genErr, resourceUnavailable, commitFailed, undoFailed and tooBig may pass; the others
      // (noSuchName, badValue, readOnly, wrongValue, notWritable, noCreation …) say the request
      // itself is wrong for this device, and asking again gets the same answer.
      const permanent = status !== undefined && !TRANSIENT_STATUSES.has(status);
      return new DriverError(
        kind,
        `${device} refused the SNMP ${method.toUpperCase()}: ${text}`,
        { permanent },
      );
    }
    if (name === "ResponseInvalidError") {
      // An RFC 3414 report: usmStats* says why the agent refused the SNMPv3 message.
      const usm = USM_REPORTS.find((r) => error.message.startsWith(r.text));
      if (usm) {
        return new DriverError(
          usm.permanent ? "auth" : "protocol",
          `${device} rejected the SNMPv3 credentials: ${usm.text} (${usm.hint})`,
          { permanent: usm.permanent },
        );
      }
      if (/community/i.test(error.message)) {
        // net-snmp quotes both communities here; neither goes into a message.
        return new DriverError("protocol", `${device} answered with another community`);
      }
    }
    if (/ECONNREFUSED|ENETUNREACH|EHOSTUNREACH/.test(error.message)) {
      return new DriverError(
        "unreachable",
        `${device} is unreachable: ${printable(error.message)}`,
      );
    }
    return new DriverError("protocol", `${device}: ${printable(error.message)}`);
  }
}

/** A varbind's value as a number (the integer types) or a string (OCTET STRING), else undefined. */
function valueOf(snmp: typeof NetSnmp, varbind: Varbind): number | string | undefined {
  const { ObjectType } = snmp;
  switch (varbind.type) {
    case ObjectType.Integer:
    case ObjectType.Gauge:
    case ObjectType.Counter:
    case ObjectType.TimeTicks:
      return typeof varbind.value === "number" ? varbind.value : undefined;
    case ObjectType.Counter64: {
      // net-snmp gives a Counter64 as its big-endian bytes.
      const bytes = varbind.value as Uint8Array;
      return bytes instanceof Uint8Array
        ? Number(bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n))
        : undefined;
    }
    case ObjectType.OctetString:
      return varbind.value instanceof Uint8Array
        ? new TextDecoder().decode(varbind.value)
        : typeof varbind.value === "string"
        ? varbind.value
        : undefined;
    default:
      return undefined;
  }
}

function describe(
  snmp: typeof NetSnmp,
  varbind: { type: number; value: unknown } | undefined,
): string {
  if (!varbind) return "no value";
  const type = snmp.ObjectType[varbind.type] ?? `type ${varbind.type}`;
  return `${type} ${String(varbind.value)}`;
}
