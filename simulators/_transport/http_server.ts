/**
 * A minimal HTTP/1.1 server for device simulators, on a raw TCP listener so that faults can be
 * faithful: `refuse` closes a connection as soon as it is accepted, `drop` reads the request
 * and closes without answering, `hang` never answers. Deno.serve cannot do these (a handler
 * cannot abort its connection). One request per connection (`Connection: close`), as the
 * small web servers of PDUs behave.
 * @module
 */
import type { Fault, SimulatedDevice } from "../kind.ts";
import {
  serveSimulatorTcp,
  serveSimulatorTls,
  type SimulatorTcpServer,
  type SimulatorTls,
} from "./tcp_server.ts";

/** What a simulator handler returns: a response, or what to do instead of answering. */
export type SimulatedReply = Response | "drop" | "hang";

/** A running simulator HTTP server. */
export type SimulatorHttpServer = SimulatorTcpServer;

const MAX_HEAD = 16 * 1024;
const MAX_BODY = 1024 * 1024;

/**
 * Serves `handler` on hostname:port. The device's fault is applied around it: `refuse` at
 * accept, `drop`/`hang`/`garbage`/`error` once the request was read, via `faultReply`.
 */
export function serveSimulatorHttp(
  device: SimulatedDevice,
  options: { hostname: string; port: number; tls?: SimulatorTls | undefined },
  handler: (request: Request) => Promise<SimulatedReply> | SimulatedReply,
): SimulatorHttpServer {
  const { hostname, port, tls } = options;
  return tls
    ? serveSimulatorTls(device, { hostname, port, tls }, (conn) => serveOne(conn, handler, "https"))
    : serveSimulatorTcp(device, { hostname, port }, (conn) => serveOne(conn, handler, "http"));
}

/** The reply a fault calls for, or undefined when the handler should answer normally. */
export function faultReply(
  fault: Fault,
  errorBody = "Internal Server Error",
): SimulatedReply | undefined {
  switch (fault) {
    case "drop":
    case "refuse":
      return "drop";
    case "hang":
      return "hang";
    case "error":
    case "flap":
      return new Response(errorBody, { status: 500 });
    case "garbage":
      return new Response(new Uint8Array([0, 0x13, 0xff, 0xfe, 0x41, 0x0a]), { status: 200 });
    case "none":
      return undefined;
  }
}

async function serveOne(
  conn: Deno.Conn,
  handler: (request: Request) => Promise<SimulatedReply> | SimulatedReply,
  scheme: "http" | "https",
): Promise<void> {
  const buffer = new Uint8Array(MAX_HEAD + MAX_BODY);
  let length = 0;
  let headEnd = -1;
  while (headEnd < 0) {
    const n = await conn.read(buffer.subarray(length, MAX_HEAD));
    if (n === null) return;
    length += n;
    headEnd = indexOfHeadEnd(buffer.subarray(0, length));
    if (headEnd < 0 && length >= MAX_HEAD) return;
  }
  const head = new TextDecoder().decode(buffer.subarray(0, headEnd));
  const [requestLine = "", ...headerLines] = head.split("\r\n");
  const [method = "", target = "", version = ""] = requestLine.split(" ");
  if (!/^HTTP\/1\.[01]$/.test(version) || !target.startsWith("/")) {
    await write(conn, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const headers = new Headers();
  for (const line of headerLines) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const bodyLength = Number(headers.get("content-length") ?? 0);
  if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_BODY) return;
  const bodyStart = headEnd + 4;
  while (length < bodyStart + bodyLength) {
    const n = await conn.read(buffer.subarray(length));
    if (n === null) return;
    length += n;
  }
  const body = buffer.slice(bodyStart, bodyStart + bodyLength);
  const controller = new AbortController();
  const request = new Request(`${scheme}://${headers.get("host") ?? "device"}${target}`, {
    method,
    headers,
    signal: controller.signal,
    ...(bodyLength > 0 && method !== "GET" && method !== "HEAD" ? { body } : {}),
  });
  const reply = await handler(request);
  if (reply === "drop") return;
  if (reply === "hang") {
    // Never answer; end when the client gives up (read returns null) or the server closes.
    await conn.read(new Uint8Array(1)).catch(() => null);
    controller.abort();
    return;
  }
  const payload = new Uint8Array(await reply.arrayBuffer());
  let out = `HTTP/1.1 ${reply.status} ${reply.statusText || "Status"}\r\n`;
  reply.headers.forEach((value, key) => out += `${key}: ${value}\r\n`);
  out += `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  await write(conn, out);
  await conn.write(payload).catch(() => 0);
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

async function write(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/**
 * Whether an Authorization header carries exactly these basic credentials. They are compared
 * as UTF-8 (RFC 7617's charset, what curl and browsers send), so a password outside Latin-1
 * (`btoa` throws on it) is checked like any other instead of failing the simulator.
 */
export function basicMatches(header: string | null, username: string, password: string): boolean {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "");
  if (!m) return false;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  return new TextDecoder().decode(bytes) === `${username}:${password}`;
}
