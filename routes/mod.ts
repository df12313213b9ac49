/**
 * Routes: the HTTP surface only — the Hono app (upstream HTTP contract, JSON API), the legacy
 * line codec that turns a pduclient line into the Request curl would send, and access control.
 * Imports `actors/` (PowerControl), `config/` and `drivers/` types only; sockets live in `daemon/`.
 * @module
 */
export { type AppOptions, createApp } from "./app.ts";
export type { AppEnv, Transport } from "./env.ts";
export {
  LEGACY_MAX_BYTES,
  type LegacyFrame,
  legacyFrame,
  legacyLineToRequest,
} from "./legacy_tcp.ts";
export { legacyReply, UPSTREAM_OK } from "./responses.ts";
export { AccessControl } from "./auth.ts";
export { JobStore } from "./jobs.ts";
export { toPduCommand } from "./params.ts";
