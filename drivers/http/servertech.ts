/**
 * `servertechpro2` (Server Technology PRO2, JAWS API): `PATCH /jaws/control/outlets/<id>` with
 * `{"control_action":"on"|"off"}`, basic auth; state from `GET` of the same path. Keys
 * `username`/`password` (admin/admin), `protocol` (http|https), `ip`, `insecure` (https without
 * certificate checks), and pdud's `outlet_prefix` (the JAWS id of outlet N is prefix+N, e.g.
 * "AA"; upstream sends the bare number).
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OperationOptions } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";

const SERVERTECH_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
  "insecure": z.union([z.boolean(), z.enum(["true", "false", "True", "False", "1", "0"])])
    .default(false)
    .transform((v) => v === true || v === "true" || v === "True" || v === "1"),
  "protocol": z.enum(["http", "https"]).default("http"),
  "ip": z.string().min(1).optional(),
  "outlet_prefix": z.string().regex(/^[A-Za-z]*$/, 'expected letters like "AA"').default(""),
}).strict();

/** `servertechpro2`. */
export const SERVERTECH_PRO2: DriverDescriptor<z.infer<typeof SERVERTECH_OPTIONS>> = {
  names: ["servertechpro2"],
  summary: "Server Technology PRO2 PDUs over the JAWS REST API (PATCH control_action), basic auth",
  options: SERVERTECH_OPTIONS,
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const base = `${options.protocol}://${host}/jaws/control/outlets/`;
    const device = `ServerTech PRO2 at ${host}`;
    const auth: HttpAuth = {
      scheme: "basic",
      username: options.username,
      password: options.password,
    };
    const request = (method: string, outlet: number, signal: AbortSignal, json?: unknown) => {
      const url = `${base}${options.outlet_prefix}${outlet}`;
      return httpCall({
        method,
        url,
        auth,
        signal,
        device,
        insecure: options.insecure,
        ...(json ? { json } : {}),
      });
    };
    const id = (outlet: number) => `${options.outlet_prefix}${outlet}`;
    return {
      async setOutlet(outlet, state, { signal }: OperationOptions) {
        const answer = await request("PATCH", outlet, signal, { control_action: state });
        // JAWS answers 204; a body, when there is one, is JSON.
        if (answer.text.trim() !== "") answer.json();
      },
      async getOutlet(outlet, { signal }) {
        const body = (await request("GET", outlet, signal)).json() as {
          state?: unknown;
          control_state?: unknown;
        };
        const state = String(body.state ?? body.control_state ?? "").toLowerCase();
        if (state !== "on" && state !== "off") {
          throw new DriverError(
            "protocol",
            `${device} did not report outlet ${id(outlet)}'s state`,
          );
        }
        return state;
      },
      async close() {},
    };
  },
};
