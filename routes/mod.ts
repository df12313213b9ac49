/**
 * Routes: the Hono app (upstream HTTP contract, JSON API) and the listeners that feed it, HTTP
 * and legacy TCP alike. Imports `actors/` (PowerControl) and `drivers/` types only.
 * @module
 */
export { type AppOptions, createApp } from "./app.ts";
export type { AppEnv, Transport } from "./env.ts";
export { type Listeners, type ListenOptions, startListeners } from "./listener.ts";
export { LEGACY_MAX_BYTES, legacyLineToRequest, legacyRequestComplete } from "./legacy_tcp.ts";
export { UPSTREAM_OK } from "./responses.ts";
export { type Daemon, type DaemonOptions, startDaemon } from "./daemon.ts";
export { toPduCommand } from "./params.ts";
