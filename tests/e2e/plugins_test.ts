/**
 * Out-of-tree drivers end to end (issue 17.6): the example plugin examples/plugins/http_relay.ts,
 * loaded through `drivers.plugins`, switches a simulated relay board through upstream's HTTP API;
 * a real pdud process resolves a relative plugin path from the config file's folder, check-config
 * reports a broken plugin naming its file, and SIGHUP refuses a changed plugin list.
 */
import assert from "node:assert/strict";
import { control, startDaemon } from "../_helpers/daemon.ts";
import { ROOT, runPdud, runProgram, spawnPdud } from "../_helpers/process.ts";

const EXAMPLE = `${ROOT}examples/plugins/http_relay.ts`;

/** The example's relay board: GET/PUT /relay/N with a JSON state, recording every request. */
function relayBoard(relays: number, token?: string) {
  const state = new Map<number, "on" | "off">();
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}`);
    if (token !== undefined && req.headers.get("authorization") !== `Bearer ${token}`) {
      return new Response("unauthorized", { status: 401 });
    }
    const n = Number(/^\/relay\/(\d+)$/.exec(url.pathname)?.[1]);
    if (!(n >= 1 && n <= relays)) return new Response("no such relay", { status: 404 });
    if (req.method === "PUT") {
      const body = await req.json() as { state?: unknown };
      if (body.state !== "on" && body.state !== "off") {
        return new Response("bad state", { status: 400 });
      }
      state.set(n, body.state);
    }
    return Response.json({ relay: n, state: state.get(n) ?? "off" });
  });
  return {
    port: server.addr.port,
    state,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("plugin driver: on, off, reboot through the HTTP API switch the relay board", async () => {
  await using board = relayBoard(4, "relay-token-0123456789");
  await using daemon = await startDaemon({
    drivers: { plugins: [EXAMPLE] },
    pdus: {
      "board-1": {
        driver: "http_relay",
        address: "127.0.0.1",
        http_port: board.port,
        relays: 4,
        token: "relay-token-0123456789",
        retries: 1,
      },
    },
  });
  const target = { hostname: "board-1", port: 3 };
  assert.deepEqual(await control(daemon, "on", target), {
    status: 200,
    body: "OK - accepted request\n",
  });
  assert.equal(board.state.get(3), "on");
  assert.equal((await control(daemon, "off", target)).status, 200);
  assert.equal(board.state.get(3), "off");
  const before = board.requests.length;
  assert.equal((await control(daemon, "reboot", { ...target, delay: 0 })).status, 200);
  assert.equal(board.state.get(3), "on");
  assert.deepEqual(board.requests.slice(before), ["PUT /relay/3", "PUT /relay/3"]);

  // The plugin's getOutlet is the status read, as for built-in drivers.
  const status = await fetch(`${daemon.url}/power/control/get-port-state?hostname=board-1&port=3`);
  assert.deepEqual(await status.json(), { state: "on" });
  // outletRange from the plugin's options: relay 5 is refused before anything reaches the board.
  const count = board.requests.length;
  const outside = await control(daemon, "on", { hostname: "board-1", port: 5 });
  assert.notEqual(outside.status, 200);
  assert.equal(board.requests.length, count, "nothing sent for an outlet the board lacks");
});

Deno.test("plugin driver: the device's refusal is a 503 naming it; a wrong token is not retried", async () => {
  await using board = relayBoard(8, "right-token-0123456789");
  await using daemon = await startDaemon({
    drivers: { plugins: [EXAMPLE] },
    pdus: {
      "board-2": {
        driver: "http_relay",
        address: "127.0.0.1",
        http_port: board.port,
        token: "wrong-token-0123456789",
        retries: 3,
        retrydelay: 0,
      },
    },
  });
  const refused = await control(daemon, "on", { hostname: "board-2", port: 1 });
  assert.equal(refused.status, 503);
  assert.match(refused.body, /refused the token/);
  assert.ok(!refused.body.includes("wrong-token"), "the token is not in the reply");
  assert.deepEqual(board.requests, ["PUT /relay/1"], "an auth failure is permanent: one try");
});

Deno.test("real process: a relative plugin path is resolved from the config file's folder; check-config names a broken plugin; SIGHUP refuses a new plugin list", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-plugins-" });
  try {
    await using board = relayBoard(2);
    await Deno.mkdir(`${dir}/plugins`);
    await Deno.copyFile(EXAMPLE, `${dir}/plugins/http_relay.ts`);
    const conf = `${dir}/pdud.yaml`;
    const yaml = (plugins: string[]) =>
      [
        "daemon: {hostname: 127.0.0.1, port: 0}",
        "drivers:",
        "  plugins:",
        ...plugins.map((p) => `    - ${p}`),
        "pdus:",
        `  board-3: {driver: http_relay, address: 127.0.0.1, http_port: ${board.port}, relays: 2}`,
        "",
      ].join("\n");
    await Deno.writeTextFile(conf, yaml(["plugins/http_relay.ts"]));

    const ok = await runPdud(["check-config", conf]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /drivers\.plugins: .*plugins\/http_relay\.ts registers http_relay/);

    await Deno.writeTextFile(`${dir}/plugins/broken.ts`, "export const driver = {};\n");
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(bad, yaml(["plugins/broken.ts"]));
    const checked = await runPdud(["check-config", bad]);
    assert.equal(checked.code, 3);
    assert.match(
      checked.stderr,
      /drivers\.plugins\.0 \(line 4\): plugin \S+\/plugins\/broken\.ts has no default export/,
    );

    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const on = await fetch(
      `http://127.0.0.1:${pdud.port}/power/control/on?hostname=board-3&port=2`,
    );
    assert.equal(on.status, 200, await on.text());
    assert.equal(board.state.get(2), "on");

    await Deno.writeTextFile(`${dir}/plugins/other.ts`, await Deno.readTextFile(EXAMPLE));
    await Deno.writeTextFile(
      conf,
      yaml(["plugins/other.ts"]),
    );
    pdud.child.kill("SIGHUP");
    const refused = await pdud.waitForLog((r) =>
      r.msg === "reload refused; the running config stays" || r.msg === "config reloaded"
    );
    assert.equal(refused.msg, "reload refused; the running config stays");
    assert.match(String(refused.error), /drivers\.plugins: changed from .* restarts/);
    const off = await fetch(
      `http://127.0.0.1:${pdud.port}/power/control/off?hostname=board-3&port=2`,
    );
    assert.equal(off.status, 200, await off.text());
    assert.equal(board.state.get(2), "off", "the running plugin keeps working");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("real process: a URL plugin under the shipped permissions is refused naming --allow-import; granted it, it loads", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => new Response(await Deno.readTextFile(EXAMPLE)),
  );
  const dir = await Deno.makeTempDir({ prefix: "pdud-plugins-url-" });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/http_relay.ts`;
    const conf = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(conf, `drivers: {plugins: ["${url}"], allow_urls: true}\n`);
    const checked = await runPdud(["check-config", conf]);
    assert.equal(checked.code, 3, checked.stdout);
    assert.match(
      checked.stderr,
      /drivers\.plugins\.0 \(line 1\): cannot import plugin http:\/\/127\.0\.0\.1:\d+\/http_relay\.ts: Requires import access .*add --allow-import=HOST/,
    );

    // Granted the import permission (and without the project's lockfile, which would record
    // this test's URL), the same config loads.
    const allowed = await runProgram(Deno.execPath(), [
      "run",
      "--no-lock",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      `--allow-import=127.0.0.1:${server.addr.port}`,
      `${ROOT}main.ts`,
      "check-config",
      conf,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(
      allowed.stdout,
      new RegExp(`note: drivers\\.plugins: ${url} registers http_relay`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
