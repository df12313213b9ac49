/** The `cluster` section and the per-PDU `nodes` key (config/schema.ts). */
import assert from "node:assert/strict";
import { collectSecrets, ConfigError, loadConfig, readConfigFile } from "../../config/mod.ts";
import { runPdud } from "../_helpers/process.ts";
import { preflight } from "../../daemon/mod.ts";

const PDUS = { pdus: { p1: { driver: "localcmdline", cmd_on: "true", cmd_off: "true" } } };

Deno.test("cluster: the section parses with its defaults; PDUs may name the nodes that reach them", async () => {
  const config = await loadConfig({
    cluster: { nats: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"], node: "lab-a" },
    pdus: { p1: { ...PDUS.pdus.p1, nodes: ["lab-a", "lab-b"] } },
  });
  assert.deepEqual(config.cluster, {
    nats: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
    name: "pdud",
    node: "lab-a",
    lease_seconds: 10,
  });
  assert.deepEqual(config.pdus.p1!.nodes, ["lab-a", "lab-b"]);
});

Deno.test("cluster: absent by default (a single daemon), and nodes absent means every node", async () => {
  const config = await loadConfig(PDUS);
  assert.equal(config.cluster, undefined);
  assert.equal(config.pdus.p1!.nodes, undefined);
});

Deno.test("cluster: every problem of the section is named by path", async () => {
  const error = await loadConfig({
    cluster: { nats: ["http://x"], node: "a.b", lease_seconds: 0, leese: 3 },
    ...PDUS,
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof ConfigError, String(error));
  const text = error.message;
  for (const path of ["cluster.nats.0", "cluster.node", "cluster.lease_seconds", "cluster.leese"]) {
    assert.ok(text.includes(path), `${path} not named in: ${text}`);
  }
});

Deno.test("cluster: a password in a NATS URL and the credentials file's lines are secrets", async () => {
  const config = await loadConfig({
    cluster: { nats: ["nats://pdud:s3cret-nats-pass@10.0.0.1:4222"], node: "a", credentials: "/c" },
    ...PDUS,
  });
  const creds = [
    "-----BEGIN NATS USER JWT-----",
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.payload.signature",
    "------END NATS USER JWT------",
    "************************* IMPORTANT *************************",
    "-----BEGIN USER NKEY SEED-----",
    "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4",
    "------END USER NKEY SEED------",
  ].join("\n");
  const secrets = collectSecrets(config, {}, { readFile: () => creds }).all;
  assert.ok(secrets.includes("s3cret-nats-pass"));
  assert.ok(secrets.includes("SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4"));
  assert.ok(secrets.includes(creds.split("\n")[1]!));
  assert.ok(!secrets.some((s) => s.includes("BEGIN") || s.includes("IMPORTANT")));
});

Deno.test("cluster: pdud --drive refuses a cluster config (the owner node drives the PDU)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const conf = `${dir}/pdud.json`;
    await Deno.writeTextFile(
      conf,
      JSON.stringify({ cluster: { nats: ["nats://127.0.0.1:1"], node: "a" }, ...PDUS }),
    );
    const run = await runPdud([
      "--conf",
      conf,
      "--drive",
      "--hostname",
      "p1",
      "--port",
      "1",
      "--request",
      "on",
    ]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--drive cannot be used with a cluster config/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster: a PDU timeout of a third of lease_seconds or more is a note of the pre-flight (check-config prints it), not a problem", async () => {
  const cluster = { nats: ["nats://10.0.0.1:4222"], node: "a" };
  const pdu = (timeout: number) => ({ ...PDUS.pdus.p1, timeout });
  const short = await loadConfig({
    cluster: { ...cluster, lease_seconds: 30 },
    pdus: { p1: pdu(5), p2: pdu(9.9) },
  });
  assert.deepEqual(await preflight(short), { problems: [], notes: [] });
  const long = await loadConfig({
    cluster,
    pdus: { a: pdu(20), b: pdu(3), c: pdu(3.4), d: pdu(4), e: pdu(60) },
  });
  assert.deepEqual(await preflight(long), {
    problems: [],
    notes: [
      "cluster: 4 of 5 PDUs have a timeout of 3.3 s (a third of cluster.lease_seconds) or more " +
      "(a: 20 s, c: 3.4 s, d: 4 s, …): an operation in flight when this node is cut off from NATS " +
      "can outlast its lease by up to that timeout (docs/cluster.md)",
    ],
  });
  // Without a cluster the timeout has no lease to outlast.
  const single = await loadConfig({ pdus: { a: pdu(20) } });
  assert.deepEqual((await preflight(single)).notes, []);
  // check-config prints it and still says OK.
  const dir = await Deno.makeTempDir({ prefix: "pdud-lease-" });
  try {
    await Deno.writeTextFile(
      `${dir}/pdud.yaml`,
      "cluster: {nats: [nats://10.0.0.1:4222], node: a}\n" +
        "pdus:\n  rack: {driver: simulated, timeout: 20}\n",
    );
    const r = await runPdud(["check-config", `${dir}/pdud.yaml`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /OK, 1 PDUs/);
    assert.match(r.stdout, /note: cluster: 1 of 1 PDUs have a timeout of 3\.3 s/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const TLS_FIXTURES = new URL("../_fixtures/nats-tls/", import.meta.url).pathname;

Deno.test("cluster: the tls section parses; a client certificate needs its key and a key its certificate", async () => {
  const cluster = { nats: ["tls://10.0.0.1:4222"], node: "a" };
  const config = await loadConfig({
    cluster: {
      ...cluster,
      tls: { ca_file: "/pki/ca.pem", cert_file: "/c.pem", key_file: "/k.pem" },
    },
    ...PDUS,
  });
  assert.deepEqual(config.cluster?.tls, {
    ca_file: "/pki/ca.pem",
    cert_file: "/c.pem",
    key_file: "/k.pem",
  });
  assert.deepEqual(
    (await loadConfig({ cluster: { ...cluster, tls: { ca_file: "/ca.pem" } }, ...PDUS })).cluster
      ?.tls,
    { ca_file: "/ca.pem" },
  );
  for (const tls of [{ cert_file: "/c.pem" }, { key_file: "/k.pem" }, { ca: "/x" }]) {
    const error = await loadConfig({ cluster: { ...cluster, tls }, ...PDUS }).then(
      () => undefined,
      (e) => e,
    );
    assert.ok(error instanceof ConfigError, `${JSON.stringify(tls)}: ${error}`);
    assert.match(
      error.message,
      "ca" in tls
        ? /cluster\.tls/
        : /cluster\.tls\.cert_file.*expected cert_file and key_file together/,
    );
  }
});

Deno.test("cluster: relative tls paths are taken from the config file's folder; check-config names a missing or non-PEM file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-natstls-" });
  try {
    await Deno.mkdir(`${dir}/pki`);
    for (const file of ["ca.pem", "client.pem", "client-key.pem"]) {
      await Deno.copyFile(`${TLS_FIXTURES}${file}`, `${dir}/pki/${file}`);
    }
    const write = (tls: string) =>
      Deno.writeTextFile(
        `${dir}/pdud.yaml`,
        `cluster: {nats: [tls://10.0.0.1:4222], node: a, lease_seconds: 90, tls: ${tls}}\n` +
          "pdus:\n  rack: {driver: simulated}\n",
      );
    await write("{ca_file: pki/ca.pem, cert_file: pki/client.pem, key_file: pki/client-key.pem}");
    const config = await readConfigFile(`${dir}/pdud.yaml`);
    assert.deepEqual(config.cluster?.tls, {
      ca_file: `${dir}/pki/ca.pem`,
      cert_file: `${dir}/pki/client.pem`,
      key_file: `${dir}/pki/client-key.pem`,
    });
    assert.deepEqual(await preflight(config), { problems: [], notes: [] });
    // The client key's lines are secrets, like the daemon's own key.
    const keyLine = (await Deno.readTextFile(`${dir}/pki/client-key.pem`)).split("\n")[1]!;
    assert.ok(collectSecrets(config, {}).all.includes(keyLine));
    // Run from elsewhere: check-config reads the files next to the config.
    const ok = await runPdud(["check-config", `${dir}/pdud.yaml`]);
    assert.equal(ok.code, 0, ok.stderr);

    await write(
      "{ca_file: pki/missing.pem, cert_file: pki/client-key.pem, key_file: pki/client-key.pem}",
    );
    const bad = await runPdud(["check-config", `${dir}/pdud.yaml`]);
    assert.notEqual(bad.code, 0, bad.stdout);
    assert.match(
      bad.stderr,
      new RegExp(`cluster\\.tls\\.ca_file: cannot read ${dir}/pki/missing\\.pem`),
    );
    assert.match(
      bad.stderr,
      /cluster\.tls\.cert_file: .*client-key\.pem is not a PEM file \(expected a "-----BEGIN CERTIFICATE-----" block\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
