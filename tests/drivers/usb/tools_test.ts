import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import type { ToolSimulator } from "../../../simulators/usb/tools.ts";
import { uhubctlNewState } from "../../../drivers/usb/uhubctl.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  driver: string;
  kind: string;
  outlets: number;
  /** The argv the stand-in tool must have seen for "on" of outlet 1 (after any init). */
  on: string[];
  /** The 503 reason of a device error. */
  error: RegExp;
}

const ROWS: Row[] = [
  {
    driver: "uhubctl",
    kind: "uhubctl",
    outlets: 4,
    on: ["--location", "1-1.4", "--port", "1", "--action", "on"],
    error:
      /USB hub 1-1\.4: \S*uhubctl --location 1-1\.4 --port 1 --action on exited with status 1: Error: USB device 05e3:0610 permission denied/,
  },
  {
    driver: "bcu",
    kind: "bcu",
    outlets: 1,
    on: ["set_gpio", "reset", "1", "-id=3-7.1", "-board=imx8mpevk"],
    error:
      /NXP board imx8mpevk at USB 3-7\.1: \S*bcu set_gpio reset 1 -id=3-7\.1 -board=imx8mpevk exited with status 1: ftdi: unable to open device/,
  },
  {
    driver: "EG-PM2",
    kind: "sispmctl",
    outlets: 4,
    on: ["-D", "01:01:4f:2b:a3", "-o", "1"],
    error:
      /Energenie USB strip 01:01:4f:2b:a3: \S*sispmctl -D 01:01:4f:2b:a3 -o 1 exited with status 1: Libusb error string: Pipe error/,
  },
];

for (const row of ROWS) {
  const start = () => startSimulator(row.kind, { outlets: row.outlets });
  conformance({
    name: row.driver,
    descriptor: findDriver(row.driver)!,
    start,
    // Closing the simulator removes its stand-in tool: a device that is gone is a missing tool.
    unreachableKind: "config",
    // A tool that ends without an answer is a failed run of the tool.
    faultKinds: { refuse: ["device"], drop: ["device"] },
  });

  Deno.test(`${row.driver}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = (await start()) as ToolSimulator;
    assert.equal(sim.pduConfig().driver, row.driver);
    await assertDrivesOverHttp(sim);
    assert.ok(
      sim.runs.some((args) => args.join(" ") === row.on.join(" ")),
      `argv ${JSON.stringify(row.on)} among ${JSON.stringify(sim.runs)}`,
    );
    if (row.outlets > 1) await assertDrivesOverHttp(sim, { outlet: row.outlets });
  });

  Deno.test(`${row.driver}: a failing tool is answered 503 with its complaint`, async () => {
    await using sim = await start();
    sim.device.fault = "error";
    await using d = await startDaemon({ pdus: { dev: { ...sim.pduConfig(), retries: 1 } } });
    const r = await control(d, "on", { hostname: "dev", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, row.error);
    assert.equal(sim.device.get(1), "off");
  });
}

Deno.test("EG-PMS is the same driver as EG-PM2", () => {
  assert.equal(findDriver("EG-PMS"), findDriver("EG-PM2"));
});

for (
  const [driver, key, raw] of [
    ["uhubctl", "uhubctl", { location: "1-1" }],
    ["bcu", "bcu_exe", {}],
    ["EG-PM2", "sispmctl", { device: "01:01:4f:2b:a3" }],
  ] as const
) {
  Deno.test(`${driver}: a missing tool is a clear error at the first operation, not at start`, async () => {
    const missing = "/nonexistent/pdud-test/tool";
    const descriptor = findDriver(driver)!;
    const d = createDriver(descriptor, "local", { ...raw, [key]: missing });
    await assert.rejects(
      d.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) }),
      (e: unknown) => {
        assert.ok(e instanceof DriverError && e.kind === "config", String(e));
        assert.match(e.message, /\/nonexistent\/pdud-test\/tool is not installed/);
        return true;
      },
    );
    await d.close();
  });
}

Deno.test("uhubctl requires a location, as upstream does", () => {
  const options = findDriver("uhubctl")!.options;
  assert.equal(options.safeParse({}).success, false);
  assert.deepEqual(options.parse({ location: "2-1" }), { location: "2-1", uhubctl: "uhubctl" });
  assert.equal(options.safeParse({ location: "1-1; reboot" }).success, false);
});

Deno.test("bcu keeps upstream's keys and defaults", () => {
  assert.deepEqual(findDriver("bcu")!.options.parse({}), {
    "bcu_exe": "bcu",
    "reset_gpio": "reset",
    "reset_gpio_active_low": true,
  });
  assert.equal(
    findDriver("bcu")!.options.parse({ "reset_gpio_active_low": "0" }).reset_gpio_active_low,
    false,
  );
});

Deno.test("uhubctlNewState() reads the port line after New status", () => {
  const out = "Current status for hub 1-1 [x]\n  Port 2: 0000 off\nSent power on request\n" +
    "New status for hub 1-1 [x]\n  Port 2: 0100 power\n";
  assert.equal(uhubctlNewState(out, 2), "on");
  assert.equal(uhubctlNewState(out.replace("0100 power", "0000 off"), 2), "off");
  assert.equal(uhubctlNewState("Current status\n  Port 2: 0100 power\n", 2), undefined);
  assert.equal(uhubctlNewState(out, 3), undefined);
});
