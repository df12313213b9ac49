/**
 * Running out of descriptors (issue 15.1, 15.2), on a real process under `ulimit -n 256`: a
 * flood of half-sent HTTP heads used to make Deno.serve throw EMFILE and pdud exit, leaving a
 * reboot's outlet off. Now the connection cap (128 at this limit) evicts the oldest half-sent
 * head for each new connection: pdud stays up, /healthz answers within 100 ms during the
 * flood, the reboot in flight completes with the outlet on, and the condition is logged once
 * per interval with a count, not once per connection.
 */
import assert from "node:assert/strict";
import { type PdudProcess, recordingRack, ROOT, spawnPdud } from "../_helpers/process.ts";

const FLOOD = 400;

/** pdud on `conf` under `ulimit -n 256`, with net, read and env and the `extra` permissions. */
function spawnUnderUlimit(conf: string, extra: string[] = []): Promise<PdudProcess> {
  return spawnPdud([
    "-c",
    'ulimit -n 256 && exec "$0" "$@"',
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    ...extra,
    `${ROOT}main.ts`,
    `--conf=${conf}`,
  ], { executable: "sh" });
}
const encoder = new TextEncoder();

// Silent connections wait up to idle_timeout (60 s) for their first byte; like half-sent heads,
// the cap evicts the oldest of them.
for (const kind of ["half-sent heads", "silent connections"] as const) {
  Deno.test(`ulimit -n 256: ${FLOOD} ${kind} cost no outlet its state and pdud keeps serving`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pdud-siege-" });
    const heads: Deno.Conn[] = [];
    try {
      const { conf, log, fifo } = await recordingRack(
        dir,
        "{hostname: 127.0.0.1, port: 0, request_timeout: 60}",
      );
      await using pdud = await spawnUnderUlimit(conf, ["--allow-write", "--allow-run"]);
      const base = `http://127.0.0.1:${pdud.port}`;
      // A reboot in its off-wait for the whole flood.
      const reboot = fetch(`${base}/power/control/reboot?hostname=rack&port=1&delay=3`);
      const fifoFile = await Deno.open(fifo, { read: true });
      await fifoFile.readable.pipeTo(new WritableStream());

      for (let i = 0; i < FLOOD; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: pdud.port });
        heads.push(conn);
        if (kind === "half-sent heads") {
          await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: pdud\r\n")).catch(
            () => {},
          );
        }
      }
      const timings: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const response = await fetch(`${base}/healthz`);
        const warnings = () => JSON.stringify(pdud.logs.filter((r) => r.level !== "info"));
        assert.equal(await response.text(), "ok\n", warnings());
        timings.push(performance.now() - started);
      }
      assert.ok(Math.min(...timings) < 100, `/healthz took ${timings.map(Math.round)} ms`);

      const reply = await reboot;
      assert.equal(reply.status, 200);
      assert.equal(await reply.text(), "OK - accepted request\n");
      assert.equal(await Deno.readTextFile(log), "1 off\n1 on\n", "the outlet is back on");
      const state = await (await fetch(`${base}/api/v1/pdus/rack/outlets/1`)).json();
      assert.equal(state.state, "on");

      const capLines = pdud.logs.filter((r) => /connection cap reached/.test(String(r.msg)));
      assert.ok(capLines.length >= 1 && capLines.length < 10, `${capLines.length} cap log lines`);
      assert.equal(capLines[0]!.maxConnections, 128, "the cap derived from the limit of 256");
      for (const conn of heads.splice(0)) conn.close();
      const status = await pdud.stop("SIGTERM");
      assert.equal(status.code, 0, "pdud was still running and stopped cleanly");
    } finally {
      for (const conn of heads) conn.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("ulimit -n 256, max_connections set too high: accept fails with EMFILE, pdud backs off and lives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-emfile-" });
  const heads: Deno.Conn[] = [];
  try {
    const conf = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      conf,
      [
        "daemon: {hostname: 127.0.0.1, port: 0, request_timeout: 60, max_connections: 5000}",
        "pdus:",
        "  rack: {driver: simulated, outlets: 2}",
        "",
      ].join("\n"),
    );
    await using pdud = await spawnUnderUlimit(conf);
    for (let i = 0; i < FLOOD; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: pdud.port });
      heads.push(conn);
      await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nhost: pdud\r\n")).catch(() => {});
    }
    for (const conn of heads.splice(0)) conn.close();
    // Served again once the flood is gone (a 503 while the internal server restarts is fine).
    let body = "";
    const until = performance.now() + 10_000;
    while (body !== "ok\n" && performance.now() < until) {
      body = await fetch(`http://127.0.0.1:${pdud.port}/healthz`, {
        signal: AbortSignal.timeout(2000),
      }).then((r) => r.text(), () => "");
      // Retried, not slept on: the internal server's restart backs off up to 1 s.
      if (body !== "ok\n") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(body, "ok\n");
    const exhausted = pdud.logs.filter((r) => /os error 24/.test(JSON.stringify(r)));
    assert.ok(exhausted.length > 0, "the flood did run pdud out of descriptors");
    const accepts = pdud.logs.filter((r) => /accept failed/.test(String(r.msg)));
    assert.ok(accepts.length < 10, `${accepts.length} accept-failure log lines, not one per try`);
    const status = await pdud.stop("SIGTERM");
    assert.equal(status.code, 0, "pdud was still running and stopped cleanly");
  } finally {
    for (const conn of heads) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});
