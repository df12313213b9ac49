/**
 * ESPHome devices with the `web_server` component: `esphome-http` (upstream's). Protocol: the
 * ESPHome web server REST API (https://esphome.io/web-api/): `POST /switch/{id}/turn_on|turn_off`,
 * `GET /switch/{id}` answering `{"id":"switch-{id}","value":true,"state":"ON"}`; digest auth when
 * the web server has a password. Keys: `switch_ids` (outlet N is the N-th id), `port` (HTTP
 * port, default 80), `username`, `password`.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall, isJson } from "../_transport/http_client.ts";

const OPTIONS = z.object({
  // Optional so upstream's own fixture (which omits it) loads; an operation then says what is
  // missing instead of the whole daemon refusing to start.
  "switch_ids": z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, "expected an ESPHome object id"))
    .min(1).optional(),
  "port": portNumber(80),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** `esphome-http`. */
export const ESPHOME_HTTP: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["esphome-http"],
  summary: "ESPHome switch components over the web_server REST API, optional digest auth",
  options: OPTIONS,
  outletRange: (o) => ({ min: 1, max: o.switch_ids?.length ?? 1 }),
  create(hostname, { options }) {
    const base = `http://${hostname}:${options.port}`;
    const device = `ESPHome at ${hostname}:${options.port}`;
    const auth = options.username && options.password
      ? { scheme: "digest" as const, username: options.username, password: options.password }
      : undefined;
    const idOf = (outlet: number) => {
      if (!options.switch_ids) {
        throw new DriverError(
          "config",
          `${device}: no switch_ids configured (the list of ESPHome switch ids)`,
        );
      }
      const id = options.switch_ids[outlet - 1];
      if (id === undefined) {
        throw new DriverError("config", `${device} has no switch for outlet ${outlet}`);
      }
      return id;
    };
    const readSwitch = async (outlet: number, signal: AbortSignal): Promise<"on" | "off"> => {
      const body = (await httpCall({ url: `${base}/switch/${idOf(outlet)}`, auth, signal, device }))
        .json() as {
          value?: unknown;
        };
      if (typeof body.value !== "boolean") {
        throw new DriverError(
          "protocol",
          `${device} did not report the value of switch ${idOf(outlet)}`,
        );
      }
      return body.value ? "on" : "off";
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        const reply = await httpCall({
          method: "POST",
          url: `${base}/switch/${idOf(outlet)}/turn_${state}`,
          auth,
          signal,
          device,
        });
        // The firmware answers an empty 200 (web_server's `send(200)`); tolerate a JSON body
        // from later firmware, but bytes that are neither mean something else answered.
        const body = reply.text.trim();
        if (body !== "" && !isJson(body)) {
          throw new DriverError(
            "protocol",
            `${device} answered turn_${state} of switch ${
              idOf(outlet)
            } with something that is not ESPHome's reply`,
          );
        }
      },
      getOutlet: (outlet, { signal }) => readSwitch(outlet, signal),
      async close() {},
    };
  },
};
