/**
 * Hostile sizes and connection counts (issue 15.1, 15.5, 15.8): a JSON route stops reading a body
 * at its limit (413), a 1 MB URL gets 414 and a 1 MB header 431 with a status line; the
 * connection cap evicts the oldest half-sent head, or refuses (503 / nack) when every
 * connection has a request in flight; HTTP is served on the listener's own connection, with no
 * internal server another local process could reach.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { defaultMaxConnections, softFileLimit } from "../../daemon/limits.ts";
import { ACCEPTORS } from "../../daemon/mod.ts";
import { startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `bytes` (stopping if the daemon closes), reads the reply until the close. */
async function exchange(d: TestDaemon, bytes: Uint8Array, closeWrite = false): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
  try {
    const reading = (async () => {
      let text = "";
      const buffer = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return text;
        text += decoder.decode(buffer.subarray(0, n));
      }
    })();
    for (let i = 0; i < bytes.length; i += 65536) {
      if (!await conn.write(bytes.subarray(i, i + 65536)).then(() => true, () => false)) break;
    }
    if (closeWrite) await conn.closeWrite().catch(() => {});
    return await reading;
  } finally {
    conn.close();
  }
}

Deno.test("413, 414 and 431 come with a status line on both HTTP listener modes", async (t) => {
  for (const listener of ["both", "http"] as const) {
    await using d = await startDaemon(
      { pdus: { sim: { driver: "simulated", outlets: 2 } } },
      { listener },
    );
    await t.step(`${listener}: a 1 MB URL → 414`, async () => {
      const reply = await exchange(
        d,
        encoder.encode(`GET /power/control/on?hostname=${"x".repeat(1 << 20)} HTTP/1.1\r\n\r\n`),
      );
      assert.match(reply, /^HTTP\/1\.1 414 /);
    });
    await t.step(`${listener}: a 1 MB header → 431`, async () => {
      const reply = await exchange(
        d,
        encoder.encode(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${"y".repeat(1 << 20)}\r\n\r\n`),
      );
      assert.match(reply, /^HTTP\/1\.1 431 /);
    });
    await t.step(`${listener}: a 400 KB chunked body to a JSON route → 413`, async () => {
      const chunk = "z".repeat(4096);
      const chunks = Array.from({ length: 100 }, () => `1000\r\n${chunk}\r\n`).join("");
      const reply = await exchange(
        d,
        encoder.encode(
          "POST /api/v1/pdus/sim/outlets/1/on HTTP/1.1\r\nhost: x\r\ncontent-type: " +
            `application/json\r\ntransfer-encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
        ),
        true,
      );
      assert.match(reply, /^HTTP\/1\.1 413 /);
      assert.match(reply, /larger than 64 KiB/);
    });
    await t.step(`${listener}: a declared 400 MB body → 413 before it is sent`, async () => {
      const reply = await exchange(
        d,
        encoder.encode(
          "POST /api/v1/pdus/sim/outlets/1/on HTTP/1.1\r\nhost: x\r\ncontent-type: " +
            "application/json\r\ncontent-length: 400000000\r\n\r\n{",
        ),
        true,
      );
      assert.match(reply, /^HTTP\/1\.1 413 /);
    });
    const ok = await fetch(`${d.url}/healthz`);
    assert.equal(await ok.text(), "ok\n");
  }
});

Deno.test("the connection cap evicts the oldest half-sent head first, then refuses with 503 or nack", async () => {
  const pdu = "cap-" + crypto.randomUUID();
  await using d = await startDaemon({
    daemon: { max_connections: 4, request_timeout: 30 },
    pdus: { [pdu]: { driver: "simulated", outlets: 8, "latency_ms": 0 } },
  });
  const device = simulatedDevice(pdu)!;
  // Four half-open heads fill the cap.
  const heads: Deno.Conn[] = [];
  const closed: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n"));
    heads.push(conn);
    closed.push(false);
    conn.read(new Uint8Array(256)).catch(() => null).then(() => (closed[i] = true));
  }
  try {
    const r = await fetch(`${d.url}/healthz`);
    assert.equal(await r.text(), "ok\n", "answered: the oldest half-sent head made room");
    assert.equal(closed[0], true, "the oldest head was closed");
    // Four requests in flight (reboots waiting 1 s) fill the cap with nothing to evict.
    const busy = [1, 2, 3, 4].map((outlet) =>
      fetch(`${d.url}/power/control/reboot?hostname=${pdu}&port=${outlet}&delay=1`)
        .then((r) => r.text())
    );
    await device.nextOperation?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refusedHttp = await exchange(
      d,
      encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"),
    );
    assert.match(refusedHttp, /^HTTP\/1\.1 503 /);
    assert.match(refusedHttp, /too many connections/);
    const refusedLegacy = await exchange(d, encoder.encode(`${pdu} 5 on`));
    assert.equal(refusedLegacy, "nack\n");
    assert.deepEqual(await Promise.all(busy), Array(4).fill("OK - accepted request\n"));
    for (const outlet of [1, 2, 3, 4]) assert.equal(device.get(outlet), "on");
    assert.equal(device.get(5), "off", "the refused legacy line ran nothing");
  } finally {
    for (const conn of heads) {
      try {
        conn.close();
      } catch { /* closed by the daemon */ }
    }
  }
});

Deno.test("the default cap follows the descriptor limit", () => {
  assert.equal(
    softFileLimit("Max open files            1024                 4096      files\n"),
    1024,
  );
  assert.equal(defaultMaxConnections(1024), 704);
  assert.equal(defaultMaxConnections(256), 128);
  assert.equal(defaultMaxConnections(524288), 393_152);
  assert.equal(defaultMaxConnections(10), 1);
  // A TLS client costs three: its socket, the relay to the internal TLS listener, its end.
  assert.equal(defaultMaxConnections(1024, 3), 234);
  assert.equal(defaultMaxConnections(256, 3), 42);
  assert.equal(defaultMaxConnections(524288, 3), 131_050);
});

Deno.test("HTTP has no internal hop: the daemon listens on its own port and nowhere else", async (t) => {
  const ss = (args: string[]) => new Deno.Command("ss", { args, stdout: "piped", stderr: "null" });
  const listening = async () => {
    const out = await ss(["-ltnpH"]).output();
    return decoder.decode(out.stdout).split("\n").filter((l) => l.includes(`pid=${Deno.pid},`))
      .map((l) => l.split(/\s+/)[3]!);
  };
  try {
    await ss(["-V"]).output();
  } catch {
    await t.step({ name: "skipped: `ss` (iproute2) is not installed", ignore: true, fn() {} });
    return;
  }
  const pdu = "spoof-" + crypto.randomUUID();
  const before = new Set(await listening());
  await using d = await startDaemon({
    daemon: { allowed_networks: ["127.0.0.1/32"] },
    pdus: { [pdu]: { driver: "simulated", outlets: 2, "latency_ms": 0 } },
  });
  assert.deepEqual(d.daemon.listeners.internalPorts(), {});
  // A client on keep-alive: nothing is opened on its behalf that another process could reach.
  const client = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
  try {
    await client.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"));
    assert.match(decoder.decode(await readSome(client)), /^HTTP\/1\.1 200 /);
    const added = (await listening()).filter((address) => !before.has(address));
    // ACCEPTORS sockets, all on the daemon's own port (SO_REUSEPORT).
    assert.deepEqual(added, Array(ACCEPTORS).fill(`127.0.0.1:${d.port}`));
  } finally {
    client.close();
  }
  assert.equal(simulatedDevice(pdu)!.get(1), "off", "nothing was switched");
});

async function readSome(conn: Deno.Conn): Promise<Uint8Array> {
  const buffer = new Uint8Array(4096);
  const n = await conn.read(buffer);
  return buffer.subarray(0, n ?? 0);
}
