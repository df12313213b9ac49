/**
 * A farm of simulated Tasmota devices in one Deno process, for bench/compare.ts: one listener
 * per device, every device two relays, ports BASE … BASE+COUNT-1 on 127.0.0.1 (fixed ports
 * outside the ephemeral range, so that thousands of listeners do not eat the ports the clients
 * connect from). Each device is the simulator framework's SimulatedDevice answered by the
 * Tasmota simulator's `tasmotaResponse`, served by Deno.serve rather than the simulators' own
 * raw-TCP server: that one (built to inject faults) parses HTTP in JavaScript into a 1 MiB
 * buffer per connection, and alone made 200 devices × 10 operations of 50 ms take 3.4× the
 * ideal time; behind Deno.serve the same farm takes 1.35× (client included) and serves ~8,400
 * new connections/s. The farm injects no faults.
 *
 *   deno run --allow-net bench/farm.ts --count 1000 [--base 20000]
 *
 * Prints one JSON line `{"control": PORT, "ports": [...]}` once every device listens, then serves
 * a control API on 127.0.0.1:PORT:
 *   GET /latency?ms=N          every device's operation time
 *   GET /reset                 maxInFlight and histories back to zero
 *   GET /stats?count=N         {maxInFlight, operations} over the first N devices
 *   GET /state?i=I&outlet=O    {state, history} of device I
 *   GET /quit                  closes everything and exits
 * @module
 */
import { parseArgs } from "node:util";
import { SimulatedDevice } from "../simulators/mod.ts";
import { TASMOTA_SIMULATOR, tasmotaResponse } from "../simulators/http/tasmota.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "100" },
    base: { type: "string", default: "20000" },
  },
});
const count = Number(values.count);
const base = Number(values.base);
if (!Number.isInteger(count) || count < 1 || count > 20000) {
  throw new RangeError("--count 1..20000");
}

const options = TASMOTA_SIMULATOR.options.parse({ driver: "brennenstuhl_wspl01_tasmota" });
interface FarmDevice {
  device: SimulatedDevice;
  close(): Promise<void>;
}
const sims: FarmDevice[] = [];
for (let i = 0; i < count; i++) {
  const device = new SimulatedDevice(`farm${i}`, { outlets: 2, initial: "off" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: base + i, onListen: () => {} },
    async (request) => {
      const reply = await tasmotaResponse(device, request, options);
      // The farm runs no faults, so a reply is always a Response.
      return reply instanceof Response ? reply : new Response(null, { status: 500 });
    },
  );
  sims.push({ device, close: () => server.shutdown() });
}

let quit: () => void = () => {};
const done = new Promise<void>((resolve) => quit = resolve);
const control = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
  const url = new URL(request.url);
  const q = (k: string) => Number(url.searchParams.get(k) ?? NaN);
  switch (url.pathname) {
    case "/latency":
      for (const s of sims) s.device.latencyMs = q("ms");
      return Response.json({ ok: true });
    case "/reset":
      for (const s of sims) {
        s.device.maxInFlight = 0;
        s.device.changes = 0;
        s.device.history.length = 0;
      }
      return Response.json({ ok: true });
    case "/stats": {
      const n = Number.isFinite(q("count")) ? q("count") : sims.length;
      let maxInFlight = 0;
      let operations = 0;
      for (const s of sims.slice(0, n)) {
        maxInFlight = Math.max(maxInFlight, s.device.maxInFlight);
        operations += s.device.changes;
      }
      return Response.json({ maxInFlight, operations });
    }
    case "/state": {
      const device = sims[q("i")]?.device;
      if (!device) return new Response("no such device", { status: 404 });
      return Response.json({ state: device.get(q("outlet")), history: device.history });
    }
    case "/quit":
      queueMicrotask(quit);
      return Response.json({ ok: true });
    default:
      return new Response("not found", { status: 404 });
  }
});
Deno.stdout.writeSync(
  new TextEncoder().encode(
    JSON.stringify({ control: control.addr.port, ports: sims.map((_, i) => base + i) }) + "\n",
  ),
);
await done;
await control.shutdown();
await Promise.all(sims.map((s) => s.close()));
Deno.exit(0);
