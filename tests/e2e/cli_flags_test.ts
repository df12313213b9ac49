/**
 * The daemon's own flags on the real process (issue 14.9, 14.6): `--hostname`/`--port` and
 * `--listen HOST:PORT` win over the config (the demo included); `--log-format text|json`.
 */
import assert from "node:assert/strict";
import { ROOT, runPdud, spawnPdud } from "../_helpers/process.ts";

async function withConfig(text: string, body: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-flags-" });
  try {
    await Deno.writeTextFile(`${dir}/pdud.yaml`, text);
    await body(`${dir}/pdud.yaml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function answers(port: number): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(await r.text(), "ok\n");
}

Deno.test("--listen and --hostname/--port override the config's address", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  await withConfig(
    `daemon: {hostname: 127.0.0.1, port: ${port}}\npdus:\n  rack: {driver: simulated}\n`,
    async (conf) => {
      for (
        const flags of [["--listen", "127.0.0.1:0"], ["--hostname", "127.0.0.1", "--port", "0"]]
      ) {
        await using pdud = await spawnPdud([`--conf=${conf}`, ...flags]);
        assert.notEqual(pdud.port, port, flags.join(" "));
        await answers(pdud.port);
      }
    },
  );
});

Deno.test("the demo config moves with --port", async () => {
  await using pdud = await spawnPdud(["--port", "0"]);
  assert.notEqual(pdud.port, 16421);
  await answers(pdud.port);
});

Deno.test("a reload is not refused for a port the command line overrides", async () => {
  await withConfig(
    "daemon: {hostname: 127.0.0.1, port: 16421}\npdus:\n  rack: {driver: simulated}\n",
    async (conf) => {
      await using pdud = await spawnPdud([`--conf=${conf}`, "--port", "0"]);
      await Deno.writeTextFile(
        conf,
        "daemon: {hostname: 127.0.0.1, port: 17001}\npdus:\n  rack: {driver: simulated}\n" +
          "  rack2: {driver: simulated}\n",
      );
      pdud.child.kill("SIGHUP");
      const outcome = await pdud.waitForLog((r) =>
        r.msg === "config reloaded" || r.msg === "reload refused; the running config stays"
      );
      assert.equal(outcome.msg, "config reloaded", JSON.stringify(outcome));
      assert.ok(
        !pdud.logs.some((r) => r.msg === "daemon settings reloaded"),
        "the overridden port is no daemon change",
      );
    },
  );
});

Deno.test("bad listen flags are usage errors (exit 2)", async () => {
  for (
    const flags of [
      ["--listen", "127.0.0.1:0", "--port", "1"],
      ["--listen", "127.0.0.1:99999"],
      ["--port", "http"],
      ["--log-format", "yaml"],
    ]
  ) {
    const r = await runPdud(flags);
    assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^pdud: --/, flags.join(" "));
  }
});

Deno.test("--log-format text writes human-readable lines; JSON is the default off a terminal", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "--port", "0", "--log-format", "text", "--logfile", "-"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("pdud listening")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  child.kill("SIGTERM");
  await reader.cancel();
  await child.status;
  const line = text.split("\n").find((l) => l.includes("pdud listening"))!;
  assert.match(
    line,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}pdud listening hostname=127\.0\.0\.1 port=\d+ listener=both /,
  );
  // spawnPdud reads JSON from a pipe: the default there is JSON.
  await using pdud = await spawnPdud(["--port", "0"]);
  // Other start-up lines (a permissions note when run as root) may follow; every one is JSON.
  assert.ok(pdud.logs.some((l) => l.msg === "pdud listening"));
});

Deno.test("the daemon listens on 4 sockets with deno.json's --unstable-net, on one without it, and serves either way", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-unstable-" });
  try {
    // The project's own config, less its `unstable` list: as `deno run` from elsewhere would be.
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    assert.deepEqual(config.unstable, ["net"]);
    delete config.unstable;
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config));
    for (
      const [flags, expected] of [
        [[], Deno.build.os === "linux" ? 4 : 1],
        [["--no-lock", `--config=${dir}/deno.json`], 1],
      ] as const
    ) {
      await using pdud = await spawnPdud(["--port", "0"], { denoFlags: [...flags] });
      const listening = pdud.logs.find((r) => r.msg === "pdud listening");
      assert.equal(listening?.acceptors, expected, flags.join(" "));
      await answers(pdud.port);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
