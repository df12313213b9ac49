/** listOutletsOf: names from the agent's name column are printable and bounded. */
import assert from "node:assert/strict";
import { listOutletsOf } from "../../../drivers/snmp/_readings.ts";
import { templateIndex } from "../../../drivers/snmp/presets.ts";
import type { SnmpClient } from "../../../drivers/snmp/client.ts";

Deno.test("listOutletsOf makes agent-given outlet names printable and at most 64 characters", async () => {
  // An agent's walk, as SnmpClient.walk returns it: one map per column, index → value.
  const client = {
    walk: () =>
      Promise.resolve([
        new Map<string, number | string>([["1", 1], ["2", 2]]),
        new Map<string, number | string>([["1", `\x1b]0;pwned\x07web${"B".repeat(500)}`], [
          "2",
          "db",
        ]]),
      ]),
  } as unknown as SnmpClient;
  const list = await listOutletsOf(
    client,
    {
      index: templateIndex("*"),
      state: { column: "1.3.6.1.4.1.9.9", on: 1, off: 2 },
      name: "1.3.6.1.4.1.9.8",
    },
    "agent",
    AbortSignal.timeout(1000),
  );
  assert.equal(list[1]!.name, "db");
  const first = list[0]!.name!;
  assert.ok(first.length <= 64, `${first.length} characters`);
  assert.ok(first.startsWith("webBBB"), first);
});
