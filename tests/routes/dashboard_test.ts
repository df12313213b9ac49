/**
 * The dashboard's routes without a browser: the page and its assets are served without a token
 * (they hold no data) with a CSP that forbids inline script, and GET /api/v1/whoami tells the
 * page who it is and whether it may switch outlets.
 */
import assert from "node:assert/strict";
import { startDaemon } from "../_helpers/daemon.ts";

const CONTROL = "control-secret-0123456789";
const READ = "read-secret-0123456789";
const tokens = [
  { name: "ops", secret: CONTROL, scope: "control" },
  { name: "viewer", secret: READ, scope: "read" },
];

async function get(url: string, token?: string) {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

Deno.test("whoami: the token's name and scope, never its value; anonymous control without tokens", async () => {
  {
    await using d = await startDaemon({ pdus: {} });
    const open = await get(`${d.url}/api/v1/whoami`);
    assert.equal(open.status, 200);
    assert.deepEqual(JSON.parse(open.text), {
      principal: "anonymous",
      scope: "control",
      tokens: false,
    });
  }
  await using d = await startDaemon({ daemon: { tokens }, pdus: {} });
  assert.equal((await get(`${d.url}/api/v1/whoami`)).status, 401);
  assert.equal((await get(`${d.url}/api/v1/whoami`, "wrong-token-0123456789")).status, 401);
  const viewer = await get(`${d.url}/api/v1/whoami`, READ);
  assert.deepEqual(JSON.parse(viewer.text), { principal: "viewer", scope: "read", tokens: true });
  const ops = await get(`${d.url}/api/v1/whoami`, CONTROL);
  assert.deepEqual(JSON.parse(ops.text), { principal: "ops", scope: "control", tokens: true });
  assert.ok(!ops.text.includes(CONTROL));
  const doc = JSON.parse((await get(`${d.url}/api/v1/openapi.json`)).text);
  assert.ok(doc.paths["/whoami"]?.get, "whoami is in the OpenAPI document");
});

Deno.test("the page and its assets need no token, carry a strict CSP, and hold no data", async () => {
  await using d = await startDaemon({
    daemon: { tokens },
    pdus: { "dash-secret-rack": { driver: "simulated" } },
  });
  for (
    const [path, type] of [
      ["/", "text/html"],
      ["/ui/", "text/html"],
      ["/ui/app.js", "text/javascript"],
      ["/ui/app.css", "text/css"],
      ["/ui/favicon.svg", "image/svg+xml"],
    ]
  ) {
    const r = await get(`${d.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.ok(r.headers.get("content-type")?.startsWith(type!), path);
    assert.match(r.headers.get("content-security-policy") ?? "", /^default-src 'self';/, path);
    assert.match(r.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff", path);
    assert.ok(!r.text.includes("dash-secret-rack"), `${path} holds no data`);
  }
  const page = (await get(`${d.url}/`)).text;
  assert.ok(!/<script>|<script [^>]*>[^<]/.test(page), "no inline script");
  assert.ok(!/ on[a-z]+=/.test(page), "no inline handlers");
  const js = (await get(`${d.url}/ui/app.js`)).text;
  assert.ok(!js.includes("innerHTML"), "the script never parses data as HTML");
  const redirect = await fetch(`${d.url}/ui`, { redirect: "manual" });
  await redirect.body?.cancel();
  assert.equal(redirect.headers.get("location"), "/ui/");
  // Everything with data still needs the token.
  assert.equal((await get(`${d.url}/api/v1/pdus`)).status, 401);
});

Deno.test("allowed_networks still applies to the page", async () => {
  await using d = await startDaemon({ daemon: { allowed_networks: ["10.0.0.0/8"] }, pdus: {} });
  const r = await get(`${d.url}/`);
  assert.equal(r.status, 403);
  assert.match(r.text, /not in allowed_networks/);
});
