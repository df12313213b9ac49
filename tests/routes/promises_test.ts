/**
 * Promises the README and docs/ make about the upstream contract that no other test pinned down:
 * answers come only once the job has run (HTTP and legacy TCP), an empty `delay=` is refused
 * before anything switches (upstream drops it and reboots), a `localcmdline` command's exit
 * status counts, and a config without `daemon.hostname` listens on loopback.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../config/mod.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

const unique = (tag: string) => `${tag}-${crypto.randomUUID()}`;

Deno.test("upstream HTTP answers a reboot only once its on has run", async () => {
  const pdu = unique("after-run-http");
  await using d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 4 } } });
  const device = simulatedDevice(pdu)!;
  const started = performance.now();
  const r = await control(d, "reboot", { hostname: pdu, port: 2, delay: 0.3 });
  assert.deepEqual(r, { status: 200, body: "OK - accepted request\n" });
  assert.ok(performance.now() - started >= 300, "answered before the reboot's wait was over");
  assert.deepEqual(device.history.filter(([o]) => o === 2).map(([, s]) => s), ["off", "on"]);
});

Deno.test("legacy TCP acks a reboot only once its on has run; a failed job is nacked", async () => {
  const pdu = unique("after-run-tcp");
  const failing = unique("failing-tcp");
  await using d = await startDaemon({
    pdus: {
      [pdu]: { driver: "simulated", outlets: 4 },
      [failing]: { driver: "simulated", outlets: 4, fault: "error", retries: 1 },
    },
  });
  const device = simulatedDevice(pdu)!;
  const send = async (line: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
    try {
      await conn.write(new TextEncoder().encode(line));
      const buffer = new Uint8Array(64);
      const n = await conn.read(buffer);
      return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    } finally {
      conn.close();
    }
  };
  const started = performance.now();
  // As pduclient sends it: whole seconds, no newline.
  assert.equal(await send(`${pdu} 3 reboot 1`), "ack\n");
  assert.ok(performance.now() - started >= 1000, "acked before the reboot's wait was over");
  assert.equal(device.get(3), "on");
  assert.equal(await send(`${failing} 1 on`), "nack\n");
});

Deno.test("an empty delay= is refused before anything switches", async () => {
  const pdu = unique("empty-delay");
  await using d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 4 } } });
  const device = simulatedDevice(pdu)!;
  for (const command of ["reboot", "on", "off"]) {
    const r = await control(d, command, { hostname: pdu, port: 1, delay: "" });
    assert.equal(r.status, 503, `${command}: ${r.body}`);
    assert.match(r.body, /delay/);
  }
  assert.deepEqual(device.history, []);
});

Deno.test("localcmdline: a command that exits non-zero fails the job with its status", async () => {
  await using d = await startDaemon({
    pdus: {
      cmd: { driver: "localcmdline", "cmd_on": "exit 3", "cmd_off": "true", retries: 1 },
    },
  });
  const failed = await control(d, "on", { hostname: "cmd", port: 1 });
  assert.equal(failed.status, 503, failed.body);
  assert.match(failed.body, /status 3/);
  const ok = await control(d, "off", { hostname: "cmd", port: 1 });
  assert.equal(ok.status, 200, ok.body);
});

Deno.test("a config without daemon.hostname listens on 127.0.0.1, both protocols", async () => {
  const config = await loadConfig({ pdus: {} });
  assert.equal(config.daemon.hostname, "127.0.0.1");
  assert.equal(config.daemon.port, 16421);
  assert.equal(config.daemon.listener, "both");
});
