/**
 * The daemon section at reload (issue 16), in process: networks and tokens take effect at once,
 * the log level follows through `onReload`, restart-only keys make the API's reload answer 400
 * and apply nothing, and a reload after shutdown has begun is refused.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../actors/mod.ts";
import { type Config, readConfigFile } from "../../config/mod.ts";
import { type Daemon, RESTART_KEYS, startDaemon } from "../../daemon/mod.ts";

async function withDaemon(
  yaml: string,
  body: (ctx: {
    daemon: Daemon;
    url: string;
    rewrite: (text: string) => Promise<void>;
    reloaded: Config[];
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-daemon-reload-" });
  const path = `${dir}/pdud.yaml`;
  await Deno.writeTextFile(path, yaml);
  const reloaded: Config[] = [];
  const daemon = await startDaemon(await readConfigFile(path), {
    log: createLogger({ write: () => {} }),
    readConfig: () => readConfigFile(path),
    onReload: (config) => reloaded.push(config),
    env: () => undefined,
  });
  try {
    await body({
      daemon,
      url: `http://127.0.0.1:${daemon.listeners.port}`,
      rewrite: (text) => Deno.writeTextFile(path, text),
      reloaded,
    });
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
}

const PDUS = "pdus:\n  rack: {driver: simulated}\n";

async function get(url: string, token?: string): Promise<number> {
  const r = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await r.body?.cancel();
  return r.status;
}

Deno.test("reload: an allowed network removed takes effect at once, and one added again too", async () => {
  const open = "daemon: {hostname: 127.0.0.1, port: 0, allowed_networks: [127.0.0.0/8]}\n" + PDUS;
  await withDaemon(open, async ({ daemon, url, rewrite }) => {
    assert.equal(await get(`${url}/api/v1/pdus`), 200);
    await rewrite(open.replace("127.0.0.0/8", "10.0.0.0/8"));
    const report = await daemon.reload();
    assert.deepEqual(report.daemon, ["allowed_networks"]);
    assert.equal(await get(`${url}/api/v1/pdus`), 403, "127.0.0.1 is no longer allowed");
    await rewrite(open);
    await daemon.reload();
    assert.equal(await get(`${url}/api/v1/pdus`), 200);
  });
});

Deno.test("reload: tokens added to a daemon that had none are required at once", async () => {
  const none = "daemon: {hostname: 127.0.0.1, port: 0}\n" + PDUS;
  await withDaemon(none, async ({ daemon, url, rewrite }) => {
    assert.equal(await get(`${url}/api/v1/pdus`), 200);
    await rewrite(
      "daemon:\n  hostname: 127.0.0.1\n  port: 0\n  tokens:\n" +
        "    - {name: ci, secret: 0123456789abcdef0}\n" + PDUS,
    );
    await daemon.reload();
    assert.equal(await get(`${url}/api/v1/pdus`), 401);
    assert.equal(await get(`${url}/api/v1/pdus`, "0123456789abcdef0"), 200);
  });
});

Deno.test("reload: the log level is handed to onReload with the new config", async () => {
  const base = "daemon: {hostname: 127.0.0.1, port: 0, logging_level: INFO}\n" + PDUS;
  await withDaemon(base, async ({ daemon, rewrite, reloaded }) => {
    await rewrite(base.replace("INFO", "DEBUG"));
    const report = await daemon.reload();
    assert.deepEqual(report.daemon, ["logging_level"]);
    assert.equal(reloaded.at(-1)?.daemon.logging_level, "DEBUG");
  });
});

Deno.test("API reload: each restart-only key is refused with 400 naming it; nothing is applied", async () => {
  const daemon = { hostname: "127.0.0.1", port: 0, "allowed_networks": ["127.0.0.0/8"] };
  const pdus = { rack: { driver: "simulated" } };
  const changes: Record<(typeof RESTART_KEYS)[number], Record<string, unknown>> = {
    hostname: { hostname: "127.0.0.2" },
    port: { port: 17001 },
    listener: { listener: "http" },
    tls: { listener: "http", tls: { cert: "/x.pem", key: "/y.pem" } },
    "request_timeout": { "request_timeout": 99 },
    "idle_timeout": { "idle_timeout": 5 },
    "handshake_timeout": { "handshake_timeout": 5 },
    "max_connections": { "max_connections": 50 },
    "audit_log": { "audit_log": "/tmp/pdud-never-written.jsonl" },
    "job_ttl": { "job_ttl": 5 },
    "event_ring": { "event_ring": 10 },
    "event_buffer": { "event_buffer": 10 },
  };
  await withDaemon(JSON.stringify({ daemon, pdus }), async ({ url, rewrite, reloaded }) => {
    for (const [key, change] of Object.entries(changes)) {
      // Each change comes with a network removal, which must not take effect either.
      const next = { ...daemon, "allowed_networks": ["10.0.0.0/8"], ...change };
      await rewrite(JSON.stringify({ daemon: next, pdus }));
      const r = await fetch(`${url}/api/v1/reload`, { method: "POST" });
      assert.equal(r.status, 400, key);
      const body = await r.json() as { issues: { path: string; message: string }[] };
      const issue = body.issues.find((i) => i.path === `daemon.${key}`);
      assert.ok(issue, `${key}: ${JSON.stringify(body.issues)}`);
      assert.match(issue.message, /takes effect only when pdud restarts/);
      assert.equal(await get(`${url}/api/v1/pdus`), 200, `${key}: the old networks still apply`);
    }
    assert.equal(reloaded.length, 0, "no refused config reached onReload");
  });
});

Deno.test("reload after shutdown has begun is refused", async () => {
  await withDaemon("daemon: {hostname: 127.0.0.1, port: 0}\n" + PDUS, async ({ daemon }) => {
    const stopping = daemon.stop(1000);
    await assert.rejects(daemon.reload(), /shutting down/);
    await stopping;
  });
});
