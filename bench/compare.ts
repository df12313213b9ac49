/**
 * pdud against upstream PDUDaemon (the Debian package `pdudaemon`), side by side, on the same
 * JSON config and the same simulated Tasmota devices (bench/farm.ts: one listener per PDU).
 *
 *   deno task bench:compare            # full run, writes bench/RESULTS.md (~15 min)
 *   deno task bench:compare --quick    # smoke run: small P, 1 repeat, prints only
 *
 * Flags: --quick, --repeats N, --out FILE, --only pdud|pdudaemon, --workloads 1,2,3,4,5,
 * --cap N (connections in flight in the burst), --profile DIR (pdud under --cpu-prof),
 * --burst-sizes P1,P2 (instead of 20,200 with --quick, 50,500,5000 without),
 * --farm-base PORT and --daemon-port PORT (where the farm and the daemon listen),
 * --baseline DIR (also run the pdud checked out in DIR, e.g. a `git worktree` of main, as
 * "pdud baseline": the burst and the throughput then alternate the two repeat by repeat and
 * print pdud ÷ baseline — a before/after comparison in one run, under the same load).
 *
 * Workloads: 1 start to first served request and idle RSS; 2 single-request latency over HTTP
 * and legacy TCP; 3 burst P PDUs × K requests of L ms; 4 sustained keep-alive throughput (wrk);
 * 5 ordering probe (reboot delay 1, then off, same outlet). Every request goes to 127.0.0.1,
 * has a timeout, and every loop is bounded; daemons and the farm are killed at the end.
 * @module
 */
import { parseArgs } from "node:util";
import {
  burstPlan,
  daemonConfig,
  fmt,
  fmtSpread,
  httpBody,
  httpStatus,
  parseWrk,
  pduNames,
  percentile,
  ratio,
  renderTable,
  replaceBetween,
  rotateScript,
  spread,
  statusMiB,
  verdict,
  type WrkResult,
} from "./compare_lib.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    repeats: { type: "string" },
    out: { type: "string" },
    only: { type: "string" },
    workloads: { type: "string", default: "1,2,3,4,5" },
    cap: { type: "string", default: "12000" },
    profile: { type: "string" },
    // Devices listen on BASE… (fetch refuses some ports, 10080 among them: keep clear of it).
    "farm-base": { type: "string", default: "20000" },
    "daemon-port": { type: "string", default: "17421" },
    baseline: { type: "string" },
    "burst-sizes": { type: "string" },
    // V8 flags for "pdud" only (not the baseline): `--baseline .` then compares flags on one tree.
    "v8-flags": { type: "string" },
    // The daemons' logging_level (default ERROR); their logs stay only with PDUD_BENCH_KEEP=1.
    "log-level": { type: "string" },
  },
});

const QUICK = flags.quick;
const REPEATS = Number(flags.repeats ?? (QUICK ? 1 : 3));
const WORKLOADS = new Set(flags.workloads.split(",").map(Number));
const CAP = Number(flags.cap);
const DAEMON_PORT = Number(flags["daemon-port"]);
const START_SIZES = QUICK ? [1, 100] : [1, 100, 1000, 10000];
const BURST_SIZES = flags["burst-sizes"]?.split(",").map(Number) ??
  (QUICK ? [20, 200] : [50, 500, 5000]);
const K = 10;
const L = 50;
const LATENCY_REQUESTS = QUICK ? 200 : 1000;
const THROUGHPUT_SECONDS = QUICK ? 3 : 10;
const START_DEADLINE_MS = 120_000;
const UPSTREAM_BIN = "/usr/sbin/pdudaemon";
const MAIN_TS = new URL("../main.ts", import.meta.url).pathname;
const FARM_TS = new URL("./farm.ts", import.meta.url).pathname;
const DEFAULT_OUT = new URL("./RESULTS.md", import.meta.url).pathname;

type DaemonName = "pdud" | "pdudaemon" | "pdud baseline";
const FARM_ALONE = "device farm alone";
const BASELINE_MAIN_TS = flags.baseline === undefined
  ? undefined
  : `${await Deno.realPath(flags.baseline)}/main.ts`;
const upstreamInstalled = await exists(UPSTREAM_BIN);
const DAEMONS: DaemonName[] = ([
  ...(BASELINE_MAIN_TS ? ["pdud baseline"] : []),
  "pdud",
  "pdudaemon",
] as DaemonName[]).filter((d) =>
  d === "pdud baseline" ||
  (flags.only === undefined || flags.only === d) && (d === "pdud" || upstreamInstalled)
);
const TMP = await Deno.makeTempDir({ prefix: "pdud-bench-" });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- raw clients (127.0.0.1 only)

interface Exchange {
  raw?: string;
  ms: number;
  error?: string;
  /** When the connection was made and the request written, ms from the start. */
  connectedMs?: number;
  writtenMs?: number;
}

/** One connection: send `payload`, read until the peer closes; bounded by `timeoutMs`. */
async function exchange(port: number, payload: Uint8Array, timeoutMs: number): Promise<Exchange> {
  const t0 = performance.now();
  let conn: Deno.TcpConn | undefined;
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      try {
        conn?.close();
      } catch { /* closed */ }
      reject(new Error("timeout"));
    }, timeoutMs);
  });
  try {
    const connecting = Deno.connect({ hostname: "127.0.0.1", port });
    connecting.then((c) => timedOut && c.close()).catch(() => {});
    conn = await Promise.race([connecting, timeout]);
    const connectedMs = performance.now() - t0;
    let written = 0;
    while (written < payload.length) written += await conn.write(payload.subarray(written));
    const writtenMs = performance.now() - t0;
    const buffer = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await Promise.race([conn.read(buffer), timeout]);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
      if (text.length > 65536) break;
    }
    return { raw: text, ms: performance.now() - t0, connectedMs, writtenMs };
  } catch (error) {
    const name = timedOut ? "timeout" : error instanceof Error ? error.name : String(error);
    return { ms: performance.now() - t0, error: name };
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

interface Reply {
  ok: boolean;
  ms: number;
  detail: string;
}

async function httpGet(port: number, path: string, timeoutMs: number): Promise<Reply> {
  const r = await exchange(
    port,
    encoder.encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    timeoutMs,
  );
  if (r.error !== undefined) return { ok: false, ms: r.ms, detail: r.error };
  const status = httpStatus(r.raw ?? "");
  return {
    ok: status === 200,
    ms: r.ms,
    detail: status === undefined
      ? `no HTTP reply (${r.raw?.length ?? 0} bytes after ${Math.round(r.ms)} ms; connected at ${
        Math.round(r.connectedMs ?? NaN)
      } ms, request written at ${Math.round(r.writtenMs ?? NaN)} ms)`
      : `${status} ${httpBody(r.raw!).trim()}`,
  };
}

async function legacy(port: number, line: string, timeoutMs: number): Promise<Reply> {
  const r = await exchange(port, encoder.encode(line), timeoutMs);
  if (r.error !== undefined) return { ok: false, ms: r.ms, detail: r.error };
  return { ok: r.raw === "ack\n", ms: r.ms, detail: JSON.stringify(r.raw) };
}

const powerPath = (cmd: string, pdu: string, outlet: number, delay?: number) =>
  `/power/control/${cmd}?hostname=${encodeURIComponent(pdu)}&port=${outlet}${
    delay === undefined ? "" : `&delay=${delay}`
  }`;

// ---------------------------------------------------------------- the device farm

interface Farm {
  pid: number;
  ports: number[];
  control: (path: string) => Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function startFarm(count: number): Promise<Farm> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--unstable-no-legacy-abort",
      FARM_TS,
      "--count",
      String(count),
      "--base",
      flags["farm-base"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 120_000;
  while (!text.includes("\n")) {
    if (Date.now() > deadline) throw new Error("the farm did not start within 120 s");
    const { value, done } = await reader.read();
    if (done) throw new Error("the farm exited before listening");
    text += decoder.decode(value);
  }
  // Keep draining stdout so the farm never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  const { control, ports } = JSON.parse(text.slice(0, text.indexOf("\n")));
  const call = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${control}${path}`, {
      signal: AbortSignal.timeout(30_000),
    });
    return await r.json();
  };
  return {
    pid: child.pid,
    ports,
    control: call,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

// ---------------------------------------------------------------- daemons

interface Running {
  name: DaemonName;
  pid: number;
  child: Deno.ChildProcess;
  startedAt: number;
}

async function writeConfig(ports: number[], tag: string): Promise<string> {
  const path = `${TMP}/${tag}.conf`;
  await Deno.writeTextFile(
    path,
    JSON.stringify(
      daemonConfig(ports, {
        port: DAEMON_PORT,
        listener: "http",
        ...(flags["log-level"] ? { loggingLevel: flags["log-level"] } : {}),
      }),
      null,
      2,
    ),
  );
  return path;
}

function startDaemonProcess(name: DaemonName, conf: string, listener?: string): Running {
  const extra = listener ? ["--listener", listener] : [];
  const argv = name !== "pdudaemon"
    ? [
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "--allow-write",
      ...(flags.profile ? ["--cpu-prof", `--cpu-prof-dir=${flags.profile}`] : []),
      ...(flags["v8-flags"] && name === "pdud" ? [`--v8-flags=${flags["v8-flags"]}`] : []),
      name === "pdud baseline" ? BASELINE_MAIN_TS! : MAIN_TS,
      "--conf",
      conf,
      ...extra,
    ]
    : [UPSTREAM_BIN, "--conf", conf, ...extra];
  const log = `${TMP}/${name}.log`;
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const startedAt = performance.now();
  // `exec` keeps the PID the daemon's own, for /proc/PID/status.
  const child = new Deno.Command("sh", {
    args: ["-c", `exec ${quoted} >>'${log}.out' 2>>'${log}'`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { name, pid: child.pid, child, startedAt };
}

/** Polls with a real power request until one is served; ms since spawn, NaN past the deadline. */
async function untilServed(d: Running, pdu: string, protocol: "http" | "tcp"): Promise<number> {
  const deadline = d.startedAt + START_DEADLINE_MS;
  let exited = false;
  d.child.status.then(() => exited = true);
  while (performance.now() < deadline && !exited) {
    const left = Math.max(100, deadline - performance.now());
    const r = protocol === "http"
      ? await httpGet(DAEMON_PORT, powerPath("on", pdu, 1), Math.min(left, 30_000))
      : await legacy(DAEMON_PORT, `${pdu} 1 on`, Math.min(left, 30_000));
    if (r.ok) return performance.now() - d.startedAt;
    await sleep(5);
  }
  return NaN;
}

async function procStatus(pid: number): Promise<string> {
  try {
    return await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return "";
  }
}

async function stopDaemon(d: Running): Promise<void> {
  try {
    d.child.kill("SIGTERM");
  } catch { /* gone */ }
  const done = await Promise.race([d.child.status.then(() => true), sleep(5000).then(() => false)]);
  if (!done) {
    try {
      d.child.kill("SIGKILL");
    } catch { /* gone */ }
    await d.child.status;
  }
  // Let the port become free again.
  await sleep(200);
}

async function withDaemon<T>(
  name: DaemonName,
  conf: string,
  firstPdu: string,
  body: (d: Running, startMs: number) => Promise<T>,
  listener?: "tcp" | "both",
): Promise<T> {
  const d = startDaemonProcess(name, conf, listener);
  try {
    const startMs = await untilServed(d, firstPdu, listener === "tcp" ? "tcp" : "http");
    if (!Number.isFinite(startMs)) {
      const log = await Deno.readTextFile(`${TMP}/${name}.log`).catch(() => "");
      throw new Error(`${name} did not serve within ${START_DEADLINE_MS} ms\n${log.slice(-2000)}`);
    }
    return await body(d, startMs);
  } finally {
    await stopDaemon(d);
  }
}

// ---------------------------------------------------------------- workloads

interface StartResult {
  pdus: number;
  startMs: Record<string, number[]>;
  rssMiB: Record<string, number[]>;
  note: Record<string, string>;
}

async function workloadStart(farm: Farm): Promise<StartResult[]> {
  const results: StartResult[] = [];
  for (const pdus of START_SIZES) {
    // Only the first PDU is ever asked to switch: PDUs beyond the farm name ports next to it
    // that no device listens on (the farm then needs only as many devices as the largest burst).
    const last = farm.ports[farm.ports.length - 1]!;
    const ports = Array.from(
      { length: pdus },
      (_, i) => farm.ports[i] ?? last + 1 + i - farm.ports.length,
    );
    const conf = await writeConfig(ports, `start-${pdus}`);
    const first = pduNames(ports)[0]!;
    const r: StartResult = { pdus, startMs: {}, rssMiB: {}, note: {} };
    for (const name of DAEMONS) {
      r.startMs[name] = [];
      r.rssMiB[name] = [];
      for (let i = 0; i < REPEATS; i++) {
        say(`[1] start ${name} with ${pdus} PDUs, repeat ${i + 1}`);
        try {
          await withDaemon(name, conf, first, async (d, startMs) => {
            await sleep(1000);
            r.startMs[name]!.push(startMs);
            r.rssMiB[name]!.push(statusMiB(await procStatus(d.pid), "VmRSS"));
          });
        } catch (error) {
          r.startMs[name]!.push(NaN);
          r.rssMiB[name]!.push(NaN);
          r.note[name] = String(error).split("\n")[0]!;
          say(String(error));
          break;
        }
      }
    }
    results.push(r);
  }
  return results;
}

interface LatencyRow {
  path: string;
  p50: number[];
  p99: number[];
  failures: number;
}

async function sequential(
  n: number,
  once: (i: number) => Promise<Reply>,
): Promise<{ p50: number; p99: number; failures: number; first?: string }> {
  for (let i = 0; i < 50; i++) await once(i); // warm-up
  const times: number[] = [];
  let failures = 0;
  let first: string | undefined;
  for (let i = 0; i < n; i++) {
    const r = await once(i);
    if (!r.ok) {
      failures++;
      first ??= r.detail;
    }
    times.push(r.ms);
  }
  return {
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    failures,
    ...(first ? { first } : {}),
  };
}

async function workloadLatency(farm: Farm): Promise<LatencyRow[]> {
  await farm.control("/latency?ms=0");
  const ports = farm.ports.slice(0, 100);
  const names = pduNames(ports);
  const conf = await writeConfig(ports, "latency");
  const rows = new Map<string, LatencyRow>();
  const add = (path: string, s: { p50: number; p99: number; failures: number; first?: string }) => {
    const row = rows.get(path) ?? { path, p50: [], p99: [], failures: 0 };
    row.p50.push(s.p50);
    row.p99.push(s.p99);
    row.failures += s.failures;
    rows.set(path, row);
    if (s.first) say(`  ${path}: first failure: ${s.first}`);
  };
  const cmd = (i: number) => (Math.floor(i / 100) % 2 === 0 ? "on" : "off");
  const httpOnce = (i: number) =>
    httpGet(DAEMON_PORT, powerPath(cmd(i), names[i % 100]!, 1 + (i % 2)), 10_000);
  const tcpOnce = (i: number) =>
    legacy(DAEMON_PORT, `${names[i % 100]} ${1 + (i % 2)} ${cmd(i)}`, 10_000);
  for (let rep = 0; rep < REPEATS; rep++) {
    say(`[2] latency, repeat ${rep + 1}`);
    add(
      "device alone (direct GET /cm)",
      await sequential(LATENCY_REQUESTS, (i) =>
        httpGet(
          ports[i % 100]!,
          `/cm?cmnd=Power${1 + (i % 2)}%20${cmd(i) === "on" ? "On" : "Off"}`,
          10_000,
        )),
    );
    for (const name of DAEMONS) {
      await withDaemon(name, conf, names[0]!, async () => {
        add(`${name} HTTP (listener http)`, await sequential(LATENCY_REQUESTS, httpOnce));
      });
      await withDaemon(name, conf, names[0]!, async () => {
        const label = name === "pdudaemon"
          ? "pdudaemon legacy TCP (listener tcp)"
          : `${name} legacy TCP (shared port)`;
        add(label, await sequential(LATENCY_REQUESTS, tcpOnce));
        if (name !== "pdudaemon") {
          add(`${name} HTTP (shared port)`, await sequential(LATENCY_REQUESTS, httpOnce));
        }
      }, name === "pdudaemon" ? "tcp" : "both");
    }
  }
  return [...rows.values()];
}

interface BurstRun {
  makespanMs: number;
  failures: number;
  firstFailure?: string;
  peakRssMiB: number;
  maxInFlight: number;
  operations: number;
  /** Connections the kernel refused because an accept queue was full (machine-wide). */
  listenOverflows: number;
  /** CPU seconds (user+system) spent during the burst by the daemon, the farm, the client. */
  cpu: { daemon: number; farm: number; client: number };
}

/** CPU seconds (utime + stime) a process has used so far; NaN when it is gone. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime), counted from after the command name, in ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function cpuNow(d: Running | undefined, farm: Farm) {
  return {
    daemon: d ? await cpuSeconds(d.pid) : NaN,
    farm: await cpuSeconds(farm.pid),
    client: await cpuSeconds(Deno.pid),
  };
}

interface BurstResult {
  pdus: number;
  runs: Record<string, BurstRun[]>;
  /** Daemons not run at this P, and why. */
  skipped?: Record<string, string>;
}

/** Brings a fresh daemon out of its cold start (JIT, pools): 400 instant requests, 20 at a time. */
async function warmUp(names: string[]): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: 20 }, async () => {
    while (i < 400) {
      const n = i++;
      await httpGet(
        DAEMON_PORT,
        powerPath(n % 2 ? "on" : "off", names[n % names.length]!, 2),
        30_000,
      );
    }
  }));
}

async function burstOnce(farm: Farm, d: Running | undefined, names: string[]): Promise<BurstRun> {
  const pdus = names.length;
  await farm.control("/latency?ms=0");
  if (d) await warmUp(names);
  await farm.control(`/latency?ms=${L}`);
  await farm.control("/reset");
  const plan = burstPlan(pdus, K);
  const timeoutMs = Math.max(60_000, 40 * K * L + pdus * K * 5);
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && d) {
      peak = Math.max(peak, statusMiB(await procStatus(d.pid), "VmRSS") || 0);
      await sleep(50);
    }
  })();
  const overflows0 = await listenOverflows();
  const cpu0 = await cpuNow(d, farm);
  const t0 = performance.now();
  const direct = async () => {
    // The farm alone: the same client, each device's K requests one after the other.
    await Promise.all(names.map(async (_, pdu) => {
      for (let k = 0; k < K; k++) {
        const r = await httpGet(
          farm.ports[pdu]!,
          `/cm?cmnd=Power1%20${k % 2 === 0 ? "On" : "Off"}`,
          timeoutMs,
        );
        if (!r.ok) {
          failures++;
          firstFailure ??= r.detail;
        }
      }
    }));
  };
  if (!d) await direct();
  else {await Promise.all(Array.from({ length: Math.min(CAP, plan.length) }, async () => {
      while (next < plan.length) {
        const { pdu, k } = plan[next++]!;
        const r = await httpGet(
          DAEMON_PORT,
          powerPath(k % 2 === 0 ? "on" : "off", names[pdu]!, 1),
          timeoutMs,
        );
        if (!r.ok) {
          failures++;
          firstFailure ??= r.detail;
          if (failures <= 5) say(`  failed: PDU ${pdu} request ${k}: ${r.detail}`);
        }
      }
    }));}
  const makespanMs = performance.now() - t0;
  const overflows = (await listenOverflows()) - overflows0;
  const cpu1 = await cpuNow(d, farm);
  sampling = false;
  await sampler;
  const hwm = d ? statusMiB(await procStatus(d.pid), "VmHWM") : NaN;
  const stats = await farm.control(`/stats?count=${pdus}`);
  await farm.control("/latency?ms=0");
  return {
    makespanMs,
    failures,
    ...(firstFailure ? { firstFailure } : {}),
    peakRssMiB: d ? Math.max(peak, hwm || 0) : NaN,
    maxInFlight: stats.maxInFlight as number,
    operations: stats.operations as number,
    listenOverflows: overflows,
    cpu: {
      daemon: cpu1.daemon - cpu0.daemon,
      farm: cpu1.farm - cpu0.farm,
      client: cpu1.client - cpu0.client,
    },
  };
}

/** TcpExt ListenOverflows from /proc/net/netstat (machine-wide; NaN when unreadable). */
async function listenOverflows(): Promise<number> {
  const text = await Deno.readTextFile("/proc/net/netstat").catch(() => "");
  const lines = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
  if (lines.length < 2) return NaN;
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf("ListenOverflows")] ?? NaN);
}

async function workloadBurst(farm: Farm): Promise<BurstResult[]> {
  const results: BurstResult[] = [];
  /**
   * A daemon that already failed requests at a smaller P is not run at a larger one: its result
   * there is known (more failures) and measuring it takes unbounded time (pdudaemon at P=5000
   * did not finish one repeat in 10 minutes here).
   */
  const gaveUp = new Map<string, string>();
  for (const pdus of BURST_SIZES) {
    const ports = farm.ports.slice(0, pdus);
    const names = pduNames(ports);
    const conf = await writeConfig(ports, `burst-${pdus}`);
    const result: BurstResult = { pdus, runs: {} };
    result.runs[FARM_ALONE] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      say(`[3] burst, device farm alone, P=${pdus}, repeat ${rep + 1}`);
      const run = await burstOnce(farm, undefined, names);
      say(
        `    makespan ${run.makespanMs.toFixed(0)} ms, ${run.failures} failed, CPU s farm ${
          run.cpu.farm.toFixed(2)
        } client ${run.cpu.client.toFixed(2)}`,
      );
      result.runs[FARM_ALONE]!.push(run);
    }
    const running = DAEMONS.filter((name) => {
      const reason = gaveUp.get(name);
      if (reason) {
        say(`[3] burst ${name} P=${pdus}: skipped, ${reason}`);
        result.skipped = { ...result.skipped, [name]: reason };
      } else result.runs[name] = [];
      return !reason;
    });
    // Repeat by repeat, every daemon in turn: drift on a shared machine falls on all of them.
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const name of running) {
        say(`[3] burst ${name} P=${pdus} K=${K} L=${L}, repeat ${rep + 1}`);
        await farm.control("/latency?ms=0");
        const run = await withDaemon(name, conf, names[0]!, (d) => burstOnce(farm, d, names));
        say(
          `    makespan ${run.makespanMs.toFixed(0)} ms (${
            (run.makespanMs / (K * L)).toFixed(2)
          }× ideal), ` +
            `${run.failures} failed, ${run.listenOverflows} accept-queue overflows, ` +
            `CPU s daemon ${run.cpu.daemon.toFixed(2)} farm ${run.cpu.farm.toFixed(2)} client ${
              run.cpu.client.toFixed(2)
            }, peak RSS ${run.peakRssMiB.toFixed(0)} MiB, maxInFlight ${run.maxInFlight}` +
            (run.firstFailure ? `, first failure: ${run.firstFailure}` : ""),
        );
        result.runs[name]!.push(run);
      }
    }
    for (const name of running) {
      const failed = result.runs[name]!.reduce((n, r) => n + r.failures, 0);
      if (failed > 0) gaveUp.set(name, `${failed} requests failed already at P=${pdus}`);
    }
    results.push(result);
  }
  return results;
}

async function wrkInstalled(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** Fallback when wrk is absent: keep-alive fetch clients for a fixed time. */
async function denoLoad(names: string[], seconds: number, connections: number): Promise<WrkResult> {
  const end = performance.now() + seconds * 1000;
  let requests = 0;
  let non2xx = 0;
  let socketErrors = 0;
  let i = 0;
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: connections });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const n = i++;
      try {
        const r = await fetch(
          `http://127.0.0.1:${DAEMON_PORT}${
            powerPath(n % 200 < 100 ? "on" : "off", names[n % names.length]!, 1 + (n % 2))
          }`,
          { client, signal: AbortSignal.timeout(10_000) },
        );
        await r.text();
        if (r.status !== 200) non2xx++;
        requests++;
      } catch {
        socketErrors++;
      }
    }
  }));
  client.close();
  return { requests, rps: requests / seconds, non2xx, socketErrors };
}

async function runWrk(port: number, path: string, script: string | undefined): Promise<WrkResult> {
  const out = await new Deno.Command("timeout", {
    args: [
      String(THROUGHPUT_SECONDS + 30),
      "wrk",
      "-t1",
      "-c50",
      `-d${THROUGHPUT_SECONDS}s`,
      "--timeout",
      "10s",
      "--latency",
      ...(script ? ["-s", script] : []),
      `http://127.0.0.1:${port}${path}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return parseWrk(decoder.decode(out.stdout));
}

interface ThroughputRun extends WrkResult {
  /** The daemon's CPU seconds (utime + stime, /proc) over the load, divided by its requests. */
  cpuPerRequestUs?: number;
}

interface ThroughputResult {
  tool: string;
  runs: Record<string, ThroughputRun[]>;
}

async function workloadThroughput(farm: Farm): Promise<ThroughputResult> {
  await farm.control("/latency?ms=0");
  const ports = farm.ports.slice(0, 100);
  const names = pduNames(ports);
  const conf = await writeConfig(ports, "throughput");
  const useWrk = await wrkInstalled();
  const script = `${TMP}/rotate.lua`;
  await Deno.writeTextFile(
    script,
    rotateScript(names),
  );
  const result: ThroughputResult = {
    tool: useWrk ? "wrk -t1 -c50 (keep-alive)" : "Deno fetch, 50 keep-alive connections",
    runs: {},
  };
  if (useWrk) {
    result.runs[FARM_ALONE] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      say(`[4] throughput, one simulated device alone, repeat ${rep + 1}`);
      result.runs[FARM_ALONE]!.push(
        await runWrk(farm.ports[0]!, "/cm?cmnd=Power1%20On", undefined),
      );
    }
  }
  for (const name of DAEMONS) result.runs[name] = [];
  // Repeat by repeat, every daemon in turn (as in the burst).
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const name of DAEMONS) {
      say(`[4] throughput ${name}, repeat ${rep + 1}`);
      const r = await withDaemon(name, conf, names[0]!, async (d): Promise<ThroughputRun> => {
        const cpu0 = await cpuSeconds(d.pid);
        const load = useWrk
          ? await runWrk(DAEMON_PORT, "/", script)
          : await denoLoad(names, THROUGHPUT_SECONDS, 50);
        const cpu = (await cpuSeconds(d.pid)) - cpu0;
        return { ...load, cpuPerRequestUs: (cpu / load.requests) * 1e6 };
      });
      say(
        `    ${r.rps.toFixed(0)} req/s, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors, ` +
          `daemon CPU ${fmt(r.cpuPerRequestUs, 0)} µs/request`,
      );
      result.runs[name]!.push(r);
    }
  }
  return result;
}

interface OrderingRun {
  final: string;
  history: string;
  replies: string;
}

async function workloadOrdering(farm: Farm): Promise<Record<string, OrderingRun[]>> {
  await farm.control("/latency?ms=0");
  const ports = farm.ports.slice(0, 100);
  const names = pduNames(ports);
  const conf = await writeConfig(ports, "ordering");
  const out: Record<string, OrderingRun[]> = {};
  for (const name of DAEMONS) {
    out[name] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      say(`[5] ordering ${name}, repeat ${rep + 1}`);
      out[name]!.push(
        await withDaemon(name, conf, names[0]!, async () => {
          // untilServed switched outlet 1 of the first PDU on.
          await farm.control("/reset");
          const reboot = httpGet(DAEMON_PORT, powerPath("reboot", names[0]!, 1, 1), 30_000);
          await sleep(200);
          const off = await httpGet(DAEMON_PORT, powerPath("off", names[0]!, 1), 30_000);
          const rebootReply = await reboot;
          await sleep(1500);
          const state = await farm.control("/state?i=0&outlet=1");
          const history = (state.history as [number, string][]).map(([o, s]) => `${o}:${s}`);
          return {
            final: String(state.state),
            history: history.join(" → "),
            replies: `reboot ${rebootReply.detail.split(" ")[0]}, off ${off.detail.split(" ")[0]}`,
          };
        }),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- report

async function machineInfo(): Promise<string[]> {
  const run = async (cmd: string, args: string[]) => {
    try {
      const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
      return (decoder.decode(o.stdout) + decoder.decode(o.stderr)).trim();
    } catch {
      return "n/a";
    }
  };
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memGiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN) / 1024 / 1024;
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${navigator.hardwareConcurrency} cores, ${model}; memory ${
      fmt(memGiB, 1)
    } GiB; kernel ${await run("uname", ["-r"])}`,
    `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ${await run("python3", ["--version"])}`,
    `- Upstream: ${
      upstreamInstalled
        ? (await run("dpkg-query", ["-W", "-f", "${Package} ${Version}", "pdudaemon"]))
        : "pdudaemon not installed"
    }; aiohttp ${await run("dpkg-query", [
      "-W",
      "-f",
      "${Version}",
      "python3-aiohttp",
    ])}, requests ${await run("dpkg-query", ["-W", "-f", "${Version}", "python3-requests"])}`,
    `- Load generator: ${(await run("wrk", ["-v"])).split("\n")[0]}`,
    `- Open-file limit: ${await run("sh", ["-c", "ulimit -n"])}`,
  ];
}

function report(parts: {
  start?: StartResult[];
  latency?: LatencyRow[];
  burst?: BurstResult[];
  throughput?: ThroughputResult;
  ordering?: Record<string, OrderingRun[]>;
  machine: string[];
}): string {
  const lines: string[] = [];
  const targets: string[] = [];
  lines.push(
    `Generated by \`deno task bench:compare${QUICK ? " --quick" : ""}\`; ${REPEATS} repeat(s), ` +
      `figures are median (min–max).`,
    "",
    "### Machine",
    "",
    ...parts.machine,
    "- **The machine has 2 cores, and the simulated device farm, the load generator and the daemon " +
      "under test all share them**: every figure includes the farm's and the client's CPU time " +
      "competing with the daemon's.",
    "",
  );
  if (parts.start) {
    lines.push("### 1. Start to first served request, idle RSS", "");
    lines.push(
      "Time from spawn to the first `GET /power/control/on` answered 200 (the request really " +
        "switches outlet 1 of the first simulated device); RSS read from /proc/PID/status " +
        "(VmRSS) 1 s later.",
      "",
    );
    const header = ["PDUs", ...DAEMONS.flatMap((d) => [`${d} start ms`, `${d} idle RSS MiB`])];
    lines.push(renderTable(
      header,
      parts.start.map((r) => [
        String(r.pdus),
        ...DAEMONS.flatMap((d) => {
          const note = r.note[d];
          return [
            note ? `failed: ${note}` : fmtSpread(spread(r.startMs[d] ?? []), 0),
            note ? "—" : fmtSpread(spread(r.rssMiB[d] ?? []), 1),
          ];
        }),
      ]),
    ));
    lines.push("");
    const at1000 = parts.start.find((r) => r.pdus === 1000);
    if (at1000 && DAEMONS.includes("pdud")) {
      const s = spread(at1000.startMs.pdud ?? []).median;
      const m = spread(at1000.rssMiB.pdud ?? []).median;
      targets.push(`| start ≤ 0.2 s at 1000 PDUs | ${fmt(s, 0)} ms | ${verdict(s <= 200)} |`);
      targets.push(
        `| idle RSS ≤ 70 MiB at 1000 PDUs, 1 s after the first request | ${fmt(m, 1)} MiB | ${
          verdict(m <= 70)
        } |`,
      );
    }
  }
  if (parts.latency) {
    lines.push(
      "### 2. Single-request latency (sequential, one connection per request, instant PDU)",
      "",
    );
    lines.push(
      `${LATENCY_REQUESTS} requests per repeat (after 50 warm-up), on/off alternating over 100 ` +
        "PDUs × 2 outlets. Overhead = the path's percentile minus the device's own.",
      "",
    );
    const device = parts.latency.find((r) => r.path.startsWith("device"));
    const d50 = spread(device?.p50 ?? []).median;
    const d99 = spread(device?.p99 ?? []).median;
    lines.push(renderTable(
      ["path", "p50 ms", "p99 ms", "overhead p50 ms", "overhead p99 ms", "failed"],
      parts.latency.map((r) => {
        const s50 = spread(r.p50);
        const s99 = spread(r.p99);
        const isDevice = r === device;
        return [
          r.path,
          fmtSpread(s50, 3),
          fmtSpread(s99, 3),
          isDevice ? "—" : fmt(s50.median - d50, 3),
          isDevice ? "—" : fmt(s99.median - d99, 3),
          String(r.failures),
        ];
      }),
    ));
    lines.push("");
    for (const r of parts.latency.filter((r) => r.path.startsWith("pdud "))) {
      const o = spread(r.p99).median - d99;
      // The target is the default port's HTTP; the other paths are shown for comparison.
      const target = r.path === "pdud HTTP (shared port)";
      targets.push(
        `| ${target ? "" : "(for comparison) "}p99 overhead ≤ 1 ms: ${r.path} | ${fmt(o, 3)} ms | ${
          target ? verdict(o <= 1) : "—"
        } |`,
      );
    }
  }
  if (parts.burst) {
    lines.push(
      `### 3. Burst: P PDUs × K=${K} requests at once, L=${L} ms per operation (ideal = K·L = ${
        K * L
      } ms)`,
      "",
    );
    lines.push(
      `Requests go out in rounds (request k of every PDU, then k+1), at most ${CAP} connections ` +
        "in flight (the open-file limit is 20,000 per process on this machine, and the daemon " +
        "holds one socket per client plus one per device). Failed = not 200, reset or timed " +
        "out. Peak RSS = VmHWM of the daemon. Max in flight = the highest number of " +
        "operations any one simulated device saw at once (must be 1). Accept-queue overflows = " +
        "TcpExt ListenOverflows during the burst (connections the kernel dropped because a " +
        "listener's backlog was full; the client's SYN is then retried after 1 s). The device " +
        "farm alone row is the floor of this setup: the same client sends each device's K " +
        "requests straight to it, one after the other. Every daemon run is preceded by 400 " +
        "instant warm-up requests (a daemon just started has a cold JIT).",
      "",
    );
    const rows: string[][] = [];
    for (const b of parts.burst) {
      for (const d of [FARM_ALONE, ...DAEMONS]) {
        const skipped = b.skipped?.[d];
        if (skipped) {
          rows.push([
            String(b.pdus),
            d,
            String(b.pdus * K),
            `not run: ${skipped}`,
            ...Array<string>(8).fill("—"),
          ]);
          continue;
        }
        const runs = b.runs[d] ?? [];
        const mk = spread(runs.map((r) => r.makespanMs));
        const floor = spread((b.runs[FARM_ALONE] ?? []).map((r) => r.makespanMs)).median;
        rows.push([
          String(b.pdus),
          d,
          String(b.pdus * K),
          fmtSpread(mk, 0),
          fmtSpread(spread(runs.map((r) => r.makespanMs / (K * L))), 2),
          d === FARM_ALONE ? "1" : fmtSpread(spread(runs.map((r) => r.makespanMs / floor)), 2),
          String(runs.reduce((s, r) => s + r.failures, 0)),
          String(runs.reduce((s, r) => s + r.listenOverflows, 0)),
          (["daemon", "farm", "client"] as const)
            .map((who) => fmt(spread(runs.map((r) => r.cpu[who])).median, 2)).join(" / "),
          d === FARM_ALONE
            ? "—"
            : fmt(spread(runs.map((r) => r.cpu.daemon / (b.pdus * K) * 1e6)).median, 0),
          fmtSpread(spread(runs.map((r) => r.peakRssMiB)), 0),
          String(Math.max(0, ...runs.map((r) => r.maxInFlight))),
          runs.map((r) => r.operations).join(", "),
        ]);
      }
    }
    lines.push(renderTable(
      [
        "P",
        "daemon",
        "requests",
        "makespan ms",
        "÷ ideal",
        "÷ farm alone",
        "failed (all repeats)",
        "accept-queue overflows",
        "CPU s daemon / farm / client",
        "daemon CPU µs/request",
        "peak RSS MiB",
        "max in flight/PDU",
        "device ops per repeat",
      ],
      rows,
    ));
    if (DAEMONS.includes("pdud baseline")) {
      lines.push("", "pdud ÷ pdud baseline (medians over the repeats):", "");
      for (const b of parts.burst) {
        const median = (d: string, f: (r: BurstRun) => number) =>
          spread((b.runs[d] ?? []).map(f)).median;
        lines.push(
          `- P=${b.pdus}: makespan ${
            ratio(median("pdud", (r) => r.makespanMs), median("pdud baseline", (r) => r.makespanMs))
          }, daemon CPU ${
            ratio(median("pdud", (r) => r.cpu.daemon), median("pdud baseline", (r) => r.cpu.daemon))
          }`,
        );
      }
    }
    lines.push("");
    const failures = parts.burst.flatMap((b) =>
      (b.runs.pdud ?? []).filter((r) => r.firstFailure).map((r) => `P=${b.pdus}: ${r.firstFailure}`)
    );
    const upFailures = parts.burst.flatMap((b) =>
      (b.runs.pdudaemon ?? []).filter((r) => r.firstFailure).map((r) =>
        `P=${b.pdus}: ${r.firstFailure}`
      )
    );
    if (failures.length) {
      lines.push(`pdud's first failures: ${[...new Set(failures)].join("; ")}`, "");
    }
    if (upFailures.length) {
      lines.push(`pdudaemon's first failures: ${[...new Set(upFailures)].join("; ")}`, "");
    }
    for (const [p, limit] of [[500, 1.5], [5000, 2]] as const) {
      const b = parts.burst.find((x) => x.pdus === p);
      const runs = b?.runs.pdud;
      if (!runs?.length) continue;
      const floor = spread((b!.runs[FARM_ALONE] ?? []).map((r) => r.makespanMs)).median;
      const m = spread(runs.map((r) => r.makespanMs / floor)).median;
      const failed = runs.reduce((s, r) => s + r.failures, 0);
      targets.push(
        `| burst makespan ≤ ${limit}× the farm-alone floor at P=${p}, zero failures | ${
          fmt(m, 2)
        }× (${
          fmt(spread(runs.map((r) => r.makespanMs / (K * L))).median, 2)
        }× ideal), ${failed} failed | ${verdict(m <= limit && failed === 0)} |`,
      );
      if (p === 500) {
        const us = spread(runs.map((r) => r.cpu.daemon / (p * K) * 1e6)).median;
        targets.push(
          `| daemon CPU ≤ 120 µs per request, connection per request (P=500 burst) | ${
            fmt(us, 0)
          } µs | ${verdict(us <= 120)} |`,
        );
      }
    }
    const inflight = Math.max(
      0,
      ...parts.burst.flatMap((b) => (b.runs.pdud ?? []).map((r) => r.maxInFlight)),
    );
    targets.push(
      `| one operation in flight per PDU | max ${inflight} | ${verdict(inflight === 1)} |`,
    );
  }
  if (parts.throughput) {
    const t = parts.throughput;
    lines.push(
      `### 4. Sustained throughput, ${THROUGHPUT_SECONDS} s, ${t.tool}, 100 instant PDUs`,
      "",
    );
    const rps = (d: string) => spread((t.runs[d] ?? []).map((r) => r.rps));
    lines.push(renderTable(
      ["daemon", "req/s", "daemon CPU µs/request", "p50 ms", "p99 ms", "non-2xx", "socket errors"],
      [...(t.runs[FARM_ALONE] ? [FARM_ALONE] : []), ...DAEMONS].map((d) => [
        d === FARM_ALONE ? "one simulated device alone (wrk → device)" : d,
        fmtSpread(rps(d), 0),
        d === FARM_ALONE
          ? "—"
          : fmtSpread(spread((t.runs[d] ?? []).map((r) => r.cpuPerRequestUs ?? NaN)), 0),
        fmtSpread(spread((t.runs[d] ?? []).map((r) => r.p50 ?? NaN)), 2),
        fmtSpread(spread((t.runs[d] ?? []).map((r) => r.p99 ?? NaN)), 2),
        String((t.runs[d] ?? []).reduce((s, r) => s + r.non2xx, 0)),
        String((t.runs[d] ?? []).reduce((s, r) => s + r.socketErrors, 0)),
      ]),
    ));
    lines.push("");
    if (BASELINE_MAIN_TS) {
      lines.push(
        `pdud ÷ pdud baseline: ${ratio(rps("pdud").median, rps("pdud baseline").median)}`,
        "",
      );
    }
    if (DAEMONS.includes("pdud") && DAEMONS.includes("pdudaemon")) {
      const x = rps("pdud").median / rps("pdudaemon").median;
      lines.push(`pdud ÷ pdudaemon: ${ratio(rps("pdud").median, rps("pdudaemon").median, 1)}`, "");
      targets.push(`| throughput ≥ 25× upstream | ${fmt(x, 1)}× | ${verdict(x >= 25)} |`);
    }
    if (t.runs.pdud?.length) {
      const us = spread(t.runs.pdud.map((r) => r.cpuPerRequestUs ?? NaN)).median;
      targets.push(
        `| daemon CPU ≤ 60 µs per request, keep-alive (wrk) | ${fmt(us, 0)} µs | ${
          verdict(us <= 60)
        } |`,
      );
    }
  }
  if (parts.ordering) {
    lines.push("### 5. Ordering probe", "");
    lines.push(
      "Outlet 1 starts on; `reboot` with `delay=1`, then 200 ms later `off`, same outlet. " +
        "pdud's contract (DESIGN §2.2): the off waits for the whole reboot, so the outlet ends " +
        "**off**. Device history = every state change the device saw.",
      "",
    );
    lines.push(renderTable(
      ["daemon", "final state", "device history", "replies"],
      DAEMONS.flatMap((d) =>
        (parts.ordering![d] ?? []).map((r) => [d, r.final, r.history, r.replies])
      ),
    ));
    lines.push("");
    const finals = (parts.ordering.pdud ?? []).map((r) => r.final);
    if (finals.length) {
      targets.push(
        `| ordering: reboot then off ends off | ${finals.join(", ")} | ${
          verdict(finals.every((f) => f === "off"))
        } |`,
      );
    }
  }
  if (targets.length) {
    lines.push(
      "### Targets (pdud)",
      "",
      "| target | measured | |",
      "|---|---|---|",
      ...targets,
      "",
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------- main

say(`daemons: ${DAEMONS.join(", ")}${upstreamInstalled ? "" : " (pdudaemon not installed)"}`);
const farmSize = Math.max(WORKLOADS.has(3) ? Math.max(...BURST_SIZES) : 1, 100);
say(`starting a farm of ${farmSize} simulated Tasmota devices`);
const farm = await startFarm(farmSize);
const parts: Parameters<typeof report>[0] = { machine: await machineInfo() };
try {
  // Warm caches (Deno's module cache, Python's bytecode) once, not measured.
  const warm = await writeConfig(farm.ports.slice(0, 1), "warm");
  for (const name of DAEMONS) {
    await withDaemon(name, warm, pduNames(farm.ports.slice(0, 1))[0]!, () => Promise.resolve());
  }
  if (WORKLOADS.has(1)) parts.start = await workloadStart(farm);
  if (WORKLOADS.has(2)) parts.latency = await workloadLatency(farm);
  if (WORKLOADS.has(3)) parts.burst = await workloadBurst(farm);
  if (WORKLOADS.has(4)) parts.throughput = await workloadThroughput(farm);
  if (WORKLOADS.has(5)) parts.ordering = await workloadOrdering(farm);
} finally {
  await farm.stop();
}
const text = report(parts);
Deno.stdout.writeSync(encoder.encode(text + "\n"));
const out = flags.out ?? (QUICK ? undefined : DEFAULT_OUT);
if (out) {
  const previous = await Deno.readTextFile(out).catch(() =>
    "# pdud vs PDUDaemon: side-by-side benchmark\n"
  );
  await Deno.writeTextFile(
    out,
    replaceBetween(previous, "<!-- results:begin -->", "<!-- results:end -->", text),
  );
  say(`wrote ${out}`);
}
if (!Deno.env.get("PDUD_BENCH_KEEP")) await Deno.remove(TMP, { recursive: true }).catch(() => {});
else say(`kept ${TMP}`);
