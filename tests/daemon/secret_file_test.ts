/**
 * A PDU's password given as `password_file` end to end: read when the config is loaded, the driver
 * authenticates with it, and the content appears in no reply, no `/api/v1/pdus` output and no log
 * line; a reload reads the file again, so a changed file restarts the driver with the new value.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

const PASSWORD = "canary-file-webpw-9a41e";
const WRONG = "canary-file-wrongpw-3f6d";

Deno.test("password_file: the daemon switches a password-protected Tasmota and shows the content nowhere", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 4 }, {
    driver: "tasmota",
    username: "admin",
    password: PASSWORD,
  });
  const dir = await Deno.makeTempDir();
  const { password: _written, ...pdu } = sim.pduConfig();
  // Relative, as the config file's folder takes it: loadConfig's base stands for that folder.
  const config = { pdus: { plug: { ...pdu, password_file: "plug.pw", retries: 1, timeout: 10 } } };
  await Deno.writeTextFile(join(dir, "plug.pw"), `${PASSWORD}\n`);
  const read = () => loadConfig(config, { base: dir, env: () => undefined });
  const lines: LogLine[] = [];
  const daemon = await startDaemon(await read(), {
    log: memoryLogger(lines),
    listen: { hostname: "127.0.0.1", port: 0, listener: "http" },
    env: () => undefined,
    readConfig: read,
  });
  const base = `http://127.0.0.1:${daemon.listeners.port}`;
  const replies: string[] = [];
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    const body = await response.text();
    replies.push(JSON.stringify([...response.headers]), body);
    return { status: response.status, body };
  };
  try {
    const on = await get("/power/control/on?hostname=plug&port=2");
    assert.deepEqual(on, { status: 200, body: "OK - accepted request\n" });
    assert.equal(sim.device.get(2), "on");
    assert.equal((await get("/api/v1/pdus")).status, 200);
    assert.equal((await get("/api/v1/pdus/plug")).status, 200);

    await Deno.writeTextFile(join(dir, "plug.pw"), `${WRONG}\r\n`);
    const report = await daemon.reload();
    assert.deepEqual(report.changed, ["plug"], "a changed file restarts the PDU's driver");
    const off = await get("/power/control/off?hostname=plug&port=2");
    assert.equal(off.status, 503);
    assert.match(off.body, /refused the credentials \(HTTP 401\)/);
    assert.equal(sim.device.get(2), "on", "the wrong password switched nothing");
    const pdus = await get("/api/v1/pdus");
    assert.match(pdus.body, /refused the credentials/, "the failure is shown, not the value");
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
  const logged = JSON.stringify(lines);
  assert.ok(lines.length > 0, "the daemon logged");
  for (const value of [PASSWORD, WRONG]) {
    for (const reply of replies) {
      assert.ok(!reply.includes(value), `a reply shows a value: ${reply}`);
    }
    assert.ok(!logged.includes(value), "a log line shows a value");
  }
});
