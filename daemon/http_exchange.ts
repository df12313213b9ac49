/**
 * One HTTP/1.1 exchange served on a connection the listener accepted itself: the request built
 * from a head parseHead accepted (its body read from the connection as the app asks for it,
 * Content-Length or chunked), and the app's Response written back (a buffered body with its
 * length, or an event stream chunked as it comes). Serving here rather than relaying to an
 * internal Deno.serve saves a loopback connection per client and a write and a read each way
 * per request.
 * @module
 */
import { MAX_HEAD, type RequestHead } from "./http_head.ts";

/** Buffered reads from a connection: the bytes not yet consumed, up to a head and a bit. */
export class ConnReader {
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  constructor(private readonly conn: Deno.Conn) {}

  /** The bytes read and not yet consumed. */
  get bytes(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /** How many bytes `bytes` holds (without a view of them, which is an allocation). */
  get size(): number {
    return this.#end - this.#start;
  }

  /** The buffer is as large as it may grow and full: fill() would read nothing. */
  get full(): boolean {
    return this.#start === 0 && this.#end === this.#buffer.length &&
      this.#buffer.length >= MAX_HEAD + 64 * 1024;
  }

  /** Reads more; false at the end of input. */
  async fill(): Promise<boolean> {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      // Grown only as far as a head may be: parseHead refuses beyond it.
      const size = Math.min(this.#buffer.length * 2, MAX_HEAD + 64 * 1024);
      if (size === this.#buffer.length) return true;
      const grown = new Uint8Array(size);
      grown.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = grown;
    }
    const n = await this.conn.read(this.#buffer.subarray(this.#end));
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  consume(n: number): void {
    this.#start += n;
  }
}

/** A request body being read from the connection. */
export interface BodyState {
  /** Every byte of the body has been read (or there was none). */
  done: boolean;
  /** The body's framing was broken or the client went away: the connection must end. */
  broken: boolean;
}

/** What requestOf builds. */
export interface IncomingRequest {
  request: Request;
  body: BodyState;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * The Request for `head`, its body (if any) a stream read from `reader` as the app consumes it,
 * at most `maxBody` bytes (beyond, the stream errors and the connection ends). A client that
 * asked for `100-continue` is told to go on when the app first reads the body.
 * @throws TypeError when the head cannot make a URL (a Host header that is not a host)
 */
export function requestOf(
  head: RequestHead,
  reader: ConnReader,
  options: {
    authority: string;
    maxBody: number;
    write(bytes: Uint8Array): Promise<void>;
    /** Called once the body's last byte has been read. */
    bodyRead(): void;
  },
): IncomingRequest {
  let host: string | undefined;
  let expectContinue = false;
  for (const [name, value] of head.headers) {
    if (name === "host") host ??= value;
    else if (name === "expect" && value.toLowerCase() === "100-continue") expectContinue = true;
  }
  const target = head.target;
  const url = target.startsWith("/")
    ? `http://${host || options.authority}${target}`
    : target === "*"
    ? `http://${host || options.authority}/`
    : target;
  const hasBody = head.chunked || head.bodyLength > 0;
  const body: BodyState = { done: !hasBody, broken: false };
  const init: RequestInit = { method: head.method, headers: head.headers };
  if (hasBody && head.method !== "GET" && head.method !== "HEAD") {
    const next = head.chunked
      ? chunkedReader(reader, options.maxBody)
      : lengthReader(reader, head.bodyLength);
    let continued = !expectContinue || head.version === "1.0";
    init.body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          if (!continued) {
            continued = true;
            await options.write(CONTINUE);
          }
          const chunk = await next();
          if (chunk === null) {
            body.done = true;
            options.bodyRead();
            controller.close();
          } else controller.enqueue(chunk);
        } catch (error) {
          body.broken = true;
          controller.error(error);
        }
      },
      cancel() {
        // The app stopped reading: the rest of the body is still on the connection.
        body.broken = !body.done;
      },
    }, { highWaterMark: 0 });
  }
  // A body on a GET or HEAD is not read by any route; the connection cannot be reused after.
  return { request: new Request(url, init), body };
}

/** Reads a Content-Length body: chunks until `length` bytes, then null. */
function lengthReader(reader: ConnReader, length: number): () => Promise<Uint8Array | null> {
  let left = length;
  return async () => {
    if (left === 0) return null;
    if (reader.size === 0 && !await reader.fill()) throw new Error("the body ended early");
    const n = Math.min(left, reader.size);
    const chunk = reader.bytes.slice(0, n);
    reader.consume(n);
    left -= n;
    return chunk;
  };
}

const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]{1,8})[ \t]*(;[^\r\n]*)?$/;

/** Reads a chunked body (RFC 9112 §7.1): its data chunk by chunk, then null after the trailers. */
function chunkedReader(reader: ConnReader, maxBody: number): () => Promise<Uint8Array | null> {
  let total = 0;
  let left = 0;
  let ended = false;
  const line = async (): Promise<string> => {
    for (;;) {
      const bytes = reader.bytes;
      const lf = bytes.indexOf(10);
      if (lf >= 0) {
        if (lf === 0 || bytes[lf - 1] !== 13) throw new Error("malformed chunked body");
        const text = String.fromCharCode(...bytes.subarray(0, lf - 1));
        reader.consume(lf + 1);
        return text;
      }
      if (reader.size > 4096) throw new Error("malformed chunked body");
      if (!await reader.fill()) throw new Error("the body ended early");
    }
  };
  const crlf = async () => {
    if ((await line()) !== "") throw new Error("malformed chunked body");
  };
  return async () => {
    if (ended) return null;
    if (left === 0) {
      const size = CHUNK_SIZE_LINE.exec(await line());
      if (!size) throw new Error("malformed chunked body");
      left = parseInt(size[1]!, 16);
      if (left === 0) {
        // Trailer fields are read and dropped, up to the empty line.
        for (let n = 0; (await line()) !== ""; n++) {
          if (n > 100) throw new Error("malformed chunked body");
        }
        ended = true;
        return null;
      }
      total += left;
      if (total > maxBody) throw new Error("the body is too large");
    }
    if (reader.size === 0 && !await reader.fill()) throw new Error("the body ended early");
    const n = Math.min(left, reader.size);
    const chunk = reader.bytes.slice(0, n);
    reader.consume(n);
    left -= n;
    if (left === 0) await crlf();
    return chunk;
  };
}

/** What writeResponse needs to know about the exchange. */
export interface ResponseOptions {
  method: string;
  version: "1.0" | "1.1";
  /** The connection ends after this response. */
  close: boolean;
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Resolves when the client is gone (its side closed or failed), for a response streamed
   * until then; only asked for streamed responses.
   */
  gone(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Writes `response`; resolves with false when the connection must end after it (asked for, an
 * event stream, or the client went away). A body is sent with its length, in one write with the
 * head; only `text/event-stream` is streamed (chunked), since it never ends by itself.
 */
export async function writeResponse(
  response: Response,
  options: ResponseOptions,
): Promise<boolean> {
  const status = response.status;
  const noBody = options.method === "HEAD" || status === 204 || status === 304 ||
    (status >= 100 && status < 200);
  // `response.body` is not touched unless the response is a stream: the getter turns a body
  // given as a string into a ReadableStream, which then has to be read back chunk by chunk.
  const eventStream = (response.headers.get("content-type") ?? "").startsWith(
    "text/event-stream",
  );
  const streamed = !noBody && eventStream && response.body !== null;
  let head = `HTTP/1.1 ${status} ${response.statusText || STATUS_TEXT[status] || ""}\r\n`;
  for (const [name, value] of response.headers) {
    if (name === "connection" || name === "transfer-encoding" || name === "keep-alive") continue;
    if (name === "content-length" && !noBody) continue;
    head += `${name}: ${value}\r\n`;
  }
  head += `date: ${httpDate()}\r\n`;
  const close = options.close || streamed;
  if (close) head += "connection: close\r\n";
  else if (options.version === "1.0") head += "connection: keep-alive\r\n";
  if (streamed) {
    const chunked = options.version === "1.1";
    if (chunked) head += "transfer-encoding: chunked\r\n";
    await options.write(encoder.encode(head + "\r\n"));
    await streamBody(response.body!, chunked, options);
    return false;
  }
  if (noBody) {
    if (eventStream) await response.body?.cancel().catch(() => {});
    await options.write(encoder.encode(head + "\r\n"));
    return !close;
  }
  const body = new Uint8Array(await response.arrayBuffer());
  const top = encoder.encode(`${head}content-length: ${body.length}\r\n\r\n`);
  const bytes = new Uint8Array(top.length + body.length);
  bytes.set(top);
  bytes.set(body, top.length);
  await options.write(bytes);
  return !close;
}

async function streamBody(
  body: ReadableStream<Uint8Array>,
  chunked: boolean,
  options: ResponseOptions,
): Promise<void> {
  const reader = body.getReader();
  let gone = false;
  // The stream ends when the client goes away, not at the next event written into the void.
  options.gone().then(() => {
    gone = true;
    reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone) break;
      if (value.length === 0) continue;
      if (!chunked) {
        await options.write(value);
        continue;
      }
      const size = encoder.encode(`${value.length.toString(16)}\r\n`);
      const framed = new Uint8Array(size.length + value.length + 2);
      framed.set(size);
      framed.set(value, size.length);
      framed.set(CRLF, size.length + value.length);
      await options.write(framed);
    }
    if (chunked && !gone) await options.write(LAST_CHUNK);
  } catch {
    await reader.cancel().catch(() => {});
  } finally {
    reader.releaseLock();
  }
}

const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

let dateSecond = -1;
let dateText = "";

/** The Date header's value, formatted once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Reason phrases of the statuses pdud answers with. */
const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
