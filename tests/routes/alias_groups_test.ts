/**
 * Alias groups, as pdudaemon PR #169 ("Add support for alias groups", 11dad65) defines them: an
 * alias may carry `"group": "NAME"`; `GET /power/control/{on|off|reboot}?group=NAME` switches
 * every alias of the group, across PDUs, and succeeds only if every member did. pdud maps them
 * onto its own `groups` so both spellings work, over the upstream route and /api/v1.
 */
import assert from "node:assert/strict";
import { createSupervisor, SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

let counter = 0;
/** A unique simulated PDU name (the in-process devices are shared by name). */
const unique = (base: string) => `${base}-${Date.now().toString(36)}-${++counter}`;

Deno.test("alias groups: ?group= switches every member across PDUs, in order per PDU", async (t) => {
  const a = unique("rack-a");
  const b = unique("rack-b");
  const broken = unique("broken");
  await using d = await startDaemon({
    pdus: {
      [a]: { driver: "simulated", outlets: 8, retries: 1 },
      [b]: { driver: "simulated", outlets: 8, retries: 1 },
      [broken]: { driver: "simulated", outlets: 8, retries: 1, fault: "refuse" },
    },
    aliases: {
      // Upstream's share/pdudaemon.conf in PR #169 tags aliases of two PDUs like this.
      "board-1": { hostname: a, port: 1, group: "testgroup" },
      "board-2": { hostname: b, port: 2, group: "testgroup" },
      "board-3": { hostname: a, port: 3, group: "testgroup" },
      "board-4": { hostname: b, port: 4, group: "othergroup" },
      "board-5": { hostname: a, port: 5, group: "mixed" },
      "board-6": { hostname: broken, port: 6, group: "mixed" },
      "board-7": { hostname: b, port: 7, group: "mixed" },
      "single": { hostname: a, port: 8 },
    },
    // pdud's own spelling; the same name also collects the aliases tagged with it.
    groups: { shelf: { hostname: a, ports: "6-7" }, othergroup: { hostname: a, ports: "2" } },
  });
  const devA = simulatedDevice(a);
  const devB = simulatedDevice(b);
  const devBroken = simulatedDevice(broken);

  await t.step("reboot?group=testgroup: every member, in config order per PDU", async () => {
    // Mirrors PR #169's share/pdudaemon-test.sh line: reboot?group=testgroup&delay=1.
    const r = await control(d, "reboot", { group: "testgroup", delay: 0 });
    assert.deepEqual(r, { status: 200, body: "OK - accepted request\n" });
    // Answered once all were done: every reboot has both halves already.
    assert.deepEqual(devA.history, [[1, "off"], [1, "on"], [3, "off"], [3, "on"]]);
    assert.deepEqual(devB.history, [[2, "off"], [2, "on"]]);
  });

  await t.step("on?group= and off?group= leave each member in that state", async () => {
    assert.equal((await control(d, "off", { group: "testgroup" })).status, 200);
    for (const [dev, o] of [[devA, 1], [devB, 2], [devA, 3]] as const) {
      assert.equal(dev.get(o), "off");
    }
    assert.equal((await control(d, "on", { group: "testgroup" })).status, 200);
    assert.equal(devA.get(1), "on");
  });

  await t.step("pdud's groups and the alias spelling share one name and one request", async () => {
    const before = [devA.history.length, devB.history.length];
    assert.equal((await control(d, "on", { group: "othergroup" })).status, 200);
    assert.deepEqual(devA.history.slice(before[0]), [[2, "on"]]);
    assert.deepEqual(devB.history.slice(before[1]), [[4, "on"]]);
    assert.equal((await control(d, "off", { group: "shelf" })).status, 200);
    assert.equal(devA.get(6), "off");
    assert.equal(devA.get(7), "off");
  });

  await t.step("one failing member: the others still switch, 503 names the failure", async () => {
    const r = await control(d, "on", { group: "mixed" });
    assert.equal(r.status, 503);
    assert.equal(r.body.split("\n").length, 2, "one line");
    assert.match(r.body, /^group "mixed": 1 of 3 outlets failed: /);
    assert.match(r.body, new RegExp(`alias "board-6" \\(PDU "${broken}" outlet 6\\): `));
    assert.doesNotMatch(r.body, /board-5|board-7/);
    assert.equal(devA.get(5), "on");
    assert.equal(devB.get(7), "on");
    assert.equal(devBroken.get(6), "off");
  });

  await t.step("bad group requests are refused with a reason and switch nothing", async () => {
    const before = devA.history.length + devB.history.length;
    const unknown = await control(d, "on", { group: "nope" });
    assert.equal(unknown.status, 503);
    assert.match(unknown.body, /no group named "nope"/);
    // Upstream refuses a group combined with a direct target (process_group_request).
    for (const extra of [{ hostname: a }, { hostname: a, port: 1 }, { alias: "single" }]) {
      const r = await control(d, "on", { group: "testgroup", ...extra });
      assert.equal(r.status, 503);
      assert.match(r.body, /give group alone/);
    }
    const read = await control(d, "get-port-state", { group: "testgroup" });
    assert.equal(read.status, 503);
    assert.match(read.body, /group works with on, off, reboot/);
    const twice = await fetch(`${d.url}/power/control/on?group=testgroup&group=shelf`);
    assert.equal(twice.status, 503);
    assert.match(await twice.text(), /group given 2 times/);
    assert.equal(devA.history.length + devB.history.length, before);
  });

  await t.step("/api/v1/groups lists both spellings with their outlets in order", async () => {
    const r = await fetch(`${d.url}/api/v1/groups`);
    assert.equal(r.status, 200);
    const { groups } = await r.json() as {
      groups: { name: string; members: { pdu: string; outlet: number; alias?: string }[] }[];
    };
    const byName = Object.fromEntries(groups.map((g) => [g.name, g.members]));
    assert.deepEqual(byName.testgroup, [
      { pdu: a, outlet: 1, alias: "board-1" },
      { pdu: b, outlet: 2, alias: "board-2" },
      { pdu: a, outlet: 3, alias: "board-3" },
    ]);
    assert.deepEqual(byName.shelf, [{ pdu: a, outlet: 6 }, { pdu: a, outlet: 7 }]);
    assert.deepEqual(byName.othergroup, [
      { pdu: a, outlet: 2 },
      { pdu: b, outlet: 4, alias: "board-4" },
    ]);
    assert.equal(byName.single, undefined);
  });

  await t.step(
    "POST /api/v1/groups/{group}/{command} switches an alias group across PDUs",
    async () => {
      const r = await fetch(`${d.url}/api/v1/groups/testgroup/off`, { method: "POST" });
      assert.equal(r.status, 200);
      const { results } = await r.json() as { results: { pdu: string; outlet: number }[] };
      assert.deepEqual(results.map((x) => [x.pdu, x.outlet]), [[a, 1], [b, 2], [a, 3]]);
      assert.equal(devB.get(2), "off");
      const mixed = await fetch(`${d.url}/api/v1/groups/mixed/on`, { method: "POST" });
      assert.equal(mixed.status, 502);
      await mixed.body?.cancel();
    },
  );
});

Deno.test("alias groups: the group key loads (upstream PR #169's config) and is validated", async () => {
  // The aliases section of PR #169's share/pdudaemon.conf, verbatim.
  const config = await loadConfig(`{
    "pdus": {
      "httpalias": {"driver": "localcmdline", "cmd_on": "true", "cmd_off": "true"},
      "drivealias": {"driver": "localcmdline", "cmd_on": "true", "cmd_off": "true"}
    },
    "aliases": {
        "aliastesthttp01": {
            "hostname": "httpalias",
            "port": 1,
            "group": "testgroup"
        },
        "aliastestdrive02": {
            "hostname": "drivealias",
            "port": 2,
            "group": "testgroup"
        },
        "aliastestother03": {
            "hostname": "drivealias",
            "port": 3,
            "group": "othergroup"
        }
    }
  }`);
  assert.equal(config.aliases.aliastesthttp01?.group, "testgroup");
  await assert.rejects(
    loadConfig({
      pdus: { p: { driver: "simulated" } },
      aliases: { x: { hostname: "p", port: 1, group: "" } },
    }),
    /aliases\.x\.group: a group name must not be empty/,
  );
});

Deno.test("alias groups: a reload replaces the groups, both spellings", async () => {
  const pdus = { p: { driver: "simulated", outlets: 4 }, q: { driver: "simulated", outlets: 4 } };
  await using control = createSupervisor(
    await loadConfig({ pdus, aliases: { a: { hostname: "p", port: 1, group: "g" } } }),
    { log: SILENT_LOGGER },
  );
  assert.deepEqual(control.resolveGroupMembers("g"), [{ pdu: "p", outlet: 1, alias: "a" }]);
  control.reload(
    await loadConfig({
      pdus,
      aliases: { b: { hostname: "q", port: 2, group: "h" } },
      groups: { h: { hostname: "p", ports: "3-4" } },
    }),
  );
  assert.equal(control.resolveGroupMembers("g"), undefined);
  assert.deepEqual(control.listGroups(), [{
    name: "h",
    members: [{ pdu: "p", outlet: 3 }, { pdu: "p", outlet: 4 }, {
      pdu: "q",
      outlet: 2,
      alias: "b",
    }],
  }]);
});
