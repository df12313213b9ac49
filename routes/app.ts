/**
 * The Hono app: the one place requests are parsed and validated, for HTTP and legacy TCP alike.
 * Access control and request counting wrap every route here, once; jobs are observed (metrics,
 * audit) through the supervisor's hook, not here.
 * @module
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { EventHub, PowerControl, ReloadReport } from "../actors/mod.ts";
import { SYSTEM_CLOCK } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import { apiV1Routes } from "./api_v1.ts";
import type { AccessControl } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { eventRoutes } from "./events.ts";
import { JobStore } from "./jobs.ts";
import { clip } from "./params.ts";
import { upstreamRoutes } from "./upstream.ts";

/** Options of createApp. */
export interface AppOptions {
  log: Logger;
  /** Counts each answered request (metrics). */
  countRequest?: (transport: AppEnv["Bindings"]["transport"], status: number) => void;
  /** The Prometheus exposition for GET /metrics; without it the route answers 404. */
  metricsText?: () => Promise<{ body: string; contentType: string }>;
  /** Access rules; an object that delegates, so the daemon can swap the rules at reload. */
  access?: Pick<AccessControl, "check">;
  jobs?: JobStore;
  /** Re-reads and applies the config file (the API's reload). */
  reload?: () => Promise<ReloadReport>;
  /** Whether the daemon is ready to serve (listeners up, not stopping). */
  ready?: () => boolean;
  /** The hub the supervisor publishes to: GET /api/v1/events streams it (404 without). */
  events?: EventHub;
}

let requestCounter = 0;

/** The largest request body a route reads (the JSON API's bodies are a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Which scope a route needs. */
function scopeOf(method: string, path: string): "open" | "read" | "control" {
  if (path === "/healthz" || path === "/readyz" || path === "/api/v1/openapi.json") return "open";
  // The dashboard's page and assets hold no data: the page asks for a token and sends it itself.
  if (path === "/" || path === "/ui" || path.startsWith("/ui/")) return "open";
  if (path.startsWith("/power/control/")) {
    // Both read routes only read: a read-scope token (a dashboard) may use either.
    return path === "/power/control/get-status" || path === "/power/control/get-port-state"
      ? "read"
      : "control";
  }
  return method === "GET" || method === "HEAD" ? "read" : "control";
}

/** Builds the app around a PowerControl. */
export function createApp(control: PowerControl, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const log = options.log;
  app.use(async (c, next) => {
    const requestId = `r${(++requestCounter).toString(36)}`;
    c.set("requestId", requestId);
    const env = c.env ?? { transport: "http", remote: { address: "unknown", port: 0 } };
    if (options.access) {
      const decision = await options.access.check({
        transport: env.transport,
        address: env.remote.address,
        authorization: c.req.header("authorization"),
      }, scopeOf(c.req.method, c.req.path));
      if (!decision.ok) {
        log.info("request denied", {
          requestId,
          remote: env.remote.address,
          path: c.req.path,
          reason: decision.reason,
        });
        options.countRequest?.(env.transport, decision.status);
        if (c.req.path.startsWith("/api/")) {
          return c.json({ error: decision.reason }, decision.status);
        }
        return c.text(`${decision.reason}\n`, decision.status);
      }
      c.set("token", decision.token);
      c.set("scope", decision.scope);
    }
    await next();
    options.countRequest?.(env.transport, c.res.status);
    log.info("request", {
      requestId,
      transport: env.transport,
      remote: env.remote.address,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
    });
  });
  // Hono answers HEAD by running the GET route and dropping the body, so a HEAD on a switching
  // route would switch: refuse every method but GET here, before any route runs.
  app.use("/power/*", async (c, next) => {
    if (c.req.method === "GET") return await next();
    return c.text(
      `Method ${clip(c.req.method)} not allowed on ${c.req.path}; expected GET\n`,
      405,
      { allow: "GET" },
    );
  });
  // Stops reading a body at the limit (a 400 MB body used to be read whole before the check).
  app.use("/api/*", limitBody(MAX_BODY_BYTES));
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const ready = !control.stopping && (options.ready?.() ?? true);
    return c.text(ready ? "ready\n" : "not ready\n", ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    if (!options.metricsText) return c.text("metrics are not enabled\n", 404);
    const { body, contentType } = await options.metricsText();
    return c.body(body, 200, { "content-type": contentType });
  });
  app.route("/", upstreamRoutes(control));
  app.route("/", dashboardRoutes());
  app.route(
    "/api/v1",
    eventRoutes(options.events, { pduNames: () => control.snapshot().map((p) => p.name) }),
  );
  app.route(
    "/api/v1",
    apiV1Routes(control, {
      jobs: options.jobs ?? new JobStore(SYSTEM_CLOCK, 3_600_000),
      ...(options.reload ? { reload: options.reload } : {}),
    }),
  );
  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) {
      return c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404);
    }
    return c.text(
      `Invalid request: no route ${c.req.path}; expected /power/control/on|off|reboot\n`,
      404,
    );
  });
  app.onError((error, c) => {
    log.error("unhandled error", { requestId: c.get("requestId"), error });
    if (c.req.path.startsWith("/api/")) return c.json({ error: "internal error" }, 500);
    return c.text("Internal error\n", 500);
  });
  return app;
}

/**
 * hono/body-limit's contract (413 from the declared length, or once the bytes read pass the
 * limit), plus what it omits: the rest of the body is cancelled, not left half-read in the
 * runtime until the connection closes.
 */
function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () =>
    Response.json({ error: `body: larger than ${maxBytes / 1024} KiB` }, { status: 413 });
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return await next();
    const declared = c.req.header("content-length");
    if (declared !== undefined && !c.req.header("transfer-encoding")) {
      if (Number(declared) > maxBytes) {
        await body.cancel().catch(() => {});
        return tooLarge();
      }
      return await next();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return tooLarge();
      }
      chunks.push(value);
    }
    const whole = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    c.req.raw = new Request(c.req.raw, { body: whole });
    await next();
  };
}
