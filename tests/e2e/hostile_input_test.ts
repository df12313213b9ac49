/**
 * Hostile and malformed input on the shared port, HTTP and legacy TCP: each gets a clear refusal
 * naming what was wrong, switches nothing, and never disturbs the listener or another client's
 * job in flight.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { control, startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends raw bytes (optionally in pieces), returns everything the daemon answers until close. */
async function raw(d: TestDaemon, pieces: Uint8Array[], closeWrite = true): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
  try {
    for (const piece of pieces) {
      try {
        await conn.write(piece);
      } catch {
        break; // The daemon may close on an oversized request before all of it is written.
      }
    }
    if (closeWrite) await conn.closeWrite().catch(() => {});
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return decoder.decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

Deno.test("hostile input is refused clearly and harms no one", async (t) => {
  const pdu = "hostile-" + crypto.randomUUID();
  await using d = await startDaemon({
    pdus: { [pdu]: { driver: "simulated", outlets: 8, "latency_ms": 0 } },
  });
  const device = simulatedDevice(pdu)!;
  // A job in flight for the whole test: a reboot of outlet 8 with a 1 s delay.
  const inFlight = control(d, "reboot", { hostname: pdu, port: 8, delay: 1 });

  await t.step("HTTP: bad ports, delays and commands name the problem", async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ hostname: pdu, port: "abc" }, "on", /port/],
      [{ hostname: pdu, port: "-1" }, "on", /port/],
      [{ hostname: pdu, port: "1e3" }, "on", /port/],
      [{ hostname: pdu, port: "99999999" }, "on", /port|outlet/],
      [{ hostname: pdu, port: "1;reboot" }, "on", /port/],
      // Upstream turns the outlet off and never on again for this one.
      [{ hostname: pdu, port: "1", delay: "abc" }, "reboot", /delay/],
      [{ hostname: pdu, port: "1", delay: "-5" }, "reboot", /delay/],
      [{ port: "1" }, "on", /hostname/],
      [{ hostname: "no-such-pdu", port: "1" }, "on", /no-such-pdu/],
      [{ hostname: pdu, port: "1" }, "explode", /explode/],
    ];
    for (const [query, command, reason] of cases) {
      const r = await control(d, command, query);
      assert.equal(r.status, 503, `${command} ${JSON.stringify(query)} → ${r.status}`);
      assert.match(r.body, reason, `${command} ${JSON.stringify(query)} → ${r.body}`);
      assert.ok(!r.body.slice(0, -1).includes("\n"), "one line");
    }
    for (let outlet = 1; outlet <= 7; outlet++) assert.equal(device.get(outlet), "off");
  });

  await t.step("HTTP: a 1 MB URL and binary garbage leave the listener serving", async () => {
    const huge = await raw(d, [
      encoder.encode(`GET /power/control/on?hostname=${"x".repeat(1 << 20)} HTTP/1.1\r\n\r\n`),
    ]);
    assert.ok(huge === "" || /^HTTP\/1\.1 4\d\d/.test(huge), huge.slice(0, 80));
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 256);
    await raw(d, [garbage]);
    const ok = await control(d, "on", { hostname: pdu, port: 1 });
    assert.equal(ok.status, 200);
    assert.equal(device.get(1), "on");
  });

  await t.step("legacy TCP: split writes still make one request", async () => {
    const line = encoder.encode(`${pdu} 2 on\n`);
    const reply = await raw(d, [...line].map((b) => Uint8Array.of(b)));
    assert.equal(reply, "ack\n");
    // Legacy acks once the job has run; the status request only confirms the outlet state.
    const status = await control(d, "get-status", { hostname: pdu, port: 2 });
    assert.equal(status.status, 200);
    assert.equal(device.get(2), "on");
  });

  await t.step("legacy TCP: malformed, non-UTF-8 and oversized lines are nacked", async () => {
    for (
      const payload of [
        encoder.encode(`${pdu} abc on\n`),
        encoder.encode(`${pdu} 3 reboot notanumber\n`),
        encoder.encode(`${pdu} 3 on; rm -rf /\n`),
        Uint8Array.of(0xff, 0xfe, 0x20, 0x33, 0x20, 0x6f, 0x6e, 0x0a),
        encoder.encode(`${pdu} 3 ${"on".repeat(1 << 19)}\n`),
      ]
    ) {
      assert.equal(await raw(d, [payload]), "nack\n");
    }
    assert.equal(device.get(3), "off");
  });

  await t.step("the job in flight all along finished normally", async () => {
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(device.get(8), "on");
    assert.deepEqual(
      device.history.filter(([outlet]) => outlet === 8).map(([, state]) => state),
      ["off", "on"],
    );
  });
});
