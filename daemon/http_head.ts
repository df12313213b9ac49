/**
 * HTTP/1.x request heads as the listener sees them before Deno.serve does: what a request line
 * looks like (to tell HTTP from a legacy pduclient line on a shared port), where a head ends,
 * its limits (414 for the request line, 431 for the head) and the framing of its body, so that
 * every head on a connection — not only the first — is read under the header timeout.
 * @module
 */

/** The longest request line (method, target, version) answered with anything but 414. */
export const MAX_REQUEST_LINE = 8 * 1024;
/** The largest head (request line and headers) answered with anything but 431. */
export const MAX_HEAD = 32 * 1024;

/** A header-field name or method: RFC 9110 `token`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*/;

/**
 * Whether `bytes` (the first bytes of a connection) are an HTTP request line: `http` once a
 * method token, a space, a request target starting with `/`, `*` or `scheme://`, and ` HTTP/`
 * have been seen; `maybe` while they could still become one; `no` as soon as they cannot.
 * Letter case plays no part: `APC 1 on` is not HTTP, `get / HTTP/1.1` would be.
 */
export function httpShape(bytes: Uint8Array): "http" | "maybe" | "no" {
  const shape = requestLineShape(bytes);
  // Still a request line after 8 KiB: HTTP, to be answered 414 by parseHead.
  return shape === "maybe" && bytes.length > MAX_REQUEST_LINE ? "http" : shape;
}

function requestLineShape(bytes: Uint8Array): "http" | "maybe" | "no" {
  const text = latin1(bytes.subarray(0, MAX_REQUEST_LINE + 1));
  const sp1 = text.indexOf(" ");
  const method = sp1 < 0 ? text : text.slice(0, sp1);
  // Methods are short; a longer token is a legacy hostname.
  if (method.length > 32 || (method !== "" && !TOKEN.test(method))) return "no";
  if (sp1 < 0) return "maybe";
  if (method === "") return "no";
  const rest = text.slice(sp1 + 1);
  const sp2 = rest.indexOf(" ");
  const target = sp2 < 0 ? rest : rest.slice(0, sp2);
  if (!/^[\x21-\x7e\x80-\xff]*$/.test(target)) return "no";
  if (!targetStart(target, sp2 >= 0)) return "no";
  if (sp2 < 0) return "maybe";
  const version = rest.slice(sp2 + 1, sp2 + 6);
  if (version.length === 5) return version === "HTTP/" ? "http" : "no";
  return "HTTP/".startsWith(version) ? "maybe" : "no";
}

function targetStart(target: string, whole: boolean): boolean {
  if (target === "") return !whole;
  if (target[0] === "/" || target[0] === "*") return true;
  const scheme = SCHEME.exec(target);
  if (!scheme) return false;
  const after = target.slice(scheme[0].length, scheme[0].length + 3);
  return whole || after.length === 3 ? after === "://" : "://".startsWith(after);
}

/** A parsed request head. */
export interface RequestHead {
  method: string;
  target: string;
  /** "1.0" or "1.1". */
  version: "1.0" | "1.1";
  /** The header fields in order, names lower-cased, values trimmed. */
  headers: [string, string][];
  /** Body bytes that follow the head (its Content-Length; 0 for none or a chunked body). */
  bodyLength: number;
  /** The body is chunked (Transfer-Encoding). */
  chunked: boolean;
  /** The connection ends after this request: the client said so, or HTTP/1.0 without keep-alive. */
  last: boolean;
}

/** What the bytes read so far of a head are. */
export type HeadResult =
  | { kind: "head"; head: RequestHead; consumed: number }
  | { kind: "incomplete" }
  | { kind: "error"; status: 400 | 414 | 431; reason: string };

/** Parses the head at the start of `bytes` (leading empty lines are skipped, as RFC 9112 asks). */
export function parseHead(bytes: Uint8Array): HeadResult {
  let start = 0;
  while (start + 1 < bytes.length && bytes[start] === 13 && bytes[start + 1] === 10) start += 2;
  const end = indexOfCrlf(bytes, start, true);
  const lineEnd = indexOfCrlf(bytes, start, false);
  if ((lineEnd < 0 ? bytes.length - start : lineEnd - start) > MAX_REQUEST_LINE) {
    return error(414, `request line longer than ${MAX_REQUEST_LINE} bytes`);
  }
  if (end < 0) {
    return bytes.length - start > MAX_HEAD
      ? error(431, `request head larger than ${MAX_HEAD} bytes`)
      : { kind: "incomplete" };
  }
  if (end + 4 - start > MAX_HEAD) return error(431, `request head larger than ${MAX_HEAD} bytes`);
  const lines = latin1(bytes.subarray(start, end)).split("\r\n");
  const requestLine = /^([^ ]+) ([^ ]+) HTTP\/(1\.[01])$/.exec(lines[0] ?? "");
  if (!requestLine || !TOKEN.test(requestLine[1]!)) {
    return error(400, "malformed request line; expected METHOD /target HTTP/1.1");
  }
  const [, method = "", target = "", version = "1.1"] = requestLine;
  let bodyLength = 0;
  let chunked = false;
  let keepAlive = version === "1.1";
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name) || !FIELD_LINE.test(line)) {
      return error(400, "malformed header line; expected name: value");
    }
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    if (name === "content-length") {
      if (!/^\d{1,15}$/.test(value) || (bodyLength > 0 && Number(value) !== bodyLength)) {
        return error(400, "invalid content-length");
      }
      bodyLength = Number(value);
    } else if (name === "transfer-encoding") {
      // The body is framed only when chunked is the last coding (RFC 9112 §6.3).
      if (value.toLowerCase().split(",").at(-1)?.trim() !== "chunked") {
        return error(400, "unsupported transfer-encoding; expected chunked");
      }
      chunked = true;
    } else if (name === "connection") {
      const options = value.toLowerCase().split(",").map((s) => s.trim());
      if (options.includes("close")) keepAlive = false;
      if (options.includes("keep-alive")) keepAlive = keepAlive || version === "1.0";
    }
  }
  // Both framings at once is how requests are smuggled past a proxy (RFC 9112 §6.3).
  if (chunked && bodyLength > 0) return error(400, "both content-length and transfer-encoding");
  return {
    kind: "head",
    head: {
      method,
      target,
      version: version === "1.0" ? "1.0" : "1.1",
      headers,
      bodyLength: chunked ? 0 : bodyLength,
      chunked,
      last: !keepAlive,
    },
    consumed: end + 4,
  };
}

const FIELD_LINE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** The response the listener writes itself (an error before the app sees the request). */
export function plainResponse(status: number, reason: string): Uint8Array {
  const body = `${reason}\n`;
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\ncontent-type: text/plain; ` +
      `charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
};

function error(status: 400 | 414 | 431, reason: string): HeadResult {
  return { kind: "error", status, reason };
}

/** Where the first CRLF (or CRLFCRLF when `double`) from `from` starts; -1 if none. */
function indexOfCrlf(bytes: Uint8Array, from: number, double: boolean): number {
  // The native search finds each CR; only those are looked at further.
  const last = bytes.length - (double ? 4 : 2);
  for (let i = bytes.indexOf(13, from); i >= 0 && i <= last; i = bytes.indexOf(13, i + 1)) {
    if (bytes[i + 1] === 10 && (!double || (bytes[i + 2] === 13 && bytes[i + 3] === 10))) return i;
  }
  return -1;
}

const ascii = new TextDecoder();

/** Bytes as latin1 text (one character per byte, 0x80–0xff included). */
function latin1(bytes: Uint8Array): string {
  // ASCII, the usual case, decodes the same as UTF-8, natively.
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return latin1Slow(bytes);
  return ascii.decode(bytes);
}

function latin1Slow(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return text;
}
