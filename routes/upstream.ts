/**
 * Upstream PDUDaemon's HTTP contract: `GET /power/control/{on|off|reboot}` with `hostname`,
 * `port`, `delay` or `alias`; 200 `OK - accepted request\n` once the job ran, 503 with a
 * one-line reason otherwise; `group` (pdudaemon PR #169) switches every outlet of a group. Plus `get-port-state` (the head of pdudaemon#219, for issue #97:
 * JSON `{"state": "on"}`) and pdud's `get-status` (the bare state word, #219's first draft).
 * @module
 */
import { Hono } from "hono";
import type { PowerControl } from "../actors/mod.ts";
import type { OutletId } from "../drivers/mod.ts";
import { clip, parseUpstreamRequest, toPduCommand } from "./params.ts";
import {
  upstreamGroupResponse,
  upstreamPortStateResponse,
  upstreamRefusal,
  upstreamResponse,
  upstreamStatusResponse,
} from "./responses.ts";
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
    const requester = {
      transport: c.env.transport,
      address: c.env.remote.address,
      requestId: c.get("requestId"),
      ...(c.get("token") ? { token: c.get("token")! } : {}),
    };
    if ("group" in parsed.target) {
      const group = parsed.target.group;
      const members = control.resolveGroupMembers(group);
      if (members === undefined || members.length === 0) {
        return upstreamRefusal(`Invalid request: no group named "${clip(group)}"`);
      }
      // Submitted together in config order: each PDU's mailbox keeps that order, and PDUs run
      // side by side; the answer waits for every member (upstream ran them one after another).
      const results = await Promise.all(members.map((m) =>
        control.submit({
          pdu: m.pdu,
          command: toPduCommand(parsed.command, m.outlet, parsed.delay),
          requester,
        })
      ));
      return upstreamGroupResponse(clip(group), members, results);
    }
    let target: { pdu: string; outlet: OutletId };
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
      requester,
    });
    if (parsed.command === "get-port-state") return upstreamPortStateResponse(result);
    return parsed.command === "get-status"
      ? upstreamStatusResponse(result)
      : upstreamResponse(result);
  });
  return app;
}
