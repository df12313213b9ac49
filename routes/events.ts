/**
 * `GET /api/v1/events`: the event hub as Server-Sent Events. Each event has an `id:` (resume
 * with `Last-Event-ID`), an `event:` type and JSON `data:`. `?pdu=NAME` (repeated, or names
 * separated by commas) keeps only the events about those PDUs. The stream is a read route: the
 * app's access middleware has already checked networks and the token's scope.
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type EventHub, Subscription } from "../actors/mod.ts";
import type { AppEnv } from "./env.ts";

/** Options of eventRoutes. */
export interface EventRouteOptions {
  /** The configured PDUs' names now, to check a `?pdu=` filter (default: no check). */
  pduNames?: () => Iterable<string>;
}

/** The event stream route, mounted at /api/v1; 404 when the daemon has no hub. */
export function eventRoutes(
  hub: EventHub | undefined,
  options: EventRouteOptions = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/events", (c) => {
    if (!hub) return c.json({ error: "the event stream is not enabled in this pdud" }, 404);
    const filter = pduFilter(c.req.queries("pdu"), options.pduNames);
    if (filter && "error" in filter) return c.json({ error: filter.error }, filter.status);
    // Hono runs GET routes for HEAD: a HEAD must not subscribe (nothing would ever read it).
    if (c.req.method === "HEAD") {
      return c.body(null, 200, { "content-type": "text/event-stream" });
    }
    const lastEventId = c.req.header("last-event-id");
    const sub = hub.subscribe(lastEventId, filter ? { pdus: filter.pdus } : {});
    if (!(sub instanceof Subscription)) {
      return c.json({ error: sub.message }, sub.error === "bad_id" ? 400 : 503);
    }
    // Proxies such as nginx would otherwise hold events back to fill their buffers.
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (stream) => {
      sub.onAbandon(() => stream.abort());
      stream.onAbort(() => sub.close());
      try {
        await stream.writeSSE({
          event: "ready",
          data: JSON.stringify({
            boot: hub.boot,
            lastId: hub.lastId,
            resumed: lastEventId !== undefined && lastEventId !== "",
            ring: hub.ringSize,
            buffer: hub.bufferSize,
            pdus: filter ? [...filter.pdus] : null,
          }),
        });
        while (!stream.aborted) {
          const batch = sub.take();
          for (const e of batch) {
            if (stream.aborted) break;
            await stream.writeSSE(
              e.id ? { id: e.id, event: e.type, data: e.data } : { event: e.type, data: e.data },
            );
          }
          if (sub.ended) break;
          // A comment line now and then keeps proxies from timing the stream out and lets a
          // vanished client's connection fail instead of lingering.
          if (batch.length === 0 && await sub.wait() === "idle") await stream.write(": ping\n\n");
        }
      } finally {
        sub.close();
      }
    });
  });
  return app;
}

/**
 * The PDUs `?pdu=` names (repeated, or comma-separated), or why not: an empty name is a 400, a
 * PDU not configured a 404 naming it (a typo would otherwise be a stream that stays silent).
 */
function pduFilter(
  values: string[] | undefined,
  pduNames: (() => Iterable<string>) | undefined,
): { pdus: ReadonlySet<string> } | { error: string; status: 400 | 404 } | undefined {
  if (values === undefined) return undefined;
  const names = values.flatMap((v) => v.split(",")).map((n) => n.trim());
  if (names.some((n) => n === "")) {
    return {
      error: "pdu: expected PDU names, like ?pdu=apc01&pdu=apc02 or ?pdu=apc01,apc02",
      status: 400,
    };
  }
  const pdus = new Set(names);
  if (pduNames) {
    const known = new Set(pduNames());
    const unknown = [...pdus].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 5).map((n) => JSON.stringify(n.slice(0, 64))).join(", ");
      return {
        error: `pdu: no PDU named ${shown}${
          unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ""
        }`,
        status: 404,
      };
    }
  }
  return { pdus };
}
