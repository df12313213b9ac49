/**
 * Start-up failures (issue 14.5), on the real process: each prints one line that says what and
 * where, and exits with the documented code (3: the config or a file or variable it names;
 * 4: the listen address). `check-config` reports the same problems, through the same pre-flight.
 */
import assert from "node:assert/strict";
import { ROOT, runPdud, spawnPdud } from "../_helpers/process.ts";

async function withConfig(
  text: string,
  body: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-startup-" });
  try {
    await Deno.writeTextFile(`${dir}/pdud.yaml`, text);
    await body(`${dir}/pdud.yaml`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line, not:\n${stderr}`);
  return lines[0]!;
}

for (const listener of ["both", "http"]) {
  Deno.test(`port in use (listener ${listener}): one line naming the address, exit 4`, async () => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (taken.addr as Deno.NetAddr).port;
    await withConfig(
      `daemon: {hostname: 127.0.0.1, port: ${port}, listener: ${listener}}\n` +
        "pdus:\n  rack: {driver: simulated}\n",
      async (conf) => {
        const r = await runPdud(["--conf", conf]);
        assert.equal(r.code, 4, r.stderr);
        assert.equal(
          oneLine(r.stderr),
          `pdud: cannot listen on 127.0.0.1:${port}: address already in use ` +
            "(is pdudaemon.service still running?)",
        );
      },
    );
  });
}

Deno.test("a missing TLS file: one line naming the key and the file, exit 3; check-config says the same", async () => {
  await withConfig(
    [
      "daemon:",
      "  hostname: 127.0.0.1",
      "  port: 0",
      "  listener: http",
      "  tls: {cert: /nonexistent/pdud-cert.pem, key: " + `${ROOT}tests/_fixtures/selfsigned.key}`,
      "pdus:\n  rack: {driver: simulated}\n",
    ].join("\n"),
    async (conf) => {
      const start = await runPdud(["--conf", conf]);
      assert.equal(start.code, 3, start.stderr);
      assert.equal(
        oneLine(start.stderr),
        `pdud: ${conf}: daemon.tls.cert: cannot read /nonexistent/pdud-cert.pem: ` +
          "no such file or directory",
      );
      const check = await runPdud(["check-config", conf]);
      assert.equal(check.code, 3, check.stdout);
      assert.match(check.stderr, /daemon\.tls\.cert: cannot read \/nonexistent\/pdud-cert\.pem/);
    },
  );
});

Deno.test("a TLS file that is not PEM is refused before start", async () => {
  await withConfig("", async (_, dir) => {
    await Deno.writeTextFile(`${dir}/cert.pem`, "not a certificate\n");
    await Deno.writeTextFile(
      `${dir}/pdud.yaml`,
      `daemon: {port: 0, listener: http, tls: {cert: ${dir}/cert.pem, key: ${ROOT}tests/_fixtures/selfsigned.key}}\n` +
        "pdus:\n  rack: {driver: simulated}\n",
    );
    const r = await runPdud(["--conf", `${dir}/pdud.yaml`]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(oneLine(r.stderr), /daemon\.tls\.cert: .*cert\.pem is not a PEM file/);
  });
});

Deno.test("an unset token secret_env: one line naming the variable and the token, exit 3; check-config too", async () => {
  const variable = `PDUD_TEST_UNSET_${crypto.randomUUID().replaceAll("-", "_").toUpperCase()}`;
  await withConfig(
    "daemon:\n  port: 0\n  tokens:\n" +
      `    - {name: ci, secret_env: ${variable}}\n` +
      "pdus:\n  rack: {driver: simulated}\n",
    async (conf) => {
      const start = await runPdud(["--conf", conf]);
      assert.equal(start.code, 3, start.stderr);
      assert.equal(
        oneLine(start.stderr),
        `pdud: ${conf}: daemon.tokens.0.secret_env: token "ci": environment variable ` +
          `${variable} is unset`,
      );
      const check = await runPdud(["check-config", conf]);
      assert.equal(check.code, 3);
      assert.match(check.stderr, new RegExp(`environment variable ${variable} is unset`));
    },
  );
});

Deno.test("an audit log in a missing directory is refused before start", async () => {
  await withConfig(
    "daemon: {port: 0, audit_log: /nonexistent/pdud/audit.jsonl}\npdus:\n  rack: {driver: simulated}\n",
    async (conf) => {
      const r = await runPdud(["--conf", conf]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        oneLine(r.stderr),
        /daemon\.audit_log: cannot create .*directory \/nonexistent\/pdud/,
      );
    },
  );
});

Deno.test("a config error at start is one line per problem, naming file, path and line", async () => {
  await withConfig(
    "daemon:\n  port: seventy\npdus:\n  rack: {driver: simulated, retires: 3}\n",
    async (conf) => {
      const r = await runPdud(["--conf", conf]);
      assert.equal(r.code, 3);
      assert.deepEqual(
        r.stderr.trimEnd().split("\n").sort(),
        [
          `pdud: ${conf}: daemon.port (line 2): expected a number`,
          `pdud: ${conf}: pdus.rack.retires (line 4): unknown key; did you mean "retries"?`,
        ].sort(),
      );
    },
  );
});

Deno.test("check-config notes a listen port in use (the running pdud, say) without failing", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  await withConfig(
    `daemon: {hostname: 127.0.0.1, port: ${port}}\npdus:\n  rack: {driver: simulated}\n`,
    async (conf) => {
      const r = await runPdud(["check-config", conf]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`note: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`),
      );
    },
  );
});

Deno.test("a missing config file and a broken JSON config are one line each, exit 3", async () => {
  const missing = await runPdud(["--conf", "/nonexistent/pdud.yaml"]);
  assert.equal(missing.code, 3);
  assert.equal(
    oneLine(missing.stderr),
    "pdud: /nonexistent/pdud.yaml: cannot read /nonexistent/pdud.yaml: No such file or directory",
  );
  await withConfig('{\n "pdus": {"a": {"driver": "simulated",}}\n}\n', async (conf) => {
    const r = await runPdud(["--conf", conf]);
    assert.equal(r.code, 3);
    assert.match(oneLine(r.stderr), /^pdud: .*pdud\.yaml \(line 2, column 39\): not valid JSON: /);
  });
});

Deno.test("a log file that cannot be opened is one line, exit 3", async () => {
  const r = await runPdud(["--logfile", "/nonexistent/pdud/pdud.log"]);
  assert.equal(r.code, 3);
  assert.equal(
    oneLine(r.stderr),
    "pdud: --logfile /nonexistent/pdud/pdud.log: cannot open: No such file or directory",
  );
});

Deno.test("a second pdud on the port a running pdud holds (four SO_REUSEPORT sockets) refuses to start, exit 4", async () => {
  await using first = await spawnPdud(["--port", "0"]);
  await withConfig(
    `daemon: {hostname: 127.0.0.1, port: ${first.port}}\npdus:\n  rack: {driver: simulated}\n`,
    async (conf) => {
      const r = await runPdud(["--conf", conf]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(oneLine(r.stderr), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}`));
    },
  );
  const answer = await fetch(`http://127.0.0.1:${first.port}/healthz`);
  assert.equal(await answer.text(), "ok\n");
});
