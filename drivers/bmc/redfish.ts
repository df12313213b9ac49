/**
 * Server power through a BMC's Redfish service (DMTF DSP0266 1.x; schema ComputerSystem v1,
 * Chassis/Power v1): the outlet is a ComputerSystem. On and off are
 * `POST {system}/Actions/ComputerSystem.Reset {"ResetType": "On" | "ForceOff"}` at the target
 * the system names, after reading its `PowerState` (a system already in the state asked for is
 * left alone: iDRAC answers 409 to On when on); status is `PowerState`; power readings are the
 * system's chassis's `Power` resource, `PowerControl[0].PowerConsumedWatts`.
 *
 * Keys: `username`, `password`, `auth` (session: a session from the service root's
 * Links/Sessions with X-Auth-Token, deleted at close; or basic), `protocol` (https), `port`
 * (by protocol), `insecure` (https without certificate checks: BMCs ship self-signed ones),
 * `ca_file` (the BMC's certificate or CA instead), `systems` (the systems outlets 1…N name, as
 * ids or /redfish/v1/Systems/… paths; default: the service's only system), `on_reset_type`
 * (On), `off_reset_type` (ForceOff; GracefulShutdown asks the OS). Tested against pdud's
 * Redfish simulator (simulators/bmc/redfish.ts), which python3-sushy 4.3 and redfishtool 1.1.5
 * accept.
 * @module
 */
import { z } from "zod";
import { FILE_PATH, wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, PowerReading } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { DeviceCa, type HttpAnswer, httpCall, withoutSecrets } from "../_transport/http_client.ts";

/** The ResetType values of ComputerSystem.Reset (Resource.ResetType) pdud may send. */
export const REDFISH_RESET_TYPES = [
  "On",
  "ForceOn",
  "ForceOff",
  "GracefulShutdown",
  "GracefulRestart",
  "ForceRestart",
  "PowerCycle",
  "PushPowerButton",
  "Nmi",
] as const;

/** One ResetType. */
export type RedfishResetType = (typeof REDFISH_RESET_TYPES)[number];

/** What a system's PowerState means for its outlet. */
export function outletStateOf(powerState: unknown): OutletState | undefined {
  switch (powerState) {
    case "On":
    case "PoweringOn":
    case "Paused":
      return "on";
    case "Off":
    case "PoweringOff":
      return "off";
    default:
      return undefined;
  }
}

/** A system as `systems` names it: an id (a path segment) or a path under /redfish/v1/Systems/. */
const SYSTEM = z.union([
  z.string().regex(
    /^[A-Za-z0-9._~:@!$'()*+,;=-]+$/,
    "expected a system id such as 1 or System.Embedded.1",
  ),
  z.string().regex(/^\/redfish\/v1\/Systems\/[^\s?#]+$/, "expected a path /redfish/v1/Systems/ID"),
]);

const BOOLEAN = z.union([z.boolean(), z.enum(["true", "false", "True", "False", "1", "0"])], {
  error: "expected true or false",
})
  .transform((v) => v === true || v === "true" || v === "True" || v === "1");

const OPTIONS = z.object({
  "username": z.string().optional(),
  "password": z.string().optional(),
  "auth": z.enum(["session", "basic"]).default("session"),
  "protocol": z.enum(["https", "http"]).default("https"),
  "port": wholeNumber(1, 65535).optional(),
  "insecure": BOOLEAN.default(false),
  "ca_file": FILE_PATH.optional(),
  "systems": z.array(SYSTEM).min(1).max(256).optional(),
  "on_reset_type": z.enum(["On", "ForceOn", "PushPowerButton"]).default("On"),
  "off_reset_type": z.enum(["ForceOff", "GracefulShutdown", "PushPowerButton"]).default(
    "ForceOff",
  ),
}).strict().refine((o) => !(o.insecure && o.ca_file), {
  message: "give insecure or ca_file, not both",
  path: ["insecure"],
});

/** redfish's keys. */
export type RedfishOptions = z.infer<typeof OPTIONS>;

/** The path of a system that `systems` names. */
export function systemPath(system: string): string {
  return system.startsWith("/") ? system : `/redfish/v1/Systems/${encodeURIComponent(system)}`;
}

/** The message of a Redfish error body (`error.message`, else its first extended info). */
export function redfishMessage(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
    const info = error?.["@Message.ExtendedInfo"];
    const first = Array.isArray(info) ? (info[0] as { Message?: unknown })?.Message : undefined;
    const message = typeof first === "string" ? first : error?.message;
    if (typeof message === "string") return printable(message, 200);
  } catch { /* not JSON: said as it is */ }
  return printable(text.replace(/\s+/g, " ").trim(), 100);
}

interface Root {
  systems: string;
  chassis: string | undefined;
  sessions: string;
}

/** `redfish`. */
export const REDFISH: DriverDescriptor<RedfishOptions> = {
  names: ["redfish"],
  summary:
    "server power through a BMC's Redfish service (ComputerSystem.Reset, PowerState, PowerControl watts)",
  options: OPTIONS,
  outletRange: (o) => ({ min: 1, max: o.systems?.length ?? 1 }),
  create(hostname, { options, log }) {
    const host = /:.*:/.test(hostname) && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
    const authority = options.port === undefined ? host : `${host}:${options.port}`;
    const base = `${options.protocol}://${authority}`;
    const device = `Redfish service at ${authority}`;
    const origin = new URL(base).origin;
    const ca = new DeviceCa(device, options.ca_file);
    let root: Root | undefined;
    let token: string | undefined;
    let session: string | undefined;
    let onlySystem: string | undefined;

    /** One request; statuses other than 2xx, 401 and 403 come back for the caller to word. */
    const send = async (
      method: string,
      path: string,
      signal: AbortSignal,
      extra: { json?: unknown; auth?: boolean } = {},
    ): Promise<HttpAnswer> => {
      const authenticated = extra.auth ?? true;
      const headers: Record<string, string> = {
        accept: "application/json",
        "odata-version": "4.0",
      };
      if (authenticated && token !== undefined) headers["x-auth-token"] = token;
      const basic = authenticated && token === undefined && options.username !== undefined
        ? { scheme: "basic" as const, username: options.username, password: options.password ?? "" }
        : undefined;
      // Links and action targets come from the BMC's answers: one naming another host
      // (`//other/…`, `http://other/…`) would carry the session token or the password there.
      const url = new URL(path, base);
      if (url.origin !== origin) {
        throw new DriverError(
          "protocol",
          `${device} linked ${printable(withoutSecrets(url.href), 80)}, outside the service; ` +
            `pdud follows links only on ${origin}`,
          { permanent: true },
        );
      }
      log.debug("redfish request", { method, path });
      try {
        return await httpCall({
          method,
          url: url.href,
          headers,
          auth: basic,
          ...(extra.json === undefined ? {} : { json: extra.json }),
          acceptStatus: ERROR_STATUSES,
          insecure: options.insecure,
          client: await ca.client(),
          signal,
          device,
        });
      } catch (error) {
        // A certificate the BMC will present again (self-signed, another name): asking again
        // cannot help, the config can.
        if (
          error instanceof DriverError && error.kind === "unreachable" &&
          UNTRUSTED_CERTIFICATE.test(error.message)
        ) {
          throw new DriverError(
            "unreachable",
            `${error.message}; pdud does not trust the BMC's certificate: set ca_file to it ` +
              "(or to its CA), or insecure: true",
            { permanent: true, cause: error },
          );
        }
        throw error;
      }
    };

    const refused = (answer: HttpAnswer, what: string): DriverError => {
      const permanent = answer.status >= 400 && answer.status < 500 &&
        ![408, 409, 425, 429].includes(answer.status);
      return new DriverError(
        "device",
        `${device} answered HTTP ${answer.status} to ${what}: ${redfishMessage(answer.text)}`,
        { permanent },
      );
    };

    const json = (answer: HttpAnswer, what: string): Record<string, unknown> => {
      const body = answer.json();
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw new DriverError("protocol", `${device} answered ${what} with no JSON object`);
      }
      return body as Record<string, unknown>;
    };

    const serviceRoot = async (signal: AbortSignal): Promise<Root> => {
      if (root) return root;
      const answer = await send("GET", "/redfish/v1/", signal, { auth: false });
      if (answer.status !== 200) throw refused(answer, "GET /redfish/v1/");
      const body = json(answer, "GET /redfish/v1/");
      const systems = link(body.Systems);
      if (systems === undefined) {
        throw new DriverError("protocol", `${device}: the service root links no Systems`);
      }
      root = {
        systems,
        chassis: link(body.Chassis),
        sessions: link((body.Links as Record<string, unknown> | undefined)?.Sessions) ??
          "/redfish/v1/SessionService/Sessions",
      };
      return root;
    };

    const login = async (signal: AbortSignal) => {
      const { sessions } = await serviceRoot(signal);
      const answer = await send("POST", sessions, signal, {
        auth: false,
        json: { UserName: options.username ?? "", Password: options.password ?? "" },
      });
      if (answer.status !== 201 && answer.status !== 200) {
        throw refused(answer, `POST ${sessions} (log-in)`);
      }
      const key = answer.headers.get("x-auth-token");
      if (!key) {
        throw new DriverError("protocol", `${device} opened a session without an X-Auth-Token`);
      }
      token = key;
      // A Location is often absolute, naming the BMC as it calls itself (a name where pdud
      // dials an address): only its path is kept, and used on this service.
      const location = answer.headers.get("location");
      session = location ? pathOf(location, base) : link(json(answer, "the log-in"));
    };

    /** A request with the configured authentication; an expired session is renewed once. */
    const request = async (
      method: string,
      path: string,
      signal: AbortSignal,
      body?: unknown,
    ): Promise<HttpAnswer> => {
      const useSession = options.auth === "session" && options.username !== undefined;
      const fresh = token === undefined;
      if (useSession && fresh) await login(signal);
      try {
        return await send(method, path, signal, body === undefined ? {} : { json: body });
      } catch (error) {
        if (!(useSession && !fresh && error instanceof DriverError && error.kind === "auth")) {
          throw error;
        }
        // The session may have expired (BMCs drop idle ones): one new log-in, then the answer.
        token = undefined;
        await login(signal);
        return await send(method, path, signal, body === undefined ? {} : { json: body });
      }
    };

    const get = async (path: string, signal: AbortSignal) => {
      const answer = await request("GET", path, signal);
      if (answer.status !== 200) throw refused(answer, `GET ${path}`);
      return json(answer, `GET ${path}`);
    };

    const systemOf = async (outlet: number, signal: AbortSignal): Promise<string> => {
      if (options.systems) return systemPath(options.systems[outlet - 1]!);
      if (onlySystem) return onlySystem;
      const { systems } = await serviceRoot(signal);
      const members = (await get(systems, signal)).Members;
      const paths = Array.isArray(members) ? members.map(link).filter((p) => p !== undefined) : [];
      if (paths.length !== 1) {
        throw new DriverError(
          "config",
          paths.length === 0
            ? `${device} lists no systems in ${systems}`
            : `${device} has ${paths.length} systems (${
              paths.slice(0, 4).map((p) => printable(p, 60)).join(", ")
            }${paths.length > 4 ? ", …" : ""}): name the ones outlets 1…N are in "systems"`,
        );
      }
      onlySystem = paths[0]!;
      return onlySystem;
    };

    const readSystem = async (outlet: number, signal: AbortSignal) => {
      const path = await systemOf(outlet, signal);
      const system = await get(path, signal);
      const state = outletStateOf(system.PowerState);
      if (state === undefined) {
        throw new DriverError(
          "protocol",
          `${device}: system ${printable(path, 80)} reports PowerState ${
            printable(JSON.stringify(system.PowerState ?? null), 40)
          }`,
        );
      }
      return { path, system, state };
    };

    return {
      async setOutlet(outlet, state, { signal }) {
        const { path, system, state: now } = await readSystem(outlet, signal);
        if (now === state) return;
        const resetType = state === "on" ? options.on_reset_type : options.off_reset_type;
        const action = ((system.Actions as Record<string, unknown> | undefined)?.[
          "#ComputerSystem.Reset"
        ]) as Record<string, unknown> | undefined;
        const target = typeof action?.target === "string" ? action.target : undefined;
        if (target === undefined) {
          throw new DriverError(
            "device",
            `${device}: system ${printable(path, 80)} offers no #ComputerSystem.Reset action`,
            { permanent: true },
          );
        }
        const allowed = action?.["ResetType@Redfish.AllowableValues"];
        if (Array.isArray(allowed) && !allowed.includes(resetType)) {
          throw new DriverError(
            "config",
            `${device}: system ${printable(path, 80)} does not take ResetType ${resetType} ` +
              `(it takes ${allowed.map((v) => printable(String(v), 20)).join(", ")}); ` +
              `set ${state === "on" ? "on_reset_type" : "off_reset_type"}`,
          );
        }
        const answer = await request("POST", target, signal, { ResetType: resetType });
        if (answer.status >= 300) {
          throw refused(answer, `ComputerSystem.Reset ${resetType} of ${printable(path, 80)}`);
        }
      },
      async getOutlet(outlet, { signal }) {
        return (await readSystem(outlet, signal)).state;
      },
      async readPower(outlet, { signal }): Promise<PowerReading> {
        const { path, system } = await readSystem(outlet, signal);
        const links = system.Links as Record<string, unknown> | undefined;
        let chassis = Array.isArray(links?.Chassis) ? link(links.Chassis[0]) : undefined;
        if (chassis === undefined) {
          const { chassis: collection } = await serviceRoot(signal);
          const members = collection ? (await get(collection, signal)).Members : undefined;
          if (Array.isArray(members) && members.length === 1) chassis = link(members[0]);
        }
        const power = chassis ? link((await get(chassis, signal)).Power) : undefined;
        if (power === undefined) {
          throw new DriverError(
            "device",
            `${device}: system ${printable(path, 80)} has no chassis Power resource to read`,
            { permanent: true },
          );
        }
        const control = (await get(power, signal)).PowerControl;
        const first = Array.isArray(control) ? control[0] as Record<string, unknown> : undefined;
        const watts = first?.PowerConsumedWatts;
        return typeof watts === "number" && Number.isFinite(watts) ? { watts } : {};
      },
      async close() {
        const [location, key] = [session, token];
        session = token = undefined;
        root = undefined;
        onlySystem = undefined;
        if (location !== undefined && key !== undefined) {
          // Sessions are few on a BMC (often 4-16): hand this one back, but never wait long.
          token = key;
          try {
            await send("DELETE", location, AbortSignal.timeout(2000));
          } catch (error) {
            log.debug("redfish session not deleted", {
              reason: error instanceof Error ? error.message : String(error),
            });
          } finally {
            token = undefined;
          }
        }
        ca.close();
      },
    };
  },
};

/** How rustls (Deno's fetch) words a certificate it does not trust. */
const UNTRUSTED_CERTIFICATE =
  /invalid peer certificate|UnknownIssuer|NotValidForName|certificate (has )?expired|self[- ]signed certificate|unable to verify the first certificate/i;

/** Statuses a Redfish call answers to the driver instead of throwing: it words them itself. */
const ERROR_STATUSES = [
  400,
  404,
  405,
  406,
  408,
  409,
  412,
  415,
  425,
  428,
  429,
  500,
  501,
  502,
  503,
  504,
];

/** The `@odata.id` of a reference object, or undefined. */
function link(value: unknown): string | undefined {
  const id = (value as Record<string, unknown> | null | undefined)?.["@odata.id"];
  return typeof id === "string" && id.startsWith("/") ? id : undefined;
}

/** The path (and query) of a URL or path, resolved against `base`; undefined when unparsable. */
function pathOf(location: string, base: string): string | undefined {
  try {
    const url = new URL(location, base);
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}
