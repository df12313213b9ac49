/**
 * Request overhead through pdud with an instant simulated PDU: latency p50/p99 (sequential) and
 * throughput (concurrent keep-alive clients) for HTTP on the shared port, HTTP on an HTTP-only
 * port, legacy TCP, and a plain Deno.serve answering the same body as the baseline.
 *
 *   deno run -A bench/overhead.ts [--requests 2000] [--concurrency 32]
 *
 * Target (issue #2): HTTP throughput on the shared port within 2x of the same app on a plain
 * Deno.serve port (listener: http), i.e. sniffing the first bytes and relaying costs at most
 * half. The constant-body Deno.serve row is the floor of the HTTP stack alone (no routing, no
 * job, no device), printed for scale.
 * Load goes to 127.0.0.1 only and is bounded by --requests.
 */
import { parseArgs } from "node:util";
import { SILENT_LOGGER } from "../actors/mod.ts";
import { loadConfig } from "../config/mod.ts";
import { startDaemon } from "../daemon/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

const config = await loadConfig({
  pdus: Object.fromEntries(
    Array.from({ length: 100 }, (_, i) => [`sim${i}`, { driver: "simulated", outlets: 48 }]),
  ),
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measure(name: string, once: (i: number) => Promise<void>) {
  for (let i = 0; i < 200; i++) await once(i); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await once(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < REQUESTS) await once(next++);
  }));
  const rps = REQUESTS / ((performance.now() - start) / 1000);
  return { name, p50: percentile(times, 0.5), p99: percentile(times, 0.99), rps };
}

async function httpOnce(port: number, i: number) {
  const r = await fetch(
    `http://127.0.0.1:${port}/power/control/on?hostname=sim${i % 100}&port=${1 + (i % 48)}`,
  );
  const body = await r.text();
  if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${body}`);
}

async function legacyOnce(port: number, i: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`sim${i % 100} ${1 + (i % 48)} on`));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    const reply = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    if (reply !== "ack\n") throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  } finally {
    conn.close();
  }
}

const shared = await startDaemon(config, {
  log: SILENT_LOGGER,
  listen: { hostname: "127.0.0.1", port: 0, listener: "both" },
});
const httpOnly = await startDaemon(config, {
  log: SILENT_LOGGER,
  listen: { hostname: "127.0.0.1", port: 0, listener: "http" },
});
const plain = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response("OK - accepted request\n"),
);

const rows = [
  await measure(
    "Deno.serve, constant body (HTTP stack alone)",
    (i) => httpOnce(plain.addr.port, i),
  ),
  await measure("pdud HTTP, HTTP-only port", (i) => httpOnce(httpOnly.listeners.port, i)),
  await measure("pdud HTTP, shared port", (i) => httpOnce(shared.listeners.port, i)),
  await measure("pdud legacy TCP, shared port", (i) => legacyOnce(shared.listeners.port, i)),
];
await shared.stop(1000);
await httpOnly.stop(1000);
await plain.shutdown();

const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
out(
  `requests: ${REQUESTS} sequential for latency, ${REQUESTS} over ${CONCURRENCY} concurrent clients for throughput`,
);
out("| path | p50 ms | p99 ms | req/s |");
out("|---|---|---|---|");
for (const r of rows) {
  out(`| ${r.name} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.rps.toFixed(0)} |`);
}
const ratio = rows[1]!.rps / rows[2]!.rps;
out(
  `\nshared port: ${ratio.toFixed(2)}x below the same app on a plain Deno.serve port ` +
    `(target: within 2x) — ${ratio <= 2 ? "met" : "MISSED"}`,
);
out(
  `for scale: the HTTP-only port does ${(rows[0]!.rps / rows[1]!.rps).toFixed(2)}x less than ` +
    `Deno.serve answering a constant body (routing, validation, the job and the device's work), ` +
    `the shared port ${(rows[0]!.rps / rows[2]!.rps).toFixed(2)}x less`,
);
