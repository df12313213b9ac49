import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const start = () => startSimulator("modbus-tcp", { outlets: 8 });

conformance({
  name: "modbustcp",
  descriptor: findDriver("modbustcp")!,
  start,
  // Bytes that are no MBAP frame leave the driver waiting for one: like a hang.
  silentFaults: ["garbage"],
});

Deno.test("modbustcp: on, off and reboot through the daemon's HTTP API", async () => {
  await using sim = await start();
  await assertDrivesOverHttp(sim);
  await assertDrivesOverHttp(sim, { outlet: 8 });
});

Deno.test("modbustcp: coil 0 is outlet 0, as upstream addresses coils", async () => {
  await using sim = await startSimulator("modbus-tcp", { outlets: 4, first: 0 });
  await assertDrivesOverHttp(sim, { outlet: 0 });
});

Deno.test("modbustcp: a Modbus exception is answered 503 with the exception named", async (t) => {
  await using sim = await start();
  await using d = await startDaemon({
    pdus: { dev: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  await t.step("a coil the device lacks: ILLEGAL DATA ADDRESS", async () => {
    const r = await control(d, "on", { hostname: "dev", port: 9 });
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      /Modbus device 127\.0\.0\.1:\d+ \(unit 1\) answered Modbus exception 2 \(ILLEGAL DATA ADDRESS\) to Write Single Coil 9 on/,
    );
  });
  await t.step("a failing device: SERVER DEVICE FAILURE", async () => {
    sim.device.fault = "error";
    const r = await control(d, "on", { hostname: "dev", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, /answered Modbus exception 4 \(SERVER DEVICE FAILURE\)/);
    assert.equal(sim.device.get(1), "off");
  });
});

Deno.test("modbustcp: the unit id comes from unit, else upstream's slave, else 1", async (t) => {
  await using sim = await startSimulator("modbus-tcp", { outlets: 2 }, { unit: 7 });
  const descriptor = findDriver("modbustcp")!;
  const signal = () => AbortSignal.timeout(5000);
  const port = sim.address.port;
  for (
    const [name, options, works] of [
      ["unit", { port, unit: 7 }, true],
      ["slave", { port: String(port), slave: "7" }, true],
      ["unit over slave", { port, unit: 7, slave: 3 }, true],
      ["the default 1", { port }, false],
    ] as const
  ) {
    await t.step(name, async () => {
      const driver = createDriver(descriptor, sim.pduHostname, options);
      try {
        if (works) {
          await driver.setOutlet(2, "on", { signal: signal() });
          assert.equal(await driver.getOutlet!(2, { signal: signal() }), "on");
          await driver.setOutlet(2, "off", { signal: signal() });
        } else {
          await assert.rejects(driver.setOutlet(2, "on", { signal: signal() }), (e: unknown) => {
            assert.ok(e instanceof DriverError && e.kind === "device");
            assert.match(e.message, /exception 11 \(GATEWAY TARGET DEVICE FAILED TO RESPOND\)/);
            return true;
          });
        }
      } finally {
        await driver.close();
      }
    });
  }
});

Deno.test("modbustcp: one connection serves consecutive operations", async () => {
  await using sim = await start();
  const driver = createDriver(findDriver("modbustcp")!, sim.pduHostname, sim.pduConfig());
  try {
    for (const outlet of [1, 2, 3]) {
      await driver.setOutlet(outlet, "on", { signal: AbortSignal.timeout(5000) });
    }
    assert.deepEqual(sim.device.history, [[1, "on"], [2, "on"], [3, "on"]]);
    assert.equal(sim.device.received.length, 3);
  } finally {
    await driver.close();
  }
});

// The simulator's strictness, with hand-made frames: a driver bug must not go unnoticed.

/** Sends raw bytes, returns everything the simulator answers until it closes or `expect` bytes. */
async function exchange(port: number, bytes: number[], expect: number): Promise<number[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(Uint8Array.from(bytes));
    const out: number[] = [];
    const buffer = new Uint8Array(256);
    while (out.length < expect) {
      const n = await conn.read(buffer);
      if (n === null) break;
      out.push(...buffer.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}

const mbap = (tid: number, unit: number, pdu: number[], protocol = 0) => [
  tid >> 8,
  tid & 0xff,
  protocol >> 8,
  protocol & 0xff,
  (pdu.length + 1) >> 8,
  (pdu.length + 1) & 0xff,
  unit,
  ...pdu,
];

Deno.test("modbus-tcp simulator: answers exceptions for bad requests, as the spec says", async (t) => {
  await using sim = await startSimulator("modbus-tcp", { outlets: 4 });
  const port = sim.address.port;
  const rows: [string, number[], number[]][] = [
    ["write coil 2 on", [0x05, 0, 2, 0xff, 0], [0x05, 0, 2, 0xff, 0]],
    ["read coils 1..4", [0x01, 0, 1, 0, 4], [0x01, 1, 0b0010]],
    ["read holding registers 2..3", [0x03, 0, 2, 0, 2], [0x03, 4, 0, 1, 0, 0]],
    ["write register 3 = 1", [0x06, 0, 3, 0, 1], [0x06, 0, 3, 0, 1]],
    ["unknown function 0x0f", [0x0f, 0, 1, 0, 1, 1, 1], [0x8f, 0x01]],
    ["coil value 0x1234", [0x05, 0, 1, 0x12, 0x34], [0x85, 0x03]],
    ["coil 5 of 4", [0x05, 0, 5, 0xff, 0], [0x85, 0x02]],
    ["coil 0 (outlets start at 1)", [0x05, 0, 0, 0xff, 0], [0x85, 0x02]],
    ["read past the last coil", [0x01, 0, 3, 0, 3], [0x81, 0x02]],
    ["read 0 coils", [0x01, 0, 1, 0, 0], [0x81, 0x03]],
    ["a PDU one byte short", [0x05, 0, 1, 0xff], [0x85, 0x03]],
    ["register value 2", [0x06, 0, 1, 0, 2], [0x86, 0x03]],
  ];
  for (const [name, pdu, reply] of rows) {
    await t.step(name, async () => {
      const answer = await exchange(port, mbap(0x1234, 1, pdu), 7 + reply.length);
      assert.deepEqual(answer, mbap(0x1234, 1, reply));
    });
  }
  await t.step("another unit id: exception 0x0B", async () => {
    const answer = await exchange(port, mbap(9, 2, [0x05, 0, 1, 0xff, 0]), 9);
    assert.deepEqual(answer, mbap(9, 2, [0x85, 0x0b]));
  });
  await t.step("a protocol id other than 0 ends the connection unanswered", async () => {
    assert.deepEqual(await exchange(port, mbap(1, 1, [0x05, 0, 1, 0xff, 0], 1), 1), []);
  });
  await t.step("two pipelined requests are answered in order", async () => {
    const answer = await exchange(
      port,
      [...mbap(1, 1, [0x05, 0, 4, 0xff, 0]), ...mbap(2, 1, [0x01, 0, 4, 0, 1])],
      22,
    );
    assert.deepEqual(answer, [...mbap(1, 1, [0x05, 0, 4, 0xff, 0]), ...mbap(2, 1, [0x01, 1, 1])]);
  });
  assert.deepEqual(sim.device.snapshot(), { 1: "off", 2: "on", 3: "on", 4: "on" });
});
