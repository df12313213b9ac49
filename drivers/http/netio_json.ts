/**
 * NETIO PDUs with the JSON M2M API: `netiojson` (upstream's). Protocol: NETIO "JSON API"
 * (https://www.netio-products.com/en/application-notes/an21-json-http-s-protocol-to-control-netio-110-230v-power-sockets):
 * `POST /netio.json` with `{"Outputs":[{"ID":N,"Action":1|0}]}` and HTTP basic auth; the
 * answer and `GET /netio.json` list `Outputs` with their `State`. Keys: `ip` (default: the PDU
 * name), `port` (80), `username` (admin), `password` (admin), `number_of_outputs` (4).
 * Power: metering models add to each output `Load` (W), `Energy` (Wh) and `Current` (mA), and
 * `GlobalMeasure.Voltage` (V); one `GET /netio.json` reports every output.
 * @module
 */
import { z } from "zod";
import { portNumber, wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus, PowerReading } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";

const OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().default("admin"),
  "number_of_outputs": wholeNumber(1, 64).default(4),
}).strict();

function stateIn(body: unknown, outlet: number, device: string): OutletState {
  const outputs = (body as { Outputs?: { ID?: unknown; State?: unknown }[] }).Outputs;
  const output = Array.isArray(outputs) ? outputs.find((o) => Number(o.ID) === outlet) : undefined;
  if (output?.State !== 0 && output?.State !== 1) {
    throw new DriverError("protocol", `${device} did not report output ${outlet}`);
  }
  return output.State === 1 ? "on" : "off";
}

interface Output {
  ID?: unknown;
  Name?: unknown;
  State?: unknown;
  Load?: unknown;
  Energy?: unknown;
  Current?: unknown;
}

const finite = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

/** What one output reports of its power; empty on models that do not meter. */
function readingOf(output: Output, voltage: unknown): PowerReading {
  const reading: PowerReading = {};
  if (finite(output.Load)) reading.watts = output.Load;
  if (finite(output.Energy)) reading.energyWh = output.Energy;
  if (finite(output.Current)) {
    reading.amps = output.Current / 1000;
    if (finite(voltage)) reading.volts = voltage;
  }
  return reading;
}

function outputsOf(body: unknown): { outputs: Output[]; voltage: unknown } {
  const doc = body as { Outputs?: unknown; GlobalMeasure?: { Voltage?: unknown } };
  return {
    outputs: Array.isArray(doc.Outputs) ? doc.Outputs as Output[] : [],
    voltage: doc.GlobalMeasure?.Voltage,
  };
}

/** `netiojson`. */
export const NETIO_JSON: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["netiojson"],
  summary: "NETIO PDUs over the JSON API (POST /netio.json), basic auth",
  options: OPTIONS,
  outletRange: (o) => ({ min: 1, max: o.number_of_outputs }),
  create(hostname, { options }) {
    const host = options.ip ?? hostname;
    const url = `http://${host}:${options.port}/netio.json`;
    const device = `NETIO at ${host}:${options.port}`;
    const auth = {
      scheme: "basic" as const,
      username: options.username,
      password: options.password,
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        const body = (await httpCall({
          method: "POST",
          url,
          json: { Outputs: [{ ID: outlet, Action: state === "on" ? 1 : 0 }] },
          auth,
          signal,
          device,
        })).json();
        const now = stateIn(body, outlet, device);
        if (now !== state) {
          throw new DriverError(
            "device",
            `${device} reports output ${outlet} ${now} after switching ${state}`,
          );
        }
      },
      async getOutlet(outlet, { signal }) {
        return stateIn((await httpCall({ url, auth, signal, device })).json(), outlet, device);
      },
      async readPower(outlet, { signal }) {
        const body = (await httpCall({ url, auth, signal, device })).json();
        stateIn(body, outlet, device);
        const { outputs, voltage } = outputsOf(body);
        return readingOf(outputs.find((o) => Number(o.ID) === outlet)!, voltage);
      },
      async listOutlets({ signal }) {
        const body = (await httpCall({ url, auth, signal, device })).json();
        const { outputs, voltage } = outputsOf(body);
        const out: OutletStatus[] = [];
        for (const output of outputs) {
          const outlet = Number(output.ID);
          if (!Number.isInteger(outlet) || outlet < 1 || outlet > options.number_of_outputs) {
            continue;
          }
          out.push({
            outlet,
            state: stateIn(body, outlet, device),
            ...(typeof output.Name === "string" && output.Name !== "" ? { name: output.Name } : {}),
            power: readingOf(output, voltage),
          });
        }
        if (out.length === 0) throw new DriverError("protocol", `${device} listed no outputs`);
        return out.sort((a, b) => a.outlet - b.outlet);
      },
      async close() {},
    };
  },
};
