/**
 * Reload applies the daemon section (issue 16): on a real process, removing a token and sending
 * SIGHUP revokes it at once; changing the port is refused and logged, and the old config — old
 * tokens included — keeps running. (A SIGHUP during shutdown: tests/e2e/slot_lifecycle_test.ts.)
 */
import assert from "node:assert/strict";
import { spawnPdud } from "../_helpers/process.ts";

const KEEP = "keep-0123456789abcdef";
const REVOKE = "revoke-0123456789abcdef";

function config(tokens: string[], extra = ""): string {
  return [
    "daemon:",
    "  hostname: 127.0.0.1",
    "  port: 0",
    extra,
    "  tokens:",
    ...tokens.map((secret, i) => `    - {name: t${i}-${secret.slice(0, 4)}, secret: ${secret}}`),
    "pdus:",
    "  rack: {driver: simulated, outlets: 4}",
    "",
  ].filter((l) => l !== "").join("\n");
}

async function statusWith(port: number, token: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/pdus`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await r.body?.cancel();
  return r.status;
}

Deno.test("SIGHUP: a removed token gets 401 at once; a changed port is refused and the old config stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-reload-" });
  try {
    const conf = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(conf, config([KEEP, REVOKE]));
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    assert.equal(await statusWith(pdud.port, REVOKE), 200);

    await Deno.writeTextFile(conf, config([KEEP], "  logging_level: DEBUG"));
    pdud.child.kill("SIGHUP");
    await pdud.waitForLog((r) => r.msg === "config reloaded");
    assert.equal(await statusWith(pdud.port, REVOKE), 401, "the removed token is revoked");
    assert.equal(await statusWith(pdud.port, KEEP), 200);
    const applied = await pdud.waitForLog((r) => r.msg === "daemon settings reloaded");
    assert.deepEqual(applied.changed, ["logging_level", "tokens"]);
    assert.ok(!JSON.stringify(pdud.logs).includes(REVOKE), "no token secret in the log");

    await Deno.writeTextFile(conf, config([KEEP, REVOKE]).replace("port: 0", "port: 17001"));
    pdud.child.kill("SIGHUP");
    const outcome = (r: Record<string, unknown>) =>
      r.msg === "reload refused; the running config stays" ||
      (r.msg === "config reloaded" && pdud.logs.filter((l) => l.msg === r.msg).length > 1);
    const refused = await pdud.waitForLog(outcome);
    assert.equal(refused.msg, "reload refused; the running config stays");
    assert.match(
      String(refused.error),
      /daemon\.port: changed from 0 to 17001; this takes effect only when pdud restarts/,
    );
    assert.equal(await statusWith(pdud.port, REVOKE), 401, "nothing of the refused config applied");
    assert.equal(await statusWith(pdud.port, KEEP), 200, "still serving on the old port");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
