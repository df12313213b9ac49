/**
 * Power readings and all-outlet reads, end to end: a daemon on 127.0.0.1:0 driving each HTTP
 * family simulator that meters (Tasmota, Shelly Gen1/Gen2, NETIO JSON, ubus PoE) through the
 * JSON API, asserting the simulator's own numbers and how many requests the device saw.
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

async function getJson(d: TestDaemon, path: string) {
  const response = await fetch(`${d.url}${path}`);
  return { status: response.status, body: await response.json() };
}

async function post(d: TestDaemon, path: string) {
  const response = await fetch(`${d.url}${path}`, { method: "POST" });
  await response.body?.cancel();
  assert.equal(response.status, 200, `POST ${path}`);
}

interface Case {
  kind: string;
  options?: Record<string, unknown>;
  outlets: number;
  first: number;
  /** The fields this protocol reports of an outlet that draws 23.5 W with 1500 Wh counted. */
  expected: Record<string, number>;
  /** Names the device gives its outlets in the listing (none when it gives none). */
  names?: (outlet: number) => string;
}

const CASES: Case[] = [
  {
    kind: "tasmota",
    outlets: 2,
    first: 1,
    expected: { watts: 23.5, energyWh: 1500, volts: 230, amps: 0.102 },
  },
  {
    kind: "shelly-gen1",
    outlets: 2,
    first: 0,
    expected: { watts: 23.5, energyWh: 1500 },
  },
  {
    kind: "shelly-gen2",
    outlets: 2,
    first: 0,
    expected: { watts: 23.5, energyWh: 1500, volts: 230, amps: 0.102 },
  },
  {
    kind: "netio-json",
    outlets: 4,
    first: 1,
    expected: { watts: 23.5, energyWh: 1500, volts: 230, amps: 0.102 },
    names: (o) => `Power output ${o}`,
  },
  {
    kind: "ubus-poe",
    outlets: 4,
    first: 1,
    expected: { watts: 23.5 },
  },
];

for (const c of CASES) {
  Deno.test(`${c.kind}: power and all outlets through the JSON API, exact simulator numbers`, async (t) => {
    await using sim: Simulator = await startSimulator(
      c.kind,
      { outlets: c.outlets, first: c.first },
      c.options ?? {},
    );
    const outlet = c.first + 1;
    sim.device.setLoad(outlet, 23.5, 1500);
    // Some drivers take the device's address from the PDU's name (ubus).
    const name = sim.pduHostname;
    await using d = await startDaemon({
      pdus: { [name]: { ...sim.pduConfig(), retries: 1, timeout: 10 } },
    });
    const dev = encodeURIComponent(name);

    await t.step("an outlet that is off draws nothing; its counter stays", async () => {
      const { status, body } = await getJson(d, `/api/v1/pdus/${dev}/outlets/${outlet}`);
      assert.equal(status, 200);
      assert.equal(body.state, "off");
      assert.equal(body.source, "device");
      assert.equal(body.watts, 0);
      if ("energyWh" in c.expected) assert.equal(body.energyWh, 1500);
    });

    await t.step("switched on through the API, it reports the simulator's load", async () => {
      await post(d, `/api/v1/pdus/${dev}/outlets/${outlet}/on`);
      assert.equal(sim.device.get(outlet), "on");
      const { status, body } = await getJson(d, `/api/v1/pdus/${dev}/outlets/${outlet}`);
      assert.equal(status, 200);
      assert.deepEqual(
        { ...body },
        { pdu: name, outlet, state: "on", source: "device", ...c.expected },
      );
    });

    await t.step("every outlet in one device exchange", async () => {
      const before = sim.device.received.length;
      const { status, body } = await getJson(d, `/api/v1/pdus/${dev}/outlets`);
      assert.equal(status, 200);
      assert.equal(body.source, "list");
      assert.equal(body.exchanges, 1);
      assert.equal(sim.device.received.length - before, 1, "the device saw one request");
      const expected = sim.device.outlets().map((o) => ({
        outlet: o,
        state: sim.device.get(o),
        ...(c.names ? { name: c.names(o) } : {}),
        ...(o === outlet ? c.expected : zeroOf(c.expected)),
      }));
      assert.deepEqual(body.outlets, expected);
    });
  });
}

/** What an outlet without load reports: zero watts and amps, no energy, the same voltage. */
function zeroOf(expected: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(expected)) {
    out[key] = key === "volts" ? value : 0;
  }
  return out;
}

Deno.test("tasmota without an energy monitor: states listed, no readings, no error", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 1 }, {
    driver: "sonoff_s20_tasmota",
    meter: false,
  });
  await using d = await startDaemon({ pdus: { plug: { ...sim.pduConfig(), retries: 1 } } });
  const one = await getJson(d, "/api/v1/pdus/plug/outlets/1");
  assert.deepEqual(one.body, { pdu: "plug", outlet: 1, state: "off", source: "device" });
  const all = await getJson(d, "/api/v1/pdus/plug/outlets");
  assert.deepEqual(all.body.outlets, [{ outlet: 1, state: "off" }]);
});

Deno.test("reads need only read scope, and the audit log records none of them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const audit = `${dir}/audit.jsonl`;
    const name = `audited-${crypto.randomUUID()}`;
    const read = "read-secret-0123456789";
    await using d = await startDaemon({
      daemon: {
        "audit_log": audit,
        tokens: [{ name: "viewer", secret: read, scope: "read" }],
      },
      pdus: { [name]: { driver: "simulated", outlets: 2 } },
    });
    const headers = { authorization: `Bearer ${read}` };
    const one = await fetch(`${d.url}/api/v1/pdus/${name}/outlets/1`, { headers });
    assert.equal(one.status, 200);
    assert.equal((await one.json()).watts, 0);
    const all = await fetch(`${d.url}/api/v1/pdus/${name}/outlets`, { headers });
    assert.equal(all.status, 200);
    assert.equal((await all.json()).outlets.length, 2);
    const none = await fetch(`${d.url}/api/v1/pdus/${name}/outlets`);
    assert.equal(none.status, 401, "without a token");
    await none.body?.cancel();
    const switched = await fetch(`${d.url}/api/v1/pdus/${name}/outlets/1/on`, {
      method: "POST",
      headers,
    });
    assert.equal(switched.status, 403, "a read token cannot switch");
    await switched.body?.cancel();
    const text = await Deno.readTextFile(audit).catch(() => "");
    assert.deepEqual(
      text.split("\n").filter((l) => l.includes('"event":"job"')),
      [],
      "no read is audited",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasmota: /metrics exports the strip's power per outlet from one Status 0", async () => {
  await using sim = await startSimulator("tasmota", { outlets: 2 });
  sim.device.set(1, "on");
  sim.device.setLoad(1, 8.5, 250);
  await using d = await startDaemon({
    daemon: { "power_scrape_interval": 60 },
    pdus: { strip: { ...sim.pduConfig(), retries: 1 } },
  });
  const before = sim.device.received.length;
  const body = await (await fetch(`${d.url}/metrics`)).text();
  assert.deepEqual(sim.device.received.slice(before).map((r) => r.text), [
    "GET /cm?cmnd=Status 0",
  ]);
  const power = body.split("\n").filter((l) => l.startsWith("pdud_outlet_power_watts{")).sort();
  assert.deepEqual(power, [
    'pdud_outlet_power_watts{pdu="strip",outlet="1"} 8.5',
    'pdud_outlet_power_watts{pdu="strip",outlet="2"} 0',
  ]);
  assert.match(body, /pdud_outlet_energy_joules_total\{pdu="strip",outlet="1"\} 900000/);
  const again = await (await fetch(`${d.url}/metrics`)).text();
  assert.equal(sim.device.received.length - before, 1, "no second read within the interval");
  assert.match(again, /pdud_outlet_power_watts\{pdu="strip",outlet="1"\} 8.5/);
});
