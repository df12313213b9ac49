/** HTTPS with a configured certificate: served and verified, while plain HTTP is not answered. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDaemon } from "../_helpers/daemon.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../_fixtures/${name}`, import.meta.url));

Deno.test("daemon.tls serves the upstream and JSON routes over HTTPS with the configured certificate", async () => {
  await using d = await startDaemon({
    daemon: {
      listener: "http",
      tls: { cert: fixture("selfsigned.crt"), key: fixture("selfsigned.key") },
    },
    pdus: { sim1: { driver: "simulated", outlets: 2, retries: 1 } },
  }, { listener: "http" });
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(fixture("selfsigned.crt"))],
  });
  try {
    const base = `https://127.0.0.1:${d.port}`;
    const on = await fetch(`${base}/power/control/on?hostname=sim1&port=2`, { client });
    assert.equal(on.status, 200);
    assert.equal(await on.text(), "OK - accepted request\n");
    const state = await fetch(`${base}/api/v1/pdus/sim1/outlets/2`, { client });
    assert.equal(((await state.json()) as { state?: string }).state, "on");
    // Without trusting the certificate, the connection is refused: it really is TLS.
    await assert.rejects(fetch(`${base}/healthz`));
  } finally {
    client.close();
  }
});
