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
 * HTTP basic auth when `password` is set (the devices' optional web login).
 *
 * The device takes any `outN` and answers 200, so pdud never sends an output it does not have:
 * with `outlets` (and `first_outlet`: by default 0 on the IP Power Socket, as its simulator
 * writes st0.xml from out0, and 1 on the tcPDU; no vendor document was at hand to say) the
 * range is checked before queueing; without them the driver reads the status document once and
 * switches only outputs it lists (an output it does not list is a config error). A switch counts
 * as done once the device reports the output in the state asked for: from the switch's answer
 * when that lists it (the IP Power Socket simulator answers outs.cgi with st0.xml; labgrid's
 * driver does not say what the device answers), else by reading the status once.
 * @module
 */
import { z } from "zod";
import { portNumber, wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { checkRange, confirmSwitched, devicePage } from "./_page.ts";

const TINYCONTROL_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
  /** How many outputs the device has (pdud's key; unset: learned from the status document). */
  "outlets": wholeNumber(1, 64).optional(),
  /** The first output's number (default: the model's). */
  "first_outlet": wholeNumber(0, 64).optional(),
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
  /** The number of the first output when `outlets` is set without `first_outlet`. */
  first: number;
  switchPath(outlet: number, value: 0 | 1): string;
  readPath: string;
  /** Every output a status document lists (none for an answer that is not one). */
  parse(text: string): OutletStatus[];
  /** The status document's form, for the error naming an answer without outputs. */
  expected: string;
}

/** The outputs `options` say the device has, when they say. */
function configuredRange(
  model: TinycontrolModel,
  options: TinycontrolOptions,
): { min: number; max: number } | undefined {
  if (options.outlets === undefined) return undefined;
  const min = options.first_outlet ?? model.first;
  return { min, max: min + options.outlets - 1 };
}

function tinycontrolDescriptor(model: TinycontrolModel): DriverDescriptor<TinycontrolOptions> {
  return {
    names: [model.name],
    summary: model.summary,
    options: TINYCONTROL_OPTIONS,
    outletRange: (options) => configuredRange(model, options),
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
      const range = configuredRange(model, options);
      /** The outputs the last status document listed (unknown before the first read). */
      let listed: Set<number> | undefined;
      const list = async (signal: AbortSignal) => {
        const outlets = model.parse((await get(model.readPath, signal)).text);
        if (outlets.length === 0) {
          throw new DriverError(
            "protocol",
            `${device} answered a status without outputs (expected ${model.expected})`,
          );
        }
        listed = new Set(outlets.map((o) => o.outlet));
        return outlets.sort((a, b) => a.outlet - b.outlet);
      };
      const stateIn = (outlets: OutletStatus[], outlet: number): OutletState => {
        const found = outlets.find((o) => o.outlet === outlet);
        if (!found) {
          throw new DriverError("config", `${device} has no output out${outlet}`);
        }
        return found.state;
      };
      const read = async (outlet: number, signal: AbortSignal) =>
        stateIn(await list(signal), outlet);
      /** Refuses an output the device does not have, before anything switches it. */
      const checkOutput = async (outlet: number, signal: AbortSignal) => {
        if (range) return checkRange(outlet, range.min, range.max, device);
        if (!listed) await list(signal);
        if (!listed!.has(outlet)) {
          throw new DriverError("config", `${device} has no output out${outlet}`);
        }
      };
      return {
        async setOutlet(outlet, state, { signal }) {
          await checkOutput(outlet, signal);
          const answer = await get(model.switchPath(outlet, state === "on" ? 1 : 0), signal);
          // An answer listing the output has said its new state; any other answer says nothing
          // of it, and the status is read once.
          const answered = model.parse(answer.text).find((o) => o.outlet === outlet);
          const now = answered?.state ?? await read(outlet, signal);
          confirmSwitched(device, `output out${outlet}`, state, now);
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
  first: 0,
  switchPath: (outlet, value) => `/outs.cgi?out${outlet}=${value}`,
  readPath: "/st0.xml",
  parse: tinycontrolXmlStates,
  expected: "<outN>0|1</outN> elements",
});

/** `tinycontrol_tcpdu`. */
export const TINYCONTROL_TCPDU: DriverDescriptor<TinycontrolOptions> = tinycontrolDescriptor({
  name: "tinycontrol_tcpdu",
  summary: "Tinycontrol tcPDU: api/v1/save/?outN=1|0, state from api/v1/read/status/?outValues",
  device: "Tinycontrol tcPDU",
  first: 1,
  switchPath: (outlet, value) => `/api/v1/save/?out${outlet}=${value}`,
  readPath: "/api/v1/read/status/?outValues",
  parse(text) {
    try {
      return tcpduStates(JSON.parse(text));
    } catch {
      return [];
    }
  },
  expected: 'a JSON object of "outN": 0|1',
});
