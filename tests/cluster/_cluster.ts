/**
 * A loopback pdud cluster for tests: a 3-server NATS cluster, simulated PDUs served by this
 * process (their devices count operations in flight across every node, and keep each outlet's
 * history), and pdud nodes as real processes.
 */
import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { ConfigError, loadConfig, readConfigFile } from "../../config/mod.ts";
import { type Daemon, startDaemon } from "../../daemon/mod.ts";
import type { Logger } from "../../drivers/mod.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { type PdudProcess, spawnPdud } from "../_helpers/process.ts";
import { type NatsCluster, natsServerPath, startNatsCluster } from "../_helpers/nats.ts";
import type { Simulator } from "../../simulators/mod.ts";

/** Lease length of the test clusters (seconds). */
export const LEASE_SECONDS = 3;

/** A running test cluster. */
export interface TestCluster extends AsyncDisposable {
  nats: NatsCluster;
  sims: Map<string, Simulator>;
  nodes: Map<string, PdudProcess>;
  /** Starts (or starts again) node `name`, connected to `nats` (default: every server). */
  startNode(name: string, nats?: string[]): Promise<PdudProcess>;
  dir: string;
}

/** Where nats-server is, or undefined (the test then says it was skipped). */
export const NATS_SERVER = await natsServerPath();

/** Appended to the names of tests that need nats-server, saying why they were skipped. */
export const SKIPPED = NATS_SERVER ? "" : " (skipped: nats-server is not installed)";

/**
 * Starts NATS, `pdus` simulated Tasmota PDUs (4 outlets, `latencyMs` per operation) and the
 * pdud nodes `nodes`.
 */
export async function startTestCluster(
  binary: string,
  options: {
    nodes: string[];
    pdus: string[];
    latencyMs?: number;
    /** PDUs only some nodes can reach (`nodes:` in their section). */
    reach?: Record<string, string[]>;
  },
): Promise<TestCluster> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-cluster-" });
  const nats = await startNatsCluster(binary, 3);
  const sims = new Map<string, Simulator>();
  const nodes = new Map<string, PdudProcess>();
  const name = `t${crypto.randomUUID().slice(0, 8)}`;
  const dispose = async () => {
    await Promise.all([...nodes.values()].map((n) => n.stop("SIGKILL")));
    await Promise.all([...sims.values()].map((s) => s.close()));
    await nats[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    for (const pdu of options.pdus) {
      sims.set(
        pdu,
        await startSimulator("tasmota", { outlets: 4, latencyMs: options.latencyMs ?? 20 }),
      );
    }
    const pdus = Object.fromEntries(
      [...sims].map(([pdu, sim]) => [pdu, {
        ...sim.pduConfig(),
        retries: 2,
        retrydelay: 0.1,
        timeout: 5,
        ...(options.reach?.[pdu] ? { nodes: options.reach[pdu] } : {}),
      }]),
    );
    const startNode = async (node: string, urls = nats.urls) => {
      const conf = `${dir}/${node}.json`;
      await Deno.writeTextFile(
        conf,
        JSON.stringify({
          // DEBUG: tests wait for "outlet set" (an operation and its journal record are done).
          daemon: { hostname: "127.0.0.1", port: 0, shutdown_grace: 5, logging_level: "DEBUG" },
          cluster: { nats: urls, name, node, lease_seconds: LEASE_SECONDS, replicas: 3 },
          pdus,
        }),
      );
      const process = await spawnPdud(["--conf", conf]);
      nodes.set(node, process);
      return process;
    };
    await Promise.all(options.nodes.map((node) => startNode(node)));
    return { nats, sims, nodes, startNode, dir, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** One upstream request; its HTTP status, or "error" when the connection failed. */
export async function power(
  port: number,
  command: string,
  pdu: string,
  outlet: number,
  delay?: number,
): Promise<number | "error"> {
  const query = new URLSearchParams({ hostname: pdu, port: String(outlet) });
  if (delay !== undefined) query.set("delay", String(delay));
  try {
    const response = await fetch(`http://127.0.0.1:${port}/power/control/${command}?${query}`);
    await response.text();
    return response.status;
  } catch {
    return "error";
  }
}

/** Each PDU's owner as node `port` reports it (GET /api/v1/pdus). */
export async function owners(port: number): Promise<Map<string, string | null>> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/pdus`);
    const body = await response.json() as { pdus: { name: string; owner?: string | null }[] };
    return new Map(body.pdus.map((p) => [p.name, p.owner ?? null]));
  } catch {
    return new Map();
  }
}

/** Polls until `check` holds (every 100 ms, at most `ms`); resolves with the time it took. */
export async function until(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return performance.now() - started;
}

/** Whether `expected` appears in `history` in order (other entries may come between). */
export function isSubsequence<T>(expected: readonly T[], history: readonly T[]): boolean {
  let i = 0;
  for (const item of history) if (i < expected.length && item === expected[i]) i++;
  return i === expected.length;
}

/** A test that needs a nats-server of its own, named as skipped where none is installed. */
export function natsTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name: name + SKIPPED,
    ignore: NATS_SERVER === undefined,
    sanitizeResources: false, // the NATS client's sockets close in the background after drain
    sanitizeOps: false,
    fn,
  });
}

/**
 * Starts a daemon in this process on `cluster`, with one simulated PDU "s"; with `dir`, from a
 * config file written there (relative paths are taken from it).
 */
export async function startNode(
  cluster: Record<string, unknown>,
  dir?: string,
  log: Logger = SILENT_LOGGER,
): Promise<Daemon> {
  const data = {
    cluster: { lease_seconds: 3, ...cluster },
    pdus: { s: { driver: "simulated", outlets: 4 } },
  };
  let config;
  if (dir) {
    await Deno.writeTextFile(`${dir}/pdud.json`, JSON.stringify(data));
    config = await readConfigFile(`${dir}/pdud.json`);
  } else {
    config = await loadConfig(data);
  }
  return await startDaemon(config, { log, listen: { hostname: "127.0.0.1", port: 0 } });
}

/** The node owns "s" and switches outlet 2 on and off through its HTTP API. */
export async function switches(daemon: Daemon): Promise<void> {
  await until(30_000, () => Promise.resolve(daemon.cluster!.owns("s")));
  for (const command of ["on", "off"]) {
    const response = await fetch(
      `http://127.0.0.1:${daemon.listeners.port}/power/control/${command}?hostname=s&port=2`,
    );
    assert.equal(response.status, 200, await response.text());
  }
  const outlet = daemon.cluster!.snapshot().find((p) => p.name === "s")?.outlets["2"];
  assert.equal(outlet?.state, "off");
}

/** Starting the node fails: the ConfigError, and every line it logged meanwhile. */
export async function refused(
  cluster: Record<string, unknown>,
  dir?: string,
): Promise<{ error: ConfigError; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const error = await startNode(cluster, dir, memoryLogger(lines)).then(async (daemon) => {
    await daemon.stop(0);
    return undefined;
  }, (e) => e);
  assert.ok(error instanceof ConfigError, String(error));
  return { error, lines };
}
