/** Secrets never reach a log line; request bytes never reach a shell. */
import assert from "node:assert/strict";
import { createLogger } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";

Deno.test("bearer tokens never appear in the logs, even at DEBUG, and hostile outlets never reach the shell", async () => {
  const lines: string[] = [];
  const dir = await Deno.makeTempDir();
  const marker = `${dir}/ran`;
  const config = await loadConfig({
    daemon: {
      tokens: [{ name: "ci", secret: "very-secret-token-value-42" }],
      "logging_level": "DEBUG",
    },
    pdus: {
      cmd: { driver: "localcmdline", "cmd_on": `touch ${marker}-%d`, "cmd_off": "true" },
    },
  });
  const daemon = await startDaemon(config, {
    log: createLogger({ level: "debug", write: (l) => lines.push(l) }),
    listen: { hostname: "127.0.0.1", port: 0 },
  });
  try {
    const base = `http://127.0.0.1:${daemon.listeners.port}`;
    const auth = { authorization: "Bearer very-secret-token-value-42" };
    const on = await fetch(`${base}/power/control/on?hostname=cmd&port=7`, { headers: auth });
    assert.equal(on.status, 200, await on.text());
    // A hostile outlet never reaches the shell: the command would have created a file.
    for (const port of ["1;touch%20x", "$(id)", "1%0Atouch", "`id`"]) {
      const r = await fetch(`${base}/power/control/on?hostname=cmd&port=${port}`, {
        headers: auth,
      });
      assert.equal(r.status, 503);
      await r.body?.cancel();
    }
    await fetch(`${base}/power/control/on?hostname=cmd&port=7`, {
      headers: { authorization: "Bearer wrong-guess-0123456789" },
    })
      .then((r) => r.body?.cancel());
  } finally {
    await daemon.stop(1000);
  }
  const created = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  assert.deepEqual(created, ["ran-7"], "only the validated outlet ran the command");
  await Deno.remove(dir, { recursive: true });
  assert.ok(lines.length > 5, "debug logging happened");
  for (const line of lines) {
    assert.doesNotMatch(line, /very-secret-token-value-42|wrong-guess-0123456789/, line);
  }
});

Deno.test("the logger redacts password, passphrase, community, token and key fields", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (l) => lines.push(l) }).child({
    password: "p4ss",
  });
  log.debug("connecting", {
    community: "private-comm",
    authpassphrase: "auth-phrase",
    options: { privpassphrase: "priv-phrase", token: "tok", privkey: "key", user: "admin" },
  });
  const record = JSON.parse(lines[0]!);
  assert.equal(record.password, "[redacted]");
  assert.equal(record.community, "[redacted]");
  assert.equal(record.authpassphrase, "[redacted]");
  assert.deepEqual(record.options, {
    privpassphrase: "[redacted]",
    token: "[redacted]",
    privkey: "[redacted]",
    user: "admin",
  });
  assert.doesNotMatch(lines[0]!, /p4ss|private-comm|auth-phrase|priv-phrase/);
});
