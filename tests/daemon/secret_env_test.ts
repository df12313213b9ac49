/**
 * A PDU's password given as `password_env` end to end: the daemon reads the variable through its
 * environment lookup, the driver authenticates with it, and the value appears in no reply, no
 * `/api/v1/pdus` output and no log line; a reload resolves the variable through the same lookup,
 * so a wrong value there restarts the driver and is answered 503 with an auth failure.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { type AnyDriverDescriptor, DriverError, findDriver } from "../../drivers/mod.ts";
import { assertSecretSourceEndToEnd } from "../_helpers/secret_source.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

const PASSWORD = "canary-env-webpw-4e8d1";
const WRONG = "canary-env-wrongpw-b07c";

Deno.test("password_env: the daemon switches a password-protected Tasmota and shows the value nowhere", async () => {
  const environment: Record<string, string> = {};
  const env = (name: string) => environment[name];
  await assertSecretSourceEndToEnd(
    {
      keys: { password_env: "PDUD_TEST_PLUG_PASSWORD" },
      what: "variable",
      set: (value) => void (environment.PDUD_TEST_PLUG_PASSWORD = value),
      // The daemon hands its own lookup to the reader at a reload: Deno.env has no such variable.
      load: (config, lookup = env) => loadConfig(config, { env: lookup }),
      env,
    },
    PASSWORD,
    WRONG,
  );
});

Deno.test("password_env: a driver that echoes its resolved password has it scrubbed from the reply and the API", async () => {
  const tasmota = findDriver("tasmota")!;
  // A device that quotes the password back: only scrubbing by value keeps it out.
  const leaky: AnyDriverDescriptor = {
    ...tasmota,
    create: (_hostname, { options }) => ({
      setOutlet: () =>
        Promise.reject(
          new DriverError(
            "device",
            `device said: bad password ${(options as { password: string }).password}`,
          ),
        ),
      close: () => Promise.resolve(),
    }),
  };
  const env = (name: string) => name === "PDUD_TEST_LEAKY" ? PASSWORD : undefined;
  const lines: LogLine[] = [];
  const config = {
    pdus: {
      plug: { driver: "tasmota", ip: "127.0.0.1:9", password_env: "PDUD_TEST_LEAKY", retries: 1 },
    },
  };
  const daemon = await startDaemon(await loadConfig(config, { env }), {
    log: memoryLogger(lines),
    listen: { hostname: "127.0.0.1", port: 0, listener: "http" },
    env,
    supervisor: { findDriver: (name) => name === "tasmota" ? leaky : findDriver(name) },
  });
  const base = `http://127.0.0.1:${daemon.listeners.port}`;
  try {
    const on = await fetch(`${base}/power/control/on?hostname=plug&port=1`);
    const body = await on.text();
    assert.equal(on.status, 503);
    assert.match(body, /bad password \*\*\*/);
    const pdus = await (await fetch(`${base}/api/v1/pdus`)).text();
    assert.match(pdus, /bad password \*\*\*/);
    for (const text of [body, pdus, JSON.stringify(lines)]) {
      assert.ok(!text.includes(PASSWORD), `the value is shown: ${text}`);
    }
  } finally {
    await daemon.stop(1000);
  }
});
