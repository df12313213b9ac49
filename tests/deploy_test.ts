/** The shipped files: systemd unit, Dockerfile, example configs, compile tasks. */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));

async function denoVersion(): Promise<string> {
  const m = /DENO_VERSION=(\S+)/.exec(await read(".ci/deno-version"));
  assert.ok(m, ".ci/deno-version names the pinned Deno version");
  return m[1]!;
}

function unitValue(unit: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, "m").exec(unit);
  assert.ok(m, `the unit has ${key}=`);
  return m[1]!.trim();
}

Deno.test("Dockerfile builds on the official Deno image of the pinned version", async () => {
  const dockerfile = await read("Dockerfile");
  const from = /^FROM\s+(\S+)/m.exec(dockerfile)?.[1];
  assert.equal(from, `denoland/deno:${await denoVersion()}`);
  for (const m of dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)) {
    for (const source of m[1]!.split(/\s+/)) {
      await Deno.stat(new URL(source, ROOT)); // throws NotFound for a missing COPY source
    }
  }
  // Every source folder the programs import is in the image (daemon/ was missing once).
  const copied = new Set(
    [...dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/)),
  );
  for (const program of ["main.ts", "pduclient.ts"]) {
    const imports = (await read(program)).matchAll(/from "\.\/([a-z_]+)\//g);
    for (const [, folder] of imports) assert.ok(copied.has(folder!), `COPY ${folder} (${program})`);
  }
  assert.match(dockerfile, /ENTRYPOINT \[.*"main\.ts"\]/);
  // The daemon's four listening sockets need it (daemon/listener.ts ACCEPTORS).
  assert.match(dockerfile, /ENTRYPOINT \["deno", "run", "--unstable-net",/);
  assert.match(dockerfile, /^EXPOSE 16421$/m);
});

Deno.test("the systemd unit's ExecStart line starts pdud, which stops cleanly on SIGTERM", async () => {
  const unit = await read("deploy/systemd/pdud.service");
  assert.equal(unitValue(unit, "Type"), "notify");
  assert.equal(unitValue(unit, "ExecReload"), "/bin/kill -HUP $MAINPID");
  assert.equal(unitValue(unit, "NoNewPrivileges"), "yes");
  assert.equal(unitValue(unit, "ProtectSystem"), "strict");
  const argv = unitValue(unit, "ExecStart").split(/\s+/);
  assert.equal(argv[0], "/usr/local/bin/pdud");
  const dir = await Deno.makeTempDir();
  try {
    const conf = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      conf,
      "daemon: {hostname: 127.0.0.1, port: 0}\npdus: {p: {driver: simulated}}\n",
    );
    // The unit's arguments, with the binary replaced by this checkout and the config by ours.
    const args = argv.slice(1).map((a) => a === "/etc/pdud/pdud.yaml" ? conf : a);
    assert.deepEqual(args, ["--conf", conf]);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("main.ts", ROOT).pathname, ...args],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let port = 0;
    while (port === 0) {
      const { value, done } = await lines.read();
      assert.ok(!done, `pdud exited before listening: ${seen}`);
      seen += value;
      const m = /"msg":"pdud listening".*?"port":(\d+)/.exec(seen);
      if (m) port = Number(m[1]);
    }
    const response = await fetch(`http://127.0.0.1:${port}/power/control/on?hostname=p&port=1`);
    assert.equal(await response.text(), "OK - accepted request\n");
    child.kill("SIGTERM");
    while (!(await lines.read()).done) { /* drain */ }
    assert.equal((await child.status).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pdud check-config accepts every shipped example config", async () => {
  for await (const entry of Deno.readDir(new URL("examples/", ROOT))) {
    if (!/\.(ya?ml|json|conf)$/.test(entry.name)) continue;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("main.ts", ROOT).pathname,
        "check-config",
        new URL(`examples/${entry.name}`, ROOT).pathname,
      ],
    }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 0, `${entry.name}: ${text}`);
    assert.match(text, /: OK, \d+ PDUs/);
  }
});

Deno.test("compile tasks build pdud and pduclient for linux x86-64 and arm64", async () => {
  const tasks = JSON.parse(await read("deno.json")).tasks as Record<string, string>;
  assert.match(
    tasks["compile:pdud"]!,
    /deno compile --unstable-net .*--output dist\/pdud main\.ts/,
  );
  assert.match(
    tasks["compile:pduclient"]!,
    /deno compile .*--output dist\/pduclient pduclient\.ts/,
  );
  assert.match(tasks["compile:linux-x86_64"]!, /--target x86_64-unknown-linux-gnu/);
  assert.match(tasks["compile:linux-arm64"]!, /--target aarch64-unknown-linux-gnu/);
});
