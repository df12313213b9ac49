/**
 * The end-to-end check every source of a PDU secret (`password_env`, `password_file`) must pass:
 * the daemon switches a password-protected Tasmota simulator with the secret, the value appears in
 * no reply, `/api/v1/pdus` output or log line, and a reload that reads a changed value restarts the
 * driver, which is then answered 503 with an auth failure.
 */
import assert from "node:assert/strict";
import type { Config } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { startSimulator } from "./conformance.ts";
import { type LogLine, memoryLogger } from "./log.ts";

/** Where the password comes from, as a test sets it up. */
export interface SecretSource {
  /** The PDU keys that name the source (`{ password_env: "VAR" }`, `{ password_file: "pw" }`). */
  keys: Record<string, string>;
  /** What the source is, for messages ("variable", "file"). */
  what: string;
  /** Puts `value` where the source reads it (before the start, and before the reload). */
  set(value: string): Promise<void> | void;
  /** Loads `config` as the daemon does, with `env` (the daemon's own lookup at a reload). */
  load(
    config: Record<string, unknown>,
    env?: (name: string) => string | undefined,
  ): Promise<Config>;
  /** The daemon's environment lookup. */
  env: (name: string) => string | undefined;
}

/** Runs the check with `password`, then with `wrong` after a reload. */
export async function assertSecretSourceEndToEnd(
  source: SecretSource,
  password: string,
  wrong: string,
): Promise<void> {
  await using sim = await startSimulator("tasmota", { outlets: 4 }, {
    driver: "tasmota",
    username: "admin",
    password,
  });
  const { password: _written, ...pdu } = sim.pduConfig();
  const config = { pdus: { plug: { ...pdu, ...source.keys, retries: 1, timeout: 10 } } };
  await source.set(password);
  const lines: LogLine[] = [];
  const daemon = await startDaemon(await source.load(config), {
    log: memoryLogger(lines),
    listen: { hostname: "127.0.0.1", port: 0, listener: "http" },
    env: source.env,
    readConfig: (lookup) => source.load(config, lookup),
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

    await source.set(wrong);
    const report = await daemon.reload();
    assert.deepEqual(
      report.changed,
      ["plug"],
      `a changed ${source.what} restarts the PDU's driver`,
    );
    const off = await get("/power/control/off?hostname=plug&port=2");
    assert.equal(off.status, 503);
    assert.match(off.body, /refused the credentials \(HTTP 401\)/);
    assert.equal(sim.device.get(2), "on", "the wrong password switched nothing");
    const pdus = await get("/api/v1/pdus");
    assert.match(pdus.body, /refused the credentials/, "the failure is shown, not the value");
  } finally {
    await daemon.stop(1000);
  }
  const logged = JSON.stringify(lines);
  assert.ok(lines.length > 0, "the daemon logged");
  for (const value of [password, wrong]) {
    for (const reply of replies) {
      assert.ok(!reply.includes(value), `a reply shows a value: ${reply}`);
    }
    assert.ok(!logged.includes(value), "a log line shows a value");
  }
}
