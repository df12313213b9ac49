/**
 * Signals on a real pdud process (DESIGN.md §3): SIGTERM in the middle of a reboot — outlet off,
 * waiting out the delay — turns the outlet back on before exit, answers the rebooting client,
 * refuses the job queued behind it with a reason, and exits 0. The test knows the reboot is in
 * its wait because the PDU's off command blocks on a FIFO until the test reads it: no sleeps.
 */
import assert from "node:assert/strict";
import { recordingRack, spawnPdud } from "../_helpers/process.ts";

for (const listener of ["both", "http"]) {
  Deno.test(`SIGTERM mid-reboot (listener ${listener}): the outlet is back on, every client answered, exit 0`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pdud-signal-" });
    try {
      const { conf, log, fifo } = await recordingRack(
        dir,
        "{hostname: 127.0.0.1, port: 0, shutdown_grace: 30}",
      );
      await using pdud = await spawnPdud([`--conf=${conf}`, "--listener", listener]);
      const base = `http://127.0.0.1:${pdud.port}/power/control`;
      const reboot = fetch(`${base}/reboot?hostname=rack&port=1&delay=600`);
      const reader = await Deno.open(fifo, { read: true });
      const signalled = new TextDecoder().decode(await readAll(reader));
      assert.equal(signalled, "off\n");
      // Outlet 1 is off and its reboot waits 600 s; queue a job behind it on the same outlet.
      const queued = fetch(`${base}/off?hostname=rack&port=1`);
      await waitForQueued(pdud.port);

      const status = await pdud.stop("SIGTERM");
      assert.equal(status.code, 0);
      assert.equal(await Deno.readTextFile(log), "1 off\n1 on\n");
      const rebootReply = await reboot;
      assert.equal(rebootReply.status, 200);
      assert.equal(await rebootReply.text(), "OK - accepted request\n");
      const queuedReply = await queued;
      assert.equal(queuedReply.status, 503);
      assert.match(await queuedReply.text(), /stop|shut/i);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

async function readAll(file: Deno.FsFile): Promise<Uint8Array> {
  const chunks: number[] = [];
  const buffer = new Uint8Array(64);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    chunks.push(...buffer.subarray(0, n));
  }
  file.close();
  return Uint8Array.from(chunks);
}

/** Asks the JSON API until the PDU's queue shows the second job (it arrives over a socket). */
async function waitForQueued(port: number): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const pdu = await (await fetch(`http://127.0.0.1:${port}/api/v1/pdus/rack`)).json();
    if (pdu.queue_depth >= 1 || pdu.queueDepth >= 1) return;
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  }
  throw new Error("the second job never reached the queue");
}
