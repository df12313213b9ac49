/**
 * The slot lifecycle on a real pdud process with real signals (issue 16's defects, issue 15.9).
 * The PDU is a localcmdline script that records the start and end of every operation with a
 * millisecond time stamp, so each test can show: one operation in flight per PDU, every
 * reboot's wait honoured, no operation run twice, and the PDU serving afterwards.
 *
 * Waits here are for events of the real process (a log line, a file line), never timing
 * assertions; the one deliberate pause is the issue's 0.5 s between two reloads.
 */
import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { readConfigFile } from "../../config/mod.ts";
import { startDaemon as startRaw } from "../../daemon/mod.ts";
import { findDriver } from "../../drivers/mod.ts";
import { type PdudProcess, spawnPdud } from "../_helpers/process.ts";

/** One recorded operation. */
interface Operation {
  outlet: number;
  state: string;
  start: number;
  end: number;
}

/** A PDU config whose every operation is recorded in `${dir}/ops` (and takes `ms`). */
async function recordingPdu(dir: string, ms = 200): Promise<string> {
  const script = `${dir}/device.sh`;
  await Deno.writeTextFile(
    script,
    [
      `echo "start $1 $2 $(date +%s%3N)" >> ${dir}/ops`,
      // A gate file makes the test decide when the operation ends (see the shutdown test).
      `while [ -e ${dir}/gate-$1 ]; do sleep 0.05; done`,
      `sleep ${ms / 1000}`,
      `echo "end $1 $2 $(date +%s%3N)" >> ${dir}/ops`,
      "",
    ].join("\n"),
  );
  return [
    "    driver: localcmdline",
    `    cmd_on: "/bin/sh ${script} %d on"`,
    `    cmd_off: "/bin/sh ${script} %d off"`,
    "    retries: 1",
    "    timeout: 60",
  ].join("\n");
}

async function operations(dir: string): Promise<Operation[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(`${dir}/ops`);
  } catch { /* nothing ran yet */ }
  const lines = text.trim().split("\n").filter(Boolean).map((l) => l.split(" "));
  const ops: Operation[] = [];
  const open = new Map<string, Operation>();
  for (const [what, outlet, state, at] of lines) {
    const key = `${outlet} ${state}`;
    if (what === "start") {
      const op = { outlet: Number(outlet), state: state!, start: Number(at), end: NaN };
      ops.push(op);
      open.set(key, op);
    } else {
      const op = open.get(key);
      assert.ok(op, `end of ${key} without a start`);
      op.end = Number(at);
      open.delete(key);
    }
  }
  return ops;
}

/** Polls the record until `done` holds (the process runs on its own clock). */
async function until(dir: string, done: (ops: Operation[]) => boolean): Promise<Operation[]> {
  for (let i = 0; i < 600; i++) {
    const ops = await operations(dir);
    if (done(ops)) return ops;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the device never got there: ${JSON.stringify(await operations(dir))}`);
}

/** One operation at a time: each starts after the previous one ended. */
function assertOneInFlight(ops: Operation[]): void {
  const sorted = [...ops].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(
      sorted[i]!.start >= sorted[i - 1]!.end,
      `two operations at once: ${JSON.stringify([sorted[i - 1], sorted[i]])}`,
    );
  }
}

async function writeConfig(path: string, pdus: string): Promise<void> {
  await Deno.writeTextFile(
    path,
    `daemon: {hostname: 127.0.0.1, port: 0, shutdown_grace: 30}\npdus:\n${pdus}\n`,
  );
}

function reloaded(pdud: PdudProcess, after: number, key: "added" | "removed") {
  return pdud.waitForLog((r) =>
    r.msg === "config reloaded" && pdud.logs.indexOf(r) >= after &&
    Array.isArray(r[key]) && (r[key] as string[]).includes("rack")
  );
}

Deno.test("re-adding a PDU while its removal drains: one operation at a time, every wait kept, serving after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-readd-" });
  try {
    const conf = `${dir}/pdud.yaml`;
    const rack = `  rack:\n${await recordingPdu(dir)}`;
    const other = "  other: {driver: simulated}";
    await writeConfig(conf, `${rack}\n${other}`);
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const base = `http://127.0.0.1:${pdud.port}`;
    const reboots = [1, 2, 3].map((outlet) =>
      fetch(`${base}/power/control/reboot?hostname=rack&port=${outlet}&delay=2`)
        .then(async (r) => `${r.status} ${await r.text()}`)
    );
    await until(dir, (ops) => ops.some((o) => o.outlet === 1 && o.state === "off" && o.end > 0));

    let mark = pdud.logs.length;
    await writeConfig(conf, other);
    pdud.child.kill("SIGHUP");
    await reloaded(pdud, mark, "removed");
    await new Promise((resolve) => setTimeout(resolve, 500));
    mark = pdud.logs.length;
    await writeConfig(conf, `${rack}\n${other}`);
    pdud.child.kill("SIGHUP");
    await reloaded(pdud, mark, "added");
    const during = await (await fetch(`${base}/api/v1/pdus/rack`)).json();
    assert.notEqual(during.state, "stopping", "re-added: not reported as going away");

    assert.deepEqual(await Promise.all(reboots), Array(3).fill("200 OK - accepted request\n"));
    const after = await fetch(`${base}/power/control/on?hostname=rack&port=4`);
    assert.equal(`${after.status} ${await after.text()}`, "200 OK - accepted request\n");

    const ops = await operations(dir);
    assertOneInFlight(ops);
    assert.deepEqual(
      ops.map((o) => `${o.outlet} ${o.state}`).sort(),
      ["1 off", "1 on", "2 off", "2 on", "3 off", "3 on", "4 on"],
      "every operation once",
    );
    for (const outlet of [1, 2, 3]) {
      const off = ops.find((o) => o.outlet === outlet && o.state === "off")!;
      const on = ops.find((o) => o.outlet === outlet && o.state === "on")!;
      assert.ok(on.start - off.end >= 1990, `outlet ${outlet} waited ${on.start - off.end} ms`);
    }
    const { pdus } = await (await fetch(`${base}/api/v1/pdus`)).json() as {
      pdus: { name: string; state: string; queueDepth: number }[];
    };
    const shown = pdus.find((p) => p.name === "rack");
    assert.deepEqual([shown?.state, shown?.queueDepth], ["idle", 0], "the API tells the truth");
    const status = await pdud.stop("SIGTERM");
    assert.equal(status.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGHUP during shutdown is refused: the half-done reboot finishes once, nothing is re-created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-hup-term-" });
  try {
    const conf = `${dir}/pdud.yaml`;
    await writeConfig(conf, `  rack:\n${await recordingPdu(dir, 300)}`);
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const base = `http://127.0.0.1:${pdud.port}`;
    const reboot = fetch(`${base}/power/control/reboot?hostname=rack&port=1&delay=600`)
      .then(async (r) => `${r.status} ${await r.text()}`);
    await until(dir, (ops) => ops.some((o) => o.state === "off" && o.end > 0));
    // Changed config, so an accepted reload would re-create the PDU.
    await writeConfig(conf, `  rack:\n${await recordingPdu(dir, 300)}\n    queue_limit: 50`);
    // The gate holds the shutdown's "on" open, so the SIGHUP lands while it is in flight.
    await Deno.writeTextFile(`${dir}/gate-1`, "");
    pdud.child.kill("SIGTERM");
    await pdud.waitForLog((r) => r.msg === "stopping");
    await until(dir, (ops) => ops.some((o) => o.state === "on"));
    pdud.child.kill("SIGHUP");
    // The signal handler does not even ask for a reload once shutdown began.
    await pdud.waitForLog((r) => r.msg === "SIGHUP ignored: pdud is shutting down");
    assert.equal((await operations(dir))[1]?.end, NaN, "the on was still in flight");
    await Deno.remove(`${dir}/gate-1`);
    const status = await pdud.stop("SIGTERM");
    assert.equal(status.code, 0);
    assert.equal(await reboot, "200 OK - accepted request\n");
    const ops = await operations(dir);
    assertOneInFlight(ops);
    assert.deepEqual(
      ops.map((o) => `${o.outlet} ${o.state}`),
      ["1 off", "1 on"],
      "the on ran once",
    );
    assert.ok(ops.every((o) => o.end > 0), "nothing still running when pdud exited");
    assert.ok(!pdud.logs.some((r) => r.msg === "config reloaded"), "no reload ran");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM answers queued jobs at once as not started, before the operation in flight ends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-term-queue-" });
  try {
    const conf = `${dir}/pdud.yaml`;
    await writeConfig(conf, `  rack:\n${await recordingPdu(dir)}`);
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const base = `http://127.0.0.1:${pdud.port}`;
    await Deno.writeTextFile(`${dir}/gate-1`, "");
    const first = fetch(`${base}/power/control/on?hostname=rack&port=1`)
      .then(async (r) => `${r.status} ${await r.text()}`);
    await until(dir, (ops) => ops.length === 1);
    const queued = [2, 3].map((outlet) =>
      fetch(`${base}/power/control/off?hostname=rack&port=${outlet}`)
        .then(async (r) => `${r.status} ${await r.text()}`)
    );
    for (let i = 0; i < 200; i++) {
      const pdu = await (await fetch(`${base}/api/v1/pdus/rack`)).json();
      if (pdu.queueDepth >= 3) break;
    }
    pdud.child.kill("SIGTERM");
    // Outlet 1's operation is held open by its gate: the answers cannot wait for it.
    const answers = await Promise.all(queued);
    for (const answer of answers) {
      assert.match(answer, /^503 .*shutting down, not started/);
    }
    assert.equal((await operations(dir))[0]?.end, NaN, "still in flight when they were answered");
    await Deno.remove(`${dir}/gate-1`);
    const status = await pdud.stop("SIGTERM");
    assert.equal(status.code, 0);
    assert.equal(await first, "200 OK - accepted request\n");
    assert.deepEqual((await operations(dir)).map((o) => `${o.outlet} ${o.state}`), ["1 on"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A daemon in this process whose PDU "rack" crashes while `crash.on` (a driver defect). */
async function crashingDaemon(path: string) {
  const crash = { on: false };
  const ops: Operation[] = [];
  const simulated = findDriver("simulated")!;
  const daemon = await startRaw(await readConfigFile(path), {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0 },
    readConfig: () => readConfigFile(path),
    supervisor: {
      findDriver: (name) =>
        name !== "simulated" ? findDriver(name) : {
          ...simulated,
          create: (hostname, settings) => {
            const driver = simulated.create(hostname, settings);
            return {
              ...driver,
              async setOutlet(outlet, state, options) {
                const op = { outlet, state, start: performance.now(), end: NaN };
                ops.push(op);
                try {
                  if (crash.on) throw new TypeError("a driver defect");
                  await driver.setOutlet(outlet, state, options);
                } finally {
                  op.end = performance.now();
                }
              },
            };
          },
        },
    },
  });
  const base = `http://127.0.0.1:${daemon.listeners.port}`;
  const on = async (outlet: number) => {
    const r = await fetch(`${base}/power/control/on?hostname=rack&port=${outlet}`);
    return `${r.status} ${await r.text()}`;
  };
  const pdu = async () => await (await fetch(`${base}/api/v1/pdus/rack`)).json();
  const reload = async () => {
    const r = await fetch(`${base}/api/v1/reload`, { method: "POST" });
    return { status: r.status, body: await r.json() };
  };
  return { daemon, crash, ops, on, pdu, reload };
}

for (const changed of [false, true]) {
  Deno.test(`reload of a failed PDU (${changed ? "changed" : "unchanged"} config) brings it back serving with a working queue`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pdud-failed-" });
    const path = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(path, "pdus:\n  rack: {driver: simulated, max_restarts: 0}\n");
    const t = await crashingDaemon(path);
    try {
      t.crash.on = true;
      assert.match(await t.on(1), /^503 .*has failed/);
      assert.equal((await t.pdu()).state, "failed");
      assert.match(await t.on(2), /^503 .*has failed/, "refused while failed");
      t.crash.on = false;
      if (changed) {
        await Deno.writeTextFile(
          path,
          "pdus:\n  rack: {driver: simulated, max_restarts: 0, retries: 2}\n",
        );
      }
      const reloaded = await t.reload();
      assert.equal(reloaded.status, 200);
      assert.deepEqual(reloaded.body.changed, changed ? ["rack"] : []);
      const results = await Promise.all([3, 4, 5].map(t.on));
      assert.deepEqual(results, Array(3).fill("200 OK - accepted request\n"));
      const shown = await t.pdu();
      assert.deepEqual([shown.state, shown.queueDepth], ["idle", 0]);
      assertOneInFlight(t.ops);
      assert.deepEqual(t.ops.map((o) => `${o.outlet} ${o.state}`), [
        "1 on",
        "3 on",
        "4 on",
        "5 on",
      ]);
    } finally {
      await t.daemon.stop(1000);
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("POST /api/v1/reload answers 409 when shutdown begins while the config is read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-reload-409-" });
  const path = `${dir}/pdud.yaml`;
  await Deno.writeTextFile(path, "pdus:\n  rack: {driver: simulated}\n");
  let release!: () => void;
  const reading = new Promise<void>((resolve) => release = resolve);
  let asked!: () => void;
  const readStarted = new Promise<void>((resolve) => asked = resolve);
  const daemon = await startRaw(await readConfigFile(path), {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0 },
    readConfig: async () => {
      asked();
      await reading;
      return await readConfigFile(path.replace("pdud.yaml", "changed.yaml"));
    },
  });
  await Deno.writeTextFile(`${dir}/changed.yaml`, "pdus:\n  other: {driver: simulated}\n");
  try {
    const response = fetch(`http://127.0.0.1:${daemon.listeners.port}/api/v1/reload`, {
      method: "POST",
    });
    await readStarted;
    const stopping = daemon.stop(5000);
    release();
    const r = await response;
    assert.equal(r.status, 409);
    assert.match((await r.json()).error, /shutting down/);
    await stopping;
    assert.deepEqual(daemon.supervisor.snapshot().map((p) => p.name), ["rack"]);
  } finally {
    await daemon.stop(1000);
    await Deno.remove(dir, { recursive: true });
  }
});
