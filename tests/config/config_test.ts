import assert from "node:assert/strict";
import { ConfigError, DEMO_CONFIG, loadConfig } from "../../config/mod.ts";

const FIXTURE = new URL("../_fixtures/upstream-pdudaemon.conf", import.meta.url);
/** The file Debian's pdudaemon package installs as /etc/pdudaemon/pdudaemon.conf. */
const DEBIAN_FIXTURE = new URL("../_fixtures/debian-pdudaemon.conf", import.meta.url);

async function issuesOf(text: string | unknown) {
  try {
    await loadConfig(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues;
  }
  assert.fail("expected the config to be refused");
}

Deno.test("upstream's pdudaemon.conf loads unchanged, with upstream defaults", async () => {
  const config = await loadConfig(await Deno.readTextFile(FIXTURE), { name: "pdudaemon.conf" });
  assert.equal(config.daemon.port, 16421);
  assert.equal(config.daemon.listener, "http");
  assert.equal(config.daemon.hostname, "0.0.0.0");
  const http = config.pdus["http"]!;
  assert.equal(http.driver, "localcmdline");
  assert.equal(http.retries, 5);
  assert.equal(http.retrydelay, 5);
  assert.equal(config.pdus["apc7952-retries"]?.retries, 2);
  assert.deepEqual(config.aliases["aliastesthttp01"], { hostname: "httpalias", port: 1 });
  assert.equal(Object.keys(config.pdus).length, 31);
});

Deno.test("Debian's packaged /etc/pdudaemon/pdudaemon.conf loads unchanged", async () => {
  const config = await loadConfig(await Deno.readTextFile(DEBIAN_FIXTURE), {
    name: "pdudaemon.conf",
  });
  assert.equal(config.daemon.hostname, "0.0.0.0");
  assert.equal(config.daemon.port, 16421);
  assert.equal(config.daemon.listener, "http");
  assert.equal(Object.keys(config.pdus).length, 26);
  for (const pdu of Object.values(config.pdus)) {
    assert.equal(pdu.available, true, `${pdu.name} (${pdu.driver}) is available`);
  }
  // Debian's copy writes the Cleware serials as strings, upstream's current one as integers.
  assert.deepEqual(config.pdus["cleware-usb-switch-4"]?.options, { serial: 12345, sysroot: "/" });
  assert.deepEqual(config.pdus["esphome"]?.options, {
    "switch_ids": ["relay_1"],
    port: 80,
    username: "admin",
    password: "web",
  });
  assert.deepEqual(config.aliases["aliastestdrive02"], { hostname: "drivealias", port: 2 });
});

Deno.test("the embedded demo config loads", async () => {
  const config = await loadConfig(DEMO_CONFIG);
  assert.ok(Object.keys(config.pdus).length >= 3);
  assert.equal(config.daemon.hostname, "127.0.0.1");
});

Deno.test("an invalid config lists every problem by path and line", async () => {
  const issues = await issuesOf(`daemon:
  port: 99999
  listner: http
pdus:
  a:
    driver: localcmdline
    cmd_onn: "echo"
  b:
    driver: nosuchdriver
  c:
    driver: simulated
    retries: 0
aliases:
  x:
    hostname: missing
    port: 1
`);
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
  assert.ok(byPath["daemon.port"], "port out of range");
  assert.equal(byPath["daemon.listner"]?.line, 3);
  assert.equal(byPath["pdus.a.cmd_onn"]?.message, 'unknown key; did you mean "cmd_on"?');
  assert.equal(byPath["pdus.a.cmd_onn"]?.line, 7);
  assert.match(
    byPath["pdus.b.driver"]?.message ?? "",
    /^unknown driver "nosuchdriver" \(docs\/drivers\.md lists every name\)$/,
  );
  assert.equal(byPath["pdus.b.driver"]?.line, 9);
  assert.ok(byPath["pdus.c.retries"]);
  assert.match(
    byPath["aliases.x.hostname"]?.message ?? "",
    /names PDU "missing", which is not in pdus/,
  );
  assert.equal(issues.length, 6);
});

Deno.test("syntax errors are reported with a line", async () => {
  const issues = await issuesOf("pdus:\n  a: {driver: localcmdline\n  b: [\n");
  assert.equal(issues.length >= 1, true);
  assert.ok(issues[0]?.line);
  assert.match(issues[0]!.message, /not valid YAML or JSON/);
});

Deno.test("string numbers from upstream configs are accepted; garbage is not", async () => {
  const ok = await loadConfig({
    daemon: { port: "16422" },
    pdus: { p: { driver: "simulated", retries: "3" } },
  });
  assert.equal(ok.daemon.port, 16422);
  assert.equal(ok.pdus["p"]?.retries, 3);
  const issues = await issuesOf({ pdus: { p: { driver: "simulated", timeout: "soon" } } });
  assert.equal(issues[0]?.path, "pdus.p.timeout");
});

Deno.test("a key given twice in a mapping is refused with both lines, in JSON and in YAML", async () => {
  const json = `{
  "pdus": {
    "rack-a": {"driver": "simulated", "outlets": 8},
    "rack-b": {"driver": "simulated", "outlets": 8},
    "rack-a": {"driver": "simulated", "outlets": 4}
  }
}`;
  assert.deepEqual(
    (await issuesOf(json)).map((i) => [i.line, i.message]),
    [[5, 'key "rack-a" is given twice (first on line 3); each key may appear once in a mapping']],
  );
  const yaml = "pdus:\n  rack-a:\n    driver: simulated\n    driver: localcmdline\n";
  assert.deepEqual((await issuesOf(yaml)).map((i) => i.line), [4]);
  // The same name in different mappings is fine.
  await loadConfig("pdus:\n  a: {driver: simulated}\n  b: {driver: simulated}\n");
});

Deno.test("JSON configs: problems keep their lines; a repeated key is refused with colons and escapes in strings", async () => {
  const invalid = `{
  "pdus": {
    "a": {"driver": "simulated", "outlets": "eight"}
  }
}`;
  const [issue] = await issuesOf(invalid);
  assert.equal(issue?.line, 3);
  // Colons and escaped quotes and backslashes inside strings must not hide the second "a".
  const tricky = String.raw`{
  "pdus": {
    "a": {"driver": "localcmdline", "cmd_on": "echo \\\" x:y \" : ", "cmd_off": "b:c\\"},
    "a": {"driver": "localcmdline", "cmd_on": "on:%d", "cmd_off": "off:%d"}
  }
}`;
  assert.equal(JSON.parse(tricky).pdus.a.cmd_on, "on:%d", "the fixture is valid JSON");
  assert.deepEqual((await issuesOf(tricky)).map((i) => i.line), [4]);
  // Without the repeat the same strings load intact.
  const single = tricky.split("\n").filter((_, i) => i !== 3).join("\n").replace(
    '\\\\"},',
    '\\\\"}',
  );
  const config = await loadConfig(single);
  assert.equal(config.pdus.a?.driver, "localcmdline");
  assert.deepEqual(
    config.pdus.a?.options,
    { "cmd_on": 'echo \\" x:y " : ', "cmd_off": "b:c\\", shell: "/bin/sh" },
  );
});
