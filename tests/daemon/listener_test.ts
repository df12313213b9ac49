import assert from "node:assert/strict";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { LISTEN_BACKLOG } from "../../daemon/mod.ts";

/** The accept-queue length the kernel reports for a listening port (`ss`: Send-Q). */
async function backlogOf(port: number): Promise<number | undefined> {
  let out;
  try {
    out = await new Deno.Command("ss", { args: ["-ltnH", `sport = :${port}`] }).output();
  } catch {
    return undefined;
  }
  const fields = new TextDecoder().decode(out.stdout).trim().split(/\s+/);
  return fields.length >= 3 ? Number(fields[2]) : undefined;
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
    const backlog = await backlogOf(daemon.listeners.port);
    if (backlog === undefined) {
      await t.step({ name: "skipped: `ss` (iproute2) is not installed", ignore: true, fn() {} });
      return;
    }
    assert.equal(backlog, Math.min(LISTEN_BACKLOG, somaxconn || LISTEN_BACKLOG));
  });
}
