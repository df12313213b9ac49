/** Lifecycle under load: a SIGHUP reload while requests stream in loses nothing. */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("SIGHUP reload under load: every request answered, none lost, new PDUs served", async () => {
  const dir = await Deno.makeTempDir();
  const conf = `${dir}/pdud.yaml`;
  const tag = `hup${Date.now().toString(36)}`;
  const base = (extra: string) =>
    `daemon: {hostname: 127.0.0.1, port: 0, logging_level: INFO}\npdus:\n  ${tag}-a: {driver: simulated, outlets: 48, latency_ms: 2}\n${extra}`;
  await Deno.writeTextFile(conf, base(""));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("main.ts", ROOT).pathname, "--conf", conf],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  // Read all the time, not only while waiting: a pipe nobody reads would block pdud's logging
  // (each job's outcome is a log line).
  let more: () => void = () => {};
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      log += value;
      more();
    }
    ended = true;
    more();
  })();
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(log)) {
      assert.ok(!ended, `pdud exited early: ${log}`);
      await new Promise<void>((resolve) => more = resolve);
    }
    return pattern.exec(log)!;
  };
  try {
    const port = Number((await waitFor(/"msg":"pdud listening".*?"port":(\d+)/))[1]);
    const url = (pdu: string, outlet: number) =>
      `http://127.0.0.1:${port}/power/control/on?hostname=${pdu}&port=${outlet}`;
    // 200 requests in flight while the config gains a PDU and changes the existing one.
    const inflight = Array.from(
      { length: 200 },
      (_, i) =>
        fetch(url(`${tag}-a`, 1 + (i % 48))).then(async (r) => `${r.status} ${await r.text()}`),
    );
    await Deno.writeTextFile(
      conf,
      base(`  ${tag}-b: {driver: simulated}\n`).replace("latency_ms: 2", "latency_ms: 1"),
    );
    child.kill("SIGHUP");
    await waitFor(/"msg":"config reloaded".*?"added":\["[^"]+-b"\].*?"changed":\["[^"]+-a"\]/);
    const results = await Promise.all(inflight);
    assert.equal(
      results.filter((r) => r === "200 OK - accepted request\n").length,
      200,
      results.join("|"),
    );
    const added = await fetch(url(`${tag}-b`, 1));
    assert.equal(added.status, 200);
    await added.body?.cancel();
    // An invalid config is refused and the running one stays.
    await Deno.writeTextFile(conf, "pdus: {x: {driver: nosuch}}\n");
    child.kill("SIGHUP");
    await waitFor(/"msg":"reload refused; the running config stays"/);
    const still = await fetch(url(`${tag}-b`, 2));
    assert.equal(still.status, 200);
    await still.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await pump;
    assert.equal((await child.status).code, 0);
    await Deno.remove(dir, { recursive: true });
  }
});
