/**
 * Transport facts handed to the app in Hono's `env` (never in headers a client could forge).
 * @module
 */

/** Where a request came from. */
export interface Transport {
  transport: "http" | "legacy-tcp";
  remote: { address: string; port: number };
}

/** The app's Hono environment. */
export interface AppEnv {
  Bindings: Transport;
  Variables: {
    requestId: string;
    token: string | undefined;
    /** What the request may do (access control's decision; "control" without access rules). */
    scope: "read" | "control" | undefined;
  };
}
