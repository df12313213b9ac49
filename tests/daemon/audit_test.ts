/**
 * The audit log restores what pdud did to each outlet: records written the moment an outlet is
 * switched, so a kill -9 during a reboot's off-wait or a failed reboot restores "off"; a torn
 * last line is skipped and never swallows the next record; reload reopens the file (logrotate).
 */
import assert from "node:assert/strict";
import { createLogger, SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig, readConfigFile } from "../../config/mod.ts";
import { type Daemon, lastStates, startDaemon } from "../../daemon/mod.ts";
import { spawnPdud } from "../_helpers/process.ts";

async function start(config: Record<string, unknown>, lines: string[] = []): Promise<Daemon> {
  return await startDaemon(await loadConfig(config), {
    log: createLogger({ level: "debug", write: (l) => lines.push(l) }),
    listen: { hostname: "127.0.0.1", port: 0 },
  });
}

const get = async (d: Daemon, path: string) =>
  await (await fetch(`http://127.0.0.1:${d.listeners.port}${path}`)).json();

const control = async (d: Daemon, query: string) => {
  const r = await fetch(`http://127.0.0.1:${d.listeners.port}/power/control/${query}`);
  await r.body?.cancel();
  return r.status;
};

const records = async (path: string) =>
  (await Deno.readTextFile(path)).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

Deno.test("audit: kill -9 during a reboot's off-wait restores the outlet as off", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-audit-kill-" });
  try {
    const audit = `${dir}/audit.jsonl`;
    const conf = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      conf,
      [
        `daemon: {hostname: 127.0.0.1, port: 0, audit_log: ${audit}}`,
        "pdus:",
        "  rack:",
        "    driver: localcmdline",
        `    cmd_on: "true"`,
        `    cmd_off: "true"`,
        "    retries: 1",
        "",
      ].join("\n"),
    );
    {
      const pdud = await spawnPdud([`--conf=${conf}`]);
      const base = `http://127.0.0.1:${pdud.port}`;
      const on = await fetch(`${base}/power/control/on?hostname=rack&port=1`);
      assert.equal(on.status, 200, "the outlet was on before the reboot");
      await on.body?.cancel();
      // Never answered: the daemon dies first (the connection is reset).
      const reboot = fetch(`${base}/power/control/reboot?hostname=rack&port=1&delay=600`).then(
        (r) => r.body?.cancel(),
        () => undefined,
      );
      // The daemon answers this only after the synchronous block that set the outlet off (and
      // wrote its record) has run: no sleep, no race.
      await waitFor(async () => {
        const pdu = await (await fetch(`${base}/api/v1/pdus/rack`)).json();
        return pdu.outlets?.["1"]?.state === "off";
      });
      const status = await pdud.stop("SIGKILL");
      assert.equal(status.signal, "SIGKILL");
      await reboot;
    }
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const base = `http://127.0.0.1:${pdud.port}/api/v1`;
    const pdu = await (await fetch(`${base}/pdus/rack`)).json();
    assert.equal(pdu.outlets["1"].state, "off");
    assert.deepEqual(await (await fetch(`${base}/pdus/rack/outlets/1`)).json(), {
      pdu: "rack",
      outlet: 1,
      state: "off",
      source: "commanded",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit: a reboot whose on fails restores the outlet as off", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-audit-fail-" });
  try {
    const audit = `${dir}/audit.jsonl`;
    const broken = `${dir}/broken`;
    const config = {
      daemon: { "audit_log": audit },
      pdus: {
        rack: {
          driver: "localcmdline",
          // The device fails "on" once the test breaks it.
          "cmd_on": `test ! -e ${broken}`,
          "cmd_off": "true",
          retries: 1,
        },
      },
    };
    {
      await using d = await start(config);
      assert.equal(await control(d, "on?hostname=rack&port=1"), 200);
      await Deno.writeTextFile(broken, "");
      assert.equal(await control(d, "reboot?hostname=rack&port=1&delay=0"), 503);
    }
    const job = (await records(audit)).filter((r) => r.event === "job").at(-1);
    assert.equal(job.outcome, "failed");
    {
      await using d = await start(config);
      const state = await get(d, "/api/v1/pdus/rack/outlets/1");
      assert.deepEqual(state, { pdu: "rack", outlet: 1, state: "off", source: "commanded" });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit: a torn last line is skipped with a warning and does not swallow the next record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-audit-torn-" });
  try {
    const audit = `${dir}/audit.jsonl`;
    const config = {
      daemon: { "audit_log": audit },
      pdus: { rack: { driver: "localcmdline", "cmd_on": "true", "cmd_off": "true" } },
    };
    const set = (outlet: number, state: string) =>
      JSON.stringify({ time: new Date(0).toISOString(), event: "set", pdu: "rack", outlet, state });
    // A crash mid-write left half a record without its newline.
    await Deno.writeTextFile(audit, `${set(1, "on")}\n${set(2, "on")}\n{"time":"2026-01-01T0`);
    const lines: string[] = [];
    {
      await using d = await start(config, lines);
      assert.ok(
        lines.some((l) => /audit log: skipped lines/.test(l) && /"lines":\[3\]/.test(l)),
        "a warning names the torn line",
      );
      assert.equal((await get(d, "/api/v1/pdus/rack/outlets/1")).state, "on");
      assert.equal(await control(d, "off?hostname=rack&port=2"), 200);
    }
    const text = await Deno.readTextFile(audit);
    const after = text.split("\n").slice(3).filter((l) => l.trim()).map((l) => JSON.parse(l));
    assert.deepEqual(after.map((r) => [r.event, r.outlet, r.state]), [
      ["set", 2, "off"],
      ["job", 2, "off"],
    ]);
    {
      await using d = await start(config);
      assert.equal((await get(d, "/api/v1/pdus/rack/outlets/2")).state, "off");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit: reload reopens the file (logrotate) and the new file alone restores every outlet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-audit-rotate-" });
  try {
    const audit = `${dir}/audit.jsonl`;
    const path = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      path,
      `daemon: {audit_log: ${audit}}\npdus:\n  rack: {driver: localcmdline, cmd_on: "true", cmd_off: "true"}\n`,
    );
    {
      await using d = await startDaemon(await readConfigFile(path), {
        log: SILENT_LOGGER,
        listen: { hostname: "127.0.0.1", port: 0 },
        readConfig: () => readConfigFile(path),
      });
      assert.equal(await control(d, "on?hostname=rack&port=1"), 200);
      await Deno.rename(audit, `${audit}.1`); // what logrotate does before it sends SIGHUP
      await d.reload();
      assert.equal(await control(d, "off?hostname=rack&port=2"), 200);
    }
    const rotated = await records(`${audit}.1`);
    assert.deepEqual(rotated.map((r) => [r.event, r.outlet]), [["set", 1], ["job", 1]]);
    const fresh = await records(audit);
    assert.deepEqual(fresh.map((r) => [r.event, r.outlet, r.state]), [
      ["checkpoint", 1, "on"],
      ["set", 2, "off"],
      ["job", 2, "off"],
    ]);
    const states = lastStates(await Deno.readTextFile(audit));
    assert.deepEqual([...states.get("rack")!].map(([o, v]) => [o, v.state]).sort(), [[1, "on"], [
      2,
      "off",
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit: set records decide the state; job records only where an outlet has none", () => {
  const t = (s: number) => new Date(s * 1000).toISOString();
  const text = [
    // An older log: job records only.
    { time: t(1), pdu: "r", outlet: 1, command: "on", outcome: "done", state: "on", ms: 1 },
    { time: t(2), pdu: "r", outlet: 2, command: "on", outcome: "done", state: "on", ms: 1 },
    // Then set records: a reboot of outlet 2 whose on failed.
    { time: t(3), event: "set", pdu: "r", outlet: 2, state: "off", job: "j1" },
    {
      time: t(4),
      event: "job",
      pdu: "r",
      outlet: 2,
      command: "reboot",
      outcome: "failed",
      kind: "device",
      reason: "x",
      ms: 1,
    },
    {
      time: t(5),
      event: "job",
      pdu: "r",
      outlet: 1,
      command: "status",
      outcome: "done",
      state: "off",
      ms: 1,
    },
  ].map((r) => JSON.stringify(r)).join("\n") + "\n";
  const states = lastStates(text).get("r")!;
  assert.equal(states.get(1)?.state, "on", "a status read is not something pdud set");
  assert.deepEqual(states.get(2), { state: "off", at: 3000 });
});

/** Polls `check` (each round trips the daemon's event loop) until it holds. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (await check()) return;
  }
  throw new Error("condition never held");
}
