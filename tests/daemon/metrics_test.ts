import assert from "node:assert/strict";
import { type PowerControl, SILENT_LOGGER } from "../../actors/mod.ts";
import { readConfigFile } from "../../config/mod.ts";
import { Metrics, startDaemon as startRaw } from "../../daemon/mod.ts";
import { startDaemon } from "../_helpers/daemon.ts";

Deno.test("metrics: what is counted before prom-client has loaded is in the first scrape", async () => {
  const control = { snapshot: () => [] } as unknown as PowerControl;
  const metrics = new Metrics(() => control, { configured: (pdu) => pdu === "rack-a" });
  // Recorded synchronously, before the library's import can have finished.
  metrics.request("http", 200);
  metrics.request("http", 200);
  metrics.request("legacy-tcp", 503);
  metrics.job({ status: "failed", pdu: "rack-a", kind: "timeout" } as never);
  metrics.operation({ driver: "tasmota", ms: 20 } as never);
  const { body, contentType } = await metrics.text();
  assert.match(contentType, /^text\/plain/);
  assert.match(body, /pdud_requests_total\{transport="http",status="200"\} 2/);
  assert.match(body, /pdud_requests_total\{transport="legacy-tcp",status="503"\} 1/);
  assert.match(body, /pdud_jobs_total\{pdu="rack-a",outcome="failed",kind="timeout"\} 1/);
  assert.match(body, /pdud_operation_seconds_count\{driver="tasmota"\} 1/);
  // And after it has loaded, counting goes straight on.
  metrics.request("http", 200);
  assert.match((await metrics.text()).body, /status="200"\} 3/);
  metrics.close();
});

Deno.test("metrics: 1000 requests for distinct unknown PDUs make one series, not 1000", async () => {
  await using d = await startDaemon({ pdus: { rack: { driver: "simulated" } } });
  for (let i = 0; i < 1000; i++) {
    const r = await fetch(`${d.url}/api/v1/pdus/nope-${i}/outlets/1/on`, { method: "POST" });
    assert.equal(r.status, 404);
    await r.body?.cancel();
  }
  const on = await fetch(`${d.url}/power/control/on?hostname=rack&port=1`);
  assert.equal(on.status, 200, await on.text());
  const body = await (await fetch(`${d.url}/metrics`)).text();
  const jobs = body.split("\n").filter((l) => l.startsWith("pdud_jobs_total{"));
  assert.deepEqual(jobs.sort(), [
    'pdud_jobs_total{pdu="(unknown)",outcome="refused",kind="unknown_pdu"} 1000',
    'pdud_jobs_total{pdu="rack",outcome="done",kind=""} 1',
  ]);
  assert.doesNotMatch(body, /nope-/);
});

Deno.test("metrics: a PDU removed by reload is no longer exported", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pdud.yaml`;
  try {
    await Deno.writeTextFile(
      path,
      "pdus:\n  keep: {driver: simulated}\n  gone: {driver: simulated}\n",
    );
    await using d = await startRaw(await readConfigFile(path), {
      log: SILENT_LOGGER,
      listen: { hostname: "127.0.0.1", port: 0 },
      readConfig: () => readConfigFile(path),
    });
    const base = `http://127.0.0.1:${d.listeners.port}`;
    for (const pdu of ["keep", "gone"]) {
      const r = await fetch(`${base}/power/control/on?hostname=${pdu}&port=1`);
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
    assert.match(await (await fetch(`${base}/metrics`)).text(), /pdu="gone"/);
    await Deno.writeTextFile(path, "pdus:\n  keep: {driver: simulated}\n");
    assert.deepEqual((await d.reload()).removed, ["gone"]);
    // The removed PDU drains, then leaves the supervisor; then it leaves the exposition.
    for (let i = 0; i < 100 && d.supervisor.hasPdu("gone"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal(d.supervisor.hasPdu("gone"), false);
    const r = await fetch(`${base}/power/control/on?hostname=gone&port=1`);
    await r.body?.cancel();
    const body = await (await fetch(`${base}/metrics`)).text();
    assert.doesNotMatch(body, /pdu="gone"/);
    assert.match(body, /pdud_jobs_total\{pdu="keep",outcome="done",kind=""\} 1/);
    assert.match(
      body,
      /pdud_jobs_total\{pdu="\(unknown\)",outcome="refused",kind="unknown_pdu"\} 1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("metrics: pdud_operation_seconds counts each operation in its bucket, cumulatively, with sum and count", async () => {
  const control = { snapshot: () => [] } as unknown as PowerControl;
  const metrics = new Metrics(() => control, { configured: () => true });
  // The deferred load's timer would outlive the test (text() loads prom-client itself).
  metrics.close();
  for (const ms of [4, 5, 20, 40_000]) metrics.operation({ driver: "tasmota", ms } as never);
  metrics.operation({ driver: "snmp", ms: 300 } as never);
  const lines = (await metrics.text()).body.split("\n");
  const bucket = (driver: string, le: string) =>
    lines.find((l) => l.startsWith(`pdud_operation_seconds_bucket{le="${le}",driver="${driver}"}`))
      ?.split(" ")[1];
  assert.ok(lines.includes("# TYPE pdud_operation_seconds histogram"));
  assert.equal(bucket("tasmota", "0.005"), "2", "5 ms is in the 0.005 bucket (le: at most)");
  assert.equal(bucket("tasmota", "0.01"), "2");
  assert.equal(bucket("tasmota", "0.025"), "3");
  assert.equal(bucket("tasmota", "30"), "3");
  assert.equal(bucket("tasmota", "+Inf"), "4");
  assert.equal(bucket("snmp", "0.25"), "0");
  assert.equal(bucket("snmp", "0.5"), "1");
  assert.ok(lines.includes('pdud_operation_seconds_count{driver="tasmota"} 4'));
  assert.ok(lines.includes('pdud_operation_seconds_sum{driver="tasmota"} 40.029'));
  // Scraping again does not count twice.
  metrics.operation({ driver: "tasmota", ms: 1 } as never);
  const again = (await metrics.text()).body;
  assert.match(again, /pdud_operation_seconds_count\{driver="tasmota"\} 5/);
  assert.match(again, /pdud_operation_seconds_bucket\{le="0.005",driver="tasmota"\} 3/);
});

Deno.test("metrics: counting schedules nothing; prom-client waits for the first scrape", async () => {
  const { ManualClock } = await import("../_helpers/clock.ts");
  const clock = new ManualClock();
  const control = { snapshot: () => [] } as unknown as PowerControl;
  const metrics = new Metrics(() => control, { clock, configured: () => true });
  metrics.request("http", 200);
  metrics.job({ status: "done", pdu: "rack-a" } as never);
  metrics.operation({ driver: "tasmota", ms: 20 } as never);
  metrics.ownership("rack-a", true);
  metrics.forward(3);
  assert.equal(clock.pending, 0, "no timer to load the library a while after start");
  assert.match(
    (await metrics.text()).body,
    /pdud_requests_total\{transport="http",status="200"\} 1/,
  );
  metrics.close();
});

Deno.test("metrics: cluster ownership and forwarding are exported as prom-client's counter and histogram were", async () => {
  const control = { snapshot: () => [] } as unknown as PowerControl;
  const metrics = new Metrics(() => control, { configured: (pdu) => pdu !== "gone" });
  const before = (await metrics.text()).body.split("\n");
  // An unlabelled histogram shows its zeros before the first observation.
  assert.ok(before.includes('pdud_cluster_forward_seconds_bucket{le="0.0005"} 0'));
  assert.ok(before.includes('pdud_cluster_forward_seconds_bucket{le="+Inf"} 0'));
  assert.ok(before.includes("pdud_cluster_forward_seconds_count 0"));
  assert.ok(before.includes("# TYPE pdud_cluster_forward_seconds histogram"));
  metrics.ownership("rack a", true);
  metrics.ownership("rack a", true);
  metrics.ownership("rack a", false);
  metrics.ownership("gone", true);
  for (const ms of [0.5, 3, 40_000]) metrics.forward(ms);
  const lines = (await metrics.text()).body.split("\n");
  assert.ok(
    lines.includes('pdud_cluster_ownership_changes_total{pdu="rack a",change="acquired"} 2'),
  );
  assert.ok(lines.includes('pdud_cluster_ownership_changes_total{pdu="rack a",change="lost"} 1'));
  assert.ok(!lines.some((l) => l.includes('pdu="gone"')), "an unconfigured PDU mints no series");
  assert.ok(lines.includes('pdud_cluster_forward_seconds_bucket{le="0.0005"} 1'));
  assert.ok(lines.includes('pdud_cluster_forward_seconds_bucket{le="0.005"} 2'));
  assert.ok(lines.includes('pdud_cluster_forward_seconds_bucket{le="30"} 2'));
  assert.ok(lines.includes('pdud_cluster_forward_seconds_bucket{le="+Inf"} 3'));
  assert.ok(lines.includes("pdud_cluster_forward_seconds_sum 40.0035"));
  assert.ok(lines.includes("pdud_cluster_forward_seconds_count 3"));
});
