/** `pdud status --pdu NAME`: every outlet of one PDU, read through a running daemon. */
import assert from "node:assert/strict";
import { runStatus } from "../../cli/status.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { startDaemon } from "../_helpers/daemon.ts";

function io() {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (t: string) => lines.push(t), err: (t: string) => errors.push(t) };
}

Deno.test("pdud status --pdu prints every outlet's state, name and power from the device", async () => {
  await using sim = await startSimulator("netio-json", { outlets: 3 });
  sim.device.set(2, "on");
  sim.device.setLoad(2, 17.25, 420);
  await using d = await startDaemon({ pdus: { rack: { ...sim.pduConfig(), retries: 1 } } });
  const out = io();
  const code = await runStatus(
    ["--daemon", "127.0.0.1", "--daemon-port", String(d.port), "--pdu", "rack"],
    out,
  );
  assert.equal(code, 0, out.errors.join("\n"));
  assert.deepEqual(out.lines, [
    "OUTLET  STATE  NAME            WATTS  ENERGY_WH  VOLTS  AMPS",
    "1       off    Power output 1  0      0          230    0",
    "2       on     Power output 2  17.25  420        230    0.075",
    "3       off    Power output 3  0      0          230    0",
    "rack: 3 outlets, listed at once (1 device exchange)",
  ]);
});

Deno.test("pdud status --pdu --json: outlet by outlet where the driver cannot list (ip9850)", async () => {
  await using sim = await startSimulator("ip9850", { outlets: 4 });
  sim.device.set(3, "on");
  await using d = await startDaemon({
    pdus: { [sim.pduHostname]: { ...sim.pduConfig(), retries: 1 } },
  });
  const before = sim.device.received.length;
  const out = io();
  const code = await runStatus(
    ["--daemon", "127.0.0.1", "--daemon-port", String(d.port), "--pdu", sim.pduHostname, "--json"],
    out,
  );
  assert.equal(code, 0, out.errors.join("\n"));
  const body = JSON.parse(out.lines.join("\n"));
  assert.deepEqual(body, {
    pdu: sim.pduHostname,
    outlets: [
      { outlet: 1, state: "off" },
      { outlet: 2, state: "off" },
      { outlet: 3, state: "on" },
      { outlet: 4, state: "off" },
    ],
    source: "per-outlet",
    exchanges: 4,
  });
  assert.equal(sim.device.received.length - before, 4, "one request per outlet");
});

Deno.test("pdud status --pdu: an unknown PDU exits 2, a PDU that cannot list exits 1", async () => {
  const tmp = await Deno.makeTempFile();
  try {
    await using d = await startDaemon({
      pdus: { cmd: { driver: "localcmdline", "cmd_on": `echo on >> ${tmp}`, "cmd_off": "true" } },
    });
    const unknown = io();
    const args = ["--daemon", "127.0.0.1", "--daemon-port", String(d.port), "--pdu"];
    assert.equal(await runStatus([...args, "nope"], unknown), 2);
    assert.match(unknown.errors.join(""), /nope: 404: no PDU named "nope"/);
    const cannot = io();
    assert.equal(await runStatus([...args, "cmd"], cannot), 1);
    assert.match(cannot.errors.join(""), /cmd: 501: /);
  } finally {
    await Deno.remove(tmp);
  }
});
