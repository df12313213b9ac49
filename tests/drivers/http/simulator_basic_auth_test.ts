/**
 * The simulators' HTTP basic auth with passwords outside Latin-1: checked as UTF-8 (what curl
 * sends), answered 200 or 401, never a dropped connection (btoa threw on them before).
 */
import assert from "node:assert/strict";
import { basicMatches } from "../../../simulators/_transport/http_server.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const PASSWORD = "p:a&s s%#€ü";

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

Deno.test("basicMatches() compares basic credentials as UTF-8", () => {
  assert.equal(basicMatches(basic("admin", PASSWORD), "admin", PASSWORD), true);
  assert.equal(basicMatches(basic("admin", "p:a&s s%#€"), "admin", PASSWORD), false);
  assert.equal(basicMatches("Basic !!!", "admin", PASSWORD), false);
  assert.equal(basicMatches(null, "admin", PASSWORD), false);
});

const CASES: {
  kind: string;
  device: { outlets: number };
  options: Record<string, unknown>;
  path: string;
}[] = [
  { kind: "gude-http", device: { outlets: 24 }, options: { model: "gude24" }, path: "/ov.html" },
  { kind: "dli-http", device: { outlets: 8 }, options: {}, path: "/status" },
  {
    kind: "redfish",
    device: { outlets: 1 },
    options: { sessions: false },
    path: "/redfish/v1/Systems",
  },
];

for (const c of CASES) {
  Deno.test(`${c.kind} simulator: a non-Latin-1 password is accepted right and refused wrong`, async () => {
    await using sim = await startSimulator(c.kind, c.device, { ...c.options, password: PASSWORD });
    const url = `http://127.0.0.1:${sim.address.port}${c.path}`;
    const right = await fetch(url, { headers: { authorization: basic("admin", PASSWORD) } });
    await right.body?.cancel();
    assert.equal(right.status, 200);
    const wrong = await fetch(url, { headers: { authorization: basic("admin", "wrong€") } });
    await wrong.body?.cancel();
    assert.equal(wrong.status, 401);
  });
}

Deno.test("gude24 with a non-Latin-1 basic-auth password switches through the daemon (it crashed the PDU before)", async () => {
  await using sim = await startSimulator("gude-http", { outlets: 24 }, {
    model: "gude24",
    password: PASSWORD,
  });
  assert.equal(sim.pduConfig().password, PASSWORD);
  await using daemon = await startDaemon({
    pdus: { gude24: { ...sim.pduConfig(), address: sim.pduHostname, retries: 1 } },
  });
  const on = await control(daemon, "on", { hostname: "gude24", port: 1 });
  assert.equal(on.status, 200, on.body);
  assert.equal(sim.device.get(1), "on");
  await using wrong = await startDaemon({
    pdus: {
      gude24: { ...sim.pduConfig(), password: "p€ss", address: sim.pduHostname, retries: 1 },
    },
  });
  const refused = await control(wrong, "off", { hostname: "gude24", port: 1 });
  assert.equal(refused.status, 503);
  assert.match(refused.body, /refused the credentials \(HTTP 401\)/);
  assert.equal(sim.device.get(1), "on");
});
