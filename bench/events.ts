/**
 * What the event stream costs the job path: the same jobs through a supervisor with no hub, with
 * a hub nobody ever subscribed to (the default daemon), and with a hub that records into its ring
 * (someone subscribed once; nobody is connected now).
 *
 *   deno run -A bench/events.ts [--jobs 50000]
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { createSupervisor, EventHub, SILENT_LOGGER } from "../actors/mod.ts";
import type { Config } from "../config/mod.ts";
import type { AnyDriverDescriptor } from "../drivers/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { jobs: { type: "string", default: "50000" } },
});
const JOBS = Number(values.jobs);

const instant: AnyDriverDescriptor = {
  names: ["instant"],
  summary: "bench",
  options: z.object({}),
  create: () => ({ setOutlet: () => Promise.resolve(), close: () => Promise.resolve() }),
};
const config: Config = {
  daemon: {} as Config["daemon"],
  pdus: {
    p: {
      name: "p",
      driver: "instant",
      available: true,
      options: {},
      retries: 1,
      retrydelay: 0,
      timeout: 10,
      "command_gap": 0,
      "queue_limit": 100_000,
      "max_restarts": 3,
      "restart_window": 60,
      raw: {},
    },
  },
  aliases: {},
  groups: {},
};

async function run(events: EventHub | undefined): Promise<number> {
  const supervisor = createSupervisor(config, {
    log: SILENT_LOGGER,
    findDriver: () => instant,
    ...(events ? { events } : {}),
  });
  const started = performance.now();
  for (let i = 0; i < JOBS; i += 100) {
    await Promise.all(
      Array.from(
        { length: 100 },
        (_, k) => supervisor.submit({ pdu: "p", command: { type: "on", outlet: (k % 8) + 1 } }),
      ),
    );
  }
  const ms = performance.now() - started;
  await supervisor.shutdown({ graceMs: 0 });
  return ms;
}

const recording = () => {
  const hub = new EventHub();
  const s = hub.subscribe();
  if ("close" in s) s.close();
  return hub;
};
const rows: [string, () => EventHub | undefined][] = [
  ["no hub", () => undefined],
  ["hub, never subscribed", () => new EventHub()],
  ["hub recording (ring 1000)", recording],
];
await run(undefined); // warm-up
// Interleaved, best of 5: the machine is shared, and the best run is the least disturbed one.
const best = rows.map(() => Infinity);
for (let round = 0; round < 5; round++) {
  for (const [i, [, make]] of rows.entries()) best[i] = Math.min(best[i]!, await run(make()));
}
const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
for (const [i, [name]] of rows.entries()) {
  out(`${name.padEnd(28)} ${(best[i]! * 1000 / JOBS).toFixed(2)} µs/job (${JOBS} jobs)`);
}
