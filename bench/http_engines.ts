/**
 * `fetch` against `node:http` (with and without a keep-alive agent) as the client that talks to
 * devices, measured alone: this process is the client, bench/farm.ts (another process) the
 * Tasmota devices. Each round sends the same requests with each engine in turn (interleaved, so
 * drift on the shared machine falls on all of them) and counts this process's CPU time.
 *
 *   deno run -A bench/http_engines.ts [--rounds 5] [--pdus 50] [--k 10] [--sequential 2000]
 *
 * Workloads: "sequential": N requests one after the other to one device (what a single PDU's
 * actor does); "burst": P devices at once, K requests each one after the other (what the daemon's
 * burst does to the devices, without the daemon). Every request carries an AbortSignal, as every
 * driver request does. Prints CPU µs per request and wall ms per workload, median over rounds.
 * @module
 */
import { parseArgs } from "node:util";
import http from "node:http";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "5" },
    pdus: { type: "string", default: "50" },
    k: { type: "string", default: "10" },
    sequential: { type: "string", default: "2000" },
    latency: { type: "string", default: "0" },
    "farm-base": { type: "string", default: "21000" },
  },
});
const ROUNDS = Number(flags.rounds);
const P = Number(flags.pdus);
const K = Number(flags.k);
const N = Number(flags.sequential);

/** One line on stdout (the project's lint allows no console). */
function print(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}

type Get = (url: string, signal: AbortSignal) => Promise<string>;

const fetchGet: Get = async (url, signal) => {
  const response = await fetch(url, signal ? { signal } : {});
  return await response.text();
};

/**
 * node:http with `agent`. The signal goes to `http.request` as its `signal` option, or, with
 * `ownAbort`, to one listener of our own that destroys the request (removed when it settles).
 */
function nodeGet(agent: http.Agent | undefined, ownAbort = false): Get {
  return (url, signal) =>
    new Promise((resolve, reject) => {
      const onAbort = () => request.destroy(new Error("aborted"));
      const settle = (fn: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const request = http.request(url, {
        ...(signal && !ownAbort ? { signal } : {}),
        ...(agent ? { agent } : {}),
      }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => text += chunk);
        response.on("end", () => settle(() => resolve(text)));
        response.on("error", (error) => settle(() => reject(error)));
      });
      if (signal && ownAbort) signal.addEventListener("abort", onAbort, { once: true });
      request.on("error", (error) => settle(() => reject(error)));
      request.end();
    });
}

/** The same engine with the request's AbortSignal not passed on (to see what a signal costs). */
const unsignalled = (get: Get): Get => (url) => get(url, undefined as unknown as AbortSignal);

const ENGINES: Record<string, () => Get> = {
  "fetch": () => fetchGet,
  "fetch, no signal": () => unsignalled(fetchGet),
  "node:http keep-alive agent": () => nodeGet(new http.Agent({ keepAlive: true })),
  "node:http keep-alive agent, own abort listener": () =>
    nodeGet(new http.Agent({ keepAlive: true }), true),
  "node:http keep-alive agent, no signal": () =>
    unsignalled(nodeGet(new http.Agent({ keepAlive: true }))),
  "node:http default agent": () => nodeGet(undefined),
};

function cpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const farm = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net",
    "--unstable-no-legacy-abort",
    new URL("./farm.ts", import.meta.url).pathname,
    "--count",
    String(P),
    "--base",
    flags["farm-base"],
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = farm.stdout.getReader();
let head = "";
while (!head.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("the farm exited");
  head += new TextDecoder().decode(value);
}
(async () => {
  while (!(await reader.read()).done) { /* drain */ }
})().catch(() => {});
const { control, ports } = JSON.parse(head.slice(0, head.indexOf("\n"))) as {
  control: number;
  ports: number[];
};
await (await fetch(`http://127.0.0.1:${control}/latency?ms=${flags.latency}`)).text();

const url = (port: number, k: number) =>
  `http://127.0.0.1:${port}/cm?cmnd=Power1%20${k % 2 === 0 ? "On" : "Off"}`;

const WORKLOADS: Record<string, { requests: number; run: (get: Get) => Promise<void> }> = {
  sequential: {
    requests: N,
    async run(get) {
      for (let i = 0; i < N; i++) await get(url(ports[0]!, i), AbortSignal.timeout(10_000));
    },
  },
  burst: {
    requests: P * K,
    async run(get) {
      await Promise.all(ports.map(async (port) => {
        for (let k = 0; k < K; k++) await get(url(port, k), AbortSignal.timeout(60_000));
      }));
    },
  },
};

const samples = new Map<string, { cpuUs: number[]; wallMs: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [workload, w] of Object.entries(WORKLOADS)) {
    for (const [engine, make] of Object.entries(ENGINES)) {
      const get = make();
      await w.run(get); // warm-up: JIT, and the connections a keep-alive engine then reuses
      const c0 = cpuSeconds(), t0 = performance.now();
      await w.run(get);
      const wall = performance.now() - t0, cpu = cpuSeconds() - c0;
      const key = `${workload}\t${engine}`;
      const s = samples.get(key) ?? { cpuUs: [], wallMs: [] };
      s.cpuUs.push(cpu * 1e6 / w.requests);
      s.wallMs.push(wall);
      samples.set(key, s);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
print(
  `rounds ${ROUNDS}, P ${P}, K ${K}, sequential ${N}, device latency ${flags.latency} ms`,
);
print("workload\tengine\tCPU µs/request (median, min–max)\twall ms (median)");
for (const [key, s] of samples) {
  print(
    `${key}\t${median(s.cpuUs).toFixed(0)} (${Math.min(...s.cpuUs).toFixed(0)}–${
      Math.max(...s.cpuUs).toFixed(0)
    })\t${median(s.wallMs).toFixed(0)}`,
  );
}
await fetch(`http://127.0.0.1:${control}/quit`).then((r) => r.text()).catch(() => {});
await farm.status;
