import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { ACCEPTORS, LISTEN_BACKLOG } from "../../daemon/mod.ts";

/** The accept-queue length the kernel reports for each socket listening on a port (`ss`: Send-Q). */
async function backlogsOf(port: number): Promise<number[] | undefined> {
  let out;
  try {
    out = await new Deno.Command("ss", { args: ["-ltnH", `sport = :${port}`] }).output();
  } catch {
    return undefined;
  }
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((line) =>
    Number(line.trim().split(/\s+/)[2])
  );
}

for (const listener of ["both", "http"] as const) {
  Deno.test(`listener ${listener}: the kernel queues ${LISTEN_BACKLOG} connections, not 511`, async (t) => {
    const somaxconn = Number(
      await Deno.readTextFile("/proc/sys/net/core/somaxconn").catch(() => "0"),
    );
    await using daemon = await startDaemon(
      await loadConfig({ pdus: { sim: { driver: "simulated", outlets: 2 } } }),
      { log: SILENT_LOGGER, listen: { hostname: "127.0.0.1", port: 0, listener } },
    );
    const backlogs = await backlogsOf(daemon.listeners.port);
    if (backlogs === undefined) {
      await t.step({ name: "skipped: `ss` (iproute2) is not installed", ignore: true, fn() {} });
      return;
    }
    assert.deepEqual(
      backlogs,
      Array(ACCEPTORS).fill(Math.min(LISTEN_BACKLOG, somaxconn || LISTEN_BACKLOG)),
    );
  });
}

Deno.test(`the port has ${ACCEPTORS} listening sockets (SO_REUSEPORT), and 200 connections at once are all served`, async (t) => {
  await using daemon = await startDaemon(
    await loadConfig({ pdus: { sim: { driver: "simulated", outlets: 2 } } }),
    { log: SILENT_LOGGER, listen: { hostname: "127.0.0.1", port: 0, listener: "both" } },
  );
  const backlogs = await backlogsOf(daemon.listeners.port);
  if (backlogs === undefined) {
    await t.step({ name: "skipped: `ss` (iproute2) is not installed", ignore: true, fn() {} });
    return;
  }
  // The test task runs with deno.json's `unstable: ["net"]`, as the daemon's own tasks do.
  assert.equal(backlogs.length, ACCEPTORS);
  assert.equal(ACCEPTORS, Deno.build.os === "linux" ? 4 : 1);
  // The kernel spreads connections over the sockets by their addresses; 200 reach every one.
  const answers = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const response = await fetch(
      `http://127.0.0.1:${daemon.listeners.port}/power/control/${
        i % 2 ? "on" : "off"
      }?hostname=sim&port=1`,
      { headers: { connection: "close" } },
    );
    await response.body?.cancel();
    return response.status;
  }));
  assert.deepEqual(new Set(answers), new Set([200]));
});
