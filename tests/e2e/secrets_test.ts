/**
 * No configured secret leaves pdud (issue 14.3): a real daemon at DEBUG, configured with a
 * distinct canary in every place a secret can be (a token, an SNMP community, SNMPv3 keys, a
 * password in a device URL, a password inline in a localcmdline command), made to fail with
 * each; then every reply, every log line, the JSON API, /metrics, `pdud status` and the audit
 * log are searched for any canary.
 */
import assert from "node:assert/strict";
import { runPdud, spawnPdud } from "../_helpers/process.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { IPMI_SIM_MISSING, startIpmiSim } from "../_helpers/ipmi_sim.ts";

const CANARIES = {
  token: "canary-token-5d1c9e7a40",
  community: "canary-community-81f2",
  wrongCommunity: "canary-wrongcomm-33b0",
  auth: "canary-v3auth-6e21c",
  priv: "canary-v3priv-0b7d4",
  url: "canary-urlpass-a19f",
  command: "canary-cmdpass-77e3",
  // IPMI carries at most 20 bytes of password.
  ipmi: "canary-ipmipw-5c0a",
  redfish: "canary-redfishpw-d41e",
};

Deno.test("no configured secret appears in any reply, log line, API, metric, status or audit record", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-secrets-" });
  await using v1 = await startSimulator("apc-snmp", { outlets: 4 }, {
    version: "2c",
    community: CANARIES.community,
  });
  await using v3 = await startSimulator("apc-snmp", { outlets: 4 }, {
    version: "3",
    users: [{
      username: "pdudaemon",
      authpassphrase: CANARIES.auth,
      privpassphrase: CANARIES.priv,
      "auth_protocol": "sha",
      "priv_protocol": "aes",
    }],
  });
  await using redfish = await startSimulator("redfish", { outlets: 1 });
  // Without ipmi_sim the IPMI PDU is left out (its canary is still searched for).
  const ipmi = IPMI_SIM_MISSING ? undefined : await startIpmiSim();
  // A port nothing listens on: the Tasmota request fails with its URL in hand. Below 1024, so
  // no other test's port-0 listener can be handed it meanwhile (a freed ephemeral port once
  // was, and the command's curl got an answer); 81 is not one of fetch's blocked ports.
  const deadPort = 81;
  assert.ok(!(await listening(deadPort)), `something listens on 127.0.0.1:${deadPort}`);
  try {
    const audit = `${dir}/audit.log`;
    const conf = `${dir}/pdud.json`;
    await Deno.writeTextFile(
      conf,
      JSON.stringify({
        daemon: {
          hostname: "127.0.0.1",
          port: 0,
          logging_level: "DEBUG",
          audit_log: audit,
          tokens: [{ name: "ci", secret: CANARIES.token, scope: "control" }],
        },
        pdus: {
          community: {
            ...v1.pduConfig(),
            address: "127.0.0.1",
            community: CANARIES.wrongCommunity,
            retries: 1,
          },
          v3key: {
            ...v3.pduConfig(),
            address: "127.0.0.1",
            authpassphrase: `${CANARIES.auth}-x`,
            retries: 1,
          },
          tasmota: {
            driver: "tasmota",
            ip: `127.0.0.1:${deadPort}`,
            username: "admin",
            password: CANARIES.url,
            retries: 1,
          },
          cmd: {
            driver: "localcmdline",
            "cmd_on": `curl -s -u admin:${CANARIES.command} http://127.0.0.1:${deadPort}/on/%s`,
            "cmd_off": `curl -s -u admin:${CANARIES.command} http://127.0.0.1:${deadPort}/off/%s`,
            retries: 1,
          },
          redfish: {
            ...redfish.pduConfig(),
            address: "127.0.0.1",
            password: CANARIES.redfish,
            retries: 1,
          },
          ...(ipmi
            ? {
              ipmi: { ...ipmi.pduConfig(), password: CANARIES.ipmi, retries: 1 },
            }
            : {}),
        },
      }),
    );
    await using pdud = await spawnPdud([`--conf=${conf}`]);
    const base = `http://127.0.0.1:${pdud.port}`;
    const headers = { authorization: `Bearer ${CANARIES.token}` };
    const seen: string[] = [];
    const read = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { headers, ...init });
      const text = await response.text();
      seen.push(`${path} ${response.status} ${text}`);
      return response.status;
    };
    for (
      const pdu of ["community", "v3key", "tasmota", "cmd", "redfish", ...(ipmi ? ["ipmi"] : [])]
    ) {
      assert.equal(await read(`/power/control/on?hostname=${pdu}&port=1`), 503, pdu);
      // The wrong community costs its 4 s probe wait once; the JSON API gives the same reason.
      if (pdu !== "community") await read(`/api/v1/pdus/${pdu}/outlets/1/on`, { method: "POST" });
    }
    // A wrong token is refused without being echoed either.
    await fetch(`${base}/api/v1/pdus`, {
      headers: { authorization: `Bearer ${CANARIES.token}x` },
    }).then((r) => r.text()).then((t) => seen.push(t));
    await read("/api/v1/pdus");
    await read("/metrics");
    const status = await runPdud(["status", "--daemon", `127.0.0.1:${pdud.port}`], {});
    seen.push(status.stdout, status.stderr);
    await pdud.stop();
    seen.push(...pdud.logs.map((record) => JSON.stringify(record)));
    seen.push(await Deno.readTextFile(audit).catch(() => ""));
    assert.ok(
      seen.some((text) => text.includes("the configured community is wrong")),
      "the wrong community was reached and reported",
    );
    assert.ok(seen.some((text) => /cmd_on \(curl\) exited with status/.test(text)));
    assert.ok(seen.some((text) => /Redfish service at .* refused the credentials/.test(text)));
    if (ipmi) assert.ok(seen.some((text) => /RAKP 2 HMAC is invalid/.test(text)));
    const everything = seen.join("\n");
    for (const [where, canary] of Object.entries(CANARIES)) {
      assert.ok(!everything.includes(canary), `the ${where} canary leaked`);
      assert.ok(!everything.includes(encodeURIComponent(canary)), `the ${where} canary leaked`);
    }
  } finally {
    await ipmi?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}
