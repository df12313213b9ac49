/**
 * Load on both protocols at once, slow clients (slowloris), and clients that never read their
 * reply: every well-behaved client is answered, none is reset. Bounded in count; loopback only.
 * `PDUD_SOAK=1` multiplies the counts for a longer run.
 */
import assert from "node:assert/strict";
import { simulatedDevice } from "../../drivers/mod.ts";
import { legacyExchange, startDaemon } from "../_helpers/daemon.ts";

const SCALE = Deno.env.get("PDUD_SOAK") ? 10 : 1;
const PDUS = 100;

const legacy = legacyExchange;

Deno.test(`load: ${1000 * SCALE} concurrent clients on both protocols of one port are all answered`, async () => {
  const prefix = `load${Date.now().toString(36)}`;
  const pdus = Object.fromEntries(
    Array.from(
      { length: PDUS },
      (_, i) => [`${prefix}-${i}`, { driver: "simulated", outlets: 48 }],
    ),
  );
  await using d = await startDaemon({ pdus });
  const n = 500 * SCALE;
  const http = Array.from({ length: n }, async (_, i) => {
    const r = await fetch(
      `${d.url}/power/control/on?hostname=${prefix}-${i % PDUS}&port=${1 + (i % 24)}`,
    );
    return `${r.status} ${await r.text()}`;
  });
  const tcp = Array.from(
    { length: n },
    (_, i) => legacy(d.port, `${prefix}-${i % PDUS} ${25 + (i % 24)} on`),
  );
  const [httpResults, tcpResults] = await Promise.all([Promise.all(http), Promise.all(tcp)]);
  assert.equal(httpResults.filter((r) => r === "200 OK - accepted request\n").length, n);
  assert.equal(tcpResults.filter((r) => r === "ack\n").length, n);
  let maxInFlight = 0;
  for (let i = 0; i < PDUS; i++) {
    const device = simulatedDevice(`${prefix}-${i}`);
    maxInFlight = Math.max(maxInFlight, device.maxInFlight);
    assert.equal(device.get(1 + (i % 24)), "on");
  }
  assert.equal(maxInFlight, 1, "never two operations in flight on one PDU");
});

Deno.test("load: slow clients and clients that never read do not stop others being served", async () => {
  const pdu = `slow${Date.now().toString(36)}`;
  await using d = await startDaemon({
    daemon: { "request_timeout": 0.5 },
    pdus: { [pdu]: { driver: "simulated", outlets: 8 } },
  });
  const enc = new TextEncoder();
  // Slowloris: half a request each, then nothing.
  const slow: Deno.Conn[] = [];
  for (let i = 0; i < 100 * SCALE; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await conn.write(enc.encode(i % 2 ? `${pdu} 1` : "GET /power/control/on?host"));
    slow.push(conn);
  }
  // Clients that send a whole request and never read the reply.
  const deaf: Deno.Conn[] = [];
  for (let i = 0; i < 100 * SCALE; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    await conn.write(enc.encode(`${pdu} ${1 + (i % 8)} on`));
    deaf.push(conn);
  }
  // Meanwhile, well-behaved clients on both protocols are served.
  const r = await fetch(`${d.url}/power/control/off?hostname=${pdu}&port=2`);
  assert.equal(await r.text(), "OK - accepted request\n");
  assert.equal(await legacy(d.port, `${pdu} 3 off`), "ack\n");
  // Legacy slow clients get nack when request_timeout runs out (issue 14.2), then the close.
  const buf = new Uint8Array(8);
  const cut = await slow[1]!.read(buf).catch(() => null);
  assert.equal(new TextDecoder().decode(buf.subarray(0, cut ?? 0)), "nack\n");
  assert.equal(await slow[1]!.read(buf).catch(() => null), null, "then closed");
  for (const c of [...slow, ...deaf]) {
    try {
      c.close();
    } catch { /* closed by the daemon */ }
  }
  assert.equal(simulatedDevice(pdu).get(2), "off");
});
