/**
 * What the dashboard needs to name and list every outlet: `GET /api/v1/aliases` (every alias,
 * with or without upstream's `group` key) and each PDU's `outletRange` in `/api/v1/pdus`.
 */
import assert from "node:assert/strict";
import { createSupervisor, SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../_helpers/daemon.ts";

let counter = 0;
/** A unique simulated PDU name (the in-process devices are shared by name). */
const unique = (base: string) => `${base}-${Date.now().toString(36)}-${++counter}`;
const READ = { authorization: "Bearer read-secret-0123456789" };

Deno.test("GET /api/v1/aliases lists every alias in config order, for a read token", async (t) => {
  const a = unique("al-a");
  const b = unique("al-b");
  await using d = await startDaemon({
    daemon: { tokens: [{ name: "dashboard", secret: "read-secret-0123456789", scope: "read" }] },
    pdus: { [a]: { driver: "simulated", outlets: 8 }, [b]: { driver: "simulated", outlets: 4 } },
    aliases: {
      "board-1": { hostname: a, port: 1 },
      "board-2": { hostname: b, port: 2 },
      shelf: { hostname: a, port: 7, group: "rack" },
      "<img src=x onerror=alert(1)>": { hostname: b, port: 4 },
    },
  });

  await t.step("each alias with its PDU and outlet, grouped or not", async () => {
    const r = await fetch(`${d.url}/api/v1/aliases`, { headers: READ });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await r.json(), {
      aliases: [
        { name: "board-1", pdu: a, outlet: 1 },
        { name: "board-2", pdu: b, outlet: 2 },
        { name: "shelf", pdu: a, outlet: 7 },
        { name: "<img src=x onerror=alert(1)>", pdu: b, outlet: 4 },
      ],
    });
  });

  await t.step("needs a token like every API route", async () => {
    const r = await fetch(`${d.url}/api/v1/aliases`);
    assert.equal(r.status, 401);
    await r.body?.cancel();
  });

  await t.step("the OpenAPI document describes the route and Pdu.outletRange", async () => {
    const doc = await (await fetch(`${d.url}/api/v1/openapi.json`)).json() as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    assert.ok(doc.paths["/aliases"]?.get, "GET /aliases is documented");
    assert.deepEqual(Object.keys(doc.components.schemas.Alias?.properties ?? {}), [
      "name",
      "pdu",
      "outlet",
    ]);
    assert.ok(doc.components.schemas.Pdu?.properties?.outletRange, "Pdu.outletRange");
  });
});

Deno.test("GET /api/v1/pdus gives each PDU's outlet range, null where the driver has none", async () => {
  const a = unique("rng-a");
  const b = unique("rng-b");
  await using d = await startDaemon({
    pdus: {
      [a]: { driver: "simulated", outlets: 8 },
      [b]: { driver: "simulated", outlets: 3, "first_outlet": 0 },
      cmd: { driver: "localcmdline", "cmd_on": "true", "cmd_off": "true" },
    },
  });
  const { pdus } = await (await fetch(`${d.url}/api/v1/pdus`)).json() as {
    pdus: { name: string; outletRange: unknown; outlets: Record<string, unknown> }[];
  };
  const byName = Object.fromEntries(pdus.map((p) => [p.name, p]));
  assert.deepEqual(byName[a]?.outletRange, { min: 1, max: 8 });
  assert.deepEqual(byName[b]?.outletRange, { min: 0, max: 2 });
  assert.equal(byName.cmd?.outletRange, null);
  // Nothing was switched or read: the range is known before any outlet is.
  assert.deepEqual(byName[a]?.outlets, {});
  const one = await (await fetch(`${d.url}/api/v1/pdus/${b}`)).json() as { outletRange: unknown };
  assert.deepEqual(one.outletRange, { min: 0, max: 2 });
});

Deno.test("a reload replaces the aliases and the outlet ranges", async () => {
  const p = unique("rl-p");
  await using control = createSupervisor(
    await loadConfig({
      pdus: { [p]: { driver: "simulated", outlets: 4 } },
      aliases: { a: { hostname: p, port: 1 } },
    }),
    { log: SILENT_LOGGER },
  );
  assert.deepEqual(control.listAliases(), [{ name: "a", pdu: p, outlet: 1 }]);
  assert.deepEqual(control.snapshot()[0]?.outletRange, { min: 1, max: 4 });
  control.reload(
    await loadConfig({
      pdus: { [p]: { driver: "simulated", outlets: 2 } },
      aliases: { b: { hostname: p, port: 2, group: "g" } },
    }),
  );
  assert.deepEqual(control.listAliases(), [{ name: "b", pdu: p, outlet: 2 }]);
  assert.deepEqual(control.snapshot()[0]?.outletRange, { min: 1, max: 2 });
});
