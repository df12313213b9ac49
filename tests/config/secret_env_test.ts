/**
 * A PDU's secret given as `<key>_env: VARNAME`: read from the environment when the config is
 * loaded and handed to the driver as `<key>`, exactly as if written in the file; refused with
 * the key's path when both are given or the variable is unset or empty; `_env` keys of options
 * that are not secrets stay unknown keys.
 */
import assert from "node:assert/strict";
import { type Config, ConfigError, type ConfigIssue, loadConfig } from "../../config/mod.ts";
import { collectSecrets } from "../../config/secrets.ts";

const ENV: Record<string, string> = {
  PLUG_PW: "canary-env-tasmota-91c2",
  V2_COMMUNITY: "canary-env-community-3f0a",
  V3_AUTH: "canary-env-v3auth-77b1",
  EMPTY: "",
};
const env = (name: string) => ENV[name];

async function issuesOf(
  source: string | unknown,
  lookup: (name: string) => string | undefined = env,
): Promise<readonly ConfigIssue[]> {
  try {
    await loadConfig(source, { env: lookup });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.issues;
  }
  assert.fail("expected the config to be refused");
}

const YAML = `
pdus:
  plug:
    driver: tasmota
    ip: 10.0.0.9
    username: admin
    password_env: PLUG_PW
  v2:
    driver: snmpv2c
    community_env: V2_COMMUNITY
    oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*"
  v3:
    driver: snmpv3
    username: pdudaemon
    authpassphrase_env: V3_AUTH
    auth_protocol: usmHMACSHAAuthProtocol
    oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*"
`;

/** The same config with each value written in the file. */
const WRITTEN = YAML.replace("password_env: PLUG_PW", `password: ${ENV.PLUG_PW}`)
  .replace("community_env: V2_COMMUNITY", `community: ${ENV.V2_COMMUNITY}`)
  .replace("authpassphrase_env: V3_AUTH", `authpassphrase: ${ENV.V3_AUTH}`);

const options = (config: Config) =>
  Object.fromEntries(Object.entries(config.pdus).map(([name, p]) => [name, p.options]));

Deno.test("secret _env keys: the driver gets the variable's value as the key, as if written", async () => {
  const fromEnv = await loadConfig(YAML, { env });
  const written = await loadConfig(WRITTEN, { env: () => undefined });
  assert.deepEqual(options(fromEnv), options(written));
  assert.equal((fromEnv.pdus.plug!.options as { password: string }).password, ENV.PLUG_PW);
  assert.ok(!("password_env" in (fromEnv.pdus.plug!.options as object)));
  // What tells a changed PDU on reload carries the value, so a changed variable restarts it.
  assert.deepEqual(fromEnv.pdus.plug!.raw, written.pdus.plug!.raw);
  // Collected by key name for scrubbing, like any written secret.
  const secrets = collectSecrets(fromEnv, env).all;
  for (const name of ["PLUG_PW", "V2_COMMUNITY", "V3_AUTH"]) {
    assert.ok(secrets.includes(ENV[name]!), `${name}'s value is collected as a secret`);
  }
});

Deno.test("secret _env keys: upstream's JSON config gets them too", async () => {
  const json = JSON.stringify({
    daemon: { hostname: "0.0.0.0", port: 16421 },
    pdus: { plug: { driver: "tasmota", ip: "10.0.0.9", password_env: "PLUG_PW" } },
  });
  const config = await loadConfig(json, { env });
  assert.equal((config.pdus.plug!.options as { password: string }).password, ENV.PLUG_PW);
  const issues = await issuesOf(json.replace("PLUG_PW", "NOT_SET_ANYWHERE"));
  assert.deepEqual(issues.map((i) => i.path), ["pdus.plug.password_env"]);
});

Deno.test("secret _env keys: Deno.env is the default lookup", async () => {
  const name = "PDUD_TEST_SECRET_ENV_DEFAULT";
  Deno.env.set(name, "canary-from-deno-env");
  try {
    const config = await loadConfig({
      pdus: { plug: { driver: "tasmota", ip: "10.0.0.9", password_env: name } },
    });
    assert.equal(
      (config.pdus.plug!.options as { password: string }).password,
      "canary-from-deno-env",
    );
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("secret _env keys: both the key and its _env key is refused at the _env key's line", async () => {
  const issues = await issuesOf(
    YAML.replace("password_env: PLUG_PW", "password: inline\n    password_env: PLUG_PW"),
  );
  assert.deepEqual(issues, [{
    path: "pdus.plug.password_env",
    message: "give either password or password_env, not both",
    line: 8,
  }]);
});

Deno.test("secret _env keys: an unset or empty variable is refused once, naming key and variable, never a value", async () => {
  const unset = await issuesOf(YAML.replace("V2_COMMUNITY", "PDUD_NO_SUCH_VARIABLE"));
  assert.deepEqual(unset, [{
    path: "pdus.v2.community_env",
    message:
      "environment variable PDUD_NO_SUCH_VARIABLE is not set (community_env reads community from it)",
    line: 10,
  }]);
  // api_key is required by home-assistant-http: the refusal is not repeated as "required".
  const required = await issuesOf({
    pdus: { ha: { driver: "home-assistant-http", hostname: "ha", api_key_env: "PDUD_NO_SUCH" } },
  });
  assert.deepEqual(required.map((i) => [i.path, i.message]), [[
    "pdus.ha.api_key_env",
    "environment variable PDUD_NO_SUCH is not set (api_key_env reads api_key from it)",
  ]]);
  const empty = await issuesOf(YAML.replace("PLUG_PW", "EMPTY"));
  assert.deepEqual(empty, [{
    path: "pdus.plug.password_env",
    message: "environment variable EMPTY is empty (password_env reads password from it)",
    line: 7,
  }]);
  const notAName = await issuesOf({
    pdus: { plug: { driver: "tasmota", ip: "10.0.0.9", password_env: 42 } },
  });
  assert.deepEqual(notAName.map((i) => [i.path, i.message]), [[
    "pdus.plug.password_env",
    "expected the name of the environment variable that holds password",
  ]]);
  const denied = await issuesOf(
    { pdus: { plug: { driver: "tasmota", ip: "10.0.0.9", password_env: "PLUG_PW" } } },
    () => {
      throw new Deno.errors.NotCapable('Requires env access to "PLUG_PW"');
    },
  );
  assert.deepEqual(denied.map((i) => [i.path, i.message]), [[
    "pdus.plug.password_env",
    'cannot read environment variable PLUG_PW: Requires env access to "PLUG_PW"',
  ]]);
  // Every problem at once: another PDU's mistake is still reported beside it.
  const both = await issuesOf(
    YAML.replace("PLUG_PW", "EMPTY").replace("V3_AUTH", "PDUD_NO_SUCH_VARIABLE"),
  );
  assert.deepEqual(both.map((i) => i.path), [
    "pdus.plug.password_env",
    "pdus.v3.authpassphrase_env",
  ]);
  for (const issue of [...unset, ...empty, ...both]) {
    for (const value of Object.values(ENV).filter((v) => v !== "")) {
      assert.ok(!issue.message.includes(value), `${issue.path} names no value`);
    }
  }
});

Deno.test("secret _env keys: port_env and username_env stay unknown keys", async () => {
  const issues = await issuesOf({
    pdus: {
      plug: {
        driver: "tasmota",
        ip: "10.0.0.9",
        port_env: "PLUG_PW",
        username_env: "PLUG_PW",
      },
    },
  });
  assert.deepEqual(issues.map((i) => i.path), ["pdus.plug.port_env", "pdus.plug.username_env"]);
  for (const issue of issues) assert.match(issue.message, /^unknown key/);
});

Deno.test("secret _env and _file keys for a driver without that secret are unknown under the name written", async () => {
  const issues = await issuesOf({
    pdus: {
      rack: { driver: "simulated", password_env: "PLUG_PW", community_file: "/etc/hostname" },
    },
  });
  assert.deepEqual(issues.map((i) => i.path), [
    "pdus.rack.password_env",
    "pdus.rack.community_file",
  ]);
  for (const issue of issues) assert.match(issue.message, /^unknown key/);
});
