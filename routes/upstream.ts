/**
 * Upstream PDUDaemon's HTTP contract: `GET /power/control/{on|off|reboot}` with `hostname`,
 * `port`, `delay` or `alias`; 200 `OK - accepted request\n` once the job ran, 503 with a
 * one-line reason otherwise. Plus `get-status` (pdudaemon#219's proposal for issue #97).
 * @module
 */
import { Hono } from "hono";
import type { PowerControl } from "../actors/mod.ts";
import { parseUpstreamRequest, toPduCommand } from "./params.ts";
import { upstreamRefusal, upstreamResponse, upstreamStatusResponse } from "./responses.ts";
import type { AppEnv } from "./env.ts";

/** The upstream routes, mounted at the root. */
export function upstreamRoutes(control: PowerControl): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Methods other than GET (HEAD above all, which Hono would run as GET) are refused by the
  // app's guard before routing (app.ts).
  app.get("/power/control/:command", async (c) => {
    const query = new URL(c.req.url).searchParams;
    const parsed = parseUpstreamRequest(c.req.param("command"), query);
    if (!parsed.ok) return upstreamRefusal(`Invalid request: ${parsed.reason}`);
    let target: { pdu: string; outlet: number };
    if ("alias" in parsed.target) {
      const resolved = control.resolveAlias(parsed.target.alias);
      if (resolved === undefined) {
        return upstreamRefusal(`Invalid request: no alias named "${parsed.target.alias}"`);
      }
      target = resolved;
    } else target = parsed.target;
    const result = await control.submit({
      pdu: target.pdu,
      command: toPduCommand(parsed.command, target.outlet, parsed.delay),
      requester: {
        transport: c.env.transport,
        address: c.env.remote.address,
        requestId: c.get("requestId"),
        ...(c.get("token") ? { token: c.get("token")! } : {}),
      },
    });
    return parsed.command === "get-status"
      ? upstreamStatusResponse(result)
      : upstreamResponse(result);
  });
  return app;
}
