/**
 * `get-port-state`, as the head of pdudaemon PR #219 defines it (commit e8cd893, "add
 * get-port-state command"): HTTP `GET /power/control/get-port-state?hostname=&port=` (or
 * `alias=`) answers `200 application/json` with `{"state": "on"}\n`; the legacy TCP line
 * `HOST PORT get-port-state` answers `on\n` or `off\n`; failures are 503 / `nack\n`.
 * pdud's own `get-status` keeps its bare-word reply.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../_helpers/conformance.ts";
import { legacyExchange, startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

/** A legacy exchange whose line ends in a newline, as a netcat user would send it. */
const legacy = (port: number, line: string) => legacyExchange(port, `${line}\n`);

async function get(d: TestDaemon, query: string) {
  const r = await fetch(`${d.url}/power/control/get-port-state?${query}`);
  return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
}

Deno.test("get-port-state reads a tasmota simulator over HTTP (hostname, alias) and legacy TCP", async (t) => {
  await using sim = await startSimulator("tasmota", { outlets: 4 });
  await using d = await startDaemon({
    pdus: { plug: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
    aliases: { "board-a": { hostname: "plug", port: 3 } },
  });

  await t.step("HTTP: 200 application/json, body byte for byte as the PR writes it", async () => {
    sim.device.set(2, "on");
    assert.deepEqual(await get(d, "hostname=plug&port=2"), {
      status: 200,
      type: "application/json; charset=utf-8",
      body: '{"state": "on"}\n',
    });
    sim.device.set(2, "off"); // switched behind pdud's back: the reply is the device's word
    const off = await get(d, "hostname=plug&port=2");
    assert.equal(off.body, '{"state": "off"}\n');
    assert.deepEqual(JSON.parse(off.body), { state: "off" });
  });

  await t.step("HTTP: by alias", async () => {
    sim.device.set(3, "on");
    assert.equal((await get(d, "alias=board-a")).body, '{"state": "on"}\n');
  });

  await t.step("legacy TCP: the bare word", async () => {
    sim.device.set(4, "on");
    assert.equal(await legacy(d.port, "plug 4 get-port-state"), "on\n");
    sim.device.set(4, "off");
    assert.equal(await legacy(d.port, "plug 4 get-port-state"), "off\n");
  });

  await t.step("a read switches nothing", async () => {
    const before = sim.device.history.length;
    await get(d, "hostname=plug&port=1");
    await legacy(d.port, "plug 1 get-port-state");
    assert.equal(sim.device.history.length, before);
  });

  await t.step("failures: 503 with a reason over HTTP, nack over TCP", async () => {
    const unknown = await get(d, "hostname=nope&port=1");
    assert.equal(unknown.status, 503);
    assert.match(unknown.body, /no PDU named "nope"/);
    assert.equal((await get(d, "alias=nope")).status, 503);
    const noPort = await get(d, "hostname=plug");
    assert.equal(noPort.status, 503);
    assert.match(noPort.body, /port: required/);
    assert.equal(await legacy(d.port, "nope 1 get-port-state"), "nack\n");
  });

  await t.step("get-status keeps its bare-word reply on both protocols", async () => {
    sim.device.set(1, "on");
    const r = await fetch(`${d.url}/power/control/get-status?hostname=plug&port=1`);
    assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await r.text(), "on\n");
    assert.equal(await legacy(d.port, "plug 1 get-status"), "on\n");
  });
});

Deno.test("get-port-state on a driver that cannot read: the state pdud set, marked; unknown is 503", async () => {
  const tmp = await Deno.makeTempFile();
  try {
    await using d = await startDaemon({
      pdus: {
        cmd: { driver: "localcmdline", "cmd_on": `echo on %d >> ${tmp}`, "cmd_off": "true" },
      },
    });
    const never = await get(d, "hostname=cmd&port=5");
    assert.equal(never.status, 503);
    assert.match(never.body, /state of outlet 5 of "cmd" is unknown/);
    assert.equal(await legacy(d.port, "cmd 5 get-port-state"), "nack\n");

    assert.equal(
      await fetch(`${d.url}/power/control/on?hostname=cmd&port=5`).then((r) => r.text()),
      "OK - accepted request\n",
    );
    const r = await fetch(`${d.url}/power/control/get-port-state?hostname=cmd&port=5`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-pdud-state-source"), "commanded");
    assert.equal(await r.text(), '{"state": "on"}\n');
    assert.equal(await legacy(d.port, "cmd 5 get-port-state"), "on\n");
  } finally {
    await Deno.remove(tmp);
  }
});
