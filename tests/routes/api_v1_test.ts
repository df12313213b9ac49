/** pdud's own interface: JSON API, OpenAPI, get-status, reload, metrics, audit, access control. */
import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig, readConfigFile } from "../../config/mod.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { startDaemon as startRaw } from "../../daemon/mod.ts";
import { legacyExchange, startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

let counter = 0;
/** A unique simulated PDU name (the in-process devices are shared by name). */
const unique = (base: string) => `${base}-${Date.now().toString(36)}-${++counter}`;

async function api(
  d: TestDaemon,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${d.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: response.status, json, text, headers: response.headers };
}

const legacy = legacyExchange;

Deno.test("JSON API: PDUs, outlet state, ranges in order, async jobs and errors", async (t) => {
  const pdu = unique("api");
  const slow = unique("slow");
  const tmp = await Deno.makeTempFile();
  await using d = await startDaemon({
    pdus: {
      [pdu]: { driver: "simulated", outlets: 8, retries: 1 },
      [slow]: { driver: "simulated", outlets: 4, retries: 1, timeout: 0.2, "queue_limit": 1 },
      cmd: {
        driver: "localcmdline",
        "cmd_on": `echo on %d >> ${tmp}`,
        "cmd_off": `echo off %d >> ${tmp}`,
      },
    },
    groups: { rack: { hostname: pdu, ports: "5,7" } },
  });
  const device = simulatedDevice(pdu);

  await t.step("lists PDUs and one PDU; 404 JSON for an unknown one", async () => {
    const list = await api(d, "GET", "/api/v1/pdus");
    assert.equal(list.status, 200);
    const names = (list.json.pdus as { name: string }[]).map((p) => p.name);
    assert.ok(names.includes(pdu) && names.includes("cmd"));
    const one = await api(d, "GET", `/api/v1/pdus/${pdu}`);
    assert.equal(one.json.driver, "simulated");
    assert.equal(one.json.state, "idle");
    const missing = await api(d, "GET", "/api/v1/pdus/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error, 'no PDU named "nope"');
  });

  await t.step("switches a range of outlets in order and reports each result", async () => {
    const before = device.history.length;
    const r = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/1-3,6/on`);
    assert.equal(r.status, 200);
    assert.deepEqual((r.json.results as { status: string }[]).map((x) => x.status), [
      "done",
      "done",
      "done",
      "done",
    ]);
    assert.deepEqual(device.history.slice(before).map(([o]) => o), [1, 2, 3, 6]);
    for (const o of [1, 2, 3, 6]) assert.equal(device.get(o), "on");
  });

  await t.step(
    "reads outlet state from the device, or says it is the commanded state",
    async () => {
      device.set(2, "off"); // changed behind pdud's back: the device read must see it
      const r = await api(d, "GET", `/api/v1/pdus/${pdu}/outlets/2`);
      // The simulated driver reads power: its reading comes with the state.
      assert.deepEqual(r.json, {
        pdu,
        outlet: 2,
        state: "off",
        source: "device",
        watts: 0,
        energyWh: 0,
        volts: 230,
        amps: 0,
      });
      await api(d, "POST", "/api/v1/pdus/cmd/outlets/4/on");
      const c = await api(d, "GET", "/api/v1/pdus/cmd/outlets/4");
      assert.deepEqual(c.json, { pdu: "cmd", outlet: 4, state: "on", source: "commanded" });
    },
  );

  await t.step("get-status on the upstream route and over legacy TCP", async () => {
    device.set(3, "on");
    const r = await fetch(`${d.url}/power/control/get-status?hostname=${pdu}&port=3`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "on\n");
    assert.equal(await legacy(d.port, `${pdu} 4 get-status`), "off\n");
    assert.equal(await legacy(d.port, `nope 4 get-status`), "nack\n");
  });

  await t.step("groups switch their outlets in order", async () => {
    const before = device.history.length;
    const r = await api(d, "POST", "/api/v1/groups/rack/reboot", { delay: 0 });
    assert.equal(r.status, 200);
    assert.deepEqual(device.history.slice(before), [[5, "off"], [5, "on"], [7, "off"], [7, "on"]]);
    assert.equal((await api(d, "POST", "/api/v1/groups/none/on")).status, 404);
  });

  await t.step("wait: false answers 202 with job ids that can be polled", async () => {
    const r = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/8/on`, { wait: false });
    assert.equal(r.status, 202);
    const [job] = r.json.jobs as { id: string; status: string }[];
    assert.ok(job);
    let polled: Record<string, unknown> = {};
    for (let i = 0; i < 100 && polled.status !== "done"; i++) {
      polled = (await api(d, "GET", `/api/v1/jobs/${job.id}`)).json;
    }
    assert.equal(polled.status, "done");
    assert.equal(device.get(8), "on");
    assert.equal((await api(d, "GET", "/api/v1/jobs/zzz")).status, 404);
  });

  await t.step("input errors are 400 JSON naming the field", async () => {
    // "1-x" would be an outlet name (names are for drivers that name outlets); "1-4,x" is neither.
    const bad = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/1-4,x/on`);
    assert.equal(bad.status, 400);
    assert.match(
      String(bad.json.error),
      /outlets: expected a number, a list like 1-4,7 or an outlet name/,
    );
    const named = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/1-x/on`);
    assert.equal(named.status, 400);
    assert.match(
      String((named.json.results as { reason: string }[])[0]?.reason),
      /cannot name outlets: port "1-x" is a name, and simulated expects an outlet number 1\.\.8/,
    );
    const body = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/1/on`, { delay: -1 });
    assert.equal(body.status, 400);
    assert.match(String(body.json.error), /^body\.delay/);
    const extra = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/1/on`, { dealy: 1 });
    assert.equal(extra.status, 400);
    const outOfRange = await api(d, "POST", `/api/v1/pdus/${pdu}/outlets/9/on`);
    assert.equal(outOfRange.status, 400);
    assert.match(
      String((outOfRange.json.results as { reason: string }[])[0]?.reason),
      /has outlets 1 to 8, not 9/,
    );
    const unknown = await api(d, "POST", "/api/v1/pdus/nope/outlets/1/on");
    assert.equal(unknown.status, 404);
  });

  await t.step("device failures are 502, timeouts 504, refusals 503", async () => {
    const dev = simulatedDevice(slow);
    dev.fault = "error";
    const failed = await api(d, "POST", `/api/v1/pdus/${slow}/outlets/1/on`);
    assert.equal(failed.status, 502);
    assert.match(
      String((failed.json.results as { reason: string }[])[0]?.reason),
      /answered an error/,
    );
    dev.fault = "hang";
    const pending = api(d, "POST", `/api/v1/pdus/${slow}/outlets/1/on`);
    // The queue (limit 1) holds the hung job: the next request is refused at once.
    let refused = await api(d, "POST", `/api/v1/pdus/${slow}/outlets/2/on`);
    for (let i = 0; i < 50 && refused.status !== 503; i++) {
      refused = await api(d, "POST", `/api/v1/pdus/${slow}/outlets/2/on`);
    }
    assert.equal(refused.status, 503);
    assert.match(
      String((refused.json.results as { reason: string }[])[0]?.reason),
      /queue of PDU .* is full/,
    );
    assert.equal((await pending).status, 504);
    dev.fault = "none";
  });

  await t.step("health, readiness and metrics", async () => {
    assert.equal((await api(d, "GET", "/healthz")).text, "ok\n");
    assert.equal((await api(d, "GET", "/readyz")).status, 200);
    const m = await api(d, "GET", "/metrics");
    assert.match(m.headers.get("content-type") ?? "", /text\/plain/);
    assert.match(
      m.text,
      new RegExp(`pdud_jobs_total\\{pdu="${pdu}",outcome="done",kind=""\\} \\d+`),
    );
    assert.match(m.text, /pdud_operation_seconds_bucket\{le="0.005",driver="simulated"\}/);
    assert.match(m.text, new RegExp(`pdud_queue_depth\\{pdu="${slow}"\\} 0`));
    assert.match(m.text, /pdud_requests_total\{transport="http",status="200"\}/);
  });
  await Deno.remove(tmp);
});

Deno.test("the OpenAPI document describes routes that exist", async () => {
  await using d = await startDaemon({ pdus: { [unique("oa")]: { driver: "simulated" } } });
  const doc = (await api(d, "GET", "/api/v1/openapi.json")).json as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };
  assert.equal(doc.openapi, "3.1.0");
  const expected = [
    "get /health",
    "get /pdus",
    "get /pdus/{name}",
    "get /pdus/{name}/outlets",
    "get /pdus/{name}/outlets/{outlet}",
    "post /pdus/{name}/outlets/{outlets}/{command}",
    "get /groups",
    "get /aliases",
    "post /groups/{group}/{command}",
    "get /jobs/{id}",
    "post /reload",
    "get /events",
    "get /whoami",
  ];
  const documented = Object.entries(doc.paths).flatMap(([p, methods]) =>
    Object.keys(methods).map((m) => `${m} ${p}`)
  );
  assert.deepEqual(documented.sort(), expected.sort());
  // Each documented route is served: filling its parameters never reaches "no route".
  for (const entry of documented) {
    const [method, path] = entry.split(" ") as [string, string];
    const url = path.replace("{outlets}", "1").replace("{command}", "on").replace(
      /\{[^}]+\}/g,
      "x",
    );
    // The event stream never ends: a HEAD shows it is routed without subscribing.
    const verb = path === "/events" ? "HEAD" : method.toUpperCase();
    const r = await api(d, verb, `/api/v1${url}`);
    assert.doesNotMatch(String(r.json.error ?? ""), /^no route/, `${entry} is routed`);
    if (verb === "HEAD") assert.equal(r.status, 200, `${entry} is routed`);
  }
  // Every field /pdus answers is in the schema (the slot state was missing from it).
  const schema = (doc as unknown as {
    components: { schemas: { Pdu: { properties: Record<string, unknown> } } };
  }).components.schemas.Pdu;
  const served = (await api(d, "GET", "/api/v1/pdus")).json.pdus as Record<string, unknown>[];
  for (const key of Object.keys(served[0] ?? {})) {
    assert.ok(key in schema.properties, `Pdu.${key} is documented`);
  }
});

Deno.test("reload via the API adds, removes and changes PDUs; an invalid config is refused", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pdud.yaml`;
  const a = unique("ra");
  const b = unique("rb");
  await Deno.writeTextFile(
    path,
    `pdus:\n  ${a}: {driver: simulated}\n  ${b}: {driver: simulated}\n`,
  );
  const config = await readConfigFile(path);
  const daemon = await startRaw(config, {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0 },
    readConfig: () => readConfigFile(path),
  });
  try {
    const url = `http://127.0.0.1:${daemon.listeners.port}/api/v1/reload`;
    const c = unique("rc");
    await Deno.writeTextFile(
      path,
      `pdus:\n  ${a}: {driver: simulated, retries: 2}\n  ${c}: {driver: simulated}\n`,
    );
    const ok = await fetch(url, { method: "POST" });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { added: [c], removed: [b], changed: [a] });
    await Deno.writeTextFile(path, `pdus:\n  ${a}: {driver: simulated, retries: zero}\n`);
    const bad = await fetch(url, { method: "POST" });
    assert.equal(bad.status, 400);
    const body = await bad.json();
    assert.equal(body.issues[0].path, `pdus.${a}.retries`);
    assert.equal(body.issues[0].line, 2);
    const names = daemon.supervisor.snapshot().map((p) => p.name).sort();
    assert.deepEqual(names, [a, c].sort(), "the old config keeps running");
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the audit log records every job and restores outlet state after a restart", async () => {
  const dir = await Deno.makeTempDir();
  const audit = `${dir}/audit.jsonl`;
  const config = {
    daemon: { "audit_log": audit },
    pdus: { cmd: { driver: "localcmdline", "cmd_on": "true", "cmd_off": "true" } },
  };
  {
    await using d = await startDaemon(config);
    const reboot = await fetch(`${d.url}/power/control/reboot?hostname=cmd&port=2&delay=0`);
    assert.equal(reboot.status, 200, await reboot.text());
    const off = await fetch(`${d.url}/power/control/off?hostname=cmd&port=3`);
    assert.equal(off.status, 200, await off.text());
    assert.equal(await legacy(d.port, "cmd 99999999 on"), "nack\n");
  }
  const lines = (await Deno.readTextFile(audit)).trim().split("\n").map((l) => JSON.parse(l));
  const records = lines.filter((r) => r.event === "job");
  assert.deepEqual(records.map((r) => [r.command, r.outlet, r.outcome, r.state, r.transport]), [
    ["reboot", 2, "done", "on", "http"],
    ["off", 3, "done", "off", "http"],
  ]);
  assert.equal(records[0].address, "127.0.0.1");
  assert.equal(typeof records[0].ms, "number");
  // Each switch is on record when it happens, before the job's outcome.
  assert.deepEqual(lines.map((r) => [r.event, r.outlet, r.state]), [
    ["set", 2, "off"],
    ["set", 2, "on"],
    ["job", 2, "on"],
    ["set", 3, "off"],
    ["job", 3, "off"],
  ]);
  assert.equal(lines[0].transport, "http");
  {
    await using d = await startDaemon(config);
    const state = await (await fetch(`${d.url}/api/v1/pdus/cmd/outlets/2`)).json();
    assert.deepEqual(state, { pdu: "cmd", outlet: 2, state: "on", source: "commanded" });
    const off = await (await fetch(`${d.url}/api/v1/pdus/cmd/outlets/3`)).json();
    assert.equal(off.state, "off");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tokens and allowed networks are enforced on both protocols", async (t) => {
  const pdu = unique("auth");
  const env = (name: string) => name === "PDUD_CI_TOKEN" ? "control-secret-0123456789" : undefined;
  await using d = await startDaemon({
    daemon: {
      tokens: [
        { name: "ci", "secret_env": "PDUD_CI_TOKEN", scope: "control" },
        { name: "dashboard", secret: "read-secret-0123456789", scope: "read" },
      ],
    },
    pdus: { [pdu]: { driver: "simulated" } },
  }, { env });
  const on = `/power/control/on?hostname=${pdu}&port=1`;
  await t.step("no token: 401; wrong token: 401; read token on a control route: 403", async () => {
    assert.equal((await api(d, "GET", on)).status, 401);
    assert.equal(
      (await api(d, "GET", on, undefined, { authorization: "Bearer nope" })).status,
      401,
    );
    const read = await api(d, "GET", on, undefined, {
      authorization: "Bearer read-secret-0123456789",
    });
    assert.equal(read.status, 403);
    assert.match(read.text, /token "dashboard" has read scope/);
    assert.equal(simulatedDevice(pdu).get(1), "off");
  });
  await t.step("read token reads; control token switches", async () => {
    const list = await api(d, "GET", "/api/v1/pdus", undefined, {
      authorization: "Bearer read-secret-0123456789",
    });
    assert.equal(list.status, 200);
    // Reading an outlet's state is a read, in both upstream spellings.
    for (const command of ["get-status", "get-port-state"]) {
      const state = await api(
        d,
        "GET",
        `/power/control/${command}?hostname=${pdu}&port=1`,
        undefined,
        {
          authorization: "Bearer read-secret-0123456789",
        },
      );
      assert.equal(state.status, 200, `${command}: ${state.text}`);
    }
    const ok = await api(d, "GET", on, undefined, {
      authorization: "Bearer control-secret-0123456789",
    });
    assert.equal(ok.status, 200);
    assert.equal(simulatedDevice(pdu).get(1), "on");
    assert.equal((await api(d, "GET", "/healthz")).status, 200, "health stays open");
  });
  await t.step(
    "legacy TCP cannot carry a token: refused unless from a trusted network",
    async () => {
      assert.equal(await legacy(d.port, `${pdu} 2 on`), "nack\n");
      assert.equal(simulatedDevice(pdu).get(2), "off");
    },
  );

  const trusted = unique("trusted");
  await using t2 = await startDaemon({
    daemon: {
      tokens: [{ name: "ci", secret: "control-secret-0123456789" }],
      "legacy_trusted_networks": ["127.0.0.0/8"],
    },
    pdus: { [trusted]: { driver: "simulated" } },
  });
  await t.step("legacy TCP from a trusted network switches", async () => {
    assert.equal(await legacy(t2.port, `${trusted} 2 on`), "ack\n");
    assert.equal(simulatedDevice(trusted).get(2), "on");
  });

  const fenced = unique("fenced");
  await using t3 = await startDaemon({
    daemon: { "allowed_networks": ["10.0.0.0/8", "::1"] },
    pdus: { [fenced]: { driver: "simulated" } },
  });
  await t.step("a client outside allowed_networks is refused on both protocols", async () => {
    const r = await api(t3, "GET", `/power/control/on?hostname=${fenced}&port=1`);
    assert.equal(r.status, 403);
    assert.match(r.text, /client 127\.0\.0\.1 is not in allowed_networks/);
    assert.equal((await api(t3, "GET", "/api/v1/pdus")).status, 403);
    assert.equal(await legacy(t3.port, `${fenced} 1 on`), "nack\n");
    assert.equal(simulatedDevice(fenced).get(1), "off");
  });
});

Deno.test("a token secret from an unset environment variable stops the daemon at start", async () => {
  await assert.rejects(
    startRaw(
      await loadConfig({
        daemon: { tokens: [{ name: "x", "secret_env": "PDUD_UNSET_FOR_TEST" }] },
        pdus: {},
      }),
      {
        log: SILENT_LOGGER,
        listen: { hostname: "127.0.0.1", port: 0 },
        env: () => undefined,
      },
    ),
    /token "x": environment variable PDUD_UNSET_FOR_TEST is unset/,
  );
});
