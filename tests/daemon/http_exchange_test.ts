/**
 * HTTP/1.1 served on the listener's own connection (daemon/http_exchange.ts), byte by byte over
 * a raw socket: chunked and Content-Length bodies reach the app, `100-continue` is answered,
 * pipelined requests are answered in order on one connection, HEAD has no body, HTTP/1.0 closes
 * unless asked to keep alive, an event stream ends with its client, and framing the listener
 * cannot read is refused with a 400.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads from `conn` until `done(text)` or the peer closes; returns what was read. */
async function readUntil(conn: Deno.Conn, done: (text: string) => boolean): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(65536);
  while (!done(text)) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

/** How many complete responses (head and Content-Length body) `text` holds. */
function responses(text: string): { status: number; headers: string; body: string }[] {
  const out = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const headers = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    if (rest.length < end + 4 + length) break;
    out.push({
      status: Number(headers.slice(9, 12)),
      headers,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

async function connect(d: TestDaemon): Promise<Deno.Conn> {
  return await Deno.connect({ hostname: "127.0.0.1", port: d.port });
}

for (const listener of ["both", "http"] as const) {
  Deno.test(`listener ${listener}: HTTP/1.1 exchanges on the client's own connection`, async (t) => {
    const pdu = "ex-" + crypto.randomUUID().slice(0, 8);
    await using d = await startDaemon({
      pdus: { [pdu]: { driver: "simulated", outlets: 4, "latency_ms": 0 } },
    }, { listener });
    const device = simulatedDevice(pdu)!;

    await t.step("a chunked body reaches the app; the connection stays open after", async () => {
      const conn = await connect(d);
      try {
        const body = JSON.stringify({ wait: true });
        const chunked = `${(5).toString(16)}\r\n${body.slice(0, 5)}\r\n` +
          `${(body.length - 5).toString(16)};ext=1\r\n${body.slice(5)}\r\n0\r\ntrailer: x\r\n\r\n`;
        await conn.write(encoder.encode(
          `POST /api/v1/pdus/${pdu}/outlets/1/on HTTP/1.1\r\nhost: x\r\n` +
            `content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${chunked}`,
        ));
        const first = responses(await readUntil(conn, (s) => responses(s).length === 1));
        assert.equal(first[0]?.status, 200, first[0]?.body);
        assert.equal(device.get(1), "on");
        await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"));
        const second = responses(await readUntil(conn, (s) => responses(s).length === 1));
        assert.equal(second[0]?.body, "ok\n");
      } finally {
        conn.close();
      }
    });

    await t.step("a body that is not JSON is the app's 400, not the listener's", async () => {
      const conn = await connect(d);
      try {
        await conn.write(encoder.encode(
          `POST /api/v1/pdus/${pdu}/outlets/2/on HTTP/1.1\r\nhost: x\r\n` +
            "content-type: application/json\r\ncontent-length: 5\r\nconnection: close\r\n\r\n{nope",
        ));
        const [reply] = responses(await readUntil(conn, () => false));
        assert.equal(reply?.status, 400);
        assert.match(reply!.body, /not valid JSON/);
        assert.notEqual(device.get(2), "on");
      } finally {
        conn.close();
      }
    });

    await t.step("Expect: 100-continue is answered before the body is read", async () => {
      const conn = await connect(d);
      try {
        const body = JSON.stringify({ wait: true });
        await conn.write(encoder.encode(
          `POST /api/v1/pdus/${pdu}/outlets/3/on HTTP/1.1\r\nhost: x\r\ncontent-type: ` +
            `application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`,
        ));
        const interim = await readUntil(conn, (s) => s.includes("\r\n\r\n"));
        assert.equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
        await conn.write(encoder.encode(body));
        const [reply] = responses(await readUntil(conn, (s) => responses(s).length === 1));
        assert.equal(reply?.status, 200, reply?.body);
        assert.equal(device.get(3), "on");
      } finally {
        conn.close();
      }
    });

    await t.step("pipelined requests are answered in order on one connection", async () => {
      const conn = await connect(d);
      try {
        await conn.write(encoder.encode(
          `GET /power/control/on?hostname=${pdu}&port=4 HTTP/1.1\r\nhost: x\r\n\r\n` +
            `GET /power/control/off?hostname=${pdu}&port=4 HTTP/1.1\r\nhost: x\r\n\r\n` +
            "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        ));
        const replies = responses(await readUntil(conn, () => false));
        assert.deepEqual(replies.map((r) => r.body), [
          "OK - accepted request\n",
          "OK - accepted request\n",
          "ok\n",
        ]);
        assert.match(replies[2]!.headers, /\r\nconnection: close/);
        assert.equal(device.get(4), "off", "the off ran after the on");
      } finally {
        conn.close();
      }
    });

    await t.step("HEAD answers the head alone", async () => {
      const conn = await connect(d);
      try {
        await conn.write(
          encoder.encode("HEAD /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
        );
        const text = await readUntil(conn, () => false);
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.ok(text.endsWith("\r\n\r\n"), JSON.stringify(text));
        assert.ok(!text.includes("ok\n"));
      } finally {
        conn.close();
      }
    });

    await t.step("HTTP/1.0 closes after the response unless it asked to keep alive", async () => {
      const conn = await connect(d);
      try {
        await conn.write(encoder.encode("GET /healthz HTTP/1.0\r\n\r\n"));
        const text = await readUntil(conn, () => false);
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(text, /\r\nconnection: close\r\n/);
      } finally {
        conn.close();
      }
      const kept = await connect(d);
      try {
        await kept.write(encoder.encode("GET /healthz HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
        const [first] = responses(await readUntil(kept, (s) => responses(s).length === 1));
        assert.match(first!.headers, /\r\nconnection: keep-alive/);
        await kept.write(encoder.encode("GET /healthz HTTP/1.0\r\n\r\n"));
        const [second] = responses(await readUntil(kept, () => false));
        assert.equal(second?.body, "ok\n");
      } finally {
        kept.close();
      }
    });

    await t.step("an event stream is chunked and ends when its client goes away", async () => {
      const conn = await connect(d);
      const hub = d.daemon.events;
      try {
        await conn.write(encoder.encode("GET /api/v1/events HTTP/1.1\r\nhost: x\r\n\r\n"));
        const text = await readUntil(conn, (s) => s.includes("event: ready"));
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(text, /\r\ntransfer-encoding: chunked\r\n/);
        assert.match(text, /\r\ncontent-type: text\/event-stream/);
        assert.equal(hub.subscribers, 1);
      } finally {
        conn.close();
      }
      for (let i = 0; i < 200 && hub.subscribers > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      assert.equal(hub.subscribers, 0, "the subscription ended with the connection");
    });

    await t.step("a transfer coding other than chunked is refused with 400", async () => {
      const conn = await connect(d);
      try {
        await conn.write(encoder.encode(
          "POST /api/v1/reload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip\r\n\r\nxx",
        ));
        const text = await readUntil(conn, () => false);
        assert.match(text, /^HTTP\/1\.1 400 /);
        assert.match(text, /transfer-encoding/);
      } finally {
        conn.close();
      }
    });
  });
}
