/**
 * Legacy TCP framing on the shared port (issue 14.2): HTTP is told by the shape of its request
 * line, not by capital letters; a line that can never become a request is nacked at once, an
 * incomplete one when the request timeout runs out; the port serves both protocols after either.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { legacyFrame } from "../../routes/mod.ts";
import { httpShape } from "../../daemon/http_head.ts";
import { startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `bytes` (no half-close: pduclient waits for the reply) and reads until the close. */
async function exchange(d: TestDaemon, bytes: Uint8Array | string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
  try {
    await conn.write(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
    let text = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return text;
      text += decoder.decode(buffer.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("legacyFrame: complete, incomplete and never-valid lines", () => {
  const cases: [string, boolean, string][] = [
    ["lc 3 on", false, "complete"],
    ["lc 3 reboot 5", false, "complete"],
    ["lc 3 on\n", false, "complete"],
    ["lc 3 on\r\n", false, "complete"],
    ["APC 1 on", false, "complete"],
    ["lc 3 of", false, "incomplete"],
    ["lc 3 off", false, "complete"],
    ["lc 3", false, "incomplete"],
    ["lc 3 on ", false, "incomplete"],
    ["lc 3 on", true, "complete"],
    ["\x00\xff\xfegarbage", false, "invalid"],
    ["garbage\n", false, "invalid"],
    ["garbage", true, "invalid"],
    ["lc 9\n", false, "invalid"],
    ["lc 3 on \n", false, "invalid"],
    ["lc 3 reboot 0.5", false, "invalid"],
    ["lc 3 on -1", false, "invalid"],
    ["lc 3 foo", false, "invalid"],
    ["lc  3 on", false, "invalid"],
    ["lc 3 on 5 6", false, "invalid"],
  ];
  for (const [text, ended, kind] of cases) {
    assert.equal(legacyFrame(text, ended).kind, kind, JSON.stringify(text));
  }
  // The vocabulary is UPSTREAM_COMMANDS: get-status is framed whole, get- waits.
  assert.equal(legacyFrame("lc 3 get-status").kind, "complete");
  assert.equal(legacyFrame("lc 3 get-").kind, "incomplete");
});

Deno.test("httpShape: the request line's shape, not letter case", () => {
  const cases: [string, string][] = [
    ["GET /power/control/on?hostname=x&port=1 HTTP/1.1\r\n", "http"],
    ["get / HTTP/1.0", "http"],
    ["OPTIONS * HTTP/1.1", "http"],
    ["GET http://pdud/healthz HTTP/1.1", "http"],
    ["GET /healthz HTT", "maybe"],
    ["GET", "maybe"],
    ["APC 1 on", "no"],
    ["APC 1", "no"],
    ["APC outlet1 on", "no"],
    ["GET /x\n", "no"],
    ["GET /x HTTQ", "no"],
    ["\x00\xff", "no"],
  ];
  for (const [text, shape] of cases) {
    assert.equal(httpShape(Uint8Array.from(text, (c) => c.charCodeAt(0))), shape, text);
  }
});

Deno.test("shared port: capitals run, never-valid lines are nacked at once, incomplete ones at the timeout", async (t) => {
  const pdu = "APC" + crypto.randomUUID().replaceAll("-", "").slice(0, 8).toUpperCase();
  await using d = await startDaemon({
    daemon: { request_timeout: 5 },
    pdus: { [pdu]: { driver: "simulated", outlets: 4, "latency_ms": 0 } },
  });
  const device = simulatedDevice(pdu)!;
  const servesBoth = async (outlet: number) => {
    assert.equal(await exchange(d, `${pdu} ${outlet} on`), "ack\n", "legacy still served");
    const r = await fetch(`${d.url}/power/control/off?hostname=${pdu}&port=${outlet}`);
    assert.equal(await r.text(), "OK - accepted request\n", "HTTP still served");
    assert.equal(device.get(outlet), "off");
  };

  await t.step("a PDU named in capitals runs (pduclient: no newline)", async () => {
    assert.equal(await exchange(d, `${pdu} 1 on`), "ack\n");
    assert.equal(device.get(1), "on");
  });

  const never: (string | Uint8Array)[] = [
    Uint8Array.of(0, 0xff, 0xfe, ...encoder.encode("garbage")),
    "garbage\n",
    "lc 9\n",
    "lc 3 on \n",
    "lc 3 reboot 0.5",
    "lc 3 on -1",
    "lc 3 foo",
    `${pdu} 2 explode`,
  ];
  for (const bytes of never) {
    await t.step(
      `nack at once: ${JSON.stringify(typeof bytes === "string" ? bytes : "binary")}`,
      async () => {
        const started = performance.now();
        assert.equal(await exchange(d, bytes), "nack\n");
        // Well before the 5 s request timeout.
        assert.ok(performance.now() - started < 2500, `${performance.now() - started} ms`);
        await servesBoth(3);
      },
    );
  }
  assert.deepEqual(device.history.filter(([o]) => o === 2), [], "nothing switched outlet 2");
});

Deno.test("shared port: an incomplete line gets nack when the request timeout runs out", async () => {
  const pdu = "inc-" + crypto.randomUUID();
  await using d = await startDaemon({
    daemon: { request_timeout: 0.2 },
    pdus: { [pdu]: { driver: "simulated", outlets: 2, "latency_ms": 0 } },
  });
  for (const partial of [`${pdu} 1`, `${pdu} 1 of`, "GET /healthz HTT"]) {
    const reply = await exchange(d, partial);
    if (partial.startsWith("GET")) assert.match(reply, /^HTTP\/1\.1 408 /, partial);
    else assert.equal(reply, "nack\n", partial);
  }
  assert.equal(await exchange(d, `${pdu} 1 on`), "ack\n");
  const r = await fetch(`${d.url}/healthz`);
  assert.equal(await r.text(), "ok\n");
});
