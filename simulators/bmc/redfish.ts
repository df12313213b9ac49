/**
 * A Redfish service (DMTF DSP0266 1.x) of a BMC, as strict as one: the service root at
 * /redfish/v1/ (readable without credentials, as the standard wants), a Systems collection with
 * one ComputerSystem per outlet (`PowerState`, `Actions/#ComputerSystem.Reset` with its target
 * and `ResetType@Redfish.AllowableValues`), a Chassis per system with its `Power` resource
 * (`PowerControl[0].PowerConsumedWatts`), and a SessionService whose Sessions collection opens
 * sessions (X-Auth-Token, Location) and closes them on DELETE. Everything else needs basic
 * credentials or a live session's token. Errors are Redfish error bodies (`error.code`,
 * `@Message.ExtendedInfo` with Base registry ids) with the status the standard names: 401, 404
 * ResourceMissingAtURI, 405 with Allow, 400 ActionParameterMissing / ActionParameterValueNotInList
 * / MalformedJSON, 409 as iDRAC answers On to a system that is on. Optionally over TLS.
 *
 * python3-sushy 4.3 and redfishtool 1.1.5 (Debian 12) accept it (tests/drivers/bmc/).
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import { REDFISH_RESET_TYPES, type RedfishResetType } from "../../drivers/bmc/mod.ts";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import {
  basicMatches,
  faultReply,
  serveSimulatorHttp,
  type SimulatedReply,
} from "../_transport/http_server.ts";
import { simulatorOn } from "../_transport/tcp_server.ts";

const OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("redfish-password"),
  /** Ids of the systems of outlets first…last (default: the outlet numbers). */
  "system_ids": z.array(z.string().regex(/^[A-Za-z0-9._-]+$/)).optional(),
  /** The ResetTypes the systems take (default: all but PushPowerButton and ForceOn). */
  "reset_types": z.array(z.enum(REDFISH_RESET_TYPES)).min(1).optional(),
  /** PowerConsumedWatts of a system that is on, and of one that is off (standby). */
  "watts_on": z.number().min(0).default(182),
  "watts_off": z.number().min(0).default(9),
  /** TLS: PEM files of the certificate and key (the service is then https only). */
  "cert_file": z.string().min(1).optional(),
  "key_file": z.string().min(1).optional(),
  /** Whether the SessionService takes log-ins (some BMCs are basic-only). */
  "sessions": z.boolean().default(true),
}).strict().refine((o) => (o.cert_file === undefined) === (o.key_file === undefined), {
  message: "give both cert_file and key_file, or neither",
});

/** The simulator's options, parsed. */
export type RedfishSimulatorOptions = z.infer<typeof OPTIONS>;

const DEFAULT_RESET_TYPES: readonly RedfishResetType[] = [
  "On",
  "ForceOff",
  "GracefulShutdown",
  "GracefulRestart",
  "ForceRestart",
  "PowerCycle",
  "Nmi",
];

const V1 = "/redfish/v1";
const JSON_HEADERS = {
  "content-type": "application/json;charset=utf-8",
  "odata-version": "4.0",
  "cache-control": "no-cache",
};

/** A Redfish JSON answer. */
function reply(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body, null, 1), {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}

/** A Redfish error body: Base registry message id, text, and the status it goes with. */
function error(
  status: number,
  messageId: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return reply(
    {
      error: {
        code: `Base.1.8.${messageId}`,
        message,
        "@Message.ExtendedInfo": [{
          "@odata.type": "#Message.v1_0_0.Message",
          MessageId: `Base.1.8.${messageId}`,
          Message: message,
          Severity: status >= 500 ? "Critical" : "Warning",
          Resolution: "See the message.",
        }],
      },
    },
    status,
    headers,
  );
}

const ref = (path: string) => ({ "@odata.id": path });

/** A running Redfish simulator's sessions (exposed to tests: a log-in is visible, a log-out too). */
export interface RedfishSessions {
  /** Session ids open now. */
  open(): string[];
  /** The X-Auth-Tokens of the sessions open now (for tests that look for a leaked one). */
  tokens(): string[];
  /** Log-ins accepted so far. */
  readonly created: number;
}

/** The Redfish simulator kind. */
export const REDFISH_SIMULATOR: SimulatorKind<RedfishSimulatorOptions> = {
  name: "redfish",
  summary:
    "a BMC's Redfish service: Systems with PowerState and ComputerSystem.Reset, Chassis Power " +
    "watts, SessionService (X-Auth-Token) and basic auth, optional TLS",
  options: OPTIONS,
  async start(device, { options, hostname, port }) {
    const tls = options.cert_file && options.key_file
      ? {
        cert: await Deno.readTextFile(options.cert_file),
        key: await Deno.readTextFile(options.key_file),
      }
      : undefined;
    const ids = options.system_ids ?? device.outlets().map(String);
    if (ids.length !== device.count) {
      throw new RangeError(`system_ids names ${ids.length} systems for ${device.count} outlets`);
    }
    const service = new RedfishService(device, options, ids);
    const server = serveSimulatorHttp(
      device,
      { hostname, port, tls },
      (request) => service.handle(request),
    );
    const simulator = simulatorOn("redfish", device, server, (_address, bound) => ({
      driver: "redfish",
      protocol: tls ? "https" : "http",
      port: bound,
      username: options.username,
      password: options.password,
      ...(options.sessions ? {} : { auth: "basic" }),
      ...(tls ? { insecure: true } : {}),
      ...(options.system_ids && device.count > 1 ? { systems: options.system_ids } : {}),
      ...(!options.system_ids && device.count > 1 ? { systems: ids } : {}),
    }));
    return Object.assign(simulator, { sessions: service.sessions });
  },
};

class RedfishService {
  readonly #device: SimulatedDevice;
  readonly #options: RedfishSimulatorOptions;
  readonly #ids: readonly string[];
  readonly #resetTypes: readonly RedfishResetType[];
  readonly #tokens = new Map<string, string>(); // token → session id
  readonly #count = { created: 0 };
  readonly sessions: RedfishSessions;

  constructor(device: SimulatedDevice, options: RedfishSimulatorOptions, ids: readonly string[]) {
    this.#device = device;
    this.#options = options;
    this.#ids = ids;
    this.#resetTypes = options.reset_types ?? DEFAULT_RESET_TYPES;
    const tokens = this.#tokens;
    const count = this.#count;
    this.sessions = {
      open: () => [...tokens.values()],
      tokens: () => [...tokens.keys()],
      get created() {
        return count.created;
      },
    };
  }

  #outletOf(id: string): number | undefined {
    const index = this.#ids.indexOf(id);
    return index < 0 ? undefined : this.#device.first + index;
  }

  #authorized(request: Request): boolean {
    const token = request.headers.get("x-auth-token");
    if (token !== null) return this.#tokens.has(token);
    const { username, password } = this.#options;
    return basicMatches(request.headers.get("authorization"), username, password);
  }

  async handle(request: Request): Promise<SimulatedReply> {
    const url = new URL(request.url);
    // One trailing slash is the same resource (/redfish/v1/ is the service root's own name).
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const method = request.method;
    this.#device.record(`${method} ${url.pathname}`);
    if (path === "/redfish") return only(method, ["GET"]) ?? reply({ v1: `${V1}/` });
    if (path === V1) return only(method, ["GET"]) ?? reply(this.#root());
    if (path === `${V1}/SessionService/Sessions` && method === "POST") {
      return await this.#login(request);
    }
    if (!this.#authorized(request)) {
      return error(
        401,
        "NoValidSession",
        "There is no valid session established with the implementation.",
        {
          "www-authenticate": 'Basic realm="Redfish"',
        },
      );
    }
    const member = (pattern: RegExp) => {
      const found = pattern.exec(path);
      if (!found) return undefined;
      const id = decodeURIComponent(found[1]!);
      return { id, outlet: this.#outletOf(id) };
    };
    const system = member(/^\/redfish\/v1\/Systems\/([^/]+)$/);
    const reset = member(/^\/redfish\/v1\/Systems\/([^/]+)\/Actions\/ComputerSystem\.Reset$/);
    const chassis = member(/^\/redfish\/v1\/Chassis\/([^/]+)$/);
    const power = member(/^\/redfish\/v1\/Chassis\/([^/]+)\/Power$/);
    const found = system ?? reset ?? chassis ?? power;
    if (found) {
      const { id, outlet } = found;
      if (outlet === undefined) return missing(url.pathname);
      if (system) {
        return only(method, ["GET"]) ??
          await this.#operate(request, () => reply(this.#system(id, outlet)));
      }
      if (reset) return only(method, ["POST"]) ?? await this.#reset(request, outlet);
      if (chassis) return only(method, ["GET"]) ?? reply(this.#chassis(id, outlet));
      return only(method, ["GET"]) ??
        await this.#operate(request, () => reply(this.#power(id, outlet)));
    }
    switch (path) {
      case `${V1}/Systems`:
        return only(method, ["GET"]) ?? reply(collectionOf(
          "ComputerSystemCollection",
          `${V1}/Systems`,
          "Computer System Collection",
          this.#ids.map((id) => `${V1}/Systems/${id}`),
        ));
      case `${V1}/Chassis`:
        return only(method, ["GET"]) ?? reply(collectionOf(
          "ChassisCollection",
          `${V1}/Chassis`,
          "Chassis Collection",
          this.#ids.map((id) => `${V1}/Chassis/${id}`),
        ));
      case `${V1}/SessionService`:
        return only(method, ["GET"]) ?? reply({
          "@odata.id": `${V1}/SessionService`,
          "@odata.type": "#SessionService.v1_1_8.SessionService",
          Id: "SessionService",
          Name: "Session Service",
          ServiceEnabled: this.#options.sessions,
          SessionTimeout: 600,
          Sessions: ref(`${V1}/SessionService/Sessions`),
        });
      case `${V1}/SessionService/Sessions`:
        return only(method, ["GET", "POST"]) ?? reply(collectionOf(
          "SessionCollection",
          `${V1}/SessionService/Sessions`,
          "Session Collection",
          [...this.#tokens.values()].map((id) => `${V1}/SessionService/Sessions/${id}`),
        ));
    }
    const session = /^\/redfish\/v1\/SessionService\/Sessions\/([^/]+)$/.exec(path);
    if (session) {
      const id = session[1]!;
      const token = [...this.#tokens].find(([, s]) => s === id)?.[0];
      if (token === undefined) return missing(url.pathname);
      if (method === "DELETE") {
        this.#tokens.delete(token);
        return new Response(null, { status: 204, headers: { "odata-version": "4.0" } });
      }
      return only(method, ["GET", "DELETE"]) ?? reply({
        "@odata.id": `${V1}/SessionService/Sessions/${id}`,
        "@odata.type": "#Session.v1_3_0.Session",
        Id: id,
        Name: "User Session",
        UserName: this.#options.username,
      });
    }
    return missing(url.pathname);
  }

  async #operate(request: Request, answer: () => Response | Promise<Response>) {
    const fault = await this.#device.beginOperation(request.signal);
    try {
      return faultReply(
        fault,
        JSON.stringify({
          error: {
            code: "Base.1.8.InternalError",
            message: "The request failed due to an internal service error.",
          },
        }),
      ) ?? await answer();
    } finally {
      this.#device.endOperation();
    }
  }

  async #login(request: Request): Promise<Response> {
    if (!this.#options.sessions) {
      return error(405, "OperationNotAllowed", "The SessionService is disabled.", { allow: "GET" });
    }
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return error(400, "MalformedJSON", "The request body submitted was malformed JSON.");
    }
    const { UserName, Password } = (body ?? {}) as Record<string, unknown>;
    if (typeof UserName !== "string" || typeof Password !== "string") {
      return error(
        400,
        "PropertyMissing",
        "UserName and Password are required to create a session.",
      );
    }
    if (UserName !== this.#options.username || Password !== this.#options.password) {
      return error(
        401,
        "ResourceAtUriUnauthorized",
        "While accessing the resource at /redfish/v1/SessionService/Sessions, the service received an authorization error: invalid credentials.",
      );
    }
    const id = String(++this.#count.created);
    const token = crypto.randomUUID().replaceAll("-", "");
    this.#tokens.set(token, id);
    const location = `${V1}/SessionService/Sessions/${id}`;
    return reply(
      {
        "@odata.id": location,
        "@odata.type": "#Session.v1_3_0.Session",
        Id: id,
        Name: "User Session",
        UserName,
      },
      201,
      { "x-auth-token": token, location },
    );
  }

  async #reset(request: Request, outlet: number): Promise<Response> {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return error(400, "MalformedJSON", "The request body submitted was malformed JSON.");
    }
    const resetType = (body as Record<string, unknown> | null)?.ResetType;
    if (resetType === undefined) {
      return error(
        400,
        "ActionParameterMissing",
        "The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.",
      );
    }
    if (
      typeof resetType !== "string" || !this.#resetTypes.includes(resetType as RedfishResetType)
    ) {
      return error(
        400,
        "ActionParameterValueNotInList",
        `The value ${
          JSON.stringify(resetType)
        } for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.`,
      );
    }
    this.#device.record(`ResetType ${resetType}`);
    // The device's fault knob is applied to the reads (a driver reads the system before it
    // resets it): one driver operation, one faulted exchange.
    return (() => {
      const now = this.#device.get(outlet);
      const set = (state: OutletState) => this.#device.set(outlet, state);
      switch (resetType as RedfishResetType) {
        case "On":
        case "ForceOn":
          // As iDRAC: a system that is on is not powered on again.
          if (now === "on") {
            return error(409, "ResourceInStandby", "The system is already powered on.");
          }
          set("on");
          break;
        case "ForceOff":
        case "GracefulShutdown":
          if (now === "off") {
            return error(409, "ResourceInStandby", "The system is already powered off.");
          }
          set("off");
          break;
        case "PushPowerButton":
          set(now === "on" ? "off" : "on");
          break;
        case "GracefulRestart":
        case "ForceRestart":
        case "PowerCycle":
          if (now === "on") set("off");
          set("on");
          break;
        case "Nmi":
          break;
      }
      return new Response(null, { status: 204, headers: { "odata-version": "4.0" } });
    })();
  }

  #root() {
    return {
      "@odata.id": `${V1}/`,
      "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
      "@odata.context": `${V1}/$metadata#ServiceRoot.ServiceRoot`,
      Id: "RootService",
      Name: "Root Service",
      RedfishVersion: "1.6.0",
      UUID: "92384634-2938-2342-8820-489239905423",
      Product: "pdud Redfish simulator",
      Vendor: "pdud",
      Systems: ref(`${V1}/Systems`),
      Chassis: ref(`${V1}/Chassis`),
      SessionService: ref(`${V1}/SessionService`),
      Links: { Sessions: ref(`${V1}/SessionService/Sessions`) },
    };
  }

  #system(id: string, outlet: number) {
    const path = `${V1}/Systems/${id}`;
    return {
      "@odata.id": path,
      "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
      Id: id,
      Name: `System ${id}`,
      SystemType: "Physical",
      Manufacturer: "pdud",
      Model: "Simulated server",
      PowerState: this.#device.get(outlet) === "on" ? "On" : "Off",
      Status: { State: "Enabled", Health: "OK" },
      // Required by the schema's users (sushy refuses a system without it); not switched here.
      Boot: {
        BootSourceOverrideEnabled: "Disabled",
        BootSourceOverrideTarget: "None",
        "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd", "Cd"],
        BootSourceOverrideMode: "UEFI",
      },
      Actions: {
        "#ComputerSystem.Reset": {
          target: `${path}/Actions/ComputerSystem.Reset`,
          "ResetType@Redfish.AllowableValues": [...this.#resetTypes],
        },
      },
      Links: { Chassis: [ref(`${V1}/Chassis/${id}`)] },
    };
  }

  #chassis(id: string, outlet: number) {
    return {
      "@odata.id": `${V1}/Chassis/${id}`,
      "@odata.type": "#Chassis.v1_10_0.Chassis",
      Id: id,
      Name: `Chassis ${id}`,
      ChassisType: "RackMount",
      PowerState: this.#device.get(outlet) === "on" ? "On" : "Off",
      Status: { State: "Enabled", Health: "OK" },
      Power: ref(`${V1}/Chassis/${id}/Power`),
      Links: { ComputerSystems: [ref(`${V1}/Systems/${id}`)] },
    };
  }

  #power(id: string, outlet: number) {
    const path = `${V1}/Chassis/${id}/Power`;
    const watts = this.#device.get(outlet) === "on"
      ? this.#options.watts_on
      : this.#options.watts_off;
    return {
      "@odata.id": path,
      "@odata.type": "#Power.v1_5_0.Power",
      Id: "Power",
      Name: "Power",
      PowerControl: [{
        "@odata.id": `${path}#/PowerControl/0`,
        MemberId: "0",
        Name: "System Power Control",
        PowerConsumedWatts: watts,
        PowerCapacityWatts: 750,
        Status: { State: "Enabled", Health: "OK" },
      }],
      "PowerControl@odata.count": 1,
    };
  }
}

/** 405 with Allow when `method` is not among `allowed`, else undefined. */
function only(method: string, allowed: readonly string[]): Response | undefined {
  if (allowed.includes(method)) return undefined;
  return error(
    405,
    "OperationNotAllowed",
    `The HTTP method ${method} is not allowed on this resource.`,
    {
      allow: allowed.join(", "),
    },
  );
}

function missing(path: string): Response {
  return error(404, "ResourceMissingAtURI", `The resource at the URI ${path} was not found.`);
}

function collectionOf(type: string, path: string, name: string, members: readonly string[]) {
  return {
    "@odata.id": path,
    "@odata.type": `#${type}.${type}`,
    Name: name,
    Members: members.map(ref),
    "Members@odata.count": members.length,
  };
}
