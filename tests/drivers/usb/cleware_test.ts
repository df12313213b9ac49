import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { loadConfig } from "../../../config/mod.ts";
import {
  readSwitchSerial,
  type ReportPort,
  REPORTS_PER_DIGIT,
} from "../../../drivers/usb/cleware.ts";
import type { ClewareSimulator } from "../../../simulators/usb/cleware.ts";
import { NODE_SKIP } from "./_probe.ts";
import { createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const SOCAT = NODE_SKIP === "";
const SKIP = NODE_SKIP;
const SERIAL = 1234567;
/** The reads of a newer switch's serial, as the simulator logs them. */
const SERIAL_READS = [8, 9, 10, 11, 12, 13, 14].map((a) =>
  `< 00 02 ${a.toString(16).padStart(2, "0")}`
);

const MODELS = [
  {
    driver: "ClewareUsbSwitch4",
    ports: 4,
    report: (port: number, on: boolean) => `< 00 00 1${port - 1} 0${on ? 1 : 0}`,
  },
  {
    driver: "ClewareUsbSwitch8",
    ports: 8,
    report: (port: number, on: boolean) => {
      const mask = (1 << (port - 1)).toString(16).padStart(2, "0");
      return `< 00 03 00 ${on ? mask : "00"} 00 ${mask}`;
    },
  },
] as const;

function start(
  model: string,
  options: { outlets?: number; newSerial?: boolean } = {},
): Promise<ClewareSimulator> {
  return startSimulator("cleware", { outlets: options.outlets ?? 4 }, {
    model,
    serial: SERIAL,
    "new_serial": options.newSerial ?? true,
  }) as Promise<ClewareSimulator>;
}

/** The switch reports and serial reads the simulator received since `from`. */
function receivedSince(sim: ClewareSimulator, from: number): string[] {
  return sim.device.received.slice(from).map((r) => r.text);
}

for (const model of MODELS) {
  for (const newSerial of [true, false]) {
    const kind = newSerial ? "a newer switch (serial read from its EEPROM)" : "an older switch";
    Deno.test({
      name: `${model.driver}: on, off and reboot through the daemon's HTTP API, ${kind}${SKIP}`,
      ignore: !SOCAT,
      async fn() {
        await using sim = await start(model.driver, { outlets: model.ports, newSerial });
        assert.equal(sim.pduConfig().driver, model.driver);
        await using d = await startDaemon({
          pdus: { sw: { ...sim.pduConfig(), retries: 1, timeout: 10 } },
        });
        // A switch never acknowledges: the daemon answers once the report is written, so the
        // test waits for the simulator to have it before looking at the outlet.
        const settle = (count: number) =>
          sim.receivedSwitchReports(count, AbortSignal.timeout(5000));
        let reports = 0;
        for (const port of [1, model.ports]) {
          const target = { hostname: "sw", port };
          const steps: [string, Record<string, number>, boolean[]][] = [
            ["on", {}, [true]],
            ["off", {}, [false]],
            ["reboot", { delay: 0 }, [false, true]],
          ];
          for (const [command, extra, states] of steps) {
            const from = sim.device.received.length;
            const r = await control(d, command, { ...target, ...extra });
            assert.deepEqual(r, { status: 200, body: "OK - accepted request\n" }, command);
            await settle(reports += states.length);
            assert.equal(sim.device.get(port), states.at(-1) ? "on" : "off", `after ${command}`);
            // The exact reports, each preceded by the serial read when the switch needs one.
            assert.deepEqual(
              receivedSince(sim, from),
              states.flatMap((on) => [...(newSerial ? SERIAL_READS : []), model.report(port, on)]),
              `${command} of port ${port}`,
            );
          }
        }
        assert.deepEqual(
          sim.device.history.filter(([o]) => o === 1).map(([, s]) => s),
          ["on", "off", "off", "on"],
        );
      },
    });
  }

  Deno.test({
    name:
      `${model.driver}: a serial that is not attached is answered 503 naming the switches found${SKIP}`,
    ignore: !SOCAT,
    async fn() {
      await using sim = await start(model.driver);
      await using d = await startDaemon({
        pdus: { sw: { ...sim.pduConfig(), serial: 4321, retries: 1 } },
      });
      const r = await control(d, "on", { hostname: "sw", port: 1 });
      assert.equal(r.status, 503);
      // hidraw0 is the simulated newer switch (its serial read from it), hidraw1 an older one
      // whose node is absent: it is listed by its USB serial and never opened.
      assert.match(
        r.body,
        new RegExp(
          `${model.driver} with serial 4321 is not attached \\(.* devices in \\S+/sys/class/hidraw: ` +
            `\\S+/dev/hidraw1 \\(serial ${SERIAL + 1}, USB "0012D688"\\), ` +
            `\\S+/dev/hidraw0 \\(serial ${SERIAL}, read from the switch\\)\\)`,
        ),
      );
      assert.equal(sim.switchReports, 0);
      assert.equal(sim.device.get(1), "off");
    },
  });
}

Deno.test({
  name:
    `ClewareUsbSwitch4: a newer switch that never answers the serial read is answered 503 in bounded time${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using sim = await start("ClewareUsbSwitch4");
    sim.device.fault = "hang";
    await using d = await startDaemon({
      pdus: { sw: { ...sim.pduConfig(), retries: 1, timeout: 0.5 } },
    });
    const r = await control(d, "on", { hostname: "sw", port: 1 });
    assert.equal(r.status, 503);
    assert.match(
      r.body,
      /^Cannot switch outlet 1 of "sw" on: no answer within 500 ms: ClewareUsbSwitch4 at \S+\/dev\/hidraw0 did not answer the read of its serial \(EEPROM address 8\) \(attempt 1 of 1\)\n$/,
    );
    assert.equal(sim.switchReports, 0);
  },
});

Deno.test({
  name: `ClewareUsbSwitch4: a serial digit that is not hexadecimal is a protocol error${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using sim = await start("ClewareUsbSwitch4");
    sim.device.fault = "error";
    const driver = createDriver(findDriver("ClewareUsbSwitch4")!, "sw", sim.pduConfig());
    try {
      await assert.rejects(
        driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) }),
        (e: unknown) => {
          assert.ok(e instanceof DriverError && e.kind === "protocol", String(e));
          assert.match(e.message, /address 8\) with byte 0x00, not a hexadecimal digit/);
          return true;
        },
      );
    } finally {
      await driver.close();
    }
    assert.equal(sim.switchReports, 0);
  },
});

Deno.test({
  name: `ClewareUsbSwitch4: abort ends an operation waiting for a silent switch promptly${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    await using sim = await start("ClewareUsbSwitch4");
    sim.device.fault = "hang";
    const driver = createDriver(findDriver("ClewareUsbSwitch4")!, "sw", sim.pduConfig());
    const controller = new AbortController();
    const pending = driver.setOutlet(1, "on", { signal: controller.signal });
    controller.abort(new Error("test abort"));
    try {
      await assert.rejects(pending, (e: unknown) => {
        assert.ok(e instanceof DriverError && e.kind === "timeout", String(e));
        return true;
      });
      // The next operation still works once the switch answers again.
      sim.device.fault = "none";
      await driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) });
      await sim.receivedSwitchReports(1, AbortSignal.timeout(5000));
      assert.equal(sim.device.get(1), "on");
    } finally {
      await driver.close();
    }
  },
});

Deno.test({
  name: `ClewareUsbSwitch8: a switch that is gone is reported unreachable${SKIP}`,
  ignore: !SOCAT,
  async fn() {
    const sim = await start("ClewareUsbSwitch8");
    const raw = sim.pduConfig();
    await sim.close();
    const driver = createDriver(findDriver("ClewareUsbSwitch8")!, "sw", raw);
    try {
      await assert.rejects(
        driver.setOutlet(1, "on", { signal: AbortSignal.timeout(2000) }),
        (e: unknown) => {
          assert.ok(e instanceof DriverError && e.kind === "unreachable", String(e));
          assert.match(
            e.message,
            /ClewareUsbSwitch8 with serial 1234567 is not attached .*: none\)/,
          );
          return true;
        },
      );
    } finally {
      await driver.close();
    }
  },
});

/** A fake node: answers each serial read with `answer(address, n)` reports, then silence. */
function fakePort(reports: (address: number) => Uint8Array[]): ReportPort & { writes: number[][] } {
  const writes: number[][] = [];
  let queue: Uint8Array[] = [];
  return {
    writes,
    write(bytes) {
      writes.push([...bytes]);
      queue = reports(bytes[2]!);
      return Promise.resolve();
    },
    readReport() {
      const next = queue.shift();
      return next
        ? Promise.resolve(next)
        : Promise.reject(new DriverError("timeout", "reading was aborted: test"));
    },
  };
}

function report(address: number, byte: number): Uint8Array {
  const r = new Uint8Array(16);
  r[4] = address;
  r[5] = byte;
  return r;
}

Deno.test("readSwitchSerial() reads 7 hex digits from addresses 8-14, passing over other reports", async () => {
  const digits = "12D687";
  const port = fakePort((address) => [
    report(0, 0x30), // a status report
    Uint8Array.of(1, 2, 3), // too short to be the answer
    report(address, ("0" + digits).charCodeAt(address - 8)),
  ]);
  assert.equal(await readSwitchSerial(port, "switch"), 0x012d687);
  assert.deepEqual(port.writes, [8, 9, 10, 11, 12, 13, 14].map((a) => [0, 2, a]));
});

Deno.test("readSwitchSerial() gives up after REPORTS_PER_DIGIT reports without the answer", async () => {
  let read = 0;
  const port: ReportPort = {
    write: () => Promise.resolve(),
    readReport: () => {
      read++;
      return Promise.resolve(report(9, 0x31));
    },
  };
  await assert.rejects(readSwitchSerial(port, "switch"), (e: unknown) => {
    assert.ok(e instanceof DriverError && e.kind === "protocol", String(e));
    assert.equal(
      e.message,
      `switch sent ${REPORTS_PER_DIGIT} reports without answering the read of its serial (EEPROM address 8)`,
    );
    return true;
  });
  assert.equal(read, REPORTS_PER_DIGIT);
});

Deno.test("readSwitchSerial() names the address a silent switch did not answer", async () => {
  const port = fakePort((address) => address < 10 ? [report(address, 0x41)] : []);
  await assert.rejects(readSwitchSerial(port, "switch"), (e: unknown) => {
    assert.ok(e instanceof DriverError && e.kind === "timeout", String(e));
    assert.equal(e.message, "switch did not answer the read of its serial (EEPROM address 10)");
    return true;
  });
});

Deno.test("Cleware options: serial is required and an integer, as upstream's int() reads it", () => {
  const options = findDriver("ClewareUsbSwitch4")!.options;
  assert.equal(options.safeParse({}).success, false);
  assert.deepEqual(options.parse({ serial: 12345 }), { serial: 12345, sysroot: "/" });
  assert.equal(options.parse({ serial: "4321" }).serial, 4321);
  assert.equal(options.safeParse({ serial: "63813a" }).success, false);
  assert.equal(options.safeParse({ serial: 1.5 }).success, false);
  assert.equal(options.safeParse({ serial: 1, path: "/dev/hidraw0" }).success, false);
  assert.deepEqual(findDriver("ClewareUsbSwitch8")!.outletRange!({ serial: 1, sysroot: "/" }), {
    min: 1,
    max: 8,
  });
});

Deno.test("upstream's Cleware PDUs load as available drivers", async () => {
  const fixture = new URL("../../_fixtures/upstream-pdudaemon.conf", import.meta.url);
  const config = await loadConfig(await Deno.readTextFile(fixture), { name: "pdudaemon.conf" });
  for (const [pdu, serial] of [["cleware-usb-switch-4", 12345], ["cleware-usb-switch-8", 4321]]) {
    assert.equal(config.pdus[pdu as string]?.available, true, `${pdu} is available`);
    assert.deepEqual(config.pdus[pdu as string]?.options, { serial, sysroot: "/" });
  }
});
