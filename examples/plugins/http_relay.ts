/**
 * An example out-of-tree pdud driver: a relay board with a small JSON-over-HTTP API.
 *
 * Load it with
 *
 * ```yaml
 * drivers:
 *   plugins: [/etc/pdud/plugins/http_relay.ts]   # relative paths: from the config file's folder
 * pdus:
 *   relay-board-1:
 *     driver: http_relay
 *     relays: 4
 *     token: "…"   # optional, sent as "Authorization: Bearer …"; scrubbed from logs and replies
 * ```
 *
 * The device's protocol (the example's own, as many DIY relay boards have one like it):
 * `GET /relay/N` answers `{"relay": N, "state": "on"|"off"}`; `PUT /relay/N` with
 * `{"state": "on"|"off"}` switches relay N and answers the same object; 404 for a relay the
 * board does not have, 401 without the right bearer token.
 *
 * The module imports nothing: the default export is a function that receives pdud's toolkit —
 * its zod (for the options schema) and `DriverError` (so that pdud tells a permanent failure such
 * as a wrong token from a transient one worth retrying). The type-only import below is erased
 * when the file is loaded; a plugin kept outside pdud's tree can drop it.
 * @module
 */
import type { DriverDescriptor, OutletState, PluginHost } from "../../drivers/mod.ts";

interface Options {
  "http_port": number;
  relays: number;
  token?: string | undefined;
}

export default function httpRelay({ z, DriverError }: PluginHost): DriverDescriptor<Options> {
  return {
    names: ["http_relay"],
    summary: "example plugin: JSON-over-HTTP relay board (GET/PUT /relay/N)",
    options: z.object({
      "http_port": z.coerce.number().int().min(1).max(65535).default(80),
      "relays": z.coerce.number().int().min(1).max(64).default(8),
      "token": z.string().min(1).optional(),
    }).strict(),
    outletRange: (options) => ({ min: 1, max: options.relays }),
    create(hostname, { options, log }) {
      const base = `http://${
        hostname.includes(":") ? `[${hostname}]` : hostname
      }:${options.http_port}`;
      const token = options.token;

      async function call(
        outlet: number,
        method: "GET" | "PUT",
        signal: AbortSignal,
        body?: unknown,
      ): Promise<OutletState> {
        let response: Response;
        try {
          response = await fetch(`${base}/relay/${outlet}`, {
            method,
            signal,
            headers: {
              ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
              ...(body === undefined ? {} : { "content-type": "application/json" }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
        } catch (error) {
          if (signal.aborted) {
            throw new DriverError("timeout", `relay board at ${base} did not answer`, {
              aborted: true,
            });
          }
          throw new DriverError(
            "unreachable",
            `cannot reach the relay board at ${base}: ${(error as Error).message}`,
          );
        }
        const text = await response.text();
        if (response.status === 401 || response.status === 403) {
          throw new DriverError("auth", `relay board at ${base} refused the token`);
        }
        if (response.status === 404) {
          throw new DriverError("device", `relay board at ${base} has no relay ${outlet}`, {
            permanent: true,
          });
        }
        if (!response.ok) {
          throw new DriverError(
            "device",
            `relay board at ${base} answered ${response.status}: ${text.slice(0, 80)}`,
          );
        }
        let state: unknown;
        try {
          state = (JSON.parse(text) as { state?: unknown }).state;
        } catch {
          state = undefined;
        }
        if (state !== "on" && state !== "off") {
          throw new DriverError(
            "protocol",
            `relay board at ${base} answered without a state: ${text.slice(0, 80)}`,
          );
        }
        return state;
      }

      return {
        async setOutlet(outlet, state, { signal }) {
          log.debug("http_relay set", { outlet, state });
          const now = await call(outlet, "PUT", signal, { state });
          if (now !== state) {
            throw new DriverError("device", `relay ${outlet} is still ${now} after "${state}"`);
          }
        },
        getOutlet: (outlet, { signal }) => call(outlet, "GET", signal),
        async close() {},
      };
    },
  };
}
