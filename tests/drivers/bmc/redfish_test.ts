/**
 * The redfish driver against pdud's Redfish simulator (simulators/bmc/redfish.ts): the
 * conformance suite and the daemon's HTTP API for session and basic auth, several systems and
 * TLS; the state read before a reset, the allowed reset types, sessions kept, renewed and
 * handed back, power readings. Debian's real Redfish clients accepting the simulator are in
 * tests/interop/redfish_clients_test.ts.
 */
import assert from "node:assert/strict";
import { startRedfish as start, TLS } from "../../_helpers/redfish.ts";
import type { Simulator } from "../../../simulators/mod.ts";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { redfishMessage, systemPath } from "../../../drivers/bmc/redfish.ts";
import { conformance } from "../../_helpers/conformance.ts";
import { configFor, simulateOutput, startSimulators } from "../../../cli/simulate.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";
import { type LogLine, memoryLogger } from "../../_helpers/log.ts";

const REDFISH = findDriver("redfish")!;

function signal(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

function driverFor(sim: Simulator, extra: Record<string, unknown> = {}, log?: LogLine[]) {
  const raw = { ...sim.pduConfig(), ...extra };
  const own = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== "driver"));
  return REDFISH.create(sim.pduHostname, {
    options: REDFISH.options.parse(own),
    log: memoryLogger(log),
  });
}

const ERROR_503 =
  /Redfish service at 127\.0\.0\.1:\d+ answered HTTP 500 to GET \/redfish\/v1\/Systems\/[\w.]+: The request failed due to an internal service error\./;
const BAD = (sim: Simulator) => ({ ...sim.pduConfig(), password: "not-the-password" });
const OK = { status: 200, body: "OK - accepted request\n" };
const BAD_REASON = /Redfish service at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/;

/** The simulator setups every step runs against. */
const SETUPS: { name: string; device: { outlets: number }; options: Record<string, unknown> }[] = [
  { name: "session auth", device: { outlets: 1 }, options: {} },
  {
    name: "basic auth, four systems of a multi-node chassis",
    device: { outlets: 4 },
    options: { sessions: false, "system_ids": ["Node.1", "Node.2", "Node.3", "Node.4"] },
  },
  { name: "https with a self-signed certificate, insecure", device: { outlets: 1 }, options: TLS },
];

for (const setup of SETUPS) {
  const begin = () => start(setup.device, setup.options);
  conformance({
    name: `redfish (${setup.name})`,
    descriptor: REDFISH,
    start: begin,
    badCredentials: BAD,
  });

  Deno.test(`redfish (${setup.name}): on, off, reboot and status through the daemon's HTTP API`, async () => {
    await using sim = await begin();
    const last = sim.device.first + sim.device.count - 1;
    await using daemon = await startDaemon({
      pdus: { bmc1: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
    });
    for (const outlet of new Set([1, last])) {
      const target = { hostname: "bmc1", port: outlet };
      assert.deepEqual(await control(daemon, "on", target), OK);
      assert.equal(sim.device.get(outlet), "on");
      const status = await fetch(`${daemon.url}/api/v1/pdus/bmc1/outlets/${outlet}`);
      assert.equal((await status.json()).state, "on");
      const before = sim.device.history.length;
      assert.deepEqual(await control(daemon, "reboot", { ...target, delay: 0 }), OK);
      assert.deepEqual(
        sim.device.history.slice(before).filter(([o]) => o === outlet).map(([, s]) => s),
        ["off", "on"],
        "a reboot switches off, then on",
      );
      assert.deepEqual(await control(daemon, "off", target), OK);
      assert.equal(sim.device.get(outlet), "off");
      // Switched on at the server itself: read as it is, not as pdud left it.
      sim.device.set(outlet, "on");
      const again = await fetch(`${daemon.url}/api/v1/pdus/bmc1/outlets/${outlet}`);
      assert.equal((await again.json()).state, "on");
      sim.device.set(outlet, "off");
    }
    const beyond = await control(daemon, "on", { hostname: "bmc1", port: last + 1 });
    assert.equal(beyond.status, 503, "no system beyond the last");
  });

  Deno.test(`redfish (${setup.name}): a BMC error and refused credentials are 503 with the reason`, async () => {
    await using sim = await begin();
    await using daemon = await startDaemon({
      pdus: {
        dev: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 },
        bad: { ...BAD(sim), address: sim.pduHostname, retries: 1 },
      },
    });
    sim.device.fault = "error";
    const failed = await control(daemon, "on", { hostname: "dev", port: 1 });
    assert.equal(failed.status, 503);
    assert.match(failed.body, ERROR_503);
    sim.device.fault = "none";
    const wrong = await control(daemon, "on", { hostname: "bad", port: 1 });
    assert.equal(wrong.status, 503);
    assert.match(wrong.body, BAD_REASON);
    assert.ok(!wrong.body.includes("not-the-password"));
    assert.equal(sim.device.get(1), "off");
  });
}

Deno.test("redfish: systems name ids or paths; Redfish error bodies are worded by their message", () => {
  assert.equal(systemPath("System.Embedded.1"), "/redfish/v1/Systems/System.Embedded.1");
  assert.equal(systemPath("/redfish/v1/Systems/2"), "/redfish/v1/Systems/2");
  assert.equal(REDFISH.options.safeParse({ systems: ["a/b"] }).success, false);
  assert.equal(REDFISH.options.safeParse({ systems: ["../x"] }).success, false);
  assert.equal(REDFISH.options.safeParse({ insecure: true, "ca_file": "/x" }).success, false);
  assert.deepEqual(REDFISH.outletRange!(REDFISH.options.parse({ systems: ["1", "2"] })), {
    min: 1,
    max: 2,
  });
  assert.equal(
    redfishMessage(JSON.stringify({
      error: {
        code: "Base.1.8.GeneralError",
        message: "A general error has occurred.",
        "@Message.ExtendedInfo": [{ Message: "The system is already powered on." }],
      },
    })),
    "The system is already powered on.",
  );
  assert.equal(redfishMessage("<html>oops</html>"), "<html>oops</html>");
});

Deno.test("redfish: a system already in the state asked for is not reset (iDRAC answers 409)", async () => {
  await using sim = await start({ initial: "on" });
  const driver = driverFor(sim);
  await driver.setOutlet(1, "on", { signal: signal() });
  assert.equal(sim.device.get(1), "on");
  assert.ok(!sim.device.received.some((r) => r.text.startsWith("POST /redfish/v1/Systems")));
  await driver.setOutlet(1, "off", { signal: signal() });
  assert.equal(sim.device.get(1), "off");
  assert.deepEqual(
    sim.device.received.map((r) => r.text).filter((t) => t.startsWith("ResetType")),
    ["ResetType ForceOff"],
  );
  await driver.close();
});

Deno.test("redfish: the reset types sent are the configured ones, checked against the allowed values", async () => {
  await using sim = await start({}, { "reset_types": ["On", "GracefulShutdown"] });
  const forced = driverFor(sim);
  await forced.setOutlet(1, "on", { signal: signal() });
  await assert.rejects(forced.setOutlet(1, "off", { signal: signal() }), (error: unknown) => {
    assert.ok(error instanceof DriverError);
    assert.equal(error.kind, "config");
    assert.equal(error.permanent, true);
    assert.match(
      error.message,
      /does not take ResetType ForceOff \(it takes On, GracefulShutdown\)/,
    );
    return true;
  });
  assert.equal(sim.device.get(1), "on");
  await forced.close();
  const graceful = driverFor(sim, { "off_reset_type": "GracefulShutdown" });
  await graceful.setOutlet(1, "off", { signal: signal() });
  assert.equal(sim.device.get(1), "off");
  assert.ok(sim.device.received.some((r) => r.text === "ResetType GracefulShutdown"));
  await graceful.close();
});

Deno.test("redfish: one session serves every operation, is renewed when it expires, and is deleted at close", async () => {
  await using sim = await start();
  const driver = driverFor(sim);
  await driver.setOutlet(1, "on", { signal: signal() });
  assert.equal(await driver.getOutlet!(1, { signal: signal() }), "on");
  await driver.setOutlet(1, "off", { signal: signal() });
  assert.equal(sim.sessions.created, 1);
  assert.equal(sim.sessions.open().length, 1);
  // The BMC forgets the session (expiry, a BMC reboot): the next operation logs in again.
  const [id] = sim.sessions.open();
  await fetch(`http://127.0.0.1:${sim.address.port}/redfish/v1/SessionService/Sessions/${id}`, {
    method: "DELETE",
    headers: { authorization: `Basic ${btoa("admin:redfish-password")}` },
  }).then((r) => r.body?.cancel());
  assert.equal(sim.sessions.open().length, 0);
  await driver.setOutlet(1, "on", { signal: signal() });
  assert.equal(sim.device.get(1), "on");
  assert.equal(sim.sessions.created, 2);
  await driver.close();
  assert.deepEqual(sim.sessions.open(), []);
  await driver.close();
});

Deno.test("redfish: several systems without `systems` is a config error naming them", async () => {
  await using sim = await start({ outlets: 2 });
  const { systems: _, ...config } = sim.pduConfig();
  const driver = driverFor({ ...sim, pduConfig: () => config } as Simulator);
  await assert.rejects(driver.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
    assert.ok(error instanceof DriverError);
    assert.equal(error.kind, "config");
    assert.match(
      error.message,
      /has 2 systems \(\/redfish\/v1\/Systems\/1, \/redfish\/v1\/Systems\/2\)/,
    );
    return true;
  });
  await driver.close();
  // Named, outlet 2 is the second system.
  const named = driverFor(sim, { systems: ["/redfish/v1/Systems/2"] });
  await named.setOutlet(1, "on", { signal: signal() });
  assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "on" });
  await named.close();
});

Deno.test("redfish: readPower reports the chassis PowerControl's PowerConsumedWatts", async () => {
  await using sim = await start({ outlets: 2 }, { "watts_on": 240.5, "watts_off": 11 });
  const driver = driverFor(sim);
  assert.deepEqual(await driver.readPower!(2, { signal: signal() }), { watts: 11 });
  await driver.setOutlet(2, "on", { signal: signal() });
  assert.deepEqual(await driver.readPower!(2, { signal: signal() }), { watts: 240.5 });
  assert.deepEqual(await driver.readPower!(1, { signal: signal() }), { watts: 11 });
  assert.ok(sim.device.received.some((r) => r.text === "GET /redfish/v1/Chassis/2/Power"));
  await driver.close();
});

Deno.test("redfish: TLS is verified unless insecure; ca_file trusts the BMC's own certificate", async () => {
  await using sim = await start({}, TLS);
  const strict = driverFor(sim, { insecure: false });
  await assert.rejects(
    strict.setOutlet(1, "on", { signal: signal() }),
    (error: unknown) => {
      assert.ok(error instanceof DriverError);
      assert.equal(error.kind, "unreachable");
      // The BMC presents the same certificate next time: not retried, and the fix is named.
      assert.equal(error.permanent, true);
      assert.match(error.message, /set ca_file to it \(or to its CA\), or insecure: true/);
      return true;
    },
  );
  await strict.close();
  const pinned = driverFor(sim, { insecure: false, "ca_file": TLS.cert_file });
  await pinned.setOutlet(1, "on", { signal: signal() });
  assert.equal(sim.device.get(1), "on");
  await pinned.close();
});

Deno.test("redfish: no password and no session token in errors or log lines", async () => {
  await using sim = await start({}, { password: "canary-redfish-77d1" });
  const lines: LogLine[] = [];
  const wrong = driverFor(sim, { password: "canary-wrong-3b9e" }, lines);
  await assert.rejects(wrong.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
    assert.ok(error instanceof DriverError && error.kind === "auth");
    assert.ok(!error.message.includes("canary"), error.message);
    return true;
  });
  await wrong.close();
  const right = driverFor(sim, {}, lines);
  await right.setOutlet(1, "on", { signal: signal() });
  await right.getOutlet!(1, { signal: signal() });
  const tokens = sim.sessions.tokens();
  assert.equal(tokens.length, 1);
  await right.close();
  const logged = JSON.stringify(lines);
  assert.ok(lines.length > 0);
  assert.ok(!logged.includes("canary"), logged);
  assert.ok(!logged.includes(tokens[0]!), "the session token is logged");
});

Deno.test("pdud simulate starts a Redfish BMC (with TLS) that its printed config drives", async () => {
  const simulators = await startSimulators(
    `simulators:\n  bmc:\n    kind: redfish\n    outlets: 2\n    cert_file: ${TLS.cert_file}\n` +
      `    key_file: ${TLS.key_file}\n    system_ids: [A, B]\n`,
  );
  try {
    const printed = simulateOutput(simulators);
    assert.match(printed, /^# bmc: redfish on tcp:\/\/127\.0\.0\.1:\d+ \(2 outlets\)$/m);
    await using d = await startDaemon(configFor(simulators));
    assert.deepEqual(await control(d, "on", { hostname: "bmc", port: 2 }), OK);
    assert.deepEqual(simulators[0]!.device.snapshot(), { 1: "off", 2: "on" });
  } finally {
    await Promise.all(simulators.map((s) => s.close()));
  }
});

Deno.test("redfish: links and action targets naming another host are refused, never sent the token or password", async () => {
  // A second server stands for the other host: it must never hear from the driver.
  const heard: string[] = [];
  await using elsewhere = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    heard.push(
      `${r.method} ${new URL(r.url).pathname} ${r.headers.get("x-auth-token") ?? ""} ${
        r.headers.get("authorization") ?? ""
      }`,
    );
    return Response.json({});
  });
  const other = `127.0.0.1:${elsewhere.addr.port}`;
  const cases: { name: string; systems: string; target: string }[] = [
    {
      name: "a scheme-relative Systems link",
      systems: `//${other}/redfish/v1/Systems`,
      target: "",
    },
    {
      name: "an absolute Reset target",
      systems: "/redfish/v1/Systems",
      target: `http://${other}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset`,
    },
  ];
  for (const c of cases) {
    await using bmc = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
      const path = new URL(r.url).pathname;
      if (path === "/redfish/v1/") {
        return Response.json({
          Systems: { "@odata.id": c.systems },
          Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
        });
      }
      if (path === "/redfish/v1/SessionService/Sessions") {
        return Response.json({}, {
          status: 201,
          headers: { "x-auth-token": "token-e1f0", location: `http://${other}/s/1` },
        });
      }
      if (path === "/redfish/v1/Systems") {
        return Response.json({ Members: [{ "@odata.id": "/redfish/v1/Systems/1" }] });
      }
      if (path === "/redfish/v1/Systems/1") {
        return Response.json({
          PowerState: "Off",
          Actions: { "#ComputerSystem.Reset": { target: c.target } },
        });
      }
      if (r.method === "DELETE") return new Response(null, { status: 204 });
      return new Response("not found", { status: 404 });
    });
    for (const auth of ["session", "basic"]) {
      const driver = REDFISH.create("127.0.0.1", {
        options: REDFISH.options.parse({
          protocol: "http",
          port: bmc.addr.port,
          username: "admin",
          password: "canary-elsewhere-5c2a",
          auth,
        }),
        log: memoryLogger(),
      });
      await assert.rejects(driver.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
        assert.ok(error instanceof DriverError, String(error));
        assert.equal(error.kind, "protocol");
        assert.equal(error.permanent, true);
        assert.match(error.message, /outside the service/, c.name);
        return true;
      });
      await driver.close();
    }
  }
  assert.deepEqual(heard, []);
});

Deno.test("redfish: a BMC redirecting to another host after the log-in never sends it the session token", async () => {
  // notes-breakit.md transport defect 4: fetch followed the 307 with the X-Auth-Token.
  const heard: string[] = [];
  await using elsewhere = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    heard.push(`${r.method} ${new URL(r.url).pathname} ${r.headers.get("x-auth-token") ?? ""}`);
    return Response.json({});
  });
  const other = `127.0.0.1:${elsewhere.addr.port}`;
  await using bmc = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
    const path = new URL(r.url).pathname;
    if (path === "/redfish/v1/") {
      return Response.json({
        Systems: { "@odata.id": "/redfish/v1/Systems" },
        Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
      });
    }
    if (path === "/redfish/v1/SessionService/Sessions") {
      return Response.json({}, {
        status: 201,
        headers: {
          "x-auth-token": "token-7d1e",
          location: "/redfish/v1/SessionService/Sessions/1",
        },
      });
    }
    return new Response(null, {
      status: 307,
      headers: { location: `http://${other}/collect${path}?from=bmc` },
    });
  });
  const driver = REDFISH.create("127.0.0.1", {
    options: REDFISH.options.parse({
      protocol: "http",
      port: bmc.addr.port,
      username: "admin",
      password: "canary-redirect-91b4",
      auth: "session",
    }),
    log: memoryLogger(),
  });
  await assert.rejects(driver.setOutlet(1, "on", { signal: signal() }), (error: unknown) => {
    assert.ok(error instanceof DriverError, String(error));
    assert.equal(error.kind, "protocol");
    assert.equal(error.permanent, true);
    assert.match(error.message, new RegExp(`\\(HTTP 307\\) to http://${other}, not http://`));
    assert.doesNotMatch(error.message, /token-7d1e|canary|from=bmc/);
    return true;
  });
  await driver.close();
  assert.deepEqual(heard, []);
});
