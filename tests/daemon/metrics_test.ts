import assert from "node:assert/strict";
import type { PowerControl } from "../../actors/mod.ts";
import { Metrics } from "../../daemon/mod.ts";

Deno.test("metrics: what is counted before prom-client has loaded is in the first scrape", async () => {
  const control = { snapshot: () => [] } as unknown as PowerControl;
  const metrics = new Metrics(() => control);
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
