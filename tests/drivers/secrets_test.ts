/**
 * Canary secrets in every driver family that has one: whatever goes wrong (wrong credentials,
 * an unreachable device), no error message holds a configured secret, neither as the driver
 * words it (the first line of defence) nor after scrubbedDriver (the second). SNMP's community
 * and v3 keys have their canaries in snmp/permanent_test.ts.
 */
import assert from "node:assert/strict";
import {
  DriverError,
  findDriver,
  printable,
  REDACTED,
  scrubbedDriver,
  scrubbedLogger,
  scrubText,
} from "../../drivers/mod.ts";
import { createLogger } from "../../actors/log.ts";
import { type Simulator } from "../../simulators/mod.ts";
import { collectSecrets } from "../../config/secrets.ts";
import type { Config, PduConfig } from "../../config/schema.ts";
import { createDriver, startSimulator } from "../_helpers/conformance.ts";
import { type LogLine, memoryLogger } from "../_helpers/log.ts";

const CANARY = "canary-S3cr3t-4f9a";

interface Case {
  name: string;
  kind: string;
  /** The PDU section with the canary in place of the device's secret. */
  config(sim: Simulator, closedPort: number): Record<string, unknown>;
  hostname?(sim: Simulator, closedPort: number): string;
  /** The simulator's options (its own, right, secret). */
  options?: Record<string, unknown>;
}

const DEVICE_SECRET = { password: "device-password-1234" };

const CASES: Case[] = [
  {
    name: "tasmota: wrong web password (in the query string)",
    options: DEVICE_SECRET,
    kind: "tasmota",
    config: (sim) => ({ ...sim.pduConfig(), username: "admin", password: CANARY }),
  },
  {
    name: "tasmota: password in the query string, device unreachable",
    kind: "tasmota",
    config: (sim, port) => ({
      ...sim.pduConfig(),
      ip: `127.0.0.1:${port}`,
      username: "admin",
      password: CANARY,
    }),
  },
  {
    name: "anel: wrong password (in the URL)",
    kind: "anel",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "anel: password in the URL, device unreachable",
    kind: "anel",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
    hostname: (_sim, port) => `127.0.0.1:${port}`,
  },
  {
    name: "pe6216: wrong password (usr/pwd parameters)",
    options: DEVICE_SECRET,
    kind: "aten-pe",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "pe6216: password in the parameters, device unreachable",
    kind: "aten-pe",
    config: (sim, port) => ({ ...sim.pduConfig(), port, password: CANARY }),
  },
  {
    name: "netio (NETIO-230 CGI): wrong password (in the query string)",
    kind: "netio-cgi",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "netio (NETIO-230 CGI): password in the query string, device unreachable",
    kind: "netio-cgi",
    config: (sim, port) => ({ ...sim.pduConfig(), port, password: CANARY }),
  },
  {
    name: "eg_pms2_network: wrong web password (form body)",
    kind: "eg-pms2-web",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "digitalloggers_restapi: wrong digest password",
    options: DEVICE_SECRET,
    kind: "dli-restapi",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "shelly gen1: wrong basic-auth password",
    options: DEVICE_SECRET,
    kind: "shelly-gen1",
    config: (sim) => ({ ...sim.pduConfig(), username: "admin", password: CANARY }),
  },
  {
    name: "netio json: wrong basic-auth password",
    kind: "netio-json",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "esphome: wrong digest password",
    options: DEVICE_SECRET,
    kind: "esphome",
    config: (sim) => ({ ...sim.pduConfig(), username: "admin", password: CANARY }),
  },
  {
    name: "home assistant: wrong bearer token",
    kind: "home-assistant",
    config: (sim) => ({ ...sim.pduConfig(), "api_key": CANARY }),
  },
  {
    name: "ssh (ubnt mFi): wrong password",
    kind: "ubnt-mfi",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "telnet (NETIO KSHELL): wrong password",
    kind: "netio-kshell",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "telnet (APC menus): wrong password",
    kind: "apc-telnet",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "redfish: wrong password at the session log-in",
    kind: "redfish",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
  {
    name: "redfish: wrong basic-auth password",
    kind: "redfish",
    config: (sim) => ({ ...sim.pduConfig(), auth: "basic", password: CANARY }),
  },
  {
    name: "redfish: password at hand, service unreachable",
    kind: "redfish",
    config: (sim, port) => ({ ...sim.pduConfig(), port, password: CANARY }),
  },
  {
    name: "telnet (Synaccess): wrong password",
    kind: "synaccess-telnet",
    config: (sim) => ({ ...sim.pduConfig(), password: CANARY }),
  },
];

/**
 * A port nothing listens on. Below 1024, so no other test's port-0 listener can be handed it
 * meanwhile (a freed ephemeral port can be); 81 is not one of fetch's blocked ports.
 */
async function closedPort(): Promise<number> {
  const port = 81;
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
  } catch {
    return port;
  }
  throw new Error(`something listens on 127.0.0.1:${port}`);
}

/** The config collectSecrets sees for one PDU section. */
function configWith(name: string, raw: Record<string, unknown>, options: unknown): Config {
  const pdu = { name, driver: String(raw.driver), available: true, options, raw } as PduConfig;
  return {
    daemon: { tokens: [] } as unknown as Config["daemon"],
    pdus: { [name]: pdu },
    aliases: {},
    groups: {},
  };
}

async function failureOf(
  run: (signal: AbortSignal) => Promise<unknown>,
): Promise<Error> {
  try {
    await run(AbortSignal.timeout(3000));
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail("the operation must fail");
}

for (const c of CASES) {
  Deno.test(`canary secret: ${c.name}`, async () => {
    await using sim = await startSimulator(c.kind, {}, c.options ?? {});
    const port = await closedPort();
    const raw = c.config(sim, port);
    const hostname = c.hostname?.(sim, port) ?? sim.pduHostname;
    const descriptor = findDriver(String(raw.driver))!;
    const driver = createDriver(descriptor, hostname, raw);
    const error = await failureOf((signal) => driver.setOutlet(sim.device.first, "on", { signal }));
    await driver.close();
    assert.ok(!error.message.includes(CANARY), `the driver's own message: ${error.message}`);
    assert.ok(
      !error.message.includes(encodeURIComponent(CANARY)),
      `the driver's own message: ${error.message}`,
    );
    const own = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== "driver"));
    const secrets = collectSecrets(configWith("dev", raw, descriptor.options.parse(own)), {});
    assert.ok(secrets.forPdu("dev").includes(CANARY), "collectSecrets finds the canary");
    const scrubbed = scrubbedDriver(createDriver(descriptor, hostname, raw), secrets.forPdu("dev"));
    const again = await failureOf((signal) =>
      scrubbed.setOutlet(sim.device.first, "on", { signal })
    );
    await scrubbed.close();
    assert.ok(!again.message.includes(CANARY), again.message);
  });
}

Deno.test("canary secret: localcmdline's command line, through scrubbedDriver too", async () => {
  const raw = {
    driver: "localcmdline",
    "cmd_on": `echo "curl: (7) could not log in with ${CANARY}" >&2; exit 7`,
  };
  const descriptor = findDriver("localcmdline")!;
  const driver = createDriver(descriptor, "cmd", raw);
  const error = await failureOf((signal) => driver.setOutlet(1, "on", { signal }));
  assert.match(error.message, /^cmd_on \(echo\) exited with status 7/);
  assert.ok(!error.message.includes(CANARY), error.message);
  const secrets = collectSecrets(
    configWith("cmd", raw, descriptor.options.parse({ "cmd_on": raw.cmd_on })),
    {},
  );
  const scrubbed = scrubbedDriver(createDriver(descriptor, "cmd", raw), secrets.forPdu("cmd"));
  const again = await failureOf((signal) => scrubbed.setOutlet(1, "on", { signal }));
  assert.ok(!again.message.includes(CANARY), again.message);
});

Deno.test("scrubbedDriver replaces secret values and control bytes, keeping kind and permanence", async () => {
  const cause = new Error(`socket said ${CANARY}`);
  const fake = {
    setOutlet: () =>
      Promise.reject(
        new DriverError(
          "auth",
          `device echoed \x1b[2J\x1b]0;pwned\x07${CANARY} and ${encodeURIComponent("p@ss w0rd")}`,
          { cause },
        ),
      ),
    getOutlet: () => {
      throw new DriverError("timeout", `sync throw with ${CANARY}`);
    },
    close: () => Promise.resolve(),
  };
  const driver = scrubbedDriver(fake, [CANARY, "p@ss w0rd", "abc"]);
  const signal = new AbortController().signal;
  const error = await driver.setOutlet(1, "on", { signal }).then(
    () => assert.fail("must fail"),
    (e) => e as DriverError,
  );
  assert.ok(error instanceof DriverError);
  assert.equal(error.kind, "auth");
  assert.equal(error.permanent, true);
  assert.equal(error.message, `device echoed ${REDACTED} and ${REDACTED}`);
  assert.ok(!String(error.stack).includes(CANARY));
  assert.equal((error.cause as Error).message, `socket said ${REDACTED}`);
  const sync = await driver.getOutlet!(1, { signal }).then(
    () => assert.fail("must fail"),
    (e) => e as DriverError,
  );
  assert.equal(sync.message, `sync throw with ${REDACTED}`);
});

Deno.test("printable(): escape sequences go, other control bytes become visible, length is bounded", () => {
  assert.equal(printable("\x1b[31mred\x1b[0m\r\nnext\ttab"), "red  next tab");
  assert.equal(printable("title\x1b]0;evil\x07 bell\x07 nul\x00"), "title bell\\x07 nul\\x00");
  assert.equal(printable("\u202eevil"), "\\x202eevil");
  assert.equal(printable("x".repeat(400)).length, 300);
});

Deno.test("scrubbedLogger scrubs messages and string fields at any depth, children too", () => {
  const lines: LogLine[] = [];
  const log = scrubbedLogger(memoryLogger(lines), [CANARY]);
  log.debug(`sent ${CANARY}`, { url: `http://x/?pw=${CANARY}`, nested: { list: [CANARY, 3] } });
  log.child({ pdu: `pdu-${CANARY}` }).warn("\x1b[2Jcleared");
  assert.deepEqual(lines[0], {
    level: "debug",
    message: `sent ${REDACTED}`,
    fields: { url: `http://x/?pw=${REDACTED}`, nested: { list: [REDACTED, 3] } },
  });
  assert.deepEqual(lines[1], {
    level: "warn",
    message: "cleared",
    fields: { pdu: `pdu-${REDACTED}` },
  });
});

Deno.test("scrubbedLogger does not walk the fields of a line its logger drops", () => {
  const written: string[] = [];
  const root = createLogger({ level: "info", write: (line) => written.push(line) });
  const log = scrubbedLogger(root.child({ pdu: "p" }), [CANARY]);
  let reads = 0;
  const fields = {
    get url() {
      reads++;
      return `http://x/?pw=${CANARY}`;
    },
  };
  log.debug("dropped", fields);
  assert.equal(reads, 0, "a dropped line's fields are not read");
  assert.equal(log.enabled?.("debug"), false);
  root.setLevel("debug");
  assert.equal(log.child({}).enabled?.("debug"), true);
  log.debug("kept", fields);
  assert.equal(reads, 1);
  assert.equal(written.length, 1);
  assert.ok(!written[0]!.includes(CANARY) && written[0]!.includes("kept"));
});

Deno.test("scrubText replaces a secret form-encoded, with + for spaces, JSON-escaped, and cut inside", () => {
  const secret = `it's my "secret" (pass)!`;
  const list = [secret];
  const forms = [
    new URLSearchParams({ p: secret }).toString().slice(2), // it%27s+my+%22secret%22+%28pass%29%21
    secret.replaceAll(" ", "+"), // a form value decoded without its +
    JSON.stringify(secret).slice(1, -1), // quoted in a JSON excerpt
    encodeURIComponent(secret),
  ];
  for (const form of forms) {
    assert.equal(scrubText(`echo: ${form} end`, list), `echo: ${REDACTED} end`, form);
    // A message cut inside the secret: the piece before `…`, before a closing quote, at the end.
    const piece = form.slice(0, Math.ceil(form.length / 2));
    assert.equal(scrubText(`echo: ${piece}… (attempt 1)`, list), `echo: ${REDACTED}… (attempt 1)`);
    assert.equal(scrubText(`said "${piece}"`, list), `said "${REDACTED}"`);
    assert.equal(scrubText(`said ${piece}`, list), `said ${REDACTED}`);
  }
  // Two characters are not the secret, and text that merely resembles it stays.
  assert.equal(scrubText(`said it… and it's my day`, list), `said it… and it's my day`);
});

Deno.test("canary secret: a pe6216 password echoed form-encoded in a 404 page, cut at the message's length", async () => {
  // A device whose error page quotes the request's query (lighttpd/boa style).
  await using echo = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => new Response(`<html>Not Found: ${new URL(r.url).search}</html>`, { status: 404 }),
  );
  const password = "my canary pass 51d0 with spaces";
  const driver = scrubbedDriver(
    findDriver("pe6216")!.create("127.0.0.1", {
      options: findDriver("pe6216")!.options.parse({ port: echo.addr.port, password }),
      log: memoryLogger(),
    }),
    [password],
  );
  const error = await driver.getOutlet!(1, { signal: AbortSignal.timeout(5000) }).then(
    () => assert.fail("must fail"),
    (e) => e as DriverError,
  );
  assert.match(error.message, /answered HTTP 404/);
  assert.ok(!error.message.includes("canary"), error.message);
  assert.ok(!error.message.includes("my+canary"), error.message);
  await driver.close();
});
