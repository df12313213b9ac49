/**
 * The web-page relays that used to count any 200 as a finished switch: each now confirms the
 * outlet reached the state asked for (from the switch's answer, or one read-back), and refuses
 * an outlet outside its configured range before sending anything. Driven through the daemon's
 * HTTP API against each device's simulator; `ignoreSwitches` plays a device that answers a
 * switch with its usual 200 and leaves the outlet alone.
 */
import assert from "node:assert/strict";
import { type DeviceOptions, DriverError, findDriver } from "../../../drivers/mod.ts";
import type { Simulator } from "../../../simulators/mod.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  driver: string;
  kind: string;
  device: DeviceOptions;
  options?: Record<string, unknown>;
  /** The outlet switched. */
  outlet: number;
  /** The device's word for it in the mismatch message. */
  label: string;
  /** What the simulator receives for one switch on: the switch, and a read-back where needed. */
  requests: string[];
  /** An outlet just outside the configured range. */
  outside: number;
}

const lindy = (driver: string): Row => ({
  driver,
  kind: "lindy-ipower",
  device: { outlets: 8 },
  options: { driver },
  outlet: 3,
  label: "outlet 3",
  requests: ["GET /ons.cgi?led=001000000000000000000000", "GET /status.xml"],
  outside: 9,
});

const gude = (model: string, outlets: number, requests: string[]): Row => ({
  driver: model,
  kind: "gude-http",
  device: { outlets },
  options: { model },
  outlet: 3,
  label: "port 3",
  requests,
  outside: outlets + 1,
});

const ROWS: Row[] = [
  {
    driver: "digitalloggers_http",
    kind: "dli-http",
    device: { outlets: 8 },
    outlet: 3,
    label: "outlet 3",
    // The switch answers the status page: its state mask is the confirmation.
    requests: ["GET /outlet?3=ON"],
    outside: 9,
  },
  {
    driver: "tinycontrol",
    kind: "tinycontrol",
    device: { outlets: 6, first: 0 },
    outlet: 3,
    label: "output out3",
    // outs.cgi answers the st0.xml document.
    requests: ["GET /outs.cgi?out3=1"],
    outside: 6,
  },
  {
    driver: "tinycontrol_tcpdu",
    kind: "tinycontrol-tcpdu",
    device: { outlets: 7 },
    outlet: 3,
    label: "output out3",
    requests: ["GET /api/v1/save/?out3=1", "GET /api/v1/read/status/?outValues"],
    outside: 8,
  },
  {
    driver: "pe6216",
    kind: "aten-pe",
    device: { outlets: 16 },
    outlet: 3,
    label: "outlet 3",
    requests: ["POST /api/outlet/relay", "GET /api/outlet/relay"],
    outside: 17,
  },
  lindy("LindyIPowerClassic8"),
  lindy("digipower"),
  gude("gude", 8, ["GET /switch.html?cmd=1&p=3&s=1"]),
  gude("gude24", 24, ["GET /ov.html?cmd=1&p=3&s=1"]),
  gude("gude8316", 8, ["GET /ov.html?cmd=1&p=3&s=1"]),
  gude("gude8031", 20, ["GET /status.json?components=1&cmd=1&p=3&s=1"]),
  gude("gude8225", 12, ["GET /ov.html?cmd=1&p=3&s=1", "GET /statusjsn.js?components=1"]),
];

const start = (row: Row) => startSimulator(row.kind, row.device, row.options ?? {});

function daemonFor(sim: Simulator, retries = 1) {
  return startDaemon({
    pdus: { dev: { ...sim.pduConfig(), address: sim.pduHostname, retries, retrydelay: 0 } },
  });
}

const texts = (sim: Simulator) => sim.device.received.map((r) => r.text);

for (const row of ROWS) {
  Deno.test(`${row.driver}: a switch is confirmed, with a read-back only where its answer cannot tell`, async () => {
    await using sim = await start(row);
    assert.equal(sim.pduConfig().driver, row.driver);
    await using d = await daemonFor(sim);
    const on = await control(d, "on", { hostname: "dev", port: row.outlet });
    assert.deepEqual(on, { status: 200, body: "OK - accepted request\n" });
    assert.equal(sim.device.get(row.outlet), "on");
    assert.deepEqual(texts(sim), row.requests);
    const off = await control(d, "off", { hostname: "dev", port: row.outlet });
    assert.equal(off.status, 200);
    assert.equal(sim.device.get(row.outlet), "off");
  });

  Deno.test(`${row.driver}: a switch the device ignores (answered 200) is a 503 naming the mismatch, retried`, async () => {
    await using sim = await start(row);
    await using d = await daemonFor(sim, 2);
    sim.device.ignoreSwitches = true;
    const r = await control(d, "on", { hostname: "dev", port: row.outlet });
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      new RegExp(
        `at 127\\.0\\.0\\.1:\\d+ reports ${row.label} off after it was asked to switch it on`,
      ),
    );
    assert.equal(sim.device.get(row.outlet), "off");
    // A "device" error is transient: the actor's second attempt sent the switch again.
    assert.deepEqual(texts(sim), [...row.requests, ...row.requests]);
  });

  Deno.test(`${row.driver}: an outlet outside the configured range reaches no device`, async () => {
    await using sim = await start(row);
    await using d = await daemonFor(sim);
    const r = await control(d, "on", { hostname: "dev", port: row.outside });
    assert.equal(r.status, 503);
    assert.match(r.body, new RegExp(`\\b${row.outside}\\b`));
    assert.deepEqual(texts(sim), []);
  });

  if (row.requests.length === 2) {
    Deno.test(`${row.driver}: a read-back that fails fails the switch, and the driver works again`, async () => {
      await using sim = await start(row);
      const driver = createDriver(findDriver(row.driver)!, sim.pduHostname, sim.pduConfig());
      const signal = () => AbortSignal.timeout(5000);
      try {
        // One operation done, so under "flap" the switch (the 2nd) is answered and the
        // read-back (the 3rd) fails.
        await driver.getOutlet!(row.outlet, { signal: signal() });
        sim.device.fault = "flap";
        await assert.rejects(
          driver.setOutlet(row.outlet, "on", { signal: signal() }),
          (e: unknown) =>
            e instanceof DriverError && e.kind === "device" && /HTTP 500/.test(e.message),
        );
        assert.deepEqual(texts(sim).slice(1), row.requests);
        sim.device.fault = "none";
        await driver.setOutlet(row.outlet, "on", { signal: signal() });
        assert.equal(sim.device.get(row.outlet), "on");
      } finally {
        await driver.close();
      }
    });
  }
}

Deno.test("tinycontrol: without outlets configured, an output its status does not list is never switched", async () => {
  for (const kind of ["tinycontrol", "tinycontrol-tcpdu"]) {
    await using sim = await startSimulator(kind, { outlets: 4 });
    const { outlets: _n, "first_outlet": _f, ...config } = sim.pduConfig();
    await using d = await startDaemon({
      pdus: { dev: { ...config, address: sim.pduHostname, retries: 3, retrydelay: 0 } },
    });
    const r = await control(d, "on", { hostname: "dev", port: 42 });
    assert.equal(r.status, 503);
    assert.match(r.body, /has no output out42/);
    const read = kind === "tinycontrol" ? "GET /st0.xml" : "GET /api/v1/read/status/?outValues";
    // A config error is permanent: one status read, no retry, and no switch sent.
    assert.deepEqual(texts(sim), [read], kind);
    // A listed output switches; the outputs stay known, so the next switch reads nothing first.
    sim.device.received.length = 0;
    assert.equal((await control(d, "on", { hostname: "dev", port: 2 })).status, 200);
    assert.equal(sim.device.get(2), "on");
    assert.equal(texts(sim).filter((t) => t === read).length, kind === "tinycontrol" ? 0 : 1);
  }
});

Deno.test("tinycontrol: outlets and first_outlet give the range checked before queueing", () => {
  const range = (driver: string, options: Record<string, unknown>) => {
    const descriptor = findDriver(driver)!;
    return descriptor.outletRange!(descriptor.options.parse(options));
  };
  assert.equal(range("tinycontrol", {}), undefined);
  assert.deepEqual(range("tinycontrol", { outlets: 6 }), { min: 0, max: 5 });
  assert.deepEqual(range("tinycontrol_tcpdu", { outlets: 6 }), { min: 1, max: 6 });
  assert.deepEqual(range("tinycontrol_tcpdu", { outlets: 2, "first_outlet": 5 }), {
    min: 5,
    max: 6,
  });
});

Deno.test("readback: an answer that is not a state is a protocol error naming what was expected", async () => {
  // A device answering 200 pages that carry no state at all: the switch's answer says nothing,
  // and the read-back's page cannot be read as a state either.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("<html><body>OK</body></html>", { headers: { "content-type": "text/html" } }),
  );
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["digitalloggers_http", {}, /without the state mask \(expected <div id="state">/],
    ["tinycontrol", { outlets: 4 }, /status without outputs \(expected <outN>0\|1<\/outN>/],
    ["tinycontrol_tcpdu", { outlets: 4 }, /status without outputs \(expected a JSON object/],
    ["pe6216", { password: "p" }, /without an OutletRelay list \(expected <OutletRelay>/],
    ["LindyIPowerClassic8", {}, /status\.xml without outlet 1's state in field 11/],
    ["gude", {}, /did not report the state of port 1/],
  ];
  try {
    for (const [name, options, expected] of cases) {
      const driver = createDriver(findDriver(name)!, "127.0.0.1", {
        port: server.addr.port,
        ...options,
      });
      try {
        await assert.rejects(
          driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) }),
          (e: unknown) =>
            e instanceof DriverError && e.kind === "protocol" && expected.test(e.message),
          name,
        );
      } finally {
        await driver.close();
      }
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("readback: firmware whose switch answers a page without states is confirmed by one read", async () => {
  // Where only the simulator says the switch's answer carries the states, a device answering a
  // plain page is read once; outlet 1 reads on.
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    seen.push(url.pathname + url.search);
    const status: Record<string, string> = {
      "/status": '<div id="state">01</div>',
      "/st0.xml": "<response><out1>1</out1></response>",
      "/": "<tr><td>Power Port 1</td><td>ON</td></tr>",
      "/statusjsn.js": '{"outputs":[{"state":1}]}',
      "/status.json": url.searchParams.has("cmd") ? "{}" : '{"outputs":[{"state":1}]}',
    };
    return new Response(status[url.pathname] ?? "<html><body>done</body></html>");
  });
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["digitalloggers_http", {}, ["/outlet?1=ON", "/status"]],
    ["tinycontrol", { outlets: 4 }, ["/outs.cgi?out1=1", "/st0.xml"]],
    ["gude", {}, ["/switch.html?cmd=1&p=1&s=1", "/"]],
    ["gude8031", {}, ["/status.json?components=1&cmd=1&p=1&s=1", "/status.json?components=1"]],
    ["gude8225", {}, ["/ov.html?cmd=1&p=1&s=1", "/statusjsn.js?components=1"]],
  ];
  try {
    for (const [name, options, requests] of cases) {
      seen.length = 0;
      const driver = createDriver(findDriver(name)!, "127.0.0.1", {
        port: server.addr.port,
        ...options,
      });
      try {
        await driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) });
        assert.deepEqual(seen, requests, name);
        await assert.rejects(
          driver.setOutlet(1, "off", { signal: AbortSignal.timeout(5000) }),
          /reports (outlet |output out|port )1 on after it was asked to switch it off/,
          name,
        );
      } finally {
        await driver.close();
      }
    }
  } finally {
    await server.shutdown();
  }
});
