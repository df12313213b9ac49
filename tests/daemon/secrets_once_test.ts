/**
 * A config's secret values are collected once, at start and at each reload, and that one set
 * feeds both the root logger (main's `onReload`) and the supervisor's scrubbing of drivers.
 * The environment here answers a different value at every lookup, so a second collection would
 * scrub a value nobody else knows — and the value the logger was given would leak.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../actors/mod.ts";
import { type Config, loadConfig, type Secrets } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { type AnyDriverDescriptor, DriverError, findDriver } from "../../drivers/mod.ts";

const yaml = (timeout: number) =>
  [
    "daemon:",
    "  hostname: 127.0.0.1",
    "  port: 0",
    "  tokens: [{name: ops, secret_env: PDUD_TEST_ROTATING, scope: control}]",
    "pdus:",
    `  rack: {driver: simulated, outlets: 4, retries: 1, timeout: ${timeout}}`,
    "",
  ].join("\n");

Deno.test("the daemon collects a config's secrets once: the supervisor scrubs what the logger was given", async () => {
  const issued: string[] = [];
  // Every lookup a new value: only one collection can agree with itself.
  const env = (name: string) => {
    if (name !== "PDUD_TEST_ROTATING") return undefined;
    issued.push(`rotating-secret-${issued.length + 1}-0123456789`);
    return issued.at(-1);
  };
  // What the device puts in its error message: the secret the logger scrubs.
  const echo = { value: "" };
  const simulated = findDriver("simulated")!;
  const leaky: AnyDriverDescriptor = {
    ...simulated,
    create: () => ({
      setOutlet: () => Promise.reject(new DriverError("device", `device echoed ${echo.value}`)),
      close: () => Promise.resolve(),
    }),
  };
  const sentinel: Secrets = {
    all: ["start-sentinel-0123456789"],
    forPdu: () => ["start-sentinel-0123456789"],
  };
  const next: Config = await loadConfig(yaml(20));
  const given: Secrets[] = [];
  const daemon = await startDaemon(await loadConfig(yaml(10)), {
    log: createLogger({ write: () => {} }),
    listen: { hostname: "127.0.0.1", port: 0 },
    env,
    // As main passes the set it gave its logger.
    secrets: sentinel,
    readConfig: () => Promise.resolve(next),
    onReload: (_config, secrets) => given.push(secrets),
    supervisor: { findDriver: (name) => name === "simulated" ? leaky : findDriver(name) },
  });
  const url = `http://127.0.0.1:${daemon.listeners.port}/api/v1/pdus/rack/outlets/1/on`;
  /** The value the access rules took from the environment: one of those it handed out. */
  const token = async () => {
    for (const value of issued) {
      const r = await fetch(`http://127.0.0.1:${daemon.listeners.port}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${value}` },
      });
      await r.body?.cancel();
      if (r.status === 200) return { authorization: `Bearer ${value}` };
    }
    throw new Error("no value handed out is accepted");
  };
  try {
    const switchOn = async () => {
      const r = await fetch(url, { method: "POST", headers: await token() });
      return { status: r.status, text: await r.text() };
    };
    echo.value = "start-sentinel-0123456789";
    const first = await switchOn();
    assert.equal(first.status, 502);
    assert.ok(!first.text.includes(echo.value), `the start set is scrubbed: ${first.text}`);
    assert.match(first.text, /device echoed \*\*\*/);

    // A changed PDU gets a new incarnation, which takes the reloaded secrets.
    await daemon.reload();
    assert.equal(given.length, 1, "onReload was handed the reloaded config's secrets");
    const rotated = given[0]!.all.find((s) => s.startsWith("rotating-secret-"));
    assert.ok(rotated, "the reloaded secrets hold the token's value");
    echo.value = rotated;
    const second = await switchOn();
    assert.equal(second.status, 502);
    assert.ok(!second.text.includes(rotated), `the reloaded set is scrubbed: ${second.text}`);
    assert.match(second.text, /device echoed \*\*\*/);
  } finally {
    await daemon.stop(1000);
  }
});
