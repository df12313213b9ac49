/**
 * One node in this process, on a loopback NATS cluster: the journal stays bounded (once every
 * job of a PDU has settled, its records are purged after `journalKeepMs`), and a reload applies
 * PDU changes across the cluster layer but refuses a changed `cluster` section.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createSupervisor, SILENT_LOGGER } from "../../actors/mod.ts";
import { startCluster } from "../../cluster/mod.ts";
import { namesOf } from "../../cluster/mod.ts";
import { ConfigError, loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { freePort, startNatsCluster } from "../_helpers/nats.ts";
import { NATS_SERVER, SKIPPED, until } from "./_cluster.ts";

Deno.test({
  name: "cluster: a PDU's journal records are purged once its jobs have settled" + SKIPPED,
  ignore: NATS_SERVER === undefined,
  sanitizeResources: false, // the NATS client's sockets close in the background after drain
  sanitizeOps: false,
  async fn() {
    await using nats = await startNatsCluster(NATS_SERVER!, 3);
    const name = `purge${crypto.randomUUID().slice(0, 6)}`;
    const config = await loadConfig({
      cluster: { nats: nats.urls, name, node: "solo", lease_seconds: 2 },
      pdus: { s: { driver: "simulated", outlets: 4 } },
    });
    const node = await startCluster(config, { log: SILENT_LOGGER, journalKeepMs: 0 });
    const supervisor = createSupervisor(node.localConfig(), {
      log: SILENT_LOGGER,
      wrapDriver: node.wrapDriver,
    });
    node.attach(supervisor);
    const nc = await connect({ servers: nats.urls });
    try {
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
      await until(20_000, async () => (await messages()) === 0);
    } finally {
      await node.shutdown({ graceMs: 0 });
      await nc.close();
    }
  },
});

Deno.test({
  name: "cluster: a reload adds PDUs to the cluster and refuses a changed cluster section" +
    SKIPPED,
  ignore: NATS_SERVER === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using nats = await startNatsCluster(NATS_SERVER!, 3);
    const cluster = {
      nats: nats.urls,
      name: `reload${crypto.randomUUID().slice(0, 6)}`,
      node: "r",
    };
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
});

Deno.test("cluster: a node that cannot reach NATS does not start, and says why without the URL's password", async () => {
  const port = freePort();
  const config = await loadConfig({
    cluster: { nats: [`nats://pdud:hunter2-secret@127.0.0.1:${port}`], node: "lonely" },
    pdus: { s: { driver: "simulated" } },
  });
  const error = await startDaemon(config, {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0 },
  }).then(async (daemon) => {
    await daemon.stop(0);
    return undefined;
  }, (e) => e);
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(error.message, /cluster\.nats: cannot join cluster "pdud"/);
  assert.doesNotMatch(error.message, /hunter2/);
});

Deno.test({
  name:
    "cluster: a node stopped gracefully releases its leases; another takes over well before they would expire" +
    SKIPPED,
  ignore: NATS_SERVER === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using nats = await startNatsCluster(NATS_SERVER!, 3);
    const name = `handoff${crypto.randomUUID().slice(0, 6)}`;
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
});
