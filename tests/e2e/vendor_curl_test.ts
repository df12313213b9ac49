/**
 * The vendors' own documented requests, sent by curl (a client nobody here wrote), against
 * pdud's simulators of those devices: each simulator accepts what the manual shows and answers
 * what the manual says. Digital Loggers' REST examples (digest auth, X-CSRF), Gude's EPC HTTP
 * interface, ATEN's RESTful relay API, Tinycontrol's tcPDU commands and the NETIO-230A CGI.
 * Skipped, saying so, when curl is missing.
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { runProgram } from "../_helpers/process.ts";

const CURL = (() => {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/curl`).isFile) return `${dir}/curl`;
    } catch { /* not here */ }
  }
  return undefined;
})();
const why = CURL ? "" : " (skipped: curl is not installed)";

async function curl(...args: string[]): Promise<string> {
  const r = await runProgram(CURL!, ["--silent", "--show-error", "--fail", ...args]);
  assert.equal(r.code, 0, `curl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const at = (sim: Simulator, path: string, userinfo = "") =>
  `http://${userinfo}${sim.pduHostname}:${sim.address.port}${path}`;

Deno.test({
  name: `curl: Digital Loggers' REST examples against dli-restapi${why}`,
  ignore: !CURL,
  async fn() {
    await using sim = await startSimulator("dli-restapi", { outlets: 8 }, { password: "1234" });
    // "Switch relay 3 on": relays are counted from 0.
    await curl(
      "--digest",
      "-u",
      "admin:1234",
      "-X",
      "PUT",
      "-H",
      "X-CSRF: x",
      "--data",
      "value=true",
      at(sim, "/restapi/relay/outlets/2/state/"),
    );
    assert.equal(sim.device.get(3), "on");
    const one = await curl(
      "-u",
      "admin:1234",
      "-H",
      "Accept:application/json",
      "--digest",
      at(sim, "/restapi/relay/outlets/2/state/"),
    );
    assert.equal(JSON.parse(one), true);
    const all = await curl(
      "-u",
      "admin:1234",
      "-H",
      "Accept:application/json",
      "--digest",
      at(sim, "/restapi/relay/outlets/all;/state/"),
    );
    assert.deepEqual(JSON.parse(all), [false, false, true, false, false, false, false, false]);
  },
});

Deno.test({
  name: `curl: Gude's EPC HTTP interface examples against gude-http${why}`,
  ignore: !CURL,
  async fn() {
    await using ov = await startSimulator("gude-http", { outlets: 12 }, {
      model: "gude8225",
      username: "user",
      password: "secret",
    });
    await curl(at(ov, "/ov.html?cmd=1&p=1&s=1", "user:secret@"));
    assert.equal(ov.device.get(1), "on");
    const status = JSON.parse(await curl(at(ov, "/statusjsn.js?components=1", "user:secret@")));
    assert.equal(status.outputs[0].state, 1);
    assert.equal(status.outputs[1].state, 0);
  },
});

Deno.test({
  name: `curl: ATEN's RESTful relay examples against aten-pe${why}`,
  ignore: !CURL,
  async fn() {
    await using sim = await startSimulator("aten-pe", { outlets: 16 }, {
      username: "username",
      password: "password",
    });
    await curl(
      "-X",
      "POST",
      "--data",
      "usr=username&pwd=password&index=2&method=on",
      at(sim, "/api/outlet/relay"),
    );
    assert.equal(sim.device.get(2), "on");
    const one = await curl(at(sim, "/api/outlet/relay?usr=username&pwd=password&index=2"));
    assert.match(one, /<OutletRelay>\s*<02>ON<\/02>\s*<\/OutletRelay>/);
    const all = await curl(at(sim, "/api/device/relay?usr=username&pwd=password"));
    assert.match(all, /<01>OFF<\/01>\s*<02>ON<\/02>[\s\S]*<16>OFF<\/16>/);
  },
});

Deno.test({
  name: `curl: Tinycontrol's tcPDU commands against tinycontrol-tcpdu${why}`,
  ignore: !CURL,
  async fn() {
    await using sim = await startSimulator("tinycontrol-tcpdu", { outlets: 7 });
    await curl(at(sim, "/api/v1/save/?out1=1"));
    assert.equal(sim.device.get(1), "on");
    const status = JSON.parse(await curl(at(sim, "/api/v1/read/status/?outValues")));
    assert.equal(status.out1, 1);
    assert.equal(status.out7, 0);
  },
});

Deno.test({
  name: `curl: the NETIO-230A manual's CGI commands (long and short forms) against netio-cgi${why}`,
  ignore: !CURL,
  async fn() {
    await using sim = await startSimulator("netio-cgi", { outlets: 4 });
    const set = await curl(at(sim, "/tgi/control.tgi?login=p:admin:admin&port=10ui&quit=quit"));
    assert.match(set, /100 HELLO[\s\S]*250 OK[\s\S]*110 BYE/);
    assert.deepEqual(sim.device.snapshot(), { 1: "on", 2: "off", 3: "off", 4: "on" });
    const list = await curl(at(sim, "/tgi/control.tgi?l=p:admin:admin&p=l"));
    assert.match(list, /1 0 0 1/);
    const forbidden = await curl(at(sim, "/tgi/control.tgi?p=l"));
    assert.match(forbidden, /555 FORBIDDEN/);
  },
});
