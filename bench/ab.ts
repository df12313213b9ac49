/**
 * A/B of two pdud checkouts in one run, interleaved (A, B, A, B …), on the same simulated
 * Tasmota farm (bench/farm.ts), for changes whose effect is smaller than this 2-core machine's
 * run-to-run noise: only ratios within one run mean anything here.
 *
 *   deno run -A bench/ab.ts --a /path/to/old/main.ts --b main.ts [--repeats 3] [--seconds 5]
 *
 * Per variant and repeat, a fresh daemon on the shared port (listener both), 100 instant PDUs:
 * keep-alive throughput with wrk (-t1 -c50, `--seconds`), a connection-per-request load (20
 * clients, `--requests`), and sequential connection-per-request latency (`--requests`); the
 * daemon's CPU (utime + stime from /proc/PID/stat) is divided by the requests it served.
 * Every request goes to 127.0.0.1 and every load is bounded in count and time.
 * @module
 */
import { parseArgs } from "node:util";
import { daemonConfig, pduNames, percentile, rotateScript, spread } from "./compare_lib.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    a: { type: "string" },
    b: { type: "string" },
    repeats: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    requests: { type: "string", default: "2000" },
    port: { type: "string", default: "17521" },
    "farm-base": { type: "string", default: "22000" },
    "v8-flags-b": { type: "string" },
  },
});
if (!flags.a || !flags.b) throw new TypeError("--a MAIN_TS and --b MAIN_TS are required");
const VARIANTS = { A: flags.a, B: flags.b } as const;
const REPEATS = Number(flags.repeats);
const SECONDS = Number(flags.seconds);
const REQUESTS = Number(flags.requests);
const PORT = Number(flags.port);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(text + "\n"));

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** One request on its own connection; ms, or NaN when it failed or took over 10 s. */
async function get(path: string): Promise<number> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: PORT }).catch(() => undefined);
  if (!conn) return NaN;
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    await conn.write(
      encoder.encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const buffer = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
    }
    return text.startsWith("HTTP/1.1 200 ") ? performance.now() - t0 : NaN;
  } catch {
    return NaN;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

const farm = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net",
    new URL("./farm.ts", import.meta.url).pathname,
    "--count",
    "100",
    "--base",
    flags["farm-base"],
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const farmReader = farm.stdout.getReader();
let farmLine = "";
while (!farmLine.includes("\n")) {
  const { value, done } = await farmReader.read();
  if (done) throw new Error("the farm exited");
  farmLine += decoder.decode(value);
}
const { ports } = JSON.parse(farmLine.slice(0, farmLine.indexOf("\n"))) as { ports: number[] };
const names = pduNames(ports);
const dir = await Deno.makeTempDir({ prefix: "pdud-ab-" });
const conf = `${dir}/ab.conf`;
await Deno.writeTextFile(
  conf,
  JSON.stringify(daemonConfig(ports, { port: PORT, listener: "http" })),
);
const script = `${dir}/rotate.lua`;
await Deno.writeTextFile(
  script,
  rotateScript(names),
);
const path = (i: number) =>
  `/power/control/${Math.floor(i / 100) % 2 ? "off" : "on"}?hostname=${names[i % 100]}&port=${
    1 + (i % 2)
  }`;

interface Run {
  keepAliveRps: number;
  keepAliveUs: number;
  perConnUs: number;
  p50: number;
  p99: number;
  rss: number;
  failed: number;
}
const runs: Record<string, Run[]> = { A: [], B: [] };

async function once(variant: "A" | "B"): Promise<Run> {
  const v8 = variant === "B" && flags["v8-flags-b"] ? [`--v8-flags=${flags["v8-flags-b"]}`] : [];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...v8, VARIANTS[variant], "--conf", conf, "--listener", "both"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let failed = 0;
    const deadline = Date.now() + 30_000;
    while (Number.isNaN(await get(path(0)))) {
      if (Date.now() > deadline) throw new Error(`${variant} did not start`);
      await sleep(20);
    }
    for (let i = 0; i < 400; i++) await get(path(i)); // warm-up (JIT)
    // Keep-alive throughput.
    let cpu0 = await cpuSeconds(child.pid);
    const wrk = await new Deno.Command("timeout", {
      args: [
        String(SECONDS + 30),
        "wrk",
        "-t1",
        "-c50",
        `-d${SECONDS}s`,
        "--timeout",
        "10s",
        "-s",
        script,
        `http://127.0.0.1:${PORT}/`,
      ],
      stdout: "piped",
    }).output();
    const wrkText = decoder.decode(wrk.stdout);
    const requests = Number(/(\d+) requests in/.exec(wrkText)?.[1] ?? NaN);
    failed += Number(/Non-2xx or 3xx responses: (\d+)/.exec(wrkText)?.[1] ?? 0);
    const keepAliveUs = ((await cpuSeconds(child.pid)) - cpu0) / requests * 1e6;
    // Connection per request, 20 clients.
    cpu0 = await cpuSeconds(child.pid);
    let next = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (next < REQUESTS) if (Number.isNaN(await get(path(next++)))) failed++;
    }));
    const perConnUs = ((await cpuSeconds(child.pid)) - cpu0) / REQUESTS * 1e6;
    // Sequential latency.
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const ms = await get(path(i));
      if (Number.isNaN(ms)) failed++;
      else times.push(ms);
    }
    await sleep(1000);
    return {
      keepAliveRps: requests / SECONDS,
      keepAliveUs,
      perConnUs,
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      rss: await rssMiB(child.pid),
      failed,
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

try {
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const variant of (rep % 2 ? ["B", "A"] : ["A", "B"]) as ("A" | "B")[]) {
      const r = await once(variant);
      say(
        `${variant} #${rep + 1}: keep-alive ${r.keepAliveRps.toFixed(0)} req/s ${
          r.keepAliveUs.toFixed(0)
        } µs/req; per-connection ${r.perConnUs.toFixed(0)} µs/req; p50 ${r.p50.toFixed(3)} p99 ${
          r.p99.toFixed(3)
        } ms; RSS ${r.rss.toFixed(1)} MiB; failed ${r.failed}`,
      );
      runs[variant]!.push(r);
    }
  }
} finally {
  farm.kill("SIGKILL");
  await farm.status;
  await Deno.remove(dir, { recursive: true });
}
const keys = ["keepAliveRps", "keepAliveUs", "perConnUs", "p50", "p99", "rss", "failed"] as const;
const out = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
out(`| median of ${REPEATS} | A | B | B ÷ A |`);
out("|---|---|---|---|");
for (const k of keys) {
  const a = spread(runs.A!.map((r) => r[k])).median;
  const b = spread(runs.B!.map((r) => r[k])).median;
  out(
    `| ${k} | ${a.toFixed(k === "p50" || k === "p99" ? 3 : 1)} | ${
      b.toFixed(k === "p50" || k === "p99" ? 3 : 1)
    } | ${(b / a).toFixed(2)} |`,
  );
}
