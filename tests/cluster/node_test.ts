/**
 * One node in this process, on a loopback NATS cluster: the journal stays bounded (once every
 * job of a PDU has settled, its records are purged after `journalKeepMs`), and a reload applies
 * PDU changes across the cluster layer but refuses a changed `cluster` section.
 */
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createSupervisor, SILENT_LOGGER, type Supervisor } from "../../actors/mod.ts";
import { Kvm } from "@nats-io/kv";
import {
  type ClusterNode,
  type ClusterOptions,
  type JournalRecord,
  namesOf,
  pduToken,
  startCluster,
} from "../../cluster/mod.ts";
import { ConfigError, loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { freePort, type NatsCluster, startNatsCluster } from "../_helpers/nats.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";
import { NATS_SERVER, SKIPPED, until } from "./_cluster.ts";

/** What a test on its own NATS cluster gets from `clusterTest`. */
interface ClusterTest {
  nats: NatsCluster;
  /** The cluster's name: the test's prefix and a random suffix. */
  name: string;
  /**
   * Starts node `node` in this process, PDU "s" (4 simulated outlets), with a supervisor
   * attached; shut down when the test ends unless it was already.
   */
  startNode(
    node: string,
    options: { leaseSeconds: number } & Pick<ClusterOptions, "journalKeepMs" | "statesRefreshMs">,
  ): Promise<{ cluster: ClusterNode; supervisor: Supervisor }>;
  /** A NATS client of the test's own (reading the journal behind the nodes), closed at the end. */
  client(): Promise<NatsConnection>;
}

/**
 * A test that needs nats-server (named as skipped where it is not installed), on a 3-server
 * NATS cluster of its own.
 */
function clusterTest(name: string, prefix: string, fn: (t: ClusterTest) => Promise<void>): void {
  Deno.test({
    name: name + SKIPPED,
    ignore: NATS_SERVER === undefined,
    sanitizeResources: false, // the NATS client's sockets close in the background after drain
    sanitizeOps: false,
    async fn() {
      await using nats = await startNatsCluster(NATS_SERVER!, 3);
      const clusterName = `${prefix}${crypto.randomUUID().slice(0, 6)}`;
      const nodes: ClusterNode[] = [];
      let nc: NatsConnection | undefined;
      try {
        await fn({
          nats,
          name: clusterName,
          async startNode(node, { leaseSeconds, ...options }) {
            const config = await loadConfig({
              cluster: { nats: nats.urls, name: clusterName, node, lease_seconds: leaseSeconds },
              pdus: { s: { driver: "simulated", outlets: 4 } },
            });
            const cluster = await startCluster(config, { log: SILENT_LOGGER, ...options });
            nodes.push(cluster);
            const supervisor = createSupervisor(cluster.localConfig(), {
              log: SILENT_LOGGER,
              wrapDriver: cluster.wrapDriver,
            });
            cluster.attach(supervisor);
            return { cluster, supervisor };
          },
          async client() {
            return nc ??= await connect({ servers: nats.urls });
          },
        });
      } finally {
        for (const node of nodes) {
          if (!node.stopping) await node.shutdown({ graceMs: 0 });
        }
        await nc?.close();
      }
    },
  });
}

clusterTest(
  "cluster: a PDU's journal records are purged once its jobs have settled, but for " +
    "one record of its outlet states",
  "purge",
  async ({ name, startNode, client }) => {
    const { cluster: node } = await startNode("solo", { leaseSeconds: 2, journalKeepMs: 0 });
    const nc = await client();
    const jsm = await jetstreamManager(nc);
    const stream = namesOf(name).stream;
    const messages = async () => (await jsm.streams.info(stream)).state.messages;
    await until(30_000, () => Promise.resolve(node.owns("s")));
    for (let i = 0; i < 5; i++) {
      const result = await node.submit({
        pdu: "s",
        command: { type: "reboot", outlet: 1, delay: 0 },
      });
      assert.equal(result.status, "done");
    }
    // Five jobs: accepted, off, on and settled each.
    assert.ok((await messages()) >= 20, String(await messages()));
    // All purged but one `states` record: the last state pdud set on each outlet outlives
    // the switches that set it.
    await until(20_000, async () => (await messages()) === 1);
    const last = await jsm.streams.getMessage(stream, {
      last_by_subj: namesOf(name).jobs("s"),
    });
    const record = last?.json<JournalRecord>();
    assert.ok(record?.t === "states", JSON.stringify(record));
    assert.equal(record.outlets["1"]?.state, "on");
    // Nothing new to purge: no further states record is written, round after round (each
    // round renews the lease: its key's revision counts the rounds).
    const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
    const leases = await new Kvm(nc).open(namesOf(name).bucket);
    const revision = async () => (await leases.get(pduToken("s")))?.revision ?? 0;
    const from = await revision();
    await until(20_000, async () => (await revision()) >= from + 4);
    assert.equal((await jsm.streams.info(stream)).state.last_seq, lastSeq);
  },
);

clusterTest(
  "cluster: a reload adds PDUs to the cluster and refuses a changed cluster section",
  "reload",
  async ({ nats, name }) => {
    const cluster = { nats: nats.urls, name, node: "r" };
    let next: unknown = {};
    const first = await loadConfig({ cluster, pdus: { s1: { driver: "simulated" } } });
    await using daemon = await startDaemon(first, {
      log: SILENT_LOGGER,
      listen: { hostname: "127.0.0.1", port: 0 },
      readConfig: () => loadConfig(next),
    });
    await until(30_000, () => Promise.resolve(daemon.cluster!.owns("s1")));
    next = { cluster, pdus: { s1: { driver: "simulated" }, s2: { driver: "simulated" } } };
    assert.deepEqual((await daemon.reload()).added, ["s2"]);
    await until(30_000, () => Promise.resolve(daemon.cluster!.owns("s2")));
    const response = await fetch(
      `http://127.0.0.1:${daemon.listeners.port}/power/control/on?hostname=s2&port=1`,
    );
    assert.equal(response.status, 200, await response.text());
    next = { cluster: { ...cluster, lease_seconds: 5 }, pdus: { s1: { driver: "simulated" } } };
    const error = await daemon.reload().then(() => undefined, (e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(
      error.message,
      /cluster: changed; cluster settings take effect only when pdud restarts/,
    );
    // Refused whole: s2 is still there.
    assert.ok(daemon.cluster!.owns("s2"));
  },
);

Deno.test("cluster: a node that cannot reach NATS does not start, and says why without the URL's password", async () => {
  const port = freePort();
  const config = await loadConfig({
    cluster: { nats: [`nats://pdud:hunter2-secret@127.0.0.1:${port}`], node: "lonely" },
    pdus: { s: { driver: "simulated" } },
  });
  const lines: LogLine[] = [];
  const error = await startDaemon(config, {
    log: memoryLogger(lines),
    listen: { hostname: "127.0.0.1", port: 0 },
  }).then(async (daemon) => {
    await daemon.stop(0);
    return undefined;
  }, (e) => e);
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(error.message, /cluster\.nats: cannot join cluster "pdud"/);
  assert.doesNotMatch(error.message, /hunter2/);
  // The pre-flight's note (the default timeout, 20 s, against a 10 s lease) is logged at start.
  const warned = lines.filter((l) => l.level === "warn").map((l) => l.message);
  assert.ok(
    warned.some((m) => m.startsWith("cluster: 1 of 1 PDUs have a timeout of 3.3 s")),
    JSON.stringify(warned),
  );
});

clusterTest(
  "cluster: a node stopped gracefully releases its leases; another takes over well before they would expire",
  "handoff",
  async ({ nats, name }) => {
    // A long lease: without the release, the PDU would wait at least 20 s for it to expire.
    const node = async (id: string) =>
      await startDaemon(
        await loadConfig({
          cluster: { nats: nats.urls, name, node: id, lease_seconds: 30 },
          pdus: { s: { driver: "simulated" } },
        }),
        { log: SILENT_LOGGER, listen: { hostname: "127.0.0.1", port: 0 } },
      );
    const a = await node("a");
    await until(30_000, () => Promise.resolve(a.cluster!.owns("s")));
    await using b = await node("b");
    await until(30_000, () => Promise.resolve(b.cluster!.ownerOf("s") === "a"));
    await a.stop();
    await until(10_000, () => Promise.resolve(b.cluster!.owns("s")));
    const response = await fetch(
      `http://127.0.0.1:${b.listeners.port}/power/control/reboot?hostname=s&port=2&delay=0`,
    );
    assert.equal(response.status, 200, await response.text());
  },
);

clusterTest(
  "cluster: a job the journal cannot record is refused cluster_unavailable and not run",
  "nojournal",
  async ({ name, startNode, client }) => {
    const { cluster: node, supervisor } = await startNode("solo", { leaseSeconds: 5 });
    const nc = await client();
    await until(30_000, () => Promise.resolve(node.owns("s")));
    const on = await node.submit({ pdu: "s", command: { type: "on", outlet: 1 } });
    assert.equal(on.status, "done", JSON.stringify(on));
    // The journal goes away (as when JetStream has lost its quorum): the lease is still held.
    await (await jetstreamManager(nc)).streams.delete(namesOf(name).stream);
    const off = await node.submit({ pdu: "s", command: { type: "off", outlet: 1 } });
    assert.ok(off.status === "refused", JSON.stringify(off));
    assert.equal(off.kind, "cluster_unavailable");
    assert.match(off.reason, /cannot record the job in the cluster journal, not run/);
    assert.ok(node.owns("s"));
    // Not run: the outlet stays on.
    assert.equal(supervisor.snapshot().find((p) => p.name === "s")?.outlets["1"]?.state, "on");
    const status = await supervisor.submit({ pdu: "s", command: { type: "status", outlet: 1 } });
    assert.ok(status.status === "done" && status.state === "on", JSON.stringify(status));
  },
);

clusterTest(
  "cluster: a node taking a PDU over knows the last state any owner set on each outlet, " +
    "after the journal was purged",
  "states",
  async ({ name, startNode, client }) => {
    const nc = await client();
    const a = await startNode("a", { leaseSeconds: 2, journalKeepMs: 0 });
    await until(30_000, () => Promise.resolve(a.cluster.owns("s")));
    for (const [outlet, type] of [[2, "on"], [3, "off"], [2, "off"], [4, "on"]] as const) {
      const result = await a.cluster.submit({ pdu: "s", command: { type, outlet } });
      assert.equal(result.status, "done", JSON.stringify(result));
    }
    const stream = namesOf(name).stream;
    const jsm = await jetstreamManager(nc);
    // Purged down to the states record: the switches themselves are gone.
    await until(20_000, async () => (await jsm.streams.info(stream)).state.messages === 1);
    // b writes the states again once they are a second old (12 h in production).
    const b = await startNode("b", { leaseSeconds: 2, journalKeepMs: 0, statesRefreshMs: 1000 });
    await until(30_000, () => Promise.resolve(b.cluster.ownerOf("s") === "a"));
    await a.cluster.shutdown({ graceMs: 0 });
    await until(10_000, () => Promise.resolve(b.cluster.owns("s")));
    // b's device was never switched: these states come from the journal alone.
    const outlets = b.supervisor.snapshot().find((p) => p.name === "s")?.outlets ?? {};
    assert.deepEqual(
      Object.fromEntries(Object.entries(outlets).map(([o, v]) => [o, v.state])),
      { "2": "off", "3": "off", "4": "on" },
    );
    // Nothing new happens, yet the states record is written again (before the stream's
    // max_age would drop it) by b, and the old one purged.
    const subject = namesOf(name).jobs("s");
    const last = async () =>
      (await jsm.streams.getMessage(stream, { last_by_subj: subject }))?.json<JournalRecord>();
    await until(20_000, async () => (await last())?.node === "b");
    const record = await last();
    assert.ok(record?.t === "states", JSON.stringify(record));
    assert.deepEqual(
      Object.fromEntries(Object.entries(record.outlets).map(([o, v]) => [o, v.state])),
      { "2": "off", "3": "off", "4": "on" },
    );
    await until(20_000, async () => (await jsm.streams.info(stream)).state.messages === 1);
  },
);
