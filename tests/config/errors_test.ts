/**
 * Config mistakes get help (issue 14.10): a misspelt key or driver name is answered with the
 * closest known names (at most three), and a file meant as JSON (it starts with `{`) that is not
 * valid JSON is a JSON error with line and column, never silently read as YAML.
 */
import assert from "node:assert/strict";
import { ConfigError, type ConfigIssue, formatIssue, loadConfig } from "../../config/mod.ts";
import { closest, editDistance } from "../../config/_suggest.ts";

async function issuesOf(source: string | unknown): Promise<readonly ConfigIssue[]> {
  try {
    await loadConfig(source);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues;
  }
  assert.fail("expected the config to be refused");
}

async function messageAt(source: string | unknown, path: string): Promise<string> {
  const issue = (await issuesOf(source)).find((i) => i.path === path);
  assert.ok(issue, `no issue at ${path}`);
  return issue.message;
}

Deno.test("editDistance counts a swap of neighbours as one edit", () => {
  assert.equal(editDistance("community", "community"), 0);
  assert.equal(editDistance("comunity", "community"), 1);
  assert.equal(editDistance("commuinty", "community"), 1);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("closest() gives at most three names, best first, and nothing for an unrelated word", () => {
  assert.deepEqual(closest("comunity", ["community", "command", "port"]), ["community"]);
  assert.deepEqual(closest("APC7952", ["apc7952", "apc7932"]), ["apc7952"]);
  assert.deepEqual(closest("cmd_onn", ["cmd_on", "cmd_off"]), ["cmd_on"]);
  assert.ok(closest("apc79", ["apc7900", "apc7901", "apc7920", "apc7921", "apc7952"]).length <= 3);
  assert.deepEqual(closest("zzzzzz", ["community", "port"]), []);
});

Deno.test("an unknown PDU key suggests the driver's key it resembles", async () => {
  const message = await messageAt(
    {
      pdus: {
        rack: {
          driver: "snmpv1",
          mib: "PowerNet-MIB",
          controlpoint: "sPDUOutletCtl",
          comunity: "private",
        },
      },
    },
    "pdus.rack.comunity",
  );
  assert.equal(message, 'unknown key; did you mean "community"?');
});

Deno.test("a misspelt common PDU key (retries) is suggested for any driver", async () => {
  const message = await messageAt(
    { pdus: { rack: { driver: "simulated", retires: 3 } } },
    "pdus.rack.retires",
  );
  assert.match(message, /did you mean "retries"/);
});

Deno.test("unknown keys in the daemon section, a token and a section name get suggestions", async () => {
  assert.equal(
    await messageAt({ daemon: { listner: "http" } }, "daemon.listner"),
    'unknown key; did you mean "listener"?',
  );
  assert.equal(
    await messageAt(
      { daemon: { tokens: [{ name: "ci", secret: "0123456789abcdef", scop: "read" }] } },
      "daemon.tokens.0.scop",
    ),
    'unknown key; did you mean "scope"?',
  );
  assert.match(
    await messageAt({ deamon: {} }, "deamon"),
    /^unknown section; did you mean "daemon"\?/,
  );
});

Deno.test("an unknown key with nothing close says only that it is unknown", async () => {
  assert.equal(
    await messageAt({ pdus: { rack: { driver: "simulated", zzzzzz: 1 } } }, "pdus.rack.zzzzzz"),
    "unknown key",
  );
});

Deno.test("an unknown driver suggests at most three close names, not the whole list", async () => {
  const message = await messageAt({ pdus: { rack: { driver: "apc7953" } } }, "pdus.rack.driver");
  assert.match(message, /^unknown driver "apc7953"; did you mean "apc7952"/);
  const suggested = message.match(/"[^"]+"/g)!.slice(1);
  assert.ok(suggested.length >= 1 && suggested.length <= 3, message);
  assert.ok(message.length < 200, `a short message, not the list of every driver: ${message}`);
});

Deno.test("a file starting with { that is not valid JSON is a JSON error with line and column", async () => {
  const text = `{
  "daemon": {"port": 16421},
  "pdus": {
    "a": {"driver": "simulated",}
  }
}`;
  const issues = await issuesOf(text);
  assert.equal(issues.length, 1);
  const [issue] = issues;
  assert.match(issue!.message, /^not valid JSON: /);
  assert.equal(issue!.line, 4);
  assert.equal(issue!.column, 33);
  assert.match(formatIssue(issue!), /^\(top level\) \(line 4, column 33\): not valid JSON/);
});

Deno.test("a YAML flow mapping starting with { is refused as JSON, not loaded as YAML", async () => {
  const issues = await issuesOf("{pdus: {a: {driver: simulated}}}");
  assert.match(issues[0]!.message, /not valid JSON/);
  assert.equal(issues[0]!.line, 1);
  assert.equal(issues[0]!.column, 2);
});

Deno.test("a JSON file cut short is a JSON error at its end", async () => {
  const issues = await issuesOf('{\n  "pdus": {\n');
  assert.match(issues[0]!.message, /not valid JSON/);
  assert.equal(issues[0]!.line, 3);
});
