/**
 * The Hono app: the one place requests are parsed and validated, for HTTP and legacy TCP alike.
 * @module
 */
import { Hono } from "hono";
import type { PowerControl } from "../actors/mod.ts";
import type { Logger } from "../drivers/mod.ts";
import { apiV1Routes } from "./api_v1.ts";
import type { AppEnv } from "./env.ts";
import { upstreamRoutes } from "./upstream.ts";

/** Options of createApp. */
export interface AppOptions {
  log: Logger;
}

let requestCounter = 0;

/** Builds the app around a PowerControl. */
export function createApp(control: PowerControl, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const log = options.log;
  app.use(async (c, next) => {
    const requestId = `r${(++requestCounter).toString(36)}`;
    c.set("requestId", requestId);
    await next();
    log.info("request", {
      requestId,
      transport: c.env?.transport,
      remote: c.env?.remote?.address,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
    });
  });
  app.route("/", upstreamRoutes(control));
  app.route("/api/v1", apiV1Routes(control));
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
