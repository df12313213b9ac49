/**
 * Switches managed by Home Assistant: `home-assistant-http` (upstream's). Protocol: the Home
 * Assistant REST API (https://developers.home-assistant.io/docs/api/rest/):
 * `POST /api/services/switch/turn_on|turn_off` with `{"entity_id":"switch.N"}` and a long-lived
 * token as bearer; state from `GET /api/states/switch.N`. As upstream, outlet N is the entity
 * `switch.N`; pdud's `entities` list maps outlet N to the N-th entity id instead. Keys:
 * `hostname` (default: the PDU name), `port` (8123 is HA's usual; upstream's default 80),
 * `api_key`, `entities`.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";

const OPTIONS = z.object({
  "hostname": z.string().min(1).optional(),
  "port": portNumber(80),
  "api_key": z.string().min(1),
  "entities": z.array(z.string().regex(/^switch\.[a-z0-9_]+$/, "expected switch.<object_id>"))
    .optional(),
}).strict();

/** `home-assistant-http`. */
export const HOME_ASSISTANT_HTTP: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["home-assistant-http"],
  summary: "Home Assistant switch entities over its REST API with a long-lived token",
  options: OPTIONS,
  create(hostname, { options }) {
    const host = options.hostname ?? hostname;
    const base = `http://${host}:${options.port}`;
    const device = `Home Assistant at ${host}:${options.port}`;
    const auth = { scheme: "bearer" as const, token: options.api_key };
    const entity = (outlet: number) => {
      if (!options.entities) return `switch.${outlet}`;
      const e = options.entities[outlet - 1];
      if (!e) {
        throw new DriverError("config", `${device}: no entity for outlet ${outlet} in entities`);
      }
      return e;
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        const reply = await httpCall({
          method: "POST",
          url: `${base}/api/services/switch/turn_${state}`,
          json: { "entity_id": entity(outlet) },
          auth,
          signal,
          device,
        });
        // Home Assistant answers the list of states the call changed (empty when none did);
        // anything else is not Home Assistant having done it.
        if (!Array.isArray(reply.json())) {
          throw new DriverError(
            "protocol",
            `${device} did not answer turn_${state} of ${entity(outlet)} with a list of states`,
          );
        }
      },
      async getOutlet(outlet, { signal }) {
        const body =
          (await httpCall({ url: `${base}/api/states/${entity(outlet)}`, auth, signal, device }))
            .json() as {
              state?: unknown;
            };
        if (body.state !== "on" && body.state !== "off") {
          throw new DriverError(
            "protocol",
            `${device} reports ${entity(outlet)} as ${JSON.stringify(body.state)}`,
          );
        }
        return body.state;
      },
      async close() {},
    };
  },
};
