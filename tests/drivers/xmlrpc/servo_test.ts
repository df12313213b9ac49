import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { loadConfig } from "../../../config/mod.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const start = () => startSimulator("servod", { outlets: 2 });

conformance({ name: "SERVO", descriptor: findDriver("SERVO")!, start });

Deno.test("SERVO: on, off and reboot through the daemon's HTTP API", async () => {
  await using sim = await start();
  await assertDrivesOverHttp(sim);
  // Upstream ignores the outlet number: any outlet switches the one DUT.
  await assertDrivesOverHttp(sim, { outlet: 2 });
});

Deno.test("SERVO: on releases cold_reset, off asserts it (active low)", async () => {
  await using sim = await start();
  const driver = createDriver(findDriver("SERVO")!, "ignored", sim.pduConfig());
  try {
    await driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) });
    await driver.setOutlet(1, "off", { signal: AbortSignal.timeout(5000) });
  } finally {
    await driver.close();
  }
  assert.deepEqual(sim.device.received.map((r) => r.text), [
    'set("cold_reset", "off")',
    'set("cold_reset", "on")',
  ]);
});

Deno.test("SERVO: every control in ctrls is set, power_state active high", async () => {
  await using sim = await startSimulator("servod", { outlets: 1 }, {
    ctrls: ["power_state", "warm_reset"],
  });
  await using d = await startDaemon({ pdus: { servo: { ...sim.pduConfig(), retries: 1 } } });
  assert.equal((await control(d, "on", { hostname: "servo", port: 1 })).status, 200);
  assert.equal(sim.device.get(1), "on");
  assert.equal((await control(d, "off", { hostname: "servo", port: 1 })).status, 200);
  assert.equal(sim.device.get(1), "off");
  assert.deepEqual(sim.device.received.map((r) => r.text), [
    'set("power_state", "on")',
    'set("warm_reset", "off")',
    'set("power_state", "off")',
    'set("warm_reset", "on")',
  ]);
});

Deno.test("SERVO: a servod fault is answered 503 with the fault's text", async () => {
  await using sim = await start();
  sim.device.fault = "error";
  await using d = await startDaemon({ pdus: { servo: { ...sim.pduConfig(), retries: 1 } } });
  const r = await control(d, "on", { hostname: "servo", port: 1 });
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /servod at 127\.0\.0\.1:\d+ answered set\("cold_reset", "off"\) with fault 1: <class 'servo\.drv\.hw_driver\.HwDriverError'>:/,
  );
  assert.equal(sim.device.get(1), "off");
});

Deno.test("SERVO: upstream's keys and defaults; unknown controls are a config error", async () => {
  const parse = (o: Record<string, unknown>) => findDriver("SERVO")!.options.parse(o);
  assert.deepEqual(parse({}), { ip: "localhost", port: 9999, ctrls: ["cold_reset"] });
  // The upstream fixture's section: port as a string, ctrls as one name.
  assert.deepEqual(parse({ ip: "0.0.0.0", port: "9902", ctrls: "cold_reset" }), {
    ip: "0.0.0.0",
    port: 9902,
    ctrls: ["cold_reset"],
  });
  assert.throws(() => parse({ ctrls: ["cold_reset", "lid_open"] }));
  assert.throws(() => parse({ ctrls: [] }));
  await assert.rejects(loadConfig({ pdus: { s: { driver: "SERVO", ctrl: "cold_reset" } } }));
});

// The simulator's strictness, with hand-written requests.

async function rpc(port: number, body: string, path = "/RPC2", method = "POST") {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { "content-type": "text/xml" },
    ...(method === "POST" ? { body } : {}),
  });
  return { status: r.status, text: await r.text() };
}

const call = (method: string, ...params: string[]) =>
  `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${
    params.map((p) => `<param><value><string>${p}</string></value></param>`).join("")
  }</params></methodCall>`;

Deno.test("servod simulator: faults like servod for bad calls", async (t) => {
  await using sim = await start();
  const port = sim.address.port;
  const rows: [string, string, RegExp][] = [
    [
      "an unknown method",
      call("reboot", "x"),
      /<class 'Exception'>:method "reboot" is not supported/,
    ],
    [
      "an unknown control",
      call("set", "lid_open", "on"),
      /<class 'NameError'>:No control named lid_open/,
    ],
    ["a value outside the map", call("set", "cold_reset", "1"), /doesn't contain key '1'/],
    [
      "a missing argument",
      call("set", "cold_reset"),
      /missing 1 required positional argument: 'wr_val_str'/,
    ],
    [
      "an extra argument",
      call("get", "cold_reset", "x"),
      /takes 2 positional arguments but 3 were given/,
    ],
    ["a body that is not XML-RPC", "<html>", /<class 'xml\.parsers\.expat\.ExpatError'>/],
  ];
  for (const [name, body, message] of rows) {
    await t.step(name, async () => {
      const r = await rpc(port, body);
      assert.equal(r.status, 200);
      assert.match(r.text, /<fault>.*<name>faultCode<\/name><value><int>1<\/int>/);
      assert.match(r.text, message);
    });
  }
  await t.step("GET is 501, another path 404", async () => {
    assert.equal((await rpc(port, "", "/RPC2", "GET")).status, 501);
    assert.equal((await rpc(port, call("get", "cold_reset"), "/xmlrpc")).status, 404);
  });
  await t.step("get and set on / as well as /RPC2", async () => {
    assert.match((await rpc(port, call("get", "cold_reset"), "/")).text, /<string>on<\/string>/);
    assert.match((await rpc(port, call("set", "cold_reset", "off"))).text, /<boolean>1<\/boolean>/);
  });
  assert.deepEqual(sim.device.snapshot(), { 1: "on", 2: "on" });
});
