/**
 * The Hono app: the one place requests are parsed and validated, for HTTP and legacy TCP alike.
 * Access control and request counting wrap every route here, once; jobs are observed (metrics,
 * audit) through the supervisor's hook, not here.
 * @module
 */
import { Hono } from "hono";
import type { EventHub, PowerControl, ReloadReport } from "../actors/mod.ts";
import { SYSTEM_CLOCK } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import { apiV1Routes } from "./api_v1.ts";
import type { AccessControl } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { eventRoutes } from "./events.ts";
import { JobStore } from "./jobs.ts";
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

/** Which scope a route needs. */
function scopeOf(method: string, path: string): "open" | "read" | "control" {
  if (path === "/healthz" || path === "/readyz" || path === "/api/v1/openapi.json") return "open";
  // The dashboard's page and assets hold no data: the page asks for a token and sends it itself.
  if (path === "/" || path === "/ui" || path.startsWith("/ui/")) return "open";
  if (path.startsWith("/power/control/")) {
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
  app.route("/api/v1", eventRoutes(options.events));
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
