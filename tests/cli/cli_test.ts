/**
 * The command line: pduclient compatibility (output lines and exit codes, as upstream's client),
 * ranges with per-outlet progress, the JSON API client, `pdud status`, `pdud simulate`,
 * `pdud check-config`, drive-mode errors and every --help.
 */
import assert from "node:assert/strict";
import { runClient } from "../../cli/client.ts";
import { configFor, simulateOutput, startSimulators } from "../../cli/simulate.ts";
import { loadConfig } from "../../config/mod.ts";
import { runStatus } from "../../cli/status.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";
import { runPdud } from "../_helpers/process.ts";

function io() {
  const lines: string[] = [];
  return { lines, out: (t: string) => lines.push(t), err: (t: string) => lines.push(`E: ${t}`) };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("pdud client speaks pduclient: lines, exit codes, ranges in order", async (t) => {
  const pdu = "cli-" + crypto.randomUUID();
  await using d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 8 } } });
  const device = simulatedDevice(pdu)!;
  const args = (...more: string[]) => [
    "--daemon",
    "127.0.0.1",
    "--daemon-port",
    String(d.port),
    "--hostname",
    pdu,
    ...more,
  ];

  await t.step("legacy TCP: ack → 'Command sent successfully.', exit 0", async () => {
    const o = io();
    assert.equal(await runClient(args("--port", "1", "--command", "on"), o), 0);
    assert.deepEqual(o.lines, ["Command sent successfully."]);
    // Legacy acks once the job has run; the status request confirms it.
    await control(d, "get-status", { hostname: pdu, port: 1 });
    assert.equal(device.get(1), "on");
  });

  await t.step("legacy TCP: nack → exit 127 with the reply", async () => {
    const o = io();
    assert.equal(await runClient(args("--port", "99", "--command", "on"), o), 127);
    assert.deepEqual(o.lines, ["Error sending command! 127.0.0.1 replied: nack"]);
  });

  await t.step("HTTP: a range runs in order and prints each outlet as it completes", async () => {
    const o = io();
    assert.equal(await runClient(args("--port", "2-4,6", "--command", "on", "--http"), o), 0);
    assert.deepEqual(o.lines, [
      "[2] Command sent successfully.",
      "[3] Command sent successfully.",
      "[4] Command sent successfully.",
      "[6] Command sent successfully.",
    ]);
    for (const n of [2, 3, 4, 6]) assert.equal(device.get(n), "on");
    assert.equal(device.get(5), "off");
  });

  await t.step("HTTP: a refusal prints the daemon's reason, exit 127", async () => {
    const o = io();
    const code = await runClient(
      ["--daemon", "127.0.0.1", "--daemon-port", String(d.port), "--hostname", "nope"]
        .concat(["--port", "1", "--command", "off", "--http"]),
      o,
    );
    assert.equal(code, 127);
    assert.match(
      o.lines[0]!,
      /^Error sending command! 127\.0\.0\.1 replied: <Response \[503\]> .*nope/,
    );
  });

  await t.step("--api: one request, each outlet's outcome and state", async () => {
    const o = io();
    assert.equal(await runClient(args("--port", "2,3", "--command", "off", "--api"), o), 0);
    assert.deepEqual(o.lines, ["outlet 2: done, off", "outlet 3: done, off"]);
  });

  await t.step("usage errors exit 1 as pduclient does", async () => {
    const cases: [string[], RegExp][] = [
      [args("--port", "1"), /Missing option/],
      [args("--port", "1", "--command", "explode"), /Unknown pdu command: explode/],
      [args("--port", "1", "--command", "reboot", "--delay", "soon"), /invalid integer value/],
      // "x" is an outlet name (for drivers that name outlets); "x;y" is neither a name nor a list.
      [args("--port", "x;y", "--command", "on"), /Invalid --port x;y: expected .* outlet name/],
    ];
    for (const [argv, message] of cases) {
      const o = io();
      assert.equal(await runClient(argv, o), 1, argv.join(" "));
      assert.match(o.lines.join("\n"), message);
    }
  });

  await t.step("get-port-state prints 'Port state: on' as PR #219's pduclient", async () => {
    device.set(7, "on");
    const tcp = io();
    assert.equal(await runClient(args("--port", "7", "--command", "get-port-state"), tcp), 0);
    assert.deepEqual(tcp.lines, ["Port state: on"]);
    const http = io();
    assert.equal(
      await runClient(args("--port", "7,8", "--command", "get-port-state", "--http"), http),
      0,
    );
    assert.deepEqual(http.lines, ["[7] Port state: on", "[8] Port state: off"]);
    const api = io();
    assert.equal(
      await runClient(args("--port", "7", "--command", "get-port-state", "--api"), api),
      0,
    );
    assert.deepEqual(api.lines, ["outlet 7: on (device)"]);
    // A failure: the PR prints the TCP reply as it came; pdud also exits 127.
    const nack = io();
    assert.equal(await runClient(args("--port", "99", "--command", "get-port-state"), nack), 127);
    assert.deepEqual(nack.lines, ["Port state: nack"]);
    const refused = io();
    assert.equal(
      await runClient(args("--port", "99", "--command", "get-port-state", "--http"), refused),
      127,
    );
    assert.match(
      refused.lines[0]!,
      /^Error sending command! 127\.0\.0\.1 replied: <Response \[503\]> /,
    );
  });

  await t.step("an unreachable daemon: exit 1 and upstream's message", async () => {
    const o = io();
    const port = freePort();
    const code = await runClient(
      ["--daemon", "127.0.0.1", "--daemon-port", String(port), "--hostname", pdu]
        .concat(["--port", "1", "--command", "on"]),
      o,
    );
    assert.equal(code, 1);
    assert.deepEqual(o.lines, ["Error sending command, wrong daemon hostname?"]);
  });
});

Deno.test("pdud status shows every PDU; --json is machine-readable; unreachable exits 2", async () => {
  const pdu = "status-" + crypto.randomUUID();
  await using d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 2 } } });
  await control(d, "on", { hostname: pdu, port: 2 });
  const text = io();
  assert.equal(
    await runStatus(["--daemon", "127.0.0.1", "--daemon-port", String(d.port)], text),
    0,
  );
  assert.match(text.lines.join("\n"), new RegExp(`${pdu}.*simulated`));
  const json = io();
  assert.equal(
    await runStatus(["--daemon", "127.0.0.1", "--daemon-port", String(d.port), "--json"], json),
    0,
  );
  const pdus = JSON.parse(json.lines.join("\n")) as { name: string }[];
  assert.deepEqual(pdus.map((p) => p.name), [pdu]);
  const gone = io();
  const port = freePort();
  assert.equal(await runStatus(["--daemon", "127.0.0.1", "--daemon-port", String(port)], gone), 2);
});

Deno.test("pdud simulate's config drives its simulators through pdud", async () => {
  const simulators = await startSimulators(
    "simulators:\n  plug:\n    kind: tasmota\n    outlets: 2\n",
  );
  try {
    const config = configFor(simulators);
    await using d = await startDaemon(config);
    const r = await control(d, "on", { hostname: "plug", port: 2 });
    assert.equal(r.status, 200, r.body);
    assert.equal(simulators[0]!.device.get(2), "on");
  } finally {
    await Promise.all(simulators.map((s) => s.close()));
  }
  await assert.rejects(
    startSimulators("simulators:\n  x:\n    kind: no-such-kind\n"),
    /simulators\.x\.kind: unknown kind "no-such-kind"; known: .*tasmota/,
  );
});

Deno.test("pdud simulate's whole output, used as printed, is a config binding 127.0.0.1:16421 (or --listen)", async () => {
  const simulators = await startSimulators("simulators:\n  plug: {kind: tasmota, outlets: 2}\n");
  try {
    const printed = simulateOutput(simulators);
    assert.match(printed, /^# plug: tasmota on tcp:\/\/127\.0\.0\.1:\d+ \(2 outlets\)$/m);
    const config = await loadConfig(printed, { name: "printed" });
    assert.equal(config.daemon.hostname, "127.0.0.1");
    assert.equal(config.daemon.port, 16421);
    assert.deepEqual(Object.keys(config.pdus), ["plug"]);
    const elsewhere = await loadConfig(
      simulateOutput(simulators, { hostname: "::1", port: 17001 }),
    );
    assert.equal(elsewhere.daemon.hostname, "::1");
    assert.equal(elsewhere.daemon.port, 17001);
  } finally {
    await Promise.all(simulators.map((s) => s.close()));
  }
});

Deno.test("pdud check-config prints each problem with path and line, exit 3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      "daemon:\n  port: seventy\npdus:\n  a:\n    driver: localcmdline\n    retries: -1\n",
    );
    const bad = await runPdud(["check-config", file]);
    assert.equal(bad.code, 3);
    const text = bad.stdout + bad.stderr;
    assert.match(text, /daemon\.port \(line 2\)/);
    assert.match(text, /pdus\.a\.retries \(line 6\)/);
    await Deno.writeTextFile(`${dir}/good.yaml`, "pdus:\n  a: {driver: simulated}\n");
    const good = await runPdud(["check-config", `${dir}/good.yaml`]);
    assert.equal(good.code, 0, good.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drive mode: unknown alias and bad requests are clear errors", async () => {
  const unknown = await runPdud(["--drive", "--alias", "nope", "--request", "on"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no alias named "nope"/);
  const usage = await runPdud(["--drive", "--hostname", "demo-rack-a", "--port", "1"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--request on, off, reboot or get-port-state/);
  const ok = await runPdud([
    "--drive",
    "--hostname",
    "demo-rack-a",
    "--port",
    "1",
    "--request",
    "on",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /on of outlet 1 on demo-rack-a: done/);
});

Deno.test("drive mode: get-port-state, and outlets by name (--port and alias)", async () => {
  const state = await runPdud([
    "--drive",
    "--hostname",
    "demo-rack-a",
    "--port",
    "1",
    "--request",
    "get-port-state",
  ]);
  assert.equal(state.code, 0, state.stderr);
  assert.equal(state.stdout, "Port 1 state: off\n");

  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/switched`;
    await Deno.writeTextFile(
      `${dir}/pdud.json`,
      JSON.stringify({
        pdus: {
          cmd: { driver: "localcmdline", "cmd_on": `echo '%s on' >> ${log}`, retries: 1 },
          sim: { driver: "simulated", outlets: 4 },
        },
        aliases: { hub: { hostname: "cmd", port: "usb-hub-3" } },
      }),
    );
    const conf = ["--conf", `${dir}/pdud.json`, "--drive", "--request", "on"];
    const byPort = await runPdud([...conf, "--hostname", "cmd", "--port", "board-a"]);
    assert.equal(byPort.code, 0, byPort.stderr);
    assert.match(byPort.stdout, /on of outlet board-a on cmd: done/);
    const byAlias = await runPdud([...conf, "--alias", "hub"]);
    assert.equal(byAlias.code, 0, byAlias.stderr);
    assert.equal(await Deno.readTextFile(log), "board-a on\nusb-hub-3 on\n");
    const numbered = await runPdud([...conf, "--hostname", "sim", "--port", "board-a"]);
    assert.equal(numbered.code, 1);
    assert.match(
      numbered.stderr,
      /cannot name outlets: .*simulated expects an outlet number 1\.\.4/,
    );
    const bad = await runPdud([...conf, "--hostname", "cmd", "--port", "a;id"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port "a;id": expected an outlet number .* or an outlet name/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every command's --help exits 0, and the README shows each command", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  for (const command of [[], ["client"], ["status"], ["simulate"], ["check-config"]]) {
    const r = await runPdud([...command, "--help"]);
    assert.equal(r.code, 0, `${command.join(" ")} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage:/);
    if (command.length > 0) assert.ok(readme.includes(`pdud ${command[0]}`), command[0]);
  }
});
