/** collectSecrets finds every secret value a config holds, and nothing that is not one. */
import assert from "node:assert/strict";
import { loadConfig } from "../../config/mod.ts";
import { collectSecrets } from "../../config/secrets.ts";

const YAML = `
daemon:
  listener: http
  tokens:
    - {name: ci, secret: canary-inline-token-0001}
    - {name: ops, secret_env: PDUD_OPS_TOKEN, scope: read}
  tls: {cert: /etc/pdud/cert.pem, key: /etc/pdud/key.pem}
pdus:
  v2:
    driver: snmpv2c
    community: canary-community
    oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*"
  v3:
    driver: snmpv3
    username: pdudaemon
    authpassphrase: canary-authkey
    privpassphrase: canary-privkey
    auth_protocol: usmHMACSHAAuthProtocol
    oid: ".1.3.6.1.2.1.105.1.1.1.3.1.*"
  plug:
    driver: tasmota
    ip: 10.0.0.9
    username: admin
    password: canary-tasmota
  ha:
    driver: home-assistant-http
    hostname: 10.0.0.8
    api_key: canary-ha-api-key
  mfi:
    driver: ubntmfi8port
    username: ubnt
    password: canary-ssh-password
  cmd:
    driver: localcmdline
    cmd_on: "curl -u admin:canary-in-command http://relay/on/%d"
    cmd_off: "true"
`;

const KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcanarykeyline01",
  "-----END PRIVATE KEY-----",
].join("\n");

Deno.test("collectSecrets: tokens (inline and secret_env), the TLS key, every driver's secrets", async () => {
  const config = await loadConfig(YAML);
  const secrets = collectSecrets(config, { PDUD_OPS_TOKEN: "canary-env-token-0002" }, {
    readFile: (path) => {
      assert.equal(path, "/etc/pdud/key.pem");
      return KEY;
    },
  });
  for (
    const secret of [
      "canary-inline-token-0001",
      "canary-env-token-0002",
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcanarykeyline01",
      "canary-community",
      "canary-authkey",
      "canary-privkey",
      "canary-tasmota",
      "canary-ha-api-key",
      "canary-ssh-password",
    ]
  ) {
    assert.ok(secrets.all.includes(secret), `${secret} is collected`);
  }
  // Names, usernames, protocols and addresses are not secrets.
  for (const plain of ["pdudaemon", "admin", "ubnt", "usmHMACSHAAuthProtocol", "10.0.0.9", "ci"]) {
    assert.ok(!secrets.all.includes(plain), `${plain} is not a secret`);
  }
  // A command's words are secrets of its own PDU only.
  assert.ok(!secrets.all.some((s) => s.includes("canary-in-command")));
  assert.ok(secrets.forPdu("cmd").some((s) => s.includes("canary-in-command")));
  assert.ok(!secrets.forPdu("v2").some((s) => s.includes("canary-in-command")));
  assert.ok(secrets.forPdu("v2").includes("canary-community"));
});

Deno.test("collectSecrets: a password in a URL's user part or query is a secret; Deno.env-like lookups work", async () => {
  const config = await loadConfig({
    daemon: { tokens: [{ name: "t", "secret_env": "TOKEN_VAR" }] },
    pdus: {
      cmd: {
        driver: "localcmdline",
        "cmd_on": "true",
        "cmd_off": "wget http://u:canary-url-pass@relay/off?pw=canary-query-pw",
      },
    },
  });
  const secrets = collectSecrets(
    config,
    (name) => name === "TOKEN_VAR" ? "canary-fn-token" : undefined,
  );
  assert.ok(secrets.all.includes("canary-fn-token"));
  const own = secrets.forPdu("cmd").join(" ");
  assert.match(own, /canary-url-pass/);
  assert.match(own, /canary-query-pw/);
  const viaGet = collectSecrets(config, { get: () => "canary-get-token" });
  assert.ok(viaGet.all.includes("canary-get-token"));
});

Deno.test("collectSecrets: credential headers of the generic HTTP driver are secrets", async () => {
  const config = await loadConfig({
    pdus: {
      relay: {
        driver: "http",
        url: "http://relay/{index}/{value}",
        headers: {
          Authorization: "Bearer canary-header-bearer",
          "X-Api-Key": "canary-header-apikey",
          Accept: "application/json",
        },
      },
    },
  });
  const all = collectSecrets(config, () => undefined).all;
  assert.ok(all.includes("Bearer canary-header-bearer"), all.join(" "));
  assert.ok(all.includes("canary-header-bearer"), "the credential without its scheme");
  assert.ok(all.includes("canary-header-apikey"), all.join(" "));
  assert.ok(!all.includes("application/json"));
});
