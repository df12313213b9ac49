/**
 * A number key given something that is not a number says what it expected (zod's union said
 * only "Invalid input"): driver ports and counts, daemon numbers, redfish's booleans.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../config/mod.ts";

async function problems(text: string): Promise<string[]> {
  try {
    await loadConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

Deno.test("loadConfig names what a number or boolean key expected", async () => {
  const found = await problems(
    [
      "daemon: {port: seventy}",
      "pdus:",
      "  g: {driver: gude24, address: 127.0.0.1, port: http}",
      "  s: {driver: snmpv2c, address: 127.0.0.1, community: c, oid: 1.3.*, snmpport: x}",
      "  r: {driver: redfish, address: 127.0.0.1, insecure: yes please}",
      "  t: {driver: tinycontrol, address: 127.0.0.1, timeout: soon}",
    ].join("\n"),
  );
  assert.deepEqual(found.sort(), [
    "daemon.port: expected a number",
    "pdus.g.port: expected a whole number from 1 to 65535",
    "pdus.r.insecure: expected true or false",
    "pdus.s.snmpport: expected a whole number from 1 to 65535",
    "pdus.t.timeout: expected a number",
  ]);
});
