/**
 * `GET /api/v1/events`: the event hub as Server-Sent Events. Each event has an `id:` (resume
 * with `Last-Event-ID`), an `event:` type and JSON `data:`. The stream is a read route: the app's
 * access middleware has already checked networks and the token's scope.
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type EventHub, Subscription } from "../actors/mod.ts";
import type { AppEnv } from "./env.ts";

/** The event stream route, mounted at /api/v1; 404 when the daemon has no hub. */
export function eventRoutes(hub: EventHub | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/events", (c) => {
    if (!hub) return c.json({ error: "the event stream is not enabled in this pdud" }, 404);
    // Hono runs GET routes for HEAD: a HEAD must not subscribe (nothing would ever read it).
    if (c.req.method === "HEAD") {
      return c.body(null, 200, { "content-type": "text/event-stream" });
    }
    const lastEventId = c.req.header("last-event-id");
    const sub = hub.subscribe(lastEventId);
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
