/**
 * `drivers.plugins` at load (issue 17.6): each way a plugin can be unusable is a config error
 * naming the file, never a half-loaded config; URLs only with `drivers.allow_urls`; a reload needs
 * a restart when the list or a file changed.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig, pluginChanges } from "../../config/mod.ts";

const GOOD = (name: string) =>
  `export default ({ z }) => ({
  names: [${JSON.stringify(name)}],
  summary: "test relay",
  options: z.object({ relays: z.number().int().default(2) }).strict(),
  create: () => ({ async setOutlet() {}, async close() {} }),
});
`;

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-plugin-config-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The messages loadConfig refuses `config` with. */
async function problems(config: unknown, base?: string): Promise<string[]> {
  try {
    await loadConfig(config, base === undefined ? {} : { base });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail("the config loaded");
}

Deno.test("a plugin's drivers validate and build PDUs like built-in ones", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/relay.js`, GOOD("test_relay_a"));
    const config = await loadConfig({
      drivers: { plugins: ["relay.js"] },
      pdus: { r: { driver: "test_relay_a", relays: 3 } },
    }, { base: dir });
    assert.deepEqual(config.pdus.r?.options, { relays: 3 });
    assert.equal(config.plugins?.[0]?.source, `${dir}/relay.js`);
    assert.deepEqual(
      await problems({
        drivers: { plugins: [`${dir}/relay.js`] },
        pdus: { r: { driver: "test_relay_a", relay: 3 } },
      }),
      ['pdus.r.relay: unknown key; did you mean "relays"?'],
    );
  });
});

Deno.test("unusable plugins are config errors naming the file", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/none.js`, "export const driver = {};\n");
    await Deno.writeTextFile(
      `${dir}/bad.js`,
      'export default { names: ["ok_name", "bad name"], summary: "", options: {} };\n',
    );
    await Deno.writeTextFile(
      `${dir}/throws.js`,
      'export default () => { throw new Error("boom"); };\n',
    );
    await Deno.writeTextFile(`${dir}/syntax.js`, "export default {\n");
    await Deno.writeTextFile(`${dir}/builtin.js`, GOOD("APC7952"));
    await Deno.writeTextFile(`${dir}/one.js`, GOOD("test_relay_b"));
    await Deno.writeTextFile(`${dir}/two.js`, GOOD("Test_Relay_B"));
    const found = await problems({
      drivers: {
        plugins: [
          "missing.ts",
          "none.js",
          "bad.js",
          "throws.js",
          "syntax.js",
          "builtin.js",
          "one.js",
          "two.js",
          "one.js",
          "https://plugins.example/relay.ts",
          "ftp://plugins.example/relay.ts",
        ],
      },
      pdus: { r: { driver: "test_relay_c" } },
    }, dir);
    const expected: (string | RegExp)[] = [
      new RegExp(`^drivers\\.plugins\\.0: cannot read plugin ${dir}/missing\\.ts: No such file`),
      new RegExp(
        `^drivers\\.plugins\\.1: plugin ${dir}/none\\.js has no default export.*\\(it exports driver\\)$`,
      ),
      /^drivers\.plugins\.2: plugin \S+bad\.js its driver: driver name "bad name" is not valid/,
      /^drivers\.plugins\.2: plugin \S+bad\.js its driver: `summary` must be/,
      /^drivers\.plugins\.2: plugin \S+bad\.js its driver: `options` must be a zod schema/,
      /^drivers\.plugins\.2: plugin \S+bad\.js its driver: `create\(hostname, \{ options, log \}\)` must be a function/,
      /^drivers\.plugins\.3: plugin \S+throws\.js its default export threw: boom$/,
      new RegExp(`^drivers\\.plugins\\.4: cannot import plugin ${dir}/syntax\\.js: `),
      /^drivers\.plugins\.5: plugin \S+builtin\.js registers driver "APC7952", which is pdud's built-in driver "apc7952"; a plugin cannot replace a built-in driver/,
      new RegExp(
        `^drivers\\.plugins\\.7: plugin ${dir}/two\\.js registers driver "Test_Relay_B", which plugin ${dir}/one\\.js registers too`,
      ),
      new RegExp(`^drivers\\.plugins\\.8: plugin ${dir}/one\\.js is listed twice$`),
      /^drivers\.plugins\.9: plugin https:\/\/plugins\.example\/relay\.ts is a URL; loading a driver from a URL needs drivers\.allow_urls: true/,
      /^drivers\.plugins\.10: plugin ftp:\/\/plugins\.example\/relay\.ts: expected a file path, a file: URL or \(with drivers\.allow_urls\) an http\(s\) URL, not a ftp: URL$/,
      /^pdus\.r\.driver: unknown driver "test_relay_c"; did you mean "test_relay_b"\? \(.*a plugin in drivers\.plugins failed to load\)$/,
    ];
    assert.equal(found.length, expected.length, found.join("\n"));
    expected.forEach((e, i) =>
      typeof e === "string" ? assert.equal(found[i], e) : assert.match(found[i]!, e)
    );
  });
});

Deno.test("the drivers section's own keys are checked", async () => {
  assert.deepEqual(await problems({ drivers: { plugin: ["x.ts"], allow_urls: "yes" } }), [
    "drivers.allow_urls: Invalid input: expected boolean, received string",
    'drivers.plugin: unknown key; did you mean "plugins"?',
  ]);
});

Deno.test("a URL plugin is refused without drivers.allow_urls: true", async () => {
  // Refused before any import (the allowed case runs in a process of its own, in
  // tests/e2e/plugins_test.ts: an import here would record the URL in the project's deno.lock).
  const refused = await problems({
    drivers: { plugins: ["http://127.0.0.1:9/relay.js"] },
    pdus: { r: { driver: "test_relay_url" } },
  });
  assert.match(refused[0]!, /is a URL; loading a driver from a URL needs drivers\.allow_urls/);
});

Deno.test("reload: a different plugin list or a plugin file changed on disk needs a restart", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.js`, GOOD("test_relay_d"));
    await Deno.writeTextFile(`${dir}/b.js`, GOOD("test_relay_e"));
    const a = await loadConfig({ drivers: { plugins: ["a.js"] } }, { base: dir });
    const again = await loadConfig({ drivers: { plugins: ["a.js"] } }, { base: dir });
    assert.deepEqual(pluginChanges(a.plugins, again.plugins), []);
    const none = await loadConfig({});
    assert.deepEqual(pluginChanges(none.plugins, none.plugins), []);

    const b = await loadConfig({ drivers: { plugins: ["a.js", "b.js"] } }, { base: dir });
    assert.deepEqual(pluginChanges(a.plugins, b.plugins).map((i) => i.path), ["drivers.plugins"]);
    assert.match(
      pluginChanges(a.plugins, b.plugins)[0]!.message,
      /takes effect only when pdud restarts/,
    );
    assert.equal(pluginChanges(none.plugins, a.plugins).length, 1, "adding the first plugin");

    await Deno.writeTextFile(`${dir}/a.js`, GOOD("test_relay_d") + "// edited\n");
    const edited = await loadConfig({ drivers: { plugins: ["a.js"] } }, { base: dir });
    const changed = pluginChanges(a.plugins, edited.plugins);
    assert.equal(changed.length, 1);
    assert.match(changed[0]!.message, /a\.js changed on disk since pdud started/);
  });
});

Deno.test("a plugin's FILE_PATH key is taken from the config file's folder, like a built-in path key", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/certs.js`,
      `export default ({ z, FILE_PATH }) => ({
  names: ["test_relay_paths"],
  summary: "test relay with a CA file",
  options: z.object({ ca: FILE_PATH.optional(), label: z.string().default("x") }).strict(),
  create: () => ({ async setOutlet() {}, async close() {} }),
});
`,
    );
    const config = await loadConfig({
      drivers: { plugins: ["certs.js"] },
      pdus: {
        r: { driver: "test_relay_paths", ca: "certs/ca.pem", label: "certs/ca.pem" },
        a: { driver: "test_relay_paths", ca: "/etc/ssl/ca.pem" },
      },
    }, { base: dir });
    // Only the key the plugin marked is a path; an ordinary string stays as written.
    assert.deepEqual(config.pdus.r?.options, { ca: `${dir}/certs/ca.pem`, label: "certs/ca.pem" });
    assert.deepEqual(config.pdus.a?.options, { ca: "/etc/ssl/ca.pem", label: "x" });
  });
});
