/**
 * pdud gives up Deno's `run` and `write` permissions when its config needs neither, keeps them
 * when a PDU does, and refuses a reload that would need one it has given up.
 */
import assert from "node:assert/strict";
import { spawnPdud } from "../_helpers/process.ts";

// Port 0: a fixed port would collide with anything else on this machine (a bench, a daemon).
const SIMULATED = `daemon:\n  port: 0\npdus:\n  sim1:\n    driver: simulated\n    outlets: 4\n`;
const WITH_COMMAND = SIMULATED +
  `  relay:\n    driver: localcmdline\n    cmd_on: "true"\n    cmd_off: "true"\n`;

async function configFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "pdud-perm-", suffix: ".yaml" });
  await Deno.writeTextFile(path, text);
  return path;
}

const permissionsLine = (r: Record<string, unknown>) => r.msg === "permissions";

Deno.test("a config with no command driver and no audit log: pdud drops run and write", async () => {
  const conf = await configFile(SIMULATED);
  try {
    await using pdud = await spawnPdud([`--conf=${conf}`, "--listener=http"]);
    const line = await pdud.waitForLog(permissionsLine);
    assert.deepEqual(line.dropped, ["run", "write"]);
    assert.equal(line.kept, "net, read, env");

    // A reload that brings a command driver cannot be honoured: refused, the old config stays.
    await Deno.writeTextFile(conf, WITH_COMMAND);
    pdud.child.kill("SIGHUP");
    const refused = await pdud.waitForLog((r) =>
      r.msg === "reload refused; the running config stays"
    );
    assert.match(
      String(refused.error),
      /pdus\.relay: pdus\.relay \(driver localcmdline\) needs --allow-run, which pdud gave up at start/,
    );
    const status = await fetch(`http://127.0.0.1:${pdud.port}/api/v1/pdus`);
    const pdus = await status.json() as { name?: string }[] | Record<string, unknown>;
    assert.equal(status.status, 200);
    assert.ok(JSON.stringify(pdus).includes('"sim1"'), "the running config still serves");
    assert.ok(!JSON.stringify(pdus).includes('"relay"'), "the refused config was not loaded");
  } finally {
    await Deno.remove(conf);
  }
});

Deno.test("a config with localcmdline keeps run, and its commands still run", async () => {
  const conf = await configFile(WITH_COMMAND);
  try {
    await using pdud = await spawnPdud([`--conf=${conf}`, "--listener=http"]);
    const line = await pdud.waitForLog(permissionsLine);
    assert.deepEqual(line.dropped, ["write"]);
    const r = await fetch(
      `http://127.0.0.1:${pdud.port}/power/control/on?hostname=relay&port=1`,
    );
    assert.equal(r.status, 200, await r.text());
  } finally {
    await Deno.remove(conf);
  }
});

Deno.test("an audit log keeps write", async () => {
  const audit = await Deno.makeTempFile({ prefix: "pdud-perm-audit-" });
  const conf = await configFile(SIMULATED.replace("pdus:", `  audit_log: ${audit}\npdus:`));
  try {
    await using pdud = await spawnPdud([`--conf=${conf}`, "--listener=http"]);
    const line = await pdud.waitForLog(permissionsLine);
    assert.deepEqual(line.dropped, ["run"]);
    const r = await fetch(`http://127.0.0.1:${pdud.port}/power/control/on?hostname=sim1&port=2`);
    assert.equal(r.status, 200, await r.text());
  } finally {
    await Deno.remove(conf);
    await Deno.remove(audit);
  }
});
