/**
 * A generic HTTP relay: `http` and `rest` (labgrid's `rest` and `HttpDigitalOutput`: PUT the
 * value to a URL, GET it back) and `simplerest` (labgrid's `simplerest`: GET a URL holding the
 * value; state from the same URL with the value left out). One request per operation, built from
 * templates: `{index}` (the outlet number), `{value}` (`on_value`/`off_value`), `{state}`
 * (`on`/`off`) and `{hostname}` (the PDU's hostname). State is read from the status code, a regex
 * on the body, a dotted JSON path, or the whole body. MAAS's `webhook` shape (a URL per action,
 * a query URL, regexes) is `url_on`/`url_off`/`url_get` with `state_regex_on`/`state_regex_off`.
 * Keys and recipes: docs/drivers.md#generic-http.
 * @module
 */
import { z } from "zod";
import { FILE_PATH, wholeNumber } from "../_options.ts";
import type { Driver, DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { scrubError, scrubList } from "../scrub.ts";
import { DeviceCa, type HttpAuth, httpCall, isJson } from "../_transport/http_client.ts";

const METHOD = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** A value `{value}` becomes: JSON configs write `1`, `true` or `"on"`; all are text here. */
const VALUE = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const STATUSES = z.array(wholeNumber(100, 599)).min(1);
const HTTP_URL = z.string().regex(/^https?:\/\//i, "expected an http:// or https:// URL template");

const FIELDS = z.object({
  "url": HTTP_URL.optional(),
  "url_on": HTTP_URL.optional(),
  "url_off": HTTP_URL.optional(),
  "url_get": HTTP_URL.optional(),
  "method": METHOD.optional(),
  "method_on": METHOD.optional(),
  "method_off": METHOD.optional(),
  "method_get": METHOD.default("GET"),
  "body": z.string().optional(),
  "body_on": z.string().optional(),
  "body_off": z.string().optional(),
  "headers": z.record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "expected an HTTP header name"),
    z.string().regex(/^[^\r\n\0]*$/, "a header value is one line"),
  ).default({}),
  "on_value": VALUE.default("1"),
  "off_value": VALUE.default("0"),
  "auth": z.enum(["basic", "digest", "bearer"]).optional(),
  "username": z.string().optional(),
  "password": z.string().optional(),
  "token": z.string().optional(),
  "ca_file": FILE_PATH.optional(),
  // https without certificate checks (node:https in the shared client); ca_file is the safer way.
  "insecure": z.boolean().default(false),
  "outlets": wholeNumber(1, 4096).default(1),
  "first_outlet": wholeNumber(0, 4096).default(1),
  "read_state": z.boolean().default(true),
  "status_on": STATUSES.optional(),
  "status_off": STATUSES.optional(),
  "state_regex": z.string().optional(),
  "state_regex_on": z.string().optional(),
  "state_regex_off": z.string().optional(),
  "json_path": z.string().regex(
    /^(?:[A-Za-z0-9_$@-]+|\[\d+\])(\[\d+\])*(\.[A-Za-z0-9_$@-]+(\[\d+\])*)*$/,
    "expected a dotted path such as relays[0].state, [0].on or output",
  ).optional(),
  "reply_regex": z.string().optional(),
  "state_on": VALUE.optional(),
  "state_off": VALUE.optional(),
}).strict();

/** The keys with the checks across them; `defaultMethod` is the driver name's (PUT or GET). */
function optionsFor(defaultMethod: "PUT" | "GET") {
  return FIELDS.superRefine((o, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (!o.url && !(o.url_on && o.url_off)) {
      issue("url", "expected url (or both url_on and url_off)");
    }
    if (o.insecure && o.ca_file) {
      issue("insecure", "insecure skips the certificate checks that ca_file sets up: give one");
    }
    for (
      const key of ["state_regex", "state_regex_on", "state_regex_off", "reply_regex"] as const
    ) {
      const source = o[key];
      if (source === undefined) continue;
      try {
        const groups = new RegExp(`${source}|`).exec("")!.length - 1;
        if (key === "state_regex" && groups < 1) {
          issue(
            key,
            "expected a regex with a capture group holding the state (state_on/state_off)",
          );
        }
      } catch (error) {
        issue(key, `not a valid regex: ${(error as Error).message}`);
      }
    }
    if ((o.state_regex_on === undefined) !== (o.state_regex_off === undefined)) {
      issue("state_regex_on", "expected both state_regex_on and state_regex_off");
    }
    const modes = [
      o.status_on || o.status_off ? "status_on/status_off" : "",
      o.state_regex ? "state_regex" : "",
      o.state_regex_on || o.state_regex_off ? "state_regex_on/state_regex_off" : "",
      o.json_path ? "json_path" : "",
    ].filter(Boolean);
    if (modes.length > 1) {
      issue(modes[0]!, `give one way to read the state, not ${modes.join(" and ")}`);
    }
    if ((o.status_on === undefined) !== (o.status_off === undefined)) {
      issue("status_on", "expected both status_on and status_off");
    }
    if (o.auth === "bearer" && !o.token) issue("token", "auth: bearer needs a token");
    if ((o.auth === "basic" || o.auth === "digest") && (o.username === undefined || !o.password)) {
      issue("password", `auth: ${o.auth} needs username and password`);
    }
    if (o.token && o.auth && o.auth !== "bearer") {
      issue("token", "a token is sent only with auth: bearer");
    }
    if (o.outlets > 1) {
      // A switching request is per outlet when its URL or its body names the outlet.
      for (
        const [key, body] of [["url", o.body], ["url_on", o.body_on ?? o.body], [
          "url_off",
          o.body_off ?? o.body,
        ]] as const
      ) {
        const url = o[key];
        if (url !== undefined && !url.includes("{index}") && !body?.includes("{index}")) {
          issue(
            key,
            `the PDU has ${o.outlets} outlets but ${key} (and its body) has no {index}: every outlet would switch the same thing`,
          );
        }
      }
    }
    for (const state of ["on", "off"] as const) {
      const method = o[`method_${state}`] ?? o.method ?? defaultMethod;
      const body = o[`body_${state}`] ?? o.body;
      if (method === "GET" && body !== undefined) {
        issue(
          o[`body_${state}`] !== undefined ? `body_${state}` : "body",
          `a GET request cannot carry a body (switching ${state} uses GET)`,
        );
      }
    }
    if (o.read_state) {
      const getUrl = o.url_get ?? o.url;
      if (getUrl === undefined) {
        issue("url_get", "expected url_get to read the state (or read_state: false)");
      } else if (!o.url_get && o.url?.includes("{state}")) {
        issue(
          "url_get",
          "url has {state}, so it cannot read the state: give url_get (or read_state: false)",
        );
      } else if (o.url_get && /\{(value|state)\}/.test(o.url_get)) {
        issue("url_get", "url_get reads the state and cannot hold {value} or {state}");
      } else if (o.outlets > 1 && !getUrl.includes("{index}")) {
        issue("url_get", `the PDU has ${o.outlets} outlets but url_get has no {index}`);
      }
    }
  });
}

type Options = z.infer<typeof FIELDS>;

function descriptor(
  names: string[],
  defaultMethod: "PUT" | "GET",
  summary: string,
): DriverDescriptor<Options> {
  return {
    names,
    summary,
    options: optionsFor(defaultMethod),
    outletRange: (o) => ({ min: o.first_outlet, max: o.first_outlet + o.outlets - 1 }),
    create: (hostname, { options }) => genericDriver(hostname, options, defaultMethod),
  };
}

/** `http` and `rest`: PUT `{value}` to `url` (labgrid's rest and HttpDigitalOutput). */
export const HTTP_GENERIC: DriverDescriptor<Options> = descriptor(
  ["http", "rest"],
  "PUT",
  "any HTTP relay: URL/body templates, basic/digest/bearer auth, state by status, regex or JSON path",
);

/** `simplerest`: GET `url` with `{value}` in it; state from `url` without it. */
export const SIMPLEREST: DriverDescriptor<Options> = descriptor(
  ["simplerest"],
  "GET",
  "labgrid's simplerest: GET a URL holding {value}, state from the URL without it",
);

/** Both descriptors, for the family's registry. */
export const GENERIC_HTTP_DRIVERS: readonly DriverDescriptor<Options>[] = [
  HTTP_GENERIC,
  SIMPLEREST,
];

function genericDriver(hostname: string, o: Options, defaultMethod: "PUT" | "GET"): Driver {
  const first = o.url ?? o.url_on!;
  let device: string;
  try {
    device = `HTTP device at ${
      new URL(first.replaceAll("{hostname}", hostname).replace(/\{\w+\}/g, "0")).host
    }`;
  } catch {
    device = `HTTP device ${hostname}`;
  }
  const auth: HttpAuth | undefined = o.auth === "bearer" || (!o.auth && o.token)
    ? { scheme: "bearer", token: o.token ?? "" }
    : o.auth || o.password
    ? { scheme: o.auth ?? "basic", username: o.username ?? "", password: o.password ?? "" }
    : undefined;
  const stateOn = o.state_on ?? o.on_value;
  const stateOff = o.state_off ?? o.off_value;
  const fill = (template: string, outlet: number, state?: OutletState) =>
    template.replaceAll("{hostname}", hostname).replaceAll("{index}", String(outlet))
      .replaceAll("{value}", state === undefined ? "" : state === "on" ? o.on_value : o.off_value)
      .replaceAll("{state}", state ?? "");
  // insecure checks nothing, so it needs no CA (the config refuses the two together anyway).
  const ca = new DeviceCa(device, o.insecure ? undefined : o.ca_file);
  const headers = (body: string | undefined) => {
    const out = { ...o.headers };
    if (body !== undefined && !Object.keys(out).some((h) => h.toLowerCase() === "content-type")) {
      // A body that is JSON is sent as JSON (REST APIs refuse text/plain); anything else as text.
      out["content-type"] = isJson(body) ? "application/json" : "text/plain";
    }
    return out;
  };
  const statuses = [...(o.status_on ?? []), ...(o.status_off ?? [])];
  // The config's scrubbing finds secrets by key name, and header names (Authorization,
  // X-Api-Key) are not among its keys: the values of credential-like headers are scrubbed here.
  const headerSecrets = scrubList(
    Object.entries(o.headers).filter(([name]) => SECRET_HEADER.test(name))
      .flatMap(([, value]) => [value, value.replace(/^\S+\s+/, "")]),
  );
  const guarded =
    <A extends unknown[], T>(run: (...args: A) => Promise<T>) => async (...args: A): Promise<T> => {
      try {
        return await run(...args);
      } catch (error) {
        throw scrubError(error, headerSecrets);
      }
    };

  const driver: Driver = {
    setOutlet: guarded(async (outlet: number, state: OutletState, { signal }) => {
      const method = (state === "on" ? o.method_on : o.method_off) ?? o.method ?? defaultMethod;
      const url = (state === "on" ? o.url_on : o.url_off) ?? o.url!;
      const template = (state === "on" ? o.body_on : o.body_off) ?? o.body ??
        (method === "GET" ? undefined : "{value}");
      const body = template === undefined ? undefined : fill(template, outlet, state);
      const answer = await httpCall({
        method,
        url: fill(url, outlet, state),
        ...(body === undefined ? {} : { body }),
        headers: headers(body),
        auth,
        signal,
        device,
        client: await ca.client(),
        insecure: o.insecure,
      });
      // Without reply_regex any 2xx is success, as labgrid takes it; with it, a device that
      // answered something else (a login page, a captive portal) did not switch.
      if (o.reply_regex !== undefined && !new RegExp(o.reply_regex).test(answer.text)) {
        throw new DriverError(
          "protocol",
          `${device} answered ${state} of outlet ${outlet} with something reply_regex does not match: ${
            printable(JSON.stringify(answer.text.slice(0, 60)))
          }`,
        );
      }
    }),
    close() {
      ca.close();
      return Promise.resolve();
    },
  };
  if (!o.read_state) return driver;
  driver.getOutlet = guarded(async (outlet: number, { signal }): Promise<OutletState> => {
    // labgrid's simplerest reads the set URL with the value left out and its trailing / cut.
    const url = o.url_get ? fill(o.url_get, outlet) : fill(o.url!, outlet).replace(/\/+$/, "");
    const answer = await httpCall({
      method: o.method_get,
      url,
      headers: headers(undefined),
      auth,
      signal,
      device,
      acceptStatus: statuses,
      client: await ca.client(),
      insecure: o.insecure,
    });
    if (o.status_on && o.status_off) {
      if (o.status_on.includes(answer.status)) return "on";
      if (o.status_off.includes(answer.status)) return "off";
      throw new DriverError(
        "protocol",
        `${device} answered HTTP ${answer.status} for outlet ${outlet}, neither status_on nor status_off`,
      );
    }
    if (o.state_regex_on !== undefined && o.state_regex_off !== undefined) {
      if (new RegExp(o.state_regex_on).test(answer.text)) return "on";
      if (new RegExp(o.state_regex_off).test(answer.text)) return "off";
      throw unknownState(
        device,
        outlet,
        "matches neither state_regex_on nor state_regex_off",
        answer.text,
      );
    }
    let value: string;
    if (o.state_regex !== undefined) {
      const match = new RegExp(o.state_regex).exec(answer.text);
      if (!match || match[1] === undefined) {
        throw unknownState(device, outlet, "does not match state_regex", answer.text);
      }
      value = match[1];
    } else if (o.json_path !== undefined) {
      value = jsonPath(answer.json(), o.json_path, device);
    } else {
      value = answer.text.trim();
    }
    if (value === stateOn) return "on";
    if (value === stateOff) return "off";
    throw unknownState(
      device,
      outlet,
      `is neither ${JSON.stringify(stateOn)} (on) nor ${JSON.stringify(stateOff)} (off)`,
      value,
    );
  });
  return driver;
}

/** Header names whose values are credentials. */
const SECRET_HEADER = /authorization|cookie|token|secret|pass|key|auth|session|csrf/i;

function unknownState(device: string, outlet: number, why: string, text: string): DriverError {
  return new DriverError(
    "protocol",
    `${device}: the state of outlet ${outlet} ${why}: ${
      printable(JSON.stringify(text.slice(0, 60)))
    }`,
  );
}

/** The value at a dotted path with array indices (`relays[0].state`), as text. */
export function jsonPath(document: unknown, path: string, device: string): string {
  let at: unknown = document;
  for (const step of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    const key = step[1] ?? Number(step[2]);
    if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) {
      throw new DriverError(
        "protocol",
        `${device} answered JSON without ${printable(path)} (no ${printable(String(key))})`,
      );
    }
    at = (at as Record<string | number, unknown>)[key];
  }
  if (typeof at === "string" || typeof at === "number" || typeof at === "boolean") {
    return String(at);
  }
  throw new DriverError(
    "protocol",
    `${device} answered JSON whose ${printable(path)} is ${
      at === null ? "null" : typeof at
    }, not a value`,
  );
}
