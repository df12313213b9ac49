/**
 * What forwarding costs in cluster mode (issue 21: "forwarding adds <= 2 ms p50 to a request on
 * loopback"). A 3-server NATS cluster (JetStream, R3) and two pdud nodes in this process share
 * one instant simulated PDU; sequential `on` requests go (1) to a single daemon without cluster,
 * (2) to the node that owns the PDU, (3) to the other node, which forwards to the owner. The
 * forwarding cost is (3) - (2); (2) - (1) is the cost of the journal (three replicated writes
 * per job: accepted, the operation, the result).
 *
 *   deno run -A bench/cluster_forward.ts [--requests 500]
 *
 * Needs nats-server (Debian package nats-server). Load goes to 127.0.0.1 only.
 */
import { parseArgs } from "node:util";
import { SILENT_LOGGER } from "../actors/mod.ts";
import { loadConfig } from "../config/mod.ts";
import { startDaemon } from "../daemon/mod.ts";
import { natsServerPath, startNatsCluster } from "../tests/_helpers/nats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { requests: { type: "string", default: "500" } },
});
const REQUESTS = Number(values.requests);

const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
const binary = await natsServerPath();
if (!binary) {
  out("nats-server is not installed (apt-get install nats-server)");
  Deno.exit(2);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measure(port: number): Promise<{ p50: number; p90: number; p99: number }> {
  const once = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/power/control/on?hostname=sim&port=1`);
    await response.text();
    if (response.status !== 200) throw new Error(`status ${response.status}`);
  };
  for (let i = 0; i < 50; i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p90: percentile(times, 0.9), p99: percentile(times, 0.99) };
}

const pdus = { sim: { driver: "simulated", outlets: 8 } };
const single = await startDaemon(await loadConfig({ pdus }), {
  log: SILENT_LOGGER,
  listen: { hostname: "127.0.0.1", port: 0 },
});
const rows: [string, Awaited<ReturnType<typeof measure>>][] = [];
rows.push(["single daemon (no cluster)", await measure(single.listeners.port)]);
await single.stop(0);

await using nats = await startNatsCluster(binary, 3);
const name = `bench${Date.now().toString(36)}`;
const node = async (id: string) =>
  await startDaemon(
    await loadConfig({
      cluster: { nats: nats.urls, name, node: id, lease_seconds: 5 },
      pdus,
    }),
    { log: SILENT_LOGGER, listen: { hostname: "127.0.0.1", port: 0 } },
  );
const a = await node("a");
// Node a is alone until it owns the PDU; then b joins and can only forward.
while (!a.cluster!.owns("sim")) await new Promise((resolve) => setTimeout(resolve, 100));
const b = await node("b");
while (b.cluster!.ownerOf("sim") !== "a") await new Promise((resolve) => setTimeout(resolve, 100));
rows.push(["cluster, to the owner", await measure(a.listeners.port)]);
rows.push(["cluster, forwarded", await measure(b.listeners.port)]);
await b.stop(0);
await a.stop(0);

const format = (ms: number) => ms.toFixed(2).padStart(7);
out(`${REQUESTS} sequential requests each, milliseconds`);
out(`${"path".padEnd(28)}     p50     p90     p99`);
for (const [path, r] of rows) {
  out(`${path.padEnd(28)} ${format(r.p50)} ${format(r.p90)} ${format(r.p99)}`);
}
const added = rows[2]![1].p50 - rows[1]![1].p50;
out(`forwarding adds ${added.toFixed(2)} ms p50 (target <= 2 ms)`);
