/**
 * pdud's own JSON API under /api/v1: PDUs and their queues, health. Errors are JSON with a
 * precise status.
 * @module
 */
import { Hono } from "hono";
import type { PowerControl } from "../actors/mod.ts";
import type { AppEnv } from "./env.ts";

/** The JSON API routes, mounted at /api/v1. */
export function apiV1Routes(control: PowerControl): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/pdus", (c) => c.json({ pdus: control.snapshot() }));
  app.get("/pdus/:name", (c) => {
    const pdu = control.snapshot().find((p) => p.name === c.req.param("name"));
    if (!pdu) return c.json({ error: `no PDU named "${c.req.param("name")}"` }, 404);
    return c.json(pdu);
  });
  return app;
}
