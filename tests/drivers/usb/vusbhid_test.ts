import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import type { ToolSimulator } from "../../../simulators/usb/tools.ts";
import { parseUsbrelayList } from "../../../drivers/usb/vusbhid.ts";
import { conformance, createDriver, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const start = (options: Record<string, unknown> = {}, outlets = 4) =>
  startSimulator("usbrelay", { outlets }, options) as Promise<ToolSimulator>;

/** The usbrelay runs that switch something (listing runs have no arguments). */
const switchRuns = (sim: ToolSimulator) => sim.runs.filter((args) => args.length > 0);

conformance({
  name: "vusbhid",
  descriptor: findDriver("vusbhid")!,
  start: () => start(),
  // Closing the simulator removes its stand-in tool: a device that is gone is a missing tool.
  unreachableKind: "config",
  // A tool that ends without an answer is a failed run of the tool.
  faultKinds: { refuse: ["device"], drop: ["device"] },
});

Deno.test("vusbhid: on, off and reboot through the daemon's HTTP API, each listed, set and confirmed", async () => {
  await using sim = await start();
  assert.equal(sim.pduConfig().driver, "vusbhid");
  await assertDrivesOverHttp(sim);
  await assertDrivesOverHttp(sim, { outlet: 4 });
  const set = (relay: number, value: number) => ["-q", `QAAMZ_${relay}=${value}`];
  assert.deepEqual(switchRuns(sim), [
    set(1, 1),
    set(1, 0),
    set(1, 0),
    set(1, 1),
    set(4, 1),
    set(4, 0),
    set(4, 0),
    set(4, 1),
  ]);
  // Every set is preceded by a listing that found the relay and followed by one confirming it.
  sim.runs.forEach((args, i) => {
    if (args.length === 0) return;
    assert.deepEqual(sim.runs[i - 1], [], `a listing before run ${i}`);
    assert.deepEqual(sim.runs[i + 1], [], `a listing after run ${i}`);
  });
});

Deno.test("vusbhid: invert releases the relay for on, for a load on the normally closed contact", async () => {
  await using sim = await start({ invert: true }, 2);
  assert.equal(sim.pduConfig().invert, true);
  await assertDrivesOverHttp(sim, { outlet: 2 });
  assert.deepEqual(switchRuns(sim), [
    ["-q", "QAAMZ_2=0"],
    ["-q", "QAAMZ_2=1"],
    ["-q", "QAAMZ_2=1"],
    ["-q", "QAAMZ_2=0"],
  ]);
  // The state read back is inverted too.
  const driver = createDriver(findDriver("vusbhid")!, "local", sim.pduConfig());
  assert.equal(await driver.getOutlet!(2, { signal: AbortSignal.timeout(5000) }), "on");
  await driver.close();
});

Deno.test("vusbhid: a board that is not attached is answered 503 naming the boards, and nothing is set", async () => {
  await using sim = await start();
  await using d = await startDaemon({
    pdus: { relays: { ...sim.pduConfig(), serial: "ZX9YW", retries: 1 } },
  });
  const r = await control(d, "on", { hostname: "relays", port: 1 });
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /USB relay board ZX9YW is not attached: usbrelay lists only QAAMZ \(relays 1-4\)/,
  );
  assert.deepEqual(switchRuns(sim), []);
  assert.equal(sim.device.get(1), "off");
});

Deno.test("vusbhid: a relay the board does not have is answered 503, and nothing is set", async () => {
  await using sim = await start();
  await using d = await startDaemon({ pdus: { relays: { ...sim.pduConfig(), retries: 1 } } });
  const r = await control(d, "on", { hostname: "relays", port: 5 });
  assert.equal(r.status, 503);
  assert.match(r.body, /USB relay board QAAMZ has relays 1-4, not 5/);
  // Relay 0 would be usbrelay's "rename the board to 1": refused before usbrelay runs at all.
  const zero = await control(d, "on", { hostname: "relays", port: 0 });
  assert.equal(zero.status, 503);
  assert.match(zero.body, /USB relay board QAAMZ numbers its relays from 1, not 0/);
  assert.deepEqual(switchRuns(sim), []);
});

Deno.test("vusbhid: a failing usbrelay is answered 503 with its complaint", async () => {
  await using sim = await start();
  sim.device.fault = "error";
  await using d = await startDaemon({ pdus: { relays: { ...sim.pduConfig(), retries: 1 } } });
  const r = await control(d, "on", { hostname: "relays", port: 1 });
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /USB relay board QAAMZ: \S*usbrelay -q QAAMZ_1=1 exited with status 1: Error: Broken pipe/,
  );
  assert.equal(sim.device.get(1), "off");
});

Deno.test("vusbhid: a relay that does not follow is a device error, from the confirming listing", async () => {
  await using sim = await start();
  // "garbage": usbrelay exits 0 having switched nothing.
  sim.device.fault = "garbage";
  const driver = createDriver(findDriver("vusbhid")!, "local", sim.pduConfig());
  try {
    await assert.rejects(
      driver.setOutlet(3, "on", { signal: AbortSignal.timeout(5000) }),
      (e: unknown) => {
        assert.ok(e instanceof DriverError && e.kind === "device", String(e));
        assert.equal(
          e.message,
          "USB relay board QAAMZ: relay 3 is still released after usbrelay switched it " +
            "(outlet off, not on)",
        );
        return true;
      },
    );
  } finally {
    await driver.close();
  }
});

Deno.test("vusbhid: a missing usbrelay is a clear error at the first operation, not at start", async () => {
  await using d = await startDaemon({
    pdus: {
      relays: {
        driver: "vusbhid",
        serial: "QAAMZ",
        usbrelay: "/nonexistent/pdud-test/usbrelay",
        retries: 1,
      },
    },
  });
  const r = await control(d, "on", { hostname: "relays", port: 1 });
  assert.equal(r.status, 503);
  assert.match(
    r.body,
    /USB relay board QAAMZ: \/nonexistent\/pdud-test\/usbrelay is not installed/,
  );
});

Deno.test("parseUsbrelayList() reads every board's relays, -1 as unknown", () => {
  // usbrelay's README: two dcttech boards and a Ucreatefun one, which cannot report its relays.
  const boards = parseUsbrelayList(
    "OMG12_1=0\nOMG12_2=1\nQWERT_1=0\nQWERT_2=0\nA0001_1=-1\nA0001_9=-1\n" +
      "target fd ucreate 2 f0 f0\n\n",
  );
  assert.deepEqual([...boards.keys()], ["OMG12", "QWERT", "A0001"]);
  assert.deepEqual([...boards.get("OMG12")!], [[1, false], [2, true]]);
  assert.deepEqual([...boards.get("A0001")!], [[1, undefined], [9, undefined]]);
  assert.equal(parseUsbrelayList("").size, 0);
});

Deno.test("vusbhid options: serial is what usbrelay can name, invert defaults to false", () => {
  const options = findDriver("vusbhid")!.options;
  assert.deepEqual(options.parse({ serial: "QAAMZ" }), {
    serial: "QAAMZ",
    invert: false,
    usbrelay: "usbrelay",
  });
  assert.equal(options.parse({ serial: "PSUIS", invert: true }).invert, true);
  assert.equal(options.parse({ serial: "PSUIS", invert: "false" }).invert, false);
  for (const serial of ["", "TOOLONG", "AB_1", "A=1", "-q", "/dev/", "A B", "ÄBC"]) {
    assert.equal(options.safeParse({ serial }).success, false, JSON.stringify(serial));
  }
  assert.equal(options.safeParse({}).success, false);
});
