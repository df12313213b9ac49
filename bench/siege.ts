/**
 * Memory before, during and after the attacks of issue 15, on a real pdud process: idle RSS,
 * then half-sent HTTP heads (slow clients), legacy garbage, oversized bodies and unknown PDU
 * names (metric labels), all on 127.0.0.1 and bounded in count; then every attacking connection
 * closed and RSS read again once the daemon is quiet. Also checks /healthz answers during the
 * attack. Target: RSS after within 20% of idle.
 *
 *   deno run -A bench/siege.ts [--heads 300] [--requests 3000]
 */
import { parseArgs } from "node:util";
import { spawnPdud } from "../tests/_helpers/process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    heads: { type: "string", default: "300" },
    requests: { type: "string", default: "3000" },
  },
});
const HEADS = Number(values.heads);
const REQUESTS = Number(values.requests);

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

const dir = await Deno.makeTempDir({ prefix: "pdud-siege-" });
const conf = `${dir}/pdud.json`;
await Deno.writeTextFile(
  conf,
  JSON.stringify({
    daemon: { hostname: "127.0.0.1", port: 0, "request_timeout": 2 },
    pdus: Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`rack${i}`, { driver: "simulated", outlets: 8 }]),
    ),
  }),
);
await using pdud = await spawnPdud([`--conf=${conf}`]);
const base = `http://127.0.0.1:${pdud.port}`;
const pid = pdud.child.pid;
for (let i = 0; i < 200; i++) {
  await (await fetch(`${base}/power/control/on?hostname=rack${i % 50}&port=${1 + i % 8}`)).text();
}
await settle(2000);
const idle = rssMiB(pid);

const encoder = new TextEncoder();
const heads: Deno.Conn[] = [];
for (let i = 0; i < HEADS; i++) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: pdud.port });
  await conn.write(encoder.encode("GET /power/control/on?hostname=rack1&port=1 HTTP/1.1\r\nHo"));
  heads.push(conn);
}
let worstHealth = 0;
const health = async () => {
  const started = performance.now();
  await (await fetch(`${base}/healthz`)).text();
  worstHealth = Math.max(worstHealth, performance.now() - started);
};
const body = "x".repeat(256 * 1024);
let peak = rssMiB(pid);
for (let i = 0; i < REQUESTS; i++) {
  const kind = i % 3;
  if (kind === 0) {
    await (await fetch(`${base}/power/control/on?hostname=nosuch${i}&port=1`)).text();
  } else if (kind === 1) {
    await (await fetch(`${base}/api/v1/pdus/rack1/outlets/1/on`, { method: "POST", body }))
      .text();
  } else {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: pdud.port });
    await conn.write(encoder.encode("\x00\xff\xfegarbage\n"));
    await conn.read(new Uint8Array(16)).catch(() => null);
    conn.close();
  }
  if (i % 100 === 0) {
    await health();
    peak = Math.max(peak, rssMiB(pid));
  }
}
await (await fetch(`${base}/metrics`)).text();
for (const conn of heads) {
  try {
    conn.close();
  } catch { /* closed by pdud's request timeout */ }
}
await settle(Number(Deno.env.get("SETTLE_MS") ?? 30000));
await health();
const after = rssMiB(pid);
await pdud.stop();
await Deno.remove(dir, { recursive: true });

const ratio = after / idle;
const rows = [
  ["idle (after 200 requests)", idle],
  ["peak during the attack", peak],
  [`${Number(Deno.env.get("SETTLE_MS") ?? 30000) / 1000} s after the attack ended`, after],
];
const lines = [
  `${HEADS} half-sent heads held open; ${REQUESTS} requests: unknown PDU names, 256 KiB bodies, garbage lines`,
  "| RSS | MiB |",
  "|---|---|",
  ...rows.map(([what, mib]) => `| ${what} | ${(mib as number).toFixed(1)} |`),
  `after / idle: ${ratio.toFixed(2)} (target <= 1.20) — ${ratio <= 1.2 ? "met" : "NOT met"}`,
  `slowest /healthz during the attack: ${worstHealth.toFixed(1)} ms (target < 100 ms)`,
];
await Deno.stdout.write(encoder.encode(lines.join("\n") + "\n"));
