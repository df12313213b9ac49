/**
 * Outlets named instead of numbered (upstream b30c332, pdudaemon issues #144 and #101): over
 * HTTP, legacy TCP, aliases and the JSON API, switched by localcmdline, which receives the name
 * as one argument of its shell (never inside the shell text). Drivers that number their outlets
 * refuse a name, naming the driver and what it expects; names outside [A-Za-z0-9._:-] are
 * refused before anything runs; a named outlet keeps its own queue order.
 */
import assert from "node:assert/strict";
import { heads } from "../../actors/scheduler.ts";
import { parseOutlet } from "../../config/mod.ts";
import { DriverError, findDriver } from "../../drivers/mod.ts";
import { memoryLogger } from "../_helpers/log.ts";
import { scriptForName } from "../../drivers/local/localcmdline.ts";
import { parseUpstreamRequest } from "../../routes/params.ts";
import { checkpointRecords, lastStates } from "../../daemon/audit.ts";
import { control, legacyExchange, startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

const legacy = legacyExchange;

/** A daemon with a localcmdline PDU whose commands append "NAME on|off" lines to a file. */
async function cmdDaemon(
  extra: { pdus?: Record<string, unknown>; aliases?: Record<string, unknown> } = {},
): Promise<{ d: TestDaemon; lines: () => string[]; file: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/switched`;
  await Deno.writeTextFile(file, "");
  const d = await startDaemon({
    pdus: {
      // Upstream's own example form (share/pdudaemon.conf): %s inside single quotes; and the
      // bare form, with printf's own %% kept.
      cmd: {
        driver: "localcmdline",
        "cmd_on": `echo '%s on' >> ${file}`,
        "cmd_off": `printf '%%s off\\n' %s >> ${file}`,
        retries: 1,
      },
      ...extra.pdus,
    },
    aliases: { hub: { hostname: "cmd", port: "usb-hub-3" }, ...extra.aliases },
  });
  const lines = () => Deno.readTextFileSync(file).split("\n").filter((l) => l !== "");
  return {
    d,
    file,
    lines,
    async [Symbol.asyncDispose]() {
      await d.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a port word is an outlet number when it is digits, else a name of [A-Za-z0-9._:-]", () => {
  assert.deepEqual(parseOutlet("05"), { outlet: 5 });
  assert.deepEqual(parseOutlet("board-a"), { outlet: "board-a" });
  assert.deepEqual(parseOutlet("hub:1.2_x"), { outlet: "hub:1.2_x" });
  assert.deepEqual(parseOutlet("a".repeat(64)), { outlet: "a".repeat(64) });
  for (
    const bad of ["", "a".repeat(65), "a b", "a;b", "$(id)", "a/b", "-rf", ".hidden", "ä", "99999"]
  ) {
    assert.ok("reason" in parseOutlet(bad), `refused: ${JSON.stringify(bad)}`);
  }
  const refused = parseUpstreamRequest(
    "on",
    new URLSearchParams({ hostname: "cmd", port: "a;reboot" }),
  );
  assert.deepEqual(refused, {
    ok: false,
    reason: "port: expected an outlet number (an integer 0-65535) or an outlet name " +
      "(1-64 characters of A-Z a-z 0-9 . _ : -, beginning with a letter or digit)",
  });
});

Deno.test("localcmdline's script for a name refers to $1 wherever %s stands, never to the name", () => {
  assert.deepEqual(scriptForName("relay %s"), { script: 'relay "${1}"' });
  assert.deepEqual(scriptForName(`echo '%s on' >> /tmp/pdu`), {
    script: `echo ''"\${1}"' on' >> /tmp/pdu`,
  });
  assert.deepEqual(scriptForName('curl "http://x/%s?on=1"'), {
    script: 'curl "http://x/${1}?on=1"',
  });
  assert.deepEqual(scriptForName(`printf '%%s\\n' %s; date +%H`), {
    script: `printf '%s\\n' "\${1}"; date +%H`,
  });
  assert.deepEqual(scriptForName("relay \\'%s"), { script: `relay \\'"\${1}"` });
  assert.ok("reason" in scriptForName("relay %d"));
});

Deno.test("named outlets end to end: HTTP, legacy TCP, alias, JSON API (localcmdline)", async () => {
  await using t = await cmdDaemon();
  const { d, lines } = t;

  assert.deepEqual(await control(d, "on", { hostname: "cmd", port: "board-a" }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.deepEqual(await control(d, "off", { hostname: "cmd", port: "board-a" }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.equal(await legacy(d.port, "cmd board.b:2 on"), "ack\n");
  assert.deepEqual(await control(d, "on", { alias: "hub" }), {
    status: 200,
    body: "OK - accepted request\n",
  });
  const api = await fetch(`${d.url}/api/v1/pdus/cmd/outlets/board-c/off`, { method: "POST" });
  assert.equal(api.status, 200);
  const body = await api.json();
  assert.equal(body.results[0].outlet, "board-c");
  assert.equal(body.results[0].state, "off");
  // Numbers still work beside names.
  assert.equal(await legacy(d.port, "cmd 4 on"), "ack\n");
  assert.deepEqual(lines(), [
    "board-a on",
    "board-a off",
    "board.b:2 on",
    "usb-hub-3 on",
    "board-c off",
    "4 on",
  ]);

  // localcmdline cannot read; the state pdud last set is answered, marked as such.
  const read = await fetch(`${d.url}/api/v1/pdus/cmd/outlets/board-a`);
  assert.deepEqual(await read.json(), {
    pdu: "cmd",
    outlet: "board-a",
    state: "off",
    source: "commanded",
  });
  const state = await control(d, "get-port-state", { hostname: "cmd", port: "usb-hub-3" });
  assert.deepEqual(state, { status: 200, body: '{"state": "on"}\n' });
  // As pduclient sends it: no newline, so the line is complete once its command word is.
  assert.equal(await legacy(d.port, "cmd board.b:2 get-port-state"), "on\n");
});

Deno.test("a bad name is refused before anything runs, over HTTP, legacy TCP and the JSON API", async () => {
  await using t = await cmdDaemon();
  const { d, lines } = t;
  for (const port of ["a;touch x", "$(id)", "`id`", "a b", "-rf", "a".repeat(65)]) {
    const r = await control(d, "on", { hostname: "cmd", port });
    assert.equal(r.status, 503, port);
    assert.match(r.body, /^Invalid request: port: expected an outlet number .* or an outlet name/);
  }
  assert.equal(await legacy(d.port, "cmd a;id on\n"), "nack\n");
  const api = await fetch(`${d.url}/api/v1/pdus/cmd/outlets/a;id/on`, { method: "POST" });
  assert.equal(api.status, 400);
  assert.match((await api.json()).error, /outlet name \(1-64 characters/);
  const read = await fetch(`${d.url}/api/v1/pdus/cmd/outlets/_x`);
  assert.equal(read.status, 400);
  assert.match((await read.json()).error, /outlet name/);
  assert.deepEqual(lines(), []);
});

Deno.test("a driver that numbers its outlets refuses a name, saying what it expects", async () => {
  const name = `numbered-${crypto.randomUUID().slice(0, 8)}`;
  await using t = await cmdDaemon({
    pdus: { [name]: { driver: "simulated", outlets: 8, retries: 1 } },
    aliases: { "named-on-numbered": { hostname: name, port: "board-a" } },
  });
  const r = await control(t.d, "on", { hostname: name, port: "board-a" });
  assert.deepEqual(r, {
    status: 503,
    body: `PDU "${name}" (driver simulated) cannot name outlets: port "board-a" is a name, ` +
      `and simulated expects an outlet number 1..8\n`,
  });
  // An upstream config with such an alias loads (as upstream loads it); the request is refused.
  const alias = await control(t.d, "on", { alias: "named-on-numbered" });
  assert.equal(alias.status, 503);
  assert.match(alias.body, /cannot name outlets/);
  assert.equal(await legacy(t.d.port, `${name} board-a on`), "nack\n");
  const api = await fetch(`${t.d.url}/api/v1/pdus/${name}/outlets/board-a/on`, { method: "POST" });
  assert.equal(api.status, 400);
  assert.match((await api.json()).results[0].reason, /simulated expects an outlet number 1\.\.8/);
});

Deno.test("localcmdline with %d cannot take a name, as upstream, and says to use %s", async () => {
  await using t = await cmdDaemon({
    pdus: { dee: { driver: "localcmdline", "cmd_on": "relay %d on", retries: 1 } },
  });
  const r = await control(t.d, "on", { hostname: "dee", port: "board-a" });
  assert.equal(r.status, 503);
  assert.match(r.body, /cmd_on it uses %d, which takes an outlet number; write %s/);
});

Deno.test("a named outlet keeps its own queue: a reboot's off and on come before the next request", async () => {
  await using t = await cmdDaemon();
  const { d, lines } = t;
  const control = d.daemon.supervisor;
  // Submitted in this order (a submit queues at once): the off must wait for the whole reboot.
  const reboot = control.submit({
    pdu: "cmd",
    command: { type: "reboot", outlet: "board-a", delay: 0.5 },
  });
  const off = control.submit({ pdu: "cmd", command: { type: "off", outlet: "board-a" } });
  const other = control.submit({ pdu: "cmd", command: { type: "on", outlet: "board-b" } });
  for (const r of await Promise.all([reboot, off, other])) assert.equal(r.status, "done");
  const a = lines().filter((l) => l.startsWith("board-a "));
  assert.deepEqual(a, ["board-a off", "board-a on", "board-a off"]);
  // board-b did not wait for board-a's reboot.
  assert.ok(lines().indexOf("board-b on") < lines().indexOf("board-a on"));
});

Deno.test("the scheduler keys outlets by identity: a name and a number are different queues", () => {
  const jobs = [
    { seq: 1, outlet: "a" },
    { seq: 2, outlet: 1 },
    { seq: 3, outlet: "a" },
    { seq: 4, outlet: "b" },
  ];
  assert.deepEqual(heads(jobs, (j) => j.outlet).map((j) => j.seq), [1, 2, 4]);
});

Deno.test("the audit log restores named outlets as names and numbered ones as numbers", () => {
  const records = checkpointRecords([{
    name: "cmd",
    outlets: {
      "3": { state: "on", at: "2026-01-01T00:00:00.000Z" },
      "board-a": { state: "off", at: "2026-01-01T00:00:01.000Z" },
    },
  }]);
  assert.deepEqual(records.map((r) => r.outlet), [3, "board-a"]);
  const text = [
    ...records.map((r) => JSON.stringify(r)),
    JSON.stringify({ event: "set", pdu: "cmd", outlet: "usb-hub-3", state: "on", time: "x" }),
    // Not a name pdud would have accepted: ignored, as any malformed record.
    JSON.stringify({ event: "set", pdu: "cmd", outlet: "a;b", state: "on", time: "x" }),
  ].join("\n");
  assert.deepEqual([...lastStates(text).get("cmd")!.keys()], [3, "board-a", "usb-hub-3"]);
});

Deno.test("localcmdline refuses a malformed name itself, should one ever get past the routes", async () => {
  const descriptor = findDriver("localcmdline")!;
  const dir = await Deno.makeTempDir();
  try {
    const driver = descriptor.create("cmd", {
      options: descriptor.options.parse({ "cmd_on": `touch ${dir}/ran-%s` }),
      log: memoryLogger(),
    });
    for (const name of ["a b", "a;touch x", "$(id)", "-rf", ""]) {
      await assert.rejects(
        driver.setNamedOutlet!(name, "on", { signal: AbortSignal.timeout(5000) }),
        (e: unknown) =>
          e instanceof DriverError && e.kind === "config" && /outlet name/.test(e.message),
      );
    }
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    // A good name is one word for the command, whatever the template does with it.
    await driver.setNamedOutlet!("hub:1.2", "on", { signal: AbortSignal.timeout(5000) });
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), [
      "ran-hub:1.2",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
