/**
 * A daemon on 127.0.0.1:0 for end-to-end tests, and the shared check that a driver switches its
 * simulator through the upstream HTTP API.
 */
import assert from "node:assert/strict";
import { type Clock, SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import type { Simulator } from "../../simulators/mod.ts";
import { type Daemon, startDaemon as start } from "../../daemon/mod.ts";

/** A running test daemon. */
export interface TestDaemon extends AsyncDisposable {
  url: string;
  port: number;
  daemon: Daemon;
  close(): Promise<void>;
}

/** Starts a daemon for `config` (a config object as YAML/JSON would give) on 127.0.0.1:0. */
export async function startDaemon(
  config: Record<string, unknown>,
  options: {
    listener?: "both" | "http" | "tcp";
    env?: (name: string) => string | undefined;
    /** The daemon's clock (and so its drivers'), e.g. a ManualClock. */
    clock?: Clock;
  } = {},
): Promise<TestDaemon> {
  // The same lookup for a PDU's `<secret>_env` keys as for the daemon's token secrets.
  const daemon = await start(await loadConfig(config, options.env ? { env: options.env } : {}), {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0, listener: options.listener ?? "both" },
    ...(options.env ? { env: options.env } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const port = daemon.listeners.port;
  const close = async () => {
    await daemon.stop(1000);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    daemon,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** GETs an upstream control URL; returns status and body. */
export async function control(
  daemon: TestDaemon,
  command: string,
  query: Record<string, string | number>,
): Promise<{ status: number; body: string }> {
  const params = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)]),
  );
  const response = await fetch(`${daemon.url}/power/control/${command}?${params}`);
  return { status: response.status, body: await response.text() };
}

/**
 * Drives `sim` through a daemon over HTTP: on, off, reboot (delay 0), asserting the simulator's
 * outlet state after each.
 */
export async function assertDrivesOverHttp(
  sim: Simulator,
  options: { outlet?: number; pdu?: Record<string, unknown> } = {},
): Promise<void> {
  const outlet = options.outlet ?? sim.device.first;
  const pdu = { retries: 1, timeout: 10, ...(options.pdu ?? sim.pduConfig()) };
  await using daemon = await startDaemon({ pdus: { [sim.pduHostname]: pdu } });
  const target = { hostname: sim.pduHostname, port: outlet };

  const on = await control(daemon, "on", target);
  assert.deepEqual(on, { status: 200, body: "OK - accepted request\n" }, "on");
  assert.equal(sim.device.get(outlet), "on", "outlet after on");

  const off = await control(daemon, "off", target);
  assert.deepEqual(off, { status: 200, body: "OK - accepted request\n" }, "off");
  assert.equal(sim.device.get(outlet), "off", "outlet after off");

  const before = sim.device.history.length;
  const reboot = await control(daemon, "reboot", { ...target, delay: 0 });
  assert.deepEqual(reboot, { status: 200, body: "OK - accepted request\n" }, "reboot");
  assert.equal(sim.device.get(outlet), "on", "outlet after reboot");
  assert.deepEqual(
    sim.device.history.slice(before).filter(([o]) => o === outlet).map(([, s]) => s),
    ["off", "on"],
    "a reboot switches off, then on",
  );
}

/**
 * One legacy TCP exchange: `bytes` sent as they are (pduclient sends no newline), the reply read
 * up to its newline or the close.
 */
export async function legacyExchange(port: number, bytes: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(bytes));
    const buf = new Uint8Array(256);
    let out = "";
    while (!out.includes("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += new TextDecoder().decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}
