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
import { startSimulator } from "../_helpers/conformance.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

const PASSWORD = "canary-env-webpw-4e8d1";
const WRONG = "canary-env-wrongpw-b07c";

Deno.test("password_env: the daemon switches a password-protected Tasmota and shows the value nowhere", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 4 }, {
    driver: "tasmota",
    username: "admin",
    password: PASSWORD,
  });
  const { password: _written, ...pdu } = sim.pduConfig();
  const config = {
    pdus: { plug: { ...pdu, password_env: "PDUD_TEST_PLUG_PASSWORD", retries: 1, timeout: 10 } },
  };
  const environment: Record<string, string> = { PDUD_TEST_PLUG_PASSWORD: PASSWORD };
  const env = (name: string) => environment[name];
  const lines: LogLine[] = [];
  const daemon = await startDaemon(await loadConfig(config, { env }), {
    log: memoryLogger(lines),
    listen: { hostname: "127.0.0.1", port: 0, listener: "http" },
    env,
    // The daemon hands its own lookup to the reader: Deno.env has no such variable.
    readConfig: (lookup) => loadConfig(config, { env: lookup }),
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

    environment.PDUD_TEST_PLUG_PASSWORD = WRONG;
    const report = await daemon.reload();
    assert.deepEqual(report.changed, ["plug"], "a changed variable restarts the PDU's driver");
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
  for (const value of [PASSWORD, WRONG]) {
    for (const reply of replies) {
      assert.ok(!reply.includes(value), `a reply shows a value: ${reply}`);
    }
    assert.ok(!logged.includes(value), "a log line shows a value");
  }
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
