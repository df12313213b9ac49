import assert from "node:assert/strict";
import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";
import { parse } from "yaml";
import { loadConfig } from "../../../config/mod.ts";
import type { Simulator } from "../../../simulators/mod.ts";
import { jsonPath } from "../../../drivers/http/generic.ts";

const DEVICE = /HTTP device at 127\.0\.0\.1:\d+/.source;

const ROWS: DriverRow[] = [
  {
    name: "simplerest (basic auth)",
    driver: "simplerest",
    kind: "http-generic",
    device: { outlets: 4, first: 0 },
    options: { style: "simplerest", auth: "basic", password: "relay-pass" },
    error: new RegExp(`${DEVICE} answered HTTP 500`),
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason: new RegExp(`${DEVICE} refused the credentials \\(HTTP 401\\)`),
  },
  {
    name: "rest (labgrid's PUT of 1|0)",
    driver: "rest",
    kind: "http-generic",
    device: { outlets: 2 },
    options: { style: "rest" },
    error: new RegExp(`${DEVICE} answered HTTP 500`),
  },
  {
    name: "http (JSON REST, digest auth)",
    driver: "http",
    kind: "http-generic",
    device: { outlets: 3 },
    options: { style: "json", auth: "digest", password: "digest-pass" },
    error: new RegExp(`${DEVICE} answered HTTP 500`),
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    badReason: new RegExp(`${DEVICE} refused the credentials \\(HTTP 401\\)`),
  },
  {
    name: "http (JSON REST, bearer auth)",
    driver: "http",
    kind: "http-generic",
    device: { outlets: 2 },
    options: { style: "json", auth: "bearer", token: "bearer-token-1" },
    bad: (sim) => ({ ...sim.pduConfig(), token: "not-the-token" }),
    badReason: new RegExp(`${DEVICE} refused the credentials \\(HTTP 401\\)`),
  },
];

driverSuite(ROWS);

/** Switches `outlet` on, reads it through the JSON API, switches it off; asserts the device. */
async function drive(sim: Simulator, pdu: Record<string, unknown>, outlet: number) {
  await using d = await startDaemon({ pdus: { board: { retries: 1, ...pdu } } });
  const on = await control(d, "on", { hostname: "board", port: outlet });
  assert.equal(on.status, 200, on.body);
  assert.equal(sim.device.get(outlet), "on");
  const read = await fetch(`${d.url}/api/v1/pdus/board/outlets/${outlet}`);
  const body = await read.json();
  assert.equal(read.status, 200, JSON.stringify(body));
  assert.equal(body.state, "on");
  assert.equal(body.source, "device", "read from the device, not remembered");
  const off = await control(d, "off", { hostname: "board", port: outlet });
  assert.equal(off.status, 200, off.body);
  assert.equal(sim.device.get(outlet), "off");
}

Deno.test("simplerest: GET /relay/{index}/{value} switches, GET /relay/{index} reads (labgrid's shape)", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 4, first: 0 });
  const base = `http://127.0.0.1:${sim.address.port}`;
  await drive(sim, {
    driver: "simplerest",
    url: `${base}/relay/{index}/{value}`,
    outlets: 4,
    "first_outlet": 0,
  }, 2);
  assert.deepEqual(sim.device.received.map((r) => r.text), [
    "GET /relay/2/1",
    "GET /relay/2",
    "GET /relay/2/0",
  ]);
});

Deno.test("rest: PUT 1|0 as the body, state from the same URL's answer (labgrid's rest)", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 2 }, { style: "rest" });
  const base = `http://127.0.0.1:${sim.address.port}`;
  await drive(sim, { driver: "rest", url: `${base}/relay/{index}/value`, outlets: 2 }, 2);
  assert.deepEqual(sim.device.received.map((r) => r.text), [
    "PUT /relay/2/value 1",
    "GET /relay/2/value",
    "PUT /relay/2/value 0",
  ]);
});

Deno.test("http: PUT of a JSON body template, state by json_path, digest auth", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 3 }, {
    style: "json",
    auth: "digest",
    password: "digest-pass",
  });
  const base = `http://127.0.0.1:${sim.address.port}`;
  await drive(sim, {
    driver: "http",
    url: `${base}/api/relays/{index}`,
    body: '{"on": {value}}',
    "on_value": true,
    "off_value": false,
    "json_path": "relay.on",
    outlets: 3,
    auth: "digest",
    username: "admin",
    password: "digest-pass",
  }, 3);
  assert.ok(sim.device.received.some((r) => r.text === 'PUT /api/relays/3 {"on": true}'));
});

Deno.test("http: bearer token; the wrong method is the device's 405, named in the reply", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 2 }, {
    style: "json",
    auth: "bearer",
    token: "bearer-token-1",
  });
  const base = `http://127.0.0.1:${sim.address.port}`;
  const pdu = {
    driver: "http",
    url: `${base}/api/relays/{index}`,
    body: '{"on": {value}}',
    "on_value": "true",
    "off_value": "false",
    "json_path": "relay.on",
    outlets: 2,
    token: "bearer-token-1",
  };
  await drive(sim, pdu, 2);
  await using d = await startDaemon({ pdus: { post: { ...pdu, method: "POST", retries: 1 } } });
  const r = await control(d, "on", { hostname: "post", port: 1 });
  assert.equal(r.status, 503);
  assert.match(r.body, /answered HTTP 405 to POST \/api\/relays\/1/);
  assert.equal(sim.device.get(1), "off");
});

Deno.test("http: state by regex (one group, or state_regex_on/off) from a separate url_get", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 2 });
  const base = `http://127.0.0.1:${sim.address.port}`;
  const common = {
    url: `${base}/relay/{index}/{value}`,
    method: "GET",
    "url_get": `${base}/status/{index}`,
    outlets: 2,
  };
  await drive(sim, {
    driver: "http",
    ...common,
    "state_regex": "<b>(ON|OFF)</b>",
    "state_on": "ON",
    "state_off": "OFF",
  }, 1);
  await drive(sim, {
    driver: "http",
    ...common,
    "state_regex_on": ": <b>ON<",
    "state_regex_off": ": <b>OFF<",
  }, 2);
});

Deno.test("http: state by status code, a URL and a body per action (MAAS webhook shape)", async () => {
  await using sim = await startSimulator("http-generic", { outlets: 2 }, { style: "json" });
  const base = `http://127.0.0.1:${sim.address.port}`;
  await drive(sim, {
    driver: "http",
    "url_on": `${base}/api/relays/{index}`,
    "url_off": `${base}/api/relays/{index}`,
    "body_on": '{"on": true}',
    "body_off": '{"on": false}',
    "url_get": `${base}/powered/{index}`,
    "status_on": [200],
    "status_off": [404],
    outlets: 2,
  }, 2);
  await using d = await startDaemon({
    pdus: { hook: { driver: "http", url: `${base}/powered/1`, "read_state": false, retries: 1 } },
  });
  // Without state reading the API reports what pdud last set, not the device.
  const read = await (await fetch(`${d.url}/api/v1/pdus/hook/outlets/1`)).json();
  assert.notEqual(read.source, "device");
});

Deno.test("http: a canary password and token never appear in an error reply", async () => {
  const canary = "CANARY-s3cret-value";
  const header = "HEADER-canary-9f3";
  // No auth on the device: both requests reach a 404 whose message quotes the path.
  await using sim = await startSimulator("http-generic", { outlets: 1 }, { style: "json" });
  const base = `http://127.0.0.1:${sim.address.port}`;
  await using d = await startDaemon({
    pdus: {
      pw: {
        driver: "http",
        retries: 1,
        // The secret is echoed in the path too: the reply must still not carry it.
        url: `${base}/api/relays/{index}/${canary}`,
        auth: "basic",
        username: "admin",
        password: canary,
      },
      tk: {
        driver: "http",
        retries: 1,
        url: `${base}/nowhere/${canary}-tk`,
        token: `${canary}-tk`,
        "json_path": "x",
      },
      // Not found by the config's key names (and unlike the canaries above, which pdud scrubs
      // from every PDU's errors): the driver scrubs credential-like header values itself.
      hdr: {
        driver: "http",
        retries: 1,
        url: `${base}/nowhere/${header}-key`,
        headers: { "X-Api-Key": `${header}-key`, "Authorization": `Token ${header}-auth` },
        "url_get": `${base}/nowhere/${header}-auth`,
      },
    },
  });
  for (const hostname of ["pw", "tk", "hdr"]) {
    const r = await control(d, "on", { hostname, port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, /answered HTTP 404/);
    assert.ok(!r.body.includes(canary) && !r.body.includes(header), r.body);
    const read = await fetch(`${d.url}/api/v1/pdus/${hostname}/outlets/1`);
    const text = await read.text();
    assert.ok(!text.includes(canary) && !text.includes(header), text);
  }
});

Deno.test("http: config errors name the key and what was expected", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ url: "http://x/relay", outlets: 4 }, /4 outlets but url \(and its body\) has no \{index\}/],
    [
      { url: "http://x/r/{index}", "url_get": "http://x/s", outlets: 2 },
      /url_get has no \{index\}/,
    ],
    [{ url: "http://x/{index}", auth: "bearer" }, /bearer needs a token/],
    [{ url: "http://x/{index}", auth: "digest", username: "a" }, /needs username and password/],
    [{ url: "http://x/{index}", "state_regex": "ON" }, /capture group/],
    [{ url: "http://x/{index}", "state_regex": "(" }, /not a valid regex/],
    [{ url: "http://x/{index}", "json_path": "a..b" }, /dotted path/],
    [
      { url: "http://x/{index}", "json_path": "a", "state_regex": "(x)" },
      /one way to read the state/,
    ],
    [{ url: "http://x/turn_{state}" }, /url has \{state\}/],
    [{ url: "https://x/{index}", insecure: true, "ca_file": "/x.pem" }, /give one/],
    [{ url: "ftp://x/" }, /http:\/\/ or https:\/\//],
    [{ "url_on": "http://x/on" }, /url_on and url_off/],
    [
      { url: "http://x/{index}", method: "GET", body: "{value}" },
      /GET request cannot carry a body/,
    ],
    [{ url: "http://x/{index}", "method_off": "GET", "body_off": "0" }, /body_off.*GET request/],
  ];
  for (const [pdu, reason] of cases) {
    await assert.rejects(
      loadConfig({ pdus: { p: { driver: "http", ...pdu } } }),
      (error: Error) => {
        assert.match(error.message, reason, JSON.stringify(pdu));
        return true;
      },
    );
  }
});

Deno.test("http: the five recipes of docs/drivers.md load as they are written", async () => {
  const doc = await Deno.readTextFile(new URL("../../../docs/drivers.md", import.meta.url));
  const section = doc.slice(doc.indexOf("## Generic HTTP"), doc.indexOf("## Simulators"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the section has a yaml block");
  const pdus = parse(block) as Record<string, Record<string, unknown>>;
  assert.equal(Object.keys(pdus).length, 5);
  const config = await loadConfig({ pdus });
  assert.deepEqual(Object.keys(config.pdus).sort(), Object.keys(pdus).sort());
});

Deno.test("http: https with ca_file trusts the device's own certificate, insecure trusts any; without either the device is refused", async () => {
  const fixtures = new URL("../../_fixtures/", import.meta.url);
  const ca = new URL("selfsigned.crt", fixtures).pathname;
  let relay = "0";
  const seen: string[] = [];
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(ca),
    key: await Deno.readTextFile(new URL("selfsigned.key", fixtures)),
    onListen() {},
  }, (request) => {
    const path = new URL(request.url).pathname;
    seen.push(`${request.method} ${path}`);
    const m = /^\/relay\/1(?:\/([01]))?$/.exec(path);
    if (!m || request.method !== "GET") return new Response("no", { status: 404 });
    if (m[1]) relay = m[1];
    return new Response(relay);
  });
  const url = `https://127.0.0.1:${server.addr.port}/relay/{index}/{value}`;
  await using d = await startDaemon({
    pdus: {
      trusted: { driver: "simplerest", url, "ca_file": ca, retries: 1 },
      untrusted: { driver: "simplerest", url, retries: 1 },
      lax: { driver: "simplerest", url, insecure: true, retries: 1 },
    },
  });
  const on = await control(d, "on", { hostname: "trusted", port: 1 });
  assert.equal(on.status, 200, on.body);
  assert.equal(relay, "1");
  const read = await (await fetch(`${d.url}/api/v1/pdus/trusted/outlets/1`)).json();
  assert.equal(read.state, "on");
  const refused = await control(d, "off", { hostname: "untrusted", port: 1 });
  assert.equal(refused.status, 503);
  assert.match(refused.body, /cannot reach HTTP device at 127\.0\.0\.1:\d+: .*certificate/i);
  assert.equal(relay, "1", "the untrusted request never reached the relay");
  assert.deepEqual(seen, ["GET /relay/1/1", "GET /relay/1"]);
  const lax = await control(d, "off", { hostname: "lax", port: 1 });
  assert.equal(lax.status, 200, lax.body);
  assert.equal(relay, "0");
  const laxRead = await (await fetch(`${d.url}/api/v1/pdus/lax/outlets/1`)).json();
  assert.equal(laxRead.state, "off");
  assert.deepEqual(seen.slice(2), ["GET /relay/1/0", "GET /relay/1"]);
});

Deno.test("http: json_path walks keys and array indices and gives the value as text", () => {
  const doc = { relays: [{ state: "on" }, { on: false, watts: 12 }], ok: true };
  assert.equal(jsonPath(doc, "relays[0].state", "d"), "on");
  assert.equal(jsonPath(doc, "relays[1].on", "d"), "false");
  assert.equal(jsonPath(doc, "relays[1].watts", "d"), "12");
  assert.equal(jsonPath([{ on: true }], "[0].on", "d"), "true");
  assert.throws(() => jsonPath(doc, "relays[2].on", "d"), /answered JSON without relays\[2\]\.on/);
  assert.throws(() => jsonPath(doc, "relays", "d"), /is object, not a value/);
  assert.throws(() => jsonPath(doc, "ok.x", "d"), /without ok\.x/);
});
