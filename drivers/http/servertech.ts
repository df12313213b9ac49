/**
 * PDUs and relay boards driven through their web pages' own GET/PATCH/JSON-RPC endpoints, under
 * upstream's names and keys:
 *
 * - `anel_netpwrctrlhome` (3 sockets), `anel_netpwrctrladv`, `anel_netpwrctrlio`,
 *   `anel_netpwrctrlpro` (8): `GET /?Sw_on=N,<user><password>` (`Sw_off`); a wrong login is
 *   answered "User or password error." (ANEL's HTTP control, forum.anel.eu). Keys `username`
 *   (admin), `password` (anel); the device is the PDU's address (`host[:port]`).
 * - `intellinet` (Intellinet 163682, outlets 0–7): `GET /control_outlet.htm?outletN=1&op=0|1&submit=…`
 *   with basic auth; state from `GET /status.xml` (`<outletStatN>on</outletStatN>`). Keys `port`
 *   (80), `username`/`password` (admin/admin).
 * - `ip9850` (Aviosys IP Power 9850, outlets 1–4): `GET /set.cmd?user=&pass=&cmd=setpower&p6N=1|0`
 *   answered `p6N=1`; state from `cmd=getpower`. Keys `username`, `password`, `ip` (upstream
 *   ignores it and dials the PDU name; pdud dials it).
 * - `LindyIPowerClassic8` (outlets 1–8): `GET /ons.cgi?led=<24 bits>` / `offs.cgi`, one bit per
 *   outlet, MSB first; basic auth when `username` and `password` are set. `port` (80) — upstream
 *   reads it but never uses it; pdud does.
 * - `sainsmart` (SainSmart Ethernet relay boards): `GET /30000/NN`, NN = 2(N−1)+1 on, 2(N−1) off.
 *   Key `ip` (default: the PDU's address).
 * - `servertechpro2` (Server Technology PRO2, JAWS API): `PATCH /jaws/control/outlets/<id>` with
 *   `{"control_action":"on"|"off"}`, basic auth; state from `GET` of the same path. Keys
 *   `username`/`password` (admin/admin), `protocol` (http|https), `ip`, `insecure` (https without
 *   certificate checks), and pdud's `outlet_prefix` (the JAWS id of outlet N is prefix+N, e.g.
 *   "AA"; upstream sends the bare number).
 * - `ubus` (OpenWrt PoE switches): JSON-RPC `POST /ubus` calling `poe manage {port:"lanN",enable}`
 *   with the anonymous session; state from `poe info`.
 *
 * A device that answers a switch request with a page is believed only when that page is text:
 * a reply with control bytes in it is not the device's web server speaking.
 * @module
 */
import { z } from "zod";
import { Buffer } from "node:buffer";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OperationOptions, OutletState } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { type HttpAnswer, type HttpAuth, httpCall } from "../_transport/http_client.ts";

/** The answer as text, refused when it holds bytes no web page has. */
function pageText(answer: HttpAnswer, device: string, what: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0e-\x1f\ufffd]/.test(answer.text)) {
    throw new DriverError(
      "protocol",
      `${device} answered ${what} with bytes that are not a web page: ${
        JSON.stringify(answer.text.slice(0, 24))
      }`,
    );
  }
  return answer.text;
}

function checkRange(outlet: number, min: number, max: number, device: string): void {
  if (!Number.isInteger(outlet) || outlet < min || outlet > max) {
    throw new DriverError("config", `${device} has outlets ${min}–${max}, not ${outlet}`);
  }
}

// ---------------------------------------------------------------------------------------------
// ANEL NET-PwrCtrl

const ANEL_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("anel"),
}).strict();

function anel(name: string, model: string, sockets: number) {
  const descriptor: DriverDescriptor<z.infer<typeof ANEL_OPTIONS>> = {
    names: [name],
    summary: `ANEL NET-PwrCtrl ${model} (${sockets} sockets) over its HTTP control (Sw_on/Sw_off)`,
    options: ANEL_OPTIONS,
    outletRange: () => ({ min: 1, max: sockets }),
    create(hostname, { options }) {
      const device = `ANEL NET-PwrCtrl ${model} at ${hostname}`;
      return {
        async setOutlet(outlet, state, { signal }) {
          checkRange(outlet, 1, sockets, device);
          const login = encodeURIComponent(`${options.username}${options.password}`);
          const text = pageText(
            await httpCall({
              url: `http://${hostname}/?Sw_${state}=${outlet},${login}`,
              signal,
              device,
            }),
            device,
            `Sw_${state}`,
          );
          if (text.includes("User or password error")) {
            throw new DriverError(
              "auth",
              `${device} refused user "${options.username}": "User or password error."`,
            );
          }
        },
        async close() {},
      };
    },
  };
  return descriptor;
}

/** `anel_netpwrctrlhome`. */
export const ANEL_HOME = anel("anel_netpwrctrlhome", "HOME", 3);
/** `anel_netpwrctrladv`. */
export const ANEL_ADV = anel("anel_netpwrctrladv", "ADV", 8);
/** `anel_netpwrctrlio`. */
export const ANEL_IO = anel("anel_netpwrctrlio", "IO", 8);
/** `anel_netpwrctrlpro`. */
export const ANEL_PRO = anel("anel_netpwrctrlpro", "PRO", 8);

// ---------------------------------------------------------------------------------------------
// Intellinet 163682

const INTELLINET_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** `intellinet`. */
export const INTELLINET: DriverDescriptor<z.infer<typeof INTELLINET_OPTIONS>> = {
  names: ["intellinet"],
  summary: "Intellinet 163682 IP smart PDU (outlets 0–7): control_outlet.htm, basic auth",
  options: INTELLINET_OPTIONS,
  outletRange: () => ({ min: 0, max: 7 }),
  create(hostname, { options }) {
    const base = `http://${hostname}:${options.port}`;
    const device = `Intellinet PDU at ${hostname}:${options.port}`;
    const auth: HttpAuth = {
      scheme: "basic",
      username: options.username,
      password: options.password,
    };
    const refusedIn = (text: string) => {
      if (/\b401\b/.test(text)) {
        throw new DriverError("auth", `${device} refused the credentials (its page says 401)`);
      }
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 0, 7, device);
        const query = new URLSearchParams({
          [`outlet${outlet}`]: "1",
          op: state === "on" ? "0" : "1",
          submit: "Anwenden",
        });
        const answer = await httpCall({
          url: `${base}/control_outlet.htm?${query}`,
          auth,
          signal,
          device,
        });
        refusedIn(pageText(answer, device, "control_outlet.htm"));
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 0, 7, device);
        const text = pageText(
          await httpCall({ url: `${base}/status.xml`, auth, signal, device }),
          device,
          "status.xml",
        );
        refusedIn(text);
        const m = new RegExp(`<outletStat${outlet}>\\s*(on|off)\\s*</outletStat${outlet}>`, "i")
          .exec(text);
        if (!m) {
          throw new DriverError("protocol", `${device}: status.xml has no outletStat${outlet}`, {
            permanent: true,
          });
        }
        return m[1]!.toLowerCase() as OutletState;
      },
      async close() {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Aviosys IP Power 9850

const IP9850_OPTIONS = z.object({
  // Upstream's own example config sets `ip`, which its driver ignores (it dials the PDU name);
  // pdud dials it, as the user meant.
  "ip": z.string().min(1).optional(),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** `ip9850`. */
export const IP9850: DriverDescriptor<z.infer<typeof IP9850_OPTIONS>> = {
  names: ["ip9850"],
  summary: "Aviosys IP Power 9850 (outlets 1–4): set.cmd setpower/getpower over HTTP",
  options: IP9850_OPTIONS,
  outletRange: () => ({ min: 1, max: 4 }),
  create(name, { options }) {
    const hostname = options.ip ?? name;
    const device = `IP Power 9850 at ${hostname}`;
    const call = async (params: Record<string, string>, signal: AbortSignal) => {
      // Upstream leaves out an unset user or pass (requests drops None parameters).
      const query = new URLSearchParams({
        ...(options.username !== undefined ? { user: options.username } : {}),
        ...(options.password !== undefined ? { pass: options.password } : {}),
        ...params,
      });
      const text = pageText(
        await httpCall({ url: `http://${hostname}/set.cmd?${query}`, signal, device }),
        device,
        params.cmd!,
      );
      if (/\b401\b/.test(text)) {
        throw new DriverError(
          "auth",
          `${device} refused user "${options.username ?? ""}" (its answer says 401)`,
        );
      }
      return text;
    };
    const stateIn = (text: string, outlet: number): OutletState => {
      const m = new RegExp(`\\bp6${outlet}=([01])\\b`).exec(text);
      if (!m) {
        throw new DriverError(
          "protocol",
          `${device} did not report p6${outlet}: ${JSON.stringify(text.slice(0, 60))}`,
        );
      }
      return m[1] === "1" ? "on" : "off";
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 4, device);
        const text = await call(
          { cmd: "setpower", [`p6${outlet}`]: state === "on" ? "1" : "0" },
          signal,
        );
        const now = stateIn(text, outlet);
        if (now !== state) {
          throw new DriverError("device", `${device} reports p6${outlet} ${now} after ${state}`);
        }
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, 4, device);
        return stateIn(await call({ cmd: "getpower" }, signal), outlet);
      },
      async close() {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Lindy iPower Classic 8

const LINDY_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** The `led` value of outlet N: 24 binary digits, the MSB being outlet 1 (the web UI's padding). */
export function lindyLeds(outlet: number): string {
  return (1 << (24 - outlet)).toString(2).padStart(24, "0");
}

/** `LindyIPowerClassic8`. */
export const LINDY_IPOWER_CLASSIC8: DriverDescriptor<z.infer<typeof LINDY_OPTIONS>> = {
  names: ["LindyIPowerClassic8"],
  summary: "Lindy iPower Classic 8 (outlets 1–8): ons.cgi/offs.cgi?led=<bits>, basic auth",
  options: LINDY_OPTIONS,
  outletRange: () => ({ min: 1, max: 8 }),
  create(hostname, { options }) {
    const device = `Lindy iPower at ${hostname}:${options.port}`;
    const auth: HttpAuth | undefined = options.username && options.password
      ? { scheme: "basic", username: options.username, password: options.password }
      : undefined;
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 8, device);
        const script = state === "on" ? "ons.cgi" : "offs.cgi";
        pageText(
          await httpCall({
            url: `http://${hostname}:${options.port}/${script}?led=${lindyLeds(outlet)}`,
            auth,
            signal,
            device,
          }),
          device,
          script,
        );
      },
      async close() {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
// SainSmart Ethernet relay boards

const SAINSMART_OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
}).strict();

/** `sainsmart`. */
export const SAINSMART: DriverDescriptor<z.infer<typeof SAINSMART_OPTIONS>> = {
  names: ["sainsmart"],
  summary: "SainSmart Ethernet relay boards (relays 1–16): GET /30000/NN",
  options: SAINSMART_OPTIONS,
  outletRange: () => ({ min: 1, max: 16 }),
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const device = `SainSmart relay board at ${host}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 16, device);
        const code = String((outlet - 1) * 2 + (state === "on" ? 1 : 0)).padStart(2, "0");
        pageText(
          await httpCall({ url: `http://${host}/30000/${code}`, signal, device }),
          device,
          `/30000/${code}`,
        );
      },
      async close() {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Server Technology PRO2 (JAWS)

const SERVERTECH_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
  "insecure": z.union([z.boolean(), z.enum(["true", "false", "True", "False", "1", "0"])])
    .default(false)
    .transform((v) => v === true || v === "true" || v === "True" || v === "1"),
  "protocol": z.enum(["http", "https"]).default("http"),
  "ip": z.string().min(1).optional(),
  "outlet_prefix": z.string().regex(/^[A-Za-z]*$/, 'expected letters like "AA"').default(""),
}).strict();

/**
 * A JSON request over node:https without certificate checks, for `insecure: true` (fetch has
 * no per-request switch for it). Answers in the shape httpCall gives, errors as DriverError.
 */
async function insecureCall(
  call: { method: string; url: string; json?: unknown; auth: HttpAuth; device: string },
  signal: AbortSignal,
): Promise<HttpAnswer> {
  // Loaded here: node:https costs ~0.03 s at start, and only this option needs it.
  const { default: https } = await import("node:https");
  return await new Promise((resolve, reject) => {
    const body = call.json === undefined ? undefined : JSON.stringify(call.json);
    const request = https.request(call.url, {
      method: call.method,
      rejectUnauthorized: false,
      signal,
      headers: {
        authorization: `Basic ${btoa(`${call.auth.username}:${call.auth.password}`)}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        if (status === 401 || status === 403) {
          reject(
            new DriverError("auth", `${call.device} refused the credentials (HTTP ${status})`),
          );
        } else if (status < 200 || status > 299) {
          reject(new DriverError("device", `${call.device} answered HTTP ${status}: ${text}`));
        } else {
          resolve({
            status,
            text,
            json: () => {
              try {
                return JSON.parse(text);
              } catch {
                throw new DriverError("protocol", `${call.device} answered something not JSON`);
              }
            },
          });
        }
      });
    });
    request.on("error", (error: Error) => {
      reject(
        signal.aborted
          ? new DriverError("timeout", `${call.device} did not answer in time`)
          : new DriverError("unreachable", `cannot reach ${call.device}: ${error.message}`),
      );
    });
    request.end(body);
  });
}

/** `servertechpro2`. */
export const SERVERTECH_PRO2: DriverDescriptor<z.infer<typeof SERVERTECH_OPTIONS>> = {
  names: ["servertechpro2"],
  summary: "Server Technology PRO2 PDUs over the JAWS REST API (PATCH control_action), basic auth",
  options: SERVERTECH_OPTIONS,
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const base = `${options.protocol}://${host}/jaws/control/outlets/`;
    const device = `ServerTech PRO2 at ${host}`;
    const auth: HttpAuth = {
      scheme: "basic",
      username: options.username,
      password: options.password,
    };
    const request = (method: string, outlet: number, signal: AbortSignal, json?: unknown) => {
      const url = `${base}${options.outlet_prefix}${outlet}`;
      return options.protocol === "https" && options.insecure
        ? insecureCall({ method, url, auth, device, ...(json ? { json } : {}) }, signal)
        : httpCall({ method, url, auth, signal, device, ...(json ? { json } : {}) });
    };
    const id = (outlet: number) => `${options.outlet_prefix}${outlet}`;
    return {
      async setOutlet(outlet, state, { signal }: OperationOptions) {
        const answer = await request("PATCH", outlet, signal, { control_action: state });
        // JAWS answers 204; a body, when there is one, is JSON.
        if (answer.text.trim() !== "") answer.json();
      },
      async getOutlet(outlet, { signal }) {
        const body = (await request("GET", outlet, signal)).json() as {
          state?: unknown;
          control_state?: unknown;
        };
        const state = String(body.state ?? body.control_state ?? "").toLowerCase();
        if (state !== "on" && state !== "off") {
          throw new DriverError(
            "protocol",
            `${device} did not report outlet ${id(outlet)}'s state`,
          );
        }
        return state;
      },
      async close() {},
    };
  },
};

// ---------------------------------------------------------------------------------------------
// OpenWrt ubus (PoE)

/** ubus status codes (libubus `enum ubus_msg_status`), for messages. */
const UBUS_STATUS = [
  "OK",
  "INVALID_COMMAND",
  "INVALID_ARGUMENT",
  "METHOD_NOT_FOUND",
  "NOT_FOUND",
  "NO_DATA",
  "PERMISSION_DENIED",
  "TIMEOUT",
  "NOT_SUPPORTED",
  "UNKNOWN_ERROR",
  "CONNECTION_FAILED",
];

/** The anonymous ubus session uhttpd-mod-ubus grants to unauthenticated callers. */
export const UBUS_ANONYMOUS_SESSION = "0".repeat(32);

/** `ubus`. */
export const UBUS: DriverDescriptor<Record<string, never>> = {
  names: ["ubus"],
  summary: "OpenWrt PoE switches over ubus JSON-RPC (poe manage / poe info), anonymous session",
  options: z.object({}).strict() as z.ZodType<Record<string, never>>,
  create(hostname) {
    const device = `ubus at ${hostname}`;
    let id = 0;
    const call = async (method: string, message: unknown, signal: AbortSignal) => {
      const body = (await httpCall({
        method: "POST",
        url: `http://${hostname}/ubus`,
        json: {
          jsonrpc: "2.0",
          id: ++id,
          method: "call",
          params: [UBUS_ANONYMOUS_SESSION, "poe", method, message],
        },
        signal,
        device,
      })).json() as { result?: unknown; error?: { code?: unknown; message?: unknown } };
      if (body.error) {
        throw new DriverError(
          body.error.code === -32002 ? "auth" : "device",
          `${device} refused poe ${method}: ${String(body.error.message)} (${
            String(body.error.code)
          })`,
        );
      }
      // uhttpd answers [status, data]; a bare object is taken as the data (upstream's reading).
      if (Array.isArray(body.result)) {
        const [status, data] = body.result as [unknown, unknown];
        if (status !== 0) {
          const name = typeof status === "number" ? UBUS_STATUS[status] : undefined;
          throw new DriverError(
            "device",
            `${device}: poe ${method} failed with ${name ?? "status"} (${String(status)})`,
          );
        }
        return data;
      }
      if (typeof body.result === "object" && body.result !== null) return body.result;
      throw new DriverError("protocol", `${device}: poe ${method} answered no result`);
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await call("manage", { port: `lan${outlet}`, enable: state === "on" }, signal);
      },
      async getOutlet(outlet, { signal }) {
        const info = await call("info", {}, signal) as { ports?: Record<string, unknown> };
        const port = info?.ports?.[`lan${outlet}`];
        if (port === undefined) {
          throw new DriverError(
            "device",
            `${device} has no port lan${outlet} (it has ${
              printable(Object.keys(info?.ports ?? {}).join(", "))
            })`,
            { permanent: true },
          );
        }
        // realtek-poe reports an object with `status`; upstream reads a plain string.
        const status = typeof port === "object" && port !== null
          ? (port as { status?: unknown }).status
          : port;
        return status === "Disabled" ? "off" : "on";
      },
      async close() {},
    };
  },
};
