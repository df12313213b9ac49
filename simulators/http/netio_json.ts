/**
 * Simulator of the NETIO JSON API, on a real socket and as strict as the device.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { basicOk, operate, simulator } from "./_http.ts";

const NETIO_OPTIONS = z.object({
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
  /** Whether the outputs meter (a NETIO 4All/PowerPDU rather than a NETIO 4). */
  "meter": z.boolean().default(true),
}).strict();

/** NETIO JSON API: POST/GET /netio.json with basic auth. */
export const NETIO_JSON_SIMULATOR: SimulatorKind<z.infer<typeof NETIO_OPTIONS>> = {
  name: "netio-json",
  summary: "NETIO JSON API: POST /netio.json {Outputs:[{ID,Action}]}, basic auth",
  options: NETIO_OPTIONS,
  start(device, { options, hostname, port }) {
    const outputs = () =>
      Array.from({ length: device.count }, (_, i) => {
        const id = i + device.first;
        const r = device.reading(id);
        return {
          ID: id,
          Name: `Power output ${id}`,
          State: device.get(id) === "on" ? 1 : 0,
          Action: 6,
          Delay: 5000,
          // Metering models: Current in mA, Load in W, Energy in Wh.
          ...(options.meter
            ? {
              Current: Math.round(r.amps * 1000),
              PowerFactor: r.watts > 0 ? 1 : 0,
              Load: r.watts,
              Energy: r.energyWh,
            }
            : {}),
        };
      });
    const document = () => ({
      ...(options.meter
        ? {
          GlobalMeasure: {
            Voltage: device.volts,
            Frequency: 50,
            TotalCurrent: 0,
            OverallPowerFactor: 1,
            TotalLoad: 0,
            TotalEnergy: 0,
          },
        }
        : {}),
      Outputs: outputs(),
    });
    return Promise.resolve(simulator(
      "netio-json",
      device,
      { hostname, port },
      async (request) => {
        const url = new URL(request.url);
        device.record(`${request.method} ${url.pathname}`);
        if (url.pathname !== "/netio.json") return new Response("", { status: 404 });
        if (!basicOk(request, options.username, options.password)) {
          return new Response("", { status: 401 });
        }
        if (request.method === "GET") {
          return await operate(device, request, () => Response.json(document()));
        }
        if (request.method !== "POST") {
          return new Response("", { status: 405 });
        }
        let body: { Outputs?: { ID?: unknown; Action?: unknown }[] };
        try {
          body = await request.json();
        } catch {
          return new Response("", { status: 400 });
        }
        const actions = body.Outputs;
        if (
          !Array.isArray(actions) ||
          actions.some((a) =>
            !device.has(Number(a.ID)) || ![0, 1, 2, 3, 4, 5, 6].includes(Number(a.Action))
          )
        ) {
          return new Response("", { status: 400 });
        }
        return await operate(device, request, () => {
          for (const a of actions) {
            const id = Number(a.ID);
            if (a.Action === 1) device.set(id, "on");
            else if (a.Action === 0) device.set(id, "off");
          }
          return Response.json(document());
        });
      },
      (address, port) => ({
        driver: "netiojson",
        ip: address,
        port,
        username: options.username,
        password: options.password,
        "number_of_outputs": device.count,
      }),
    ));
  },
};
