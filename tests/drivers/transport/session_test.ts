import assert from "node:assert/strict";
import { Session } from "../../../drivers/_transport/session.ts";
import type { DriverError } from "../../../drivers/errors.ts";
import { driverFailure as failure } from "../../_helpers/driver_error.ts";

/** A device on 127.0.0.1:0 that runs `script` on the first connection it accepts. */
function device(script: (conn: Deno.TcpConn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      await script(conn);
    } finally {
      try {
        conn.close();
      } catch { /* closed by the script */ }
    }
  })();
  return {
    target: (telnet = false) => ({
      host: "127.0.0.1",
      port: listener.addr.port,
      device: "box",
      telnet,
    }),
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

async function readSome(conn: Deno.TcpConn, count: number): Promise<number[]> {
  const out: number[] = [];
  const buffer = new Uint8Array(64);
  while (out.length < count) {
    const n = await conn.read(buffer);
    if (n === null) break;
    out.push(...buffer.subarray(0, n));
  }
  return out;
}

Deno.test("Session: exact reads, lines and expect share one stream; every byte value comes back unchanged", async () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  await using d = device(async (conn) => {
    assert.deepEqual(await readSome(conn, 3), [0x20, 0xff, 0x00]);
    await conn.write(all);
    await conn.write(new TextEncoder().encode("\r\nfirst line\r\nPrompt> rest"));
    await readSome(conn, 1);
  });
  await Session.with(d.target(), AbortSignal.timeout(5000), async (s) => {
    const signal = AbortSignal.timeout(5000);
    await s.write(Uint8Array.of(0x20, 0xff, 0x00), signal);
    assert.deepEqual(await s.readExactly(256, "the table", signal), all);
    assert.equal(await s.readLine("a line", signal), "first line");
    const m = await s.expect([/nothing/, "> "], "the prompt", signal);
    // readLine consumed the CR of the CR LF; the LF is left for whatever reads next.
    assert.deepEqual(m, { index: 1, before: "\nPrompt", match: "> " });
    assert.equal(
      await s.readExactly(4, "the rest", signal).then((b) => String.fromCharCode(...b)),
      "rest",
    );
    await s.send("x", signal);
  });
});

Deno.test("Session: an abandoned wait is a timeout that names it and keeps the connection usable", async () => {
  const go = Promise.withResolvers<void>();
  await using d = device(async (conn) => {
    await conn.write(new TextEncoder().encode("Welc"));
    await go.promise;
    await conn.write(new TextEncoder().encode("ome\r\n"));
    await readSome(conn, 1);
  });
  await Session.with(d.target(), AbortSignal.timeout(5000), async (s) => {
    const controller = new AbortController();
    let error: DriverError;
    try {
      // One write on loopback arrives as one read: "lc" is there once "We" is.
      await s.readExactly(2, "the start", AbortSignal.timeout(5000));
      const waiting = failure(s.expect(["lcome"], "the banner", controller.signal));
      controller.abort(new Error("operation timeout"));
      error = await waiting;
    } finally {
      go.resolve();
    }
    assert.equal(error.kind, "timeout");
    assert.equal(error.message, 'box did not send the banner in time; last received: "lc"');
    const signal = AbortSignal.timeout(5000);
    assert.equal(await s.readLine("the banner", signal), "lcome");
    await s.send("x", signal);
  });
});

Deno.test("Session: a peer that closes mid-wait is a protocol error quoting what it sent", async () => {
  await using d = device(async (conn) => {
    await conn.write(new TextEncoder().encode("\x1b[2Jbye"));
  });
  await Session.with(d.target(), AbortSignal.timeout(5000), async (s) => {
    const error = await failure(s.readExactly(10, "the answer to 0x20", AbortSignal.timeout(5000)));
    assert.equal(error.kind, "protocol");
    assert.equal(
      error.message,
      'box closed the connection while pdud waited for the answer to 0x20; last received: "bye"',
    );
  });
});

Deno.test("Session with telnet: option requests are answered as a plain NVT client, IAC sequences split over reads are stripped", async () => {
  const IAC = 255, WILL = 251, DO = 253, SB = 250, SE = 240;
  await using d = device(async (conn) => {
    // WILL ECHO, DO NAWS (31), then a subnegotiation and an escaped 0xff split across writes.
    await conn.write(Uint8Array.of(IAC, WILL, 1, IAC, DO));
    await conn.write(Uint8Array.of(31, IAC, SB, 24, 1, IAC, SE, 0x41, IAC));
    await conn.write(Uint8Array.of(IAC, 0x42, 0x0d, 0x0a));
    // DO ECHO, WONT NAWS, then the driver's "ok" after them.
    assert.deepEqual(await readSome(conn, 8), [IAC, DO, 1, IAC, 252, 31, 0x6f, 0x6b]);
  });
  await Session.with(d.target(true), AbortSignal.timeout(5000), async (s) => {
    const signal = AbortSignal.timeout(5000);
    assert.equal(await s.readLine("the line", signal), "A\xffB");
    await s.send("ok", signal);
  });
});

Deno.test("Session: a device that floods the buffer fails an exact read instead of giving shifted bytes", async () => {
  await using d = device(async (conn) => {
    await conn.write(new Uint8Array(70 * 1024).fill(0x61));
  });
  await Session.with(d.target(), AbortSignal.timeout(5000), async (s) => {
    const signal = AbortSignal.timeout(5000);
    // Waits until the device closed, so the whole flood has arrived; expect kept the newest text.
    const closed = await failure(s.expect(["b"], "a b", signal));
    assert.match(
      closed.message,
      /closed the connection while pdud waited for a b; last received: "a{160}"$/,
    );
    // An exact read cannot be trusted once bytes were dropped.
    const error = await failure(s.readExactly(1, "one byte", signal));
    assert.equal(error.kind, "protocol");
    assert.match(error.message, /^box sent more than 65536 bytes that pdud did not ask for/);
  });
});

Deno.test("Session: connecting to a closed port is unreachable; an aborted connect is a timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const target = { host: "127.0.0.1", port, device: "box" };
  const refused = await failure(Session.open(target, AbortSignal.timeout(5000)));
  assert.equal(refused.kind, "unreachable");
  assert.match(refused.message, /^box is unreachable: /);
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  const aborted = await failure(Session.open(target, controller.signal));
  assert.equal(aborted.kind, "timeout");
});
