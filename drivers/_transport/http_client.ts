/**
 * The one HTTP client of the drivers (and of the XML-RPC codec): methods, JSON, form and raw
 * bodies, basic, digest (RFC 7616, MD5/SHA-256, qop=auth) and bearer authentication, https with
 * the device's own CA (`client`) or without certificate checks (`insecure`), connections kept
 * alive between requests, redirects followed within the request's origin only (MAX_REDIRECTS),
 * answers read up to MAX_ANSWER_BYTES, the operation's abort signal, and one mapping of every
 * failure to a DriverError whose message names the device and what it answered — never a URL's
 * query (where Tasmota and ANEL carry passwords) nor a credential.
 *
 * Two engines carry the bytes, chosen per request and invisible to callers: `fetch` (its
 * connection pool keeps connections alive) for every request it can make, and `node:https`
 * with a keep-alive agent for `insecure: true`, which fetch cannot do per request. Why fetch
 * and not node:http for the rest: docs/benchmarks.md, "One HTTP client" (measured on the
 * Tasmota burst: with the abort signal every request carries, node:http is no cheaper).
 * @module
 */
import { createHash } from "node:crypto";
import type { Agent as HttpsAgent } from "node:https";
import { DriverError, printable } from "../errors.ts";

/** Credentials and how to present them. */
export interface HttpAuth {
  scheme: "basic" | "digest" | "bearer";
  username?: string;
  password?: string;
  token?: string;
}

/** One request. */
export interface HttpCall {
  method?: string;
  url: string;
  /** JSON body (sent with content-type application/json). */
  json?: unknown;
  /** Form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  /** A body sent as it is (content type from `headers`). */
  body?: string;
  /** Extra request headers (the generic driver's `headers`); never quoted in messages. */
  headers?: Record<string, string>;
  /** Non-2xx statuses answered instead of thrown (a device whose state is its status code). */
  acceptStatus?: readonly number[];
  /** A client with the device's own CA certificates. */
  client?: Deno.HttpClient | undefined;
  /**
   * https without any certificate check (a BMC's or a PDU's self-signed certificate the operator
   * cannot give as a CA): the request goes over `node:https` with `rejectUnauthorized: false`
   * (fetch has no per-request switch for it), through a keep-alive agent, with the same signal,
   * headers, body and error mapping, its answer limited to MAX_ANSWER_BYTES as fetch's is.
   * Ignored for http:// URLs; `client` is then not used (there is nothing left to verify).
   * Default false.
   */
  insecure?: boolean | undefined;
  /** Names the request in messages (`"Power1 On"`); default: the method and the URL's path. */
  what?: string;
  auth?: HttpAuth | undefined;
  signal: AbortSignal;
  /** The device's name in messages ("Shelly at 10.0.0.5"). */
  device: string;
}

/** A successful (2xx) answer. */
export interface HttpAnswer {
  status: number;
  /** The answer's headers (a session token, a Location). */
  headers: Headers;
  text: string;
  /** The body as JSON; DriverError("protocol") when it is not. */
  json(): unknown;
}

let nonceCount = 0;

/**
 * Performs `call`. Throws DriverError: "timeout" when `signal` aborts, "unreachable" when no
 * connection (or TLS session) could be made, "auth" for 401/403, "device" for other non-2xx
 * answers (permanent for a 4xx other than 408/425/429: asking again gets the same answer),
 * "protocol" for an answer longer than MAX_ANSWER_BYTES, a redirect to another origin
 * (permanent) or more than MAX_REDIRECTS redirects.
 *
 * Redirects (301, 302, 303, 307, 308 with a Location) are followed by this function, on both
 * engines, only within the request's origin (same scheme, host and port): the request's
 * credentials and extra headers (session tokens, CSRF tokens, the generic driver's `headers`)
 * never go to another host. Methods change as fetch changes them (303, and 301/302 after a
 * POST, become a GET without body). A status in `acceptStatus` is an answer, not followed.
 */
export async function httpCall(call: HttpCall): Promise<HttpAnswer> {
  const what = call.what ?? `${call.method ?? "GET"} ${printable(new URL(call.url).pathname, 100)}`;
  let hop = call;
  let response = await exchange(hop, what);
  for (let hops = 0; isRedirect(response, call); hops++) {
    const location = response.headers.get("location") ?? "";
    await response.body?.cancel().catch(() => {});
    if (hops === MAX_REDIRECTS) {
      throw new DriverError(
        "protocol",
        `${call.device} redirected ${what} more than ${MAX_REDIRECTS} times; not followed further`,
      );
    }
    hop = redirected(hop, location, response.status, call, what);
    response = await exchange(hop, what);
  }
  const text = await readAnswer(response, call, what);
  if (response.status === 401 || response.status === 403) {
    throw new DriverError(
      "auth",
      `${call.device} refused the credentials (HTTP ${response.status})`,
    );
  }
  if (
    (response.status < 200 || response.status > 299) &&
    !call.acceptStatus?.includes(response.status)
  ) {
    // A 4xx says the request itself is wrong for this device (a relay it does not have, a
    // value it refuses); asking again gets the same answer. Timeouts and rate limits excepted.
    const permanent = response.status >= 400 && response.status < 500 &&
      ![408, 425, 429].includes(response.status);
    throw new DriverError(
      "device",
      `${call.device} answered HTTP ${response.status} to ${what}: ${
        printable(text.replace(/\s+/g, " "), 100)
      }`,
      { permanent },
    );
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    json() {
      try {
        return JSON.parse(text);
      } catch {
        throw new DriverError(
          "protocol",
          `${call.device} answered ${what} with something that is not JSON: ${
            printable(JSON.stringify(text.slice(0, 40)))
          }`,
        );
      }
    },
  };
}

/** The most redirects one call follows (each within the request's origin). */
export const MAX_REDIRECTS = 5;

/** Statuses that redirect when they carry a Location (as fetch follows them). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a body, dropped with it when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set([
  "content-type",
  "content-encoding",
  "content-language",
  "content-location",
]);

/** One request, and its digest challenge answered when the device asks for one. */
async function exchange(call: HttpCall, what: string): Promise<Response> {
  const first = await send(call, authorization(call.auth, undefined, call), what);
  if (first.status !== 401 || call.auth?.scheme !== "digest") return first;
  const challenge = first.headers.get("www-authenticate") ?? "";
  await first.body?.cancel().catch(() => {});
  if (!/^Digest /i.test(challenge)) {
    throw new DriverError(
      "auth",
      `${call.device} refused the request (HTTP 401) without a digest challenge`,
    );
  }
  return await send(call, authorization(call.auth, challenge, call), what);
}

function isRedirect(response: Response, call: HttpCall): boolean {
  return REDIRECTS.has(response.status) && response.headers.has("location") &&
    !call.acceptStatus?.includes(response.status);
}

/**
 * The request a redirect asks for: the same call at `location` (resolved against the hop's URL),
 * as a GET without body after a 303 or a POST's 301/302. A Location on another origin than the
 * call's is refused (permanent): the request's credentials and headers would go there. The
 * message names the target's scheme, host and port only (a query may carry anything).
 */
function redirected(
  hop: HttpCall,
  location: string,
  status: number,
  call: HttpCall,
  what: string,
): HttpCall {
  const from = new URL(call.url);
  let target: URL;
  try {
    target = new URL(location, hop.url);
  } catch {
    throw new DriverError(
      "protocol",
      `${call.device} redirected ${what} (HTTP ${status}) to something that is not a URL`,
    );
  }
  if (target.origin !== from.origin) {
    const where = /^https?:$/.test(target.protocol)
      ? `${target.protocol}//${target.host}`
      : `a ${target.protocol} URL`;
    throw new DriverError(
      "protocol",
      `${call.device} redirected ${what} (HTTP ${status}) to ${printable(where, 100)}, ` +
        `not ${from.protocol}//${from.host}: not followed (the request's credentials and ` +
        `headers would go there)`,
      { permanent: true },
    );
  }
  target.username = "";
  target.password = "";
  target.hash = "";
  const method = (hop.method ?? "GET").toUpperCase();
  const toGet = status === 303
    ? method !== "HEAD"
    : (status === 301 || status === 302) && method === "POST";
  if (!toGet) return { ...hop, url: target.href };
  const { json: _json, form: _form, body: _body, ...rest } = hop;
  const headers = Object.fromEntries(
    Object.entries(hop.headers ?? {}).filter(([name]) => !BODY_HEADERS.has(name.toLowerCase())),
  );
  return { ...rest, method: "GET", url: target.href, headers };
}

/**
 * The answer's body as text, bounded by MAX_ANSWER_BYTES: past it the stream is cancelled (the
 * connection closed) and the call fails, so a device sending an endless body costs at most that
 * much memory, never what it sends until the timeout.
 *
 * A body whose Content-Length is within the bound is read whole by `text()`: fetch stops at the
 * declared length, and Deno reads such a body in one native call. Reading it through a default
 * stream reader instead allocated a 64 KiB chunk per read and was a quarter of the daemon's CPU
 * in a burst (docs/benchmarks.md). Other bodies (chunked, or read to the connection's end) are
 * read and counted into a 16 KiB buffer handed back and forth (BYOB), or chunk by chunk when the
 * body is not a byte stream.
 */
async function readAnswer(response: Response, call: HttpCall, what: string): Promise<string> {
  if (!response.body) return "";
  const length = Number(response.headers.get("content-length") ?? NaN);
  try {
    if (Number.isInteger(length) && length >= 0 && length <= MAX_ANSWER_BYTES) {
      return await response.text();
    }
    return new TextDecoder().decode(await readCounted(response.body, call, what));
  } catch (error) {
    if (error instanceof DriverError) throw error;
    // An abort while the body arrives is a timeout, not an empty answer.
    if (call.signal.aborted) {
      throw new DriverError("timeout", `${call.device} did not finish answering ${what} in time`);
    }
    throw new DriverError(
      "protocol",
      `${call.device} broke off its answer to ${what}: ${fetchFailure(error, call.url)}`,
    );
  }
}

/** Bytes of a body of unknown length, failing past MAX_ANSWER_BYTES. */
async function readCounted(
  body: ReadableStream<Uint8Array>,
  call: HttpCall,
  what: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const take = async (chunk: Uint8Array, cancel: () => Promise<void>) => {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await cancel().catch(() => {});
      throw tooLarge(call, what);
    }
    chunks.push(chunk.slice());
  };
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (the insecure engine's answer): chunks as they come.
  }
  if (byob) {
    const reader = byob;
    let buffer = new Uint8Array(16 * 1024);
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) break;
      await take(value, () => reader.cancel());
      buffer = new Uint8Array(value.buffer);
    }
  } else {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await take(value, () => reader.cancel());
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** The error of an answer longer than MAX_ANSWER_BYTES (either engine). */
function tooLarge(call: HttpCall, what: string): DriverError {
  return new DriverError(
    "protocol",
    `${call.device} answered ${what} with more than ${MAX_ANSWER_BYTES} bytes ` +
      `(${
        MAX_ANSWER_BYTES / 1024 / 1024
      } MiB, the most pdud reads of an answer); the rest was not read`,
  );
}

/** Raised inside the insecure engine when its answer passes MAX_ANSWER_BYTES. */
class AnswerTooLarge extends Error {}

async function send(call: HttpCall, auth: string | undefined, what: string): Promise<Response> {
  const headers: Record<string, string> = {};
  let body: string | undefined = call.body;
  if (call.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(call.json);
  } else if (call.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(call.form).toString();
  }
  for (const [name, value] of Object.entries(call.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  if (auth) headers["authorization"] = auth;
  try {
    if (call.insecure && call.url.toLowerCase().startsWith("https:")) {
      return await insecureFetch(call.url, call.method ?? "GET", headers, body, call.signal);
    }
    return await fetch(call.url, {
      method: call.method ?? "GET",
      headers,
      // Redirects are httpCall's to follow (same origin only), never fetch's.
      redirect: "manual",
      signal: call.signal,
      ...(body === undefined ? {} : { body }),
      ...(call.client ? { client: call.client } : {}),
    });
  } catch (error) {
    if (error instanceof AnswerTooLarge) throw tooLarge(call, what);
    if (call.signal.aborted) {
      throw new DriverError("timeout", `${call.device} did not answer ${what} in time`);
    }
    throw new DriverError(
      "unreachable",
      `cannot reach ${call.device}: ${fetchFailure(error, call.url)}`,
    );
  }
}

/**
 * The largest answer body `httpCall` reads, on either engine: 4 MiB. Devices' pages and JSON
 * documents are far smaller (a Redfish system, a Gude status page: a few KiB); an answer past it
 * is cut off there (the connection closed, nothing more buffered) and the call fails with a
 * `protocol` error naming the limit.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** Statuses whose Response may have no body (the Fetch standard's null body statuses). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** How long a kept-alive insecure socket may wait unused before it is closed. */
const IDLE_SOCKET_MS = 30_000;

/** The keep-alive agent of every insecure request (its sockets are per host and port). */
let insecureAgent: HttpsAgent | undefined;

/**
 * One request over node:https without certificate checks, answered as a fetch Response once
 * its whole body has arrived. A kept-alive socket waits in the agent unreferenced (it never keeps
 * the process alive) and is closed after IDLE_SOCKET_MS unused.
 */
async function insecureFetch(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<Response> {
  // Loaded here: node:https costs ~0.03 s at start, and only `insecure` needs it.
  const https = (await import("node:https")).default;
  insecureAgent ??= new https.Agent({
    keepAlive: true,
    rejectUnauthorized: false,
    timeout: IDLE_SOCKET_MS,
  });
  const agent = insecureAgent;
  return await new Promise((resolve, reject) => {
    // A body goes with its length, not chunked: small embedded web servers read Content-Length
    // only.
    const length = body === undefined
      ? {}
      : { "content-length": String(new TextEncoder().encode(body).length) };
    const request = https.request(url, {
      method,
      headers: { ...headers, ...length },
      signal,
      agent,
      rejectUnauthorized: false,
    }, (answer) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      answer.on("data", (chunk: Uint8Array) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          // Settled first, so the close that follows is not taken for a broken-off answer.
          reject(new AnswerTooLarge());
          request.destroy();
        } else chunks.push(chunk);
      });
      answer.on("error", reject);
      // Closed before its end (an abort, a reset): settled here, never left pending.
      answer.on("close", () => {
        if (!answer.complete) reject(new Error("the connection closed mid-answer"));
      });
      answer.on("end", () => {
        const out = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
          for (const v of Array.isArray(value) ? value : [value ?? ""]) out.append(name, v);
        }
        const status = answer.statusCode ?? 0;
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) {
          bytes.set(c, at);
          at += c.length;
        }
        if (status < 200 || status > 599) {
          reject(new Error(`the server answered status ${status}`));
          return;
        }
        resolve(new Response(NULL_BODY.has(status) ? null : bytes, { status, headers: out }));
      });
    });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

/**
 * A device's own CA (a PEM file of its certificate or of the CA that signed it) as the fetch
 * client `httpCall` takes, made on first use: `client()` gives it (undefined without a file),
 * `close()` releases it (safe twice, and before first use). A file that cannot be read is a
 * config error naming the file, never quoting it.
 */
export class DeviceCa {
  #client: Deno.HttpClient | undefined;

  /** `device` names the device in messages; `file` is its `ca_file` (undefined: none). */
  constructor(readonly device: string, readonly file: string | undefined) {}

  /** The client trusting the file's certificates; undefined when there is no file. */
  async client(): Promise<Deno.HttpClient | undefined> {
    if (this.file === undefined || this.#client) return this.#client;
    let pem: string;
    try {
      pem = await Deno.readTextFile(this.file);
    } catch (error) {
      throw new DriverError(
        "config",
        `${this.device}: cannot read ca_file ${printable(this.file)}: ${(error as Error).name}`,
      );
    }
    this.#client = Deno.createHttpClient({ caCerts: [pem] });
    return this.#client;
  }

  /** Releases the client; the next `client()` makes a new one. */
  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

/**
 * Why a fetch failed, for a message: Deno says only "fetch failed" and puts the reason (refused,
 * DNS, TLS) in the cause, quoting the whole URL, and devices such as Tasmota and ANEL take the
 * password in its query string: every URL is cut to scheme, host and path.
 */
export function fetchFailure(error: unknown, url: string): string {
  const cause = error instanceof Error && error.cause instanceof Error
    ? `: ${error.cause.message}`
    : "";
  const reason = `${error instanceof Error ? error.message : error}${cause}`
    .replaceAll(url, withoutSecrets(url))
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)"']+/gi, (u) => withoutSecrets(u));
  return printable(reason);
}

/** A URL without user, password, query and fragment, for messages. */
export function withoutSecrets(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(a URL)";
  }
}

function authorization(auth: HttpAuth | undefined, challenge: string | undefined, call: HttpCall) {
  if (!auth) return undefined;
  if (auth.scheme === "bearer") return `Bearer ${auth.token ?? ""}`;
  if (auth.scheme === "basic") return `Basic ${basicCredentials(auth)}`;
  if (challenge === undefined) return undefined; // digest: wait for the server's challenge
  const params = parseChallenge(challenge);
  const algorithm = (params.algorithm ?? "MD5").toUpperCase();
  const hash = (s: string) =>
    createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(s).digest("hex");
  const url = new URL(call.url);
  const uri = url.pathname + url.search;
  const cnonce = crypto.randomUUID().replaceAll("-", "");
  const nc = (++nonceCount).toString(16).padStart(8, "0");
  const ha1 = hash(`${auth.username ?? ""}:${params.realm ?? ""}:${auth.password ?? ""}`);
  const ha2 = hash(`${call.method ?? "GET"}:${uri}`);
  const qop = params.qop?.split(",").map((q) => q.trim()).includes("auth") ? "auth" : undefined;
  const response = qop
    ? hash(`${ha1}:${params.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(`${ha1}:${params.nonce}:${ha2}`);
  const fields = [
    `username="${auth.username ?? ""}"`,
    `realm="${params.realm ?? ""}"`,
    `nonce="${params.nonce ?? ""}"`,
    `uri="${uri}"`,
    `algorithm=${algorithm}`,
    `response="${response}"`,
    ...(params.opaque ? [`opaque="${params.opaque}"`] : []),
    ...(qop ? [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`] : []),
  ];
  return `Digest ${fields.join(", ")}`;
}

/**
 * `user:password` as RFC 7617's charset=UTF-8 asks (what curl and browsers send): UTF-8 bytes,
 * then base64. `btoa` alone takes only Latin-1 and throws for a password such as `p€ss`.
 */
function basicCredentials(auth: HttpAuth): string {
  const bytes = new TextEncoder().encode(`${auth.username ?? ""}:${auth.password ?? ""}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Parses `Digest realm="x", nonce="y", qop="auth"` into its fields. */
export function parseChallenge(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, "").matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? "";
  }
  return out;
}

/** Checks a digest Authorization header (used by simulators, so both sides follow the RFC). */
export function verifyDigest(
  header: string | null,
  expected: { username: string; password: string; realm: string; method: string },
): boolean {
  if (!header || !/^Digest /i.test(header)) return false;
  const p = parseChallenge(header);
  const algorithm = (p.algorithm ?? "MD5").toUpperCase();
  const hash = (s: string) =>
    createHash(algorithm === "SHA-256" ? "sha256" : "md5").update(s).digest("hex");
  if (p.username !== expected.username || p.realm !== expected.realm) return false;
  const ha1 = hash(`${expected.username}:${expected.realm}:${expected.password}`);
  const ha2 = hash(`${expected.method}:${p.uri ?? ""}`);
  const want = p.qop
    ? hash(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
    : hash(`${ha1}:${p.nonce}:${ha2}`);
  return want === p.response;
}

/** Whether `text` parses as JSON (a device's reply, or a body to label `application/json`). */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
