/**
 * Tinycontrol (tinycontrol.pl) switched sockets over HTTP:
 *
 * - `tinycontrol` — IP Power Socket 6G10A v2 (LANLIS-010-015): `GET /outs.cgi?outN=1|0`, state
 *   of every output from `GET /st0.xml` (`<outN>1</outN>`).
 * - `tinycontrol_tcpdu` — tcPDU: `GET /api/v1/save/?outN=1|0` (the documented command form
 *   NAME=VALUE, docs.tinycontrol.pl/en/tcpdu/api/commands), every output from
 *   `GET /api/v1/read/status/?outValues` (JSON `{"outN": 0|1}`).
 *
 * Outlet numbers are the device's own output numbers (`outN`), as labgrid passes its index.
 * HTTP basic auth when `password` is set (the devices' optional web login). Outlets are not
 * range-checked from the config (the models differ in outputs and pdud has no manual listing
 * them): an output the status document does not list is a config error when reading; a switch
 * counts as done on any 2xx text answer, as in labgrid.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { devicePage } from "./_page.ts";

const TINYCONTROL_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
}).strict();

type TinycontrolOptions = z.infer<typeof TINYCONTROL_OPTIONS>;

/** Every `<outN>0|1</outN>` of an IP Power Socket's st0.xml. */
export function tinycontrolXmlStates(text: string): OutletStatus[] {
  return [...text.matchAll(/<out(\d+)>\s*([01])\s*<\/out\1>/g)].map((m) => ({
    outlet: Number(m[1]),
    state: m[2] === "1" ? "on" : "off",
  }));
}

/** Every `"outN": 0|1` of a tcPDU's status object. */
export function tcpduStates(doc: unknown): OutletStatus[] {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return [];
  return Object.entries(doc).flatMap(([key, value]): OutletStatus[] => {
    const m = /^out(\d+)$/.exec(key);
    return m && (value === 0 || value === 1)
      ? [{ outlet: Number(m[1]), state: value === 1 ? "on" : "off" }]
      : [];
  });
}

interface TinycontrolModel {
  name: string;
  summary: string;
  device: string;
  switchPath(outlet: number, value: 0 | 1): string;
  readPath: string;
  parse(answer: { text: string; json(): unknown }): OutletStatus[];
}

function tinycontrolDescriptor(model: TinycontrolModel): DriverDescriptor<TinycontrolOptions> {
  return {
    names: [model.name],
    summary: model.summary,
    options: TINYCONTROL_OPTIONS,
    create(hostname, { options }) {
      const device = `${model.device} at ${hostname}:${options.port}`;
      const auth: HttpAuth | undefined = options.password !== undefined
        ? { scheme: "basic", username: options.username, password: options.password }
        : undefined;
      const get = async (path: string, signal: AbortSignal) => {
        const answer = await httpCall({
          url: `http://${hostname}:${options.port}${path}`,
          auth,
          signal,
          device,
        });
        devicePage(answer, device, path.split("?")[0]!);
        return answer;
      };
      const list = async (signal: AbortSignal) => {
        const outlets = model.parse(await get(model.readPath, signal));
        if (outlets.length === 0) {
          throw new DriverError("protocol", `${device} answered a status without outputs`);
        }
        return outlets.sort((a, b) => a.outlet - b.outlet);
      };
      const read = async (outlet: number, signal: AbortSignal): Promise<OutletState> => {
        const found = (await list(signal)).find((o) => o.outlet === outlet);
        if (!found) {
          throw new DriverError("config", `${device} has no output out${outlet}`);
        }
        return found.state;
      };
      return {
        async setOutlet(outlet, state, { signal }) {
          await get(model.switchPath(outlet, state === "on" ? 1 : 0), signal);
        },
        getOutlet: (outlet, { signal }) => read(outlet, signal),
        listOutlets: ({ signal }) => list(signal),
        async close() {},
      };
    },
  };
}

/** `tinycontrol`. */
export const TINYCONTROL: DriverDescriptor<TinycontrolOptions> = tinycontrolDescriptor({
  name: "tinycontrol",
  summary: "Tinycontrol IP Power Socket 6G10A v2: outs.cgi?outN=1|0, state from st0.xml",
  device: "Tinycontrol IP Power Socket",
  switchPath: (outlet, value) => `/outs.cgi?out${outlet}=${value}`,
  readPath: "/st0.xml",
  parse: (answer) => tinycontrolXmlStates(answer.text),
});

/** `tinycontrol_tcpdu`. */
export const TINYCONTROL_TCPDU: DriverDescriptor<TinycontrolOptions> = tinycontrolDescriptor({
  name: "tinycontrol_tcpdu",
  summary: "Tinycontrol tcPDU: api/v1/save/?outN=1|0, state from api/v1/read/status/?outValues",
  device: "Tinycontrol tcPDU",
  switchPath: (outlet, value) => `/api/v1/save/?out${outlet}=${value}`,
  readPath: "/api/v1/read/status/?outValues",
  parse: (answer) => tcpduStates(answer.json()),
});
