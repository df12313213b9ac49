/**
 * A PDU's secret given as `<key>_file: PATH`: the file's content, one trailing newline removed,
 * handed to the driver as `<key>`; a relative path is taken from the config file's folder; refused
 * with the key's path, naming the file and never its content, when given beside `<key>` or
 * `<key>_env`, or when the file is missing, empty, not text or larger than 64 KiB. ipmi's own
 * `password_file` stays a path for ipmitool. The generic HTTP driver's secret headers take
 * `_env` and `_file` too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, type ConfigIssue, loadConfig, readConfigFile } from "../../config/mod.ts";
import { collectSecrets } from "../../config/secrets.ts";

const SECRET = "canary-file-webpw-6d3a";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function issuesOf(source: unknown, base = "."): Promise<readonly ConfigIssue[]> {
  try {
    await loadConfig(source, { base, env: () => undefined });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues;
  }
  assert.fail("expected the config to be refused");
}

const plug = (extra: Record<string, unknown>) => ({
  pdus: { plug: { driver: "tasmota", ip: "10.0.0.9", username: "admin", ...extra } },
});
const passwordOf = (config: Awaited<ReturnType<typeof loadConfig>>) =>
  (config.pdus.plug!.options as { password?: string }).password;

Deno.test("secret _file keys: the file's content, one trailing newline removed, as if written", async () => {
  await withDir(async (dir) => {
    for (
      const [content, expected] of [
        [SECRET, SECRET],
        [`${SECRET}\n`, SECRET],
        [`${SECRET}\r\n`, SECRET],
        // Only one: a secret may itself end in white space.
        [`${SECRET}\n\n`, `${SECRET}\n`],
        [` ${SECRET} \n`, ` ${SECRET} `],
      ] as const
    ) {
      const file = join(dir, "pw");
      await Deno.writeTextFile(file, content);
      const config = await loadConfig(plug({ password_file: file }));
      assert.equal(passwordOf(config), expected, JSON.stringify(content));
      assert.ok(!("password_file" in (config.pdus.plug!.options as object)));
    }
    const fromFile = await loadConfig(plug({ password_file: join(dir, "pw") }));
    const written = await loadConfig(plug({ password: ` ${SECRET} ` }));
    assert.deepEqual(fromFile.pdus.plug!.options, written.pdus.plug!.options);
    // The value, not the path, tells a changed PDU on reload; the scrubbing collects it by key.
    assert.deepEqual(fromFile.pdus.plug!.raw, written.pdus.plug!.raw);
    assert.ok(collectSecrets(fromFile, {}).all.includes(` ${SECRET} `));
  });
});

Deno.test("secret _file keys: a relative path is taken from the config file's folder", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "secrets"));
    await Deno.writeTextFile(join(dir, "secrets", "plug.pw"), `${SECRET}\n`);
    const yaml = "pdus:\n  plug:\n    driver: tasmota\n    ip: 10.0.0.9\n" +
      "    password_file: secrets/plug.pw\n";
    await Deno.writeTextFile(join(dir, "pdud.yaml"), yaml);
    // The working directory is not the config's: readConfigFile passes the config's folder.
    assert.notEqual(Deno.cwd(), dir);
    assert.equal(passwordOf(await readConfigFile(join(dir, "pdud.yaml"))), SECRET);
    assert.equal(passwordOf(await loadConfig(yaml, { base: dir })), SECRET);
    // Without a base, the working directory, where there is no such file.
    const issues = await issuesOf(yaml);
    assert.deepEqual(issues.map((i) => i.path), ["pdus.plug.password_file"]);
    assert.match(issues[0]!.message, /^cannot read \/.*secrets\/plug\.pw: /);
  });
});

Deno.test("secret _file keys: given beside the key or its _env key is refused at the key's line", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "pw");
    await Deno.writeTextFile(file, SECRET);
    const yaml = `pdus:\n  plug:\n    driver: tasmota\n    ip: 10.0.0.9\n` +
      `    password: inline\n    password_file: ${file}\n`;
    await assert.rejects(loadConfig(yaml), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues, [{
        path: "pdus.plug.password_file",
        message: "give either password or password_file, not both",
        line: 6,
      }]);
      return true;
    });
    const envAndFile = await issuesOf(plug({ password_env: "PW", password_file: file }));
    assert.deepEqual(envAndFile.map((i) => [i.path, i.message]), [[
      "pdus.plug.password_file",
      "give either password_env or password_file, not both",
    ]]);
    // All three: each source key is refused once, the written key named.
    const all = await issuesOf(plug({ password: "x", password_env: "PW", password_file: file }));
    assert.deepEqual(all.map((i) => [i.path, i.message]), [
      ["pdus.plug.password_env", "give either password or password_env, not both"],
      ["pdus.plug.password_file", "give either password or password_file, not both"],
    ]);
  });
});

Deno.test("secret _file keys: a missing, empty, over-size or binary file is refused naming the file, never its content", async () => {
  await withDir(async (dir) => {
    const missing = await issuesOf(plug({ password_file: join(dir, "nope") }));
    assert.deepEqual(missing.map((i) => [i.path, i.message]), [[
      "pdus.plug.password_file",
      `cannot read ${join(dir, "nope")}: No such file or directory ` +
      "(password_file reads password from it)",
    ]]);
    const folder = await issuesOf(plug({ password_file: dir }));
    assert.match(folder[0]!.message, /^cannot read .*: Is a directory \(password_file/);

    for (const content of ["", "\n", "\r\n"]) {
      await Deno.writeTextFile(join(dir, "empty"), content);
      const empty = await issuesOf(plug({ password_file: join(dir, "empty") }));
      assert.deepEqual(empty.map((i) => [i.path, i.message]), [[
        "pdus.plug.password_file",
        `${join(dir, "empty")} is empty (password_file reads password from it)`,
      ]], JSON.stringify(content));
    }

    const limit = 64 * 1024;
    await Deno.writeTextFile(join(dir, "big"), SECRET.padEnd(limit + 1, "x"));
    const big = await issuesOf(plug({ password_file: join(dir, "big") }));
    assert.deepEqual(big.map((i) => [i.path, i.message]), [[
      "pdus.plug.password_file",
      `${join(dir, "big")} is larger than 64 KiB, too large to be a secret ` +
      "(password_file reads password from it)",
    ]]);
    // 64 KiB exactly is still a secret.
    await Deno.writeTextFile(join(dir, "edge"), SECRET.padEnd(limit, "x"));
    assert.equal(
      passwordOf(await loadConfig(plug({ password_file: join(dir, "edge") }))),
      SECRET.padEnd(limit, "x"),
    );

    await Deno.writeFile(join(dir, "bin"), new Uint8Array([0x63, 0xff, 0xfe, 0x0a]));
    const binary = await issuesOf(plug({ password_file: join(dir, "bin") }));
    assert.deepEqual(binary.map((i) => i.message), [
      `${join(dir, "bin")} is not UTF-8 text (password_file reads password from it)`,
    ]);

    const notAPath = await issuesOf(plug({ password_file: 42 }));
    assert.deepEqual(notAPath.map((i) => [i.path, i.message]), [[
      "pdus.plug.password_file",
      "expected the path of the file that holds password",
    ]]);
    // A PDU that requires the secret is not also told it is missing.
    const required = await issuesOf({
      pdus: { ha: { driver: "home-assistant-http", hostname: "ha", api_key_file: "/nope" } },
    });
    assert.deepEqual(required.map((i) => i.path), ["pdus.ha.api_key_file"]);
    for (const issue of [...missing, ...big, ...binary]) {
      assert.ok(!issue.message.includes(SECRET), `${issue.path} shows the content`);
    }
  });
});

Deno.test("secret _file keys: ipmi's own password_file stays the path ipmitool reads", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "bmc.pw");
    await Deno.writeTextFile(file, `${SECRET}\n`);
    const config = await loadConfig({
      pdus: { bmc: { driver: "ipmi", password_file: file } },
    });
    const options = config.pdus.bmc!.options as Record<string, unknown>;
    assert.equal(options.password_file, file);
    assert.ok(!("password" in options));
    assert.ok(!collectSecrets(config, {}).all.includes(SECRET), "pdud never read the file");
    // ipmi's own rule, as before: password and password_file together.
    const both = await issuesOf({
      pdus: { bmc: { driver: "ipmi", password: "x", password_file: file } },
    });
    assert.deepEqual(both.map((i) => [i.path, i.message]), [[
      "pdus.bmc.password_file",
      "give password or password_file, not both",
    ]]);
  });
});

Deno.test("secret _file keys: port_file and username_file stay unknown keys", async () => {
  const issues = await issuesOf(
    plug({ port_file: "/etc/hostname", username_file: "/etc/hostname" }),
  );
  assert.deepEqual(issues.map((i) => i.path), ["pdus.plug.port_file", "pdus.plug.username_file"]);
  for (const issue of issues) assert.match(issue.message, /^unknown key/);
});

Deno.test("secret headers: the generic HTTP driver's Authorization and Cookie take _env and _file", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "cookie"), "session=canary-cookie-81f0\r\n");
    const env = (name: string) => name === "RELAY_AUTH" ? "Bearer canary-bearer-2c77" : undefined;
    const http = (headers: Record<string, unknown>) => ({
      pdus: {
        relay: {
          driver: "http",
          url_on: "http://relay/on/{index}",
          url_off: "http://relay/off/{index}",
          read_state: false,
          headers,
        },
      },
    });
    const config = await loadConfig(
      http({ authorization_env: "RELAY_AUTH", Cookie_file: "cookie", "X-Trace": "1" }),
      { base: dir, env },
    );
    assert.deepEqual((config.pdus.relay!.options as { headers: unknown }).headers, {
      authorization: "Bearer canary-bearer-2c77",
      Cookie: "session=canary-cookie-81f0",
      "X-Trace": "1",
    });
    const secrets = collectSecrets(config, env).all;
    for (const value of ["Bearer canary-bearer-2c77", "canary-bearer-2c77"]) {
      assert.ok(secrets.includes(value), value);
    }
    assert.ok(secrets.includes("session=canary-cookie-81f0"));

    const refuse = async (headers: Record<string, unknown>) => {
      try {
        await loadConfig(http(headers), { base: dir, env });
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map((i) => [i.path, i.message]);
      }
      assert.fail("expected the config to be refused");
    };
    // Header names are case-insensitive: Authorization and authorization_env are one header.
    assert.deepEqual(await refuse({ Authorization: "x", authorization_env: "RELAY_AUTH" }), [[
      "pdus.relay.headers.authorization_env",
      "give either Authorization or authorization_env, not both",
    ]]);
    assert.deepEqual(await refuse({ Authorization_File: "nope" }), [[
      "pdus.relay.headers.Authorization_File",
      `cannot read ${join(dir, "nope")}: No such file or directory ` +
      "(Authorization_File reads Authorization from it)",
    ]]);
    // A header that is not a secret keeps its name, as before.
    const plain = await loadConfig(http({ "X-Forwarded-For_env": "RELAY_AUTH" }), { env });
    assert.deepEqual((plain.pdus.relay!.options as { headers: unknown }).headers, {
      "X-Forwarded-For_env": "RELAY_AUTH",
    });
  });
});
