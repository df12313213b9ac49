/**
 * Gude Expert Power Control over HTTP, every generation labgrid knows, one driver:
 *
 * | name       | models (labgrid's notes)        | switch                                  | read all outlets                      |
 * | ---------- | ------------------------------- | --------------------------------------- | ------------------------------------- |
 * | `gude`     | older 8-port EPCs               | `switch.html?cmd=1&p=N&s=0\|1`           | `/`: table rows `Power Port N … ON`   |
 * | `gude24`   | EPC 8008/8080, up to 24 outlets | `ov.html?cmd=1&p=N&s=0\|1` (page checked) | `ov.html`: `<meta http-equiv="powerstate">` |
 * | `gude8316` | EPC 8316 (firmware 1.2.0)       | `ov.html?cmd=1&p=N&s=0\|1`               | `ov.html`, meta tags without numbers   |
 * | `gude8031` | EPC 8031, 87-1210-18            | `status.json?components=1&cmd=1&p=N&s=…` | `status.json?components=1` (JSON)      |
 * | `gude8225` | EPC 8225                        | `ov.html?cmd=1&p=N&s=0\|1`               | `statusjsn.js?components=1` (JSON)     |
 *
 * Protocol: Gude's "EPC HTTP Interface" (wiki.gude-systems.com/EPC_HTTP_Interface): switching is
 * `cmd=1&p=<port>&s=<0|1>` on a GET, the JSON status object's `outputs[i].state` is port i+1;
 * credentials are HTTP basic (the wiki's `http://user:secret@host/` examples). The 8316's
 * firmware writes `content="Power Port ,0"` without the port number; labgrid works around it by
 * counting source lines. pdud takes the n-th powerstate tag as port n whenever the number is
 * missing, which reads both firmwares and does not depend on the page's line breaks.
 * A page saying "Device is blocked by another user with IP x" (the web interface's one-user
 * lock) fails as a device error naming that address.
 *
 * A switch counts as done once the device reports the port in the state asked for: from the
 * switch's own answer where it lists the port (`gude24`/`gude8316`'s ov.html always does, the
 * 8031's status.json asked with components=1 does, the old switch.html and the 8225's ov.html
 * may), else by reading the status once.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { type HttpAuth, httpCall, isJson } from "../_transport/http_client.ts";
import { checkRange, confirmSwitched, devicePage } from "./_page.ts";

const GUDE_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().default("admin"),
  "password": z.string().optional(),
}).strict();

type GudeOptions = z.infer<typeof GUDE_OPTIONS>;

/** How one generation reads its outlets. */
type Reading = "table" | "meta" | "json";

interface GudeModel {
  name: string;
  outlets: number;
  summary: string;
  /** Path and query switching port p to s (without the leading slash). */
  switchPath(p: number, s: 0 | 1): string;
  /** Path reading every outlet. */
  readPath: string;
  reading: Reading;
  /**
   * The form in which the switch's answer carries the ports' states, and whether it always
   * does: when it does not list the port, the port is read once from `readPath`.
   */
  answer: { reading: Reading; always: boolean };
}

const OV = (p: number, s: 0 | 1) => `ov.html?cmd=1&p=${p}&s=${s}`;

/** The generations, by driver name. */
export const GUDE_MODELS: readonly GudeModel[] = [
  {
    name: "gude",
    outlets: 8,
    summary: "Gude EPC, older 8-port web interface: switch.html?cmd=1&p=N&s=0|1, state from /",
    switchPath: (p, s) => `switch.html?cmd=1&p=${p}&s=${s}`,
    readPath: "",
    reading: "table",
    answer: { reading: "table", always: false },
  },
  {
    name: "gude24",
    outlets: 24,
    summary: "Gude EPC 8008/8080 (1–24): ov.html?cmd=1&p=N&s=0|1, powerstate meta tags checked",
    switchPath: OV,
    readPath: "ov.html",
    reading: "meta",
    answer: { reading: "meta", always: true },
  },
  {
    name: "gude8316",
    outlets: 8,
    summary: "Gude EPC 8316 (1–8): ov.html, meta tags without port numbers (firmware bug)",
    switchPath: OV,
    readPath: "ov.html",
    reading: "meta",
    answer: { reading: "meta", always: true },
  },
  {
    name: "gude8031",
    outlets: 20,
    summary: "Gude EPC 8031, 87-1210-18 (1–20): status.json?cmd=1&p=N&s=0|1, JSON outputs",
    // components=1: the answer is the outputs after the switch (labgrid asks for none, 0).
    switchPath: (p, s) => `status.json?components=1&cmd=1&p=${p}&s=${s}`,
    readPath: "status.json?components=1",
    reading: "json",
    answer: { reading: "json", always: false },
  },
  {
    name: "gude8225",
    outlets: 12,
    summary: "Gude EPC 8225 (1–12): ov.html?cmd=1&p=N&s=0|1, state from statusjsn.js (JSON)",
    switchPath: OV,
    readPath: "statusjsn.js?components=1",
    reading: "json",
    answer: { reading: "meta", always: false },
  },
];

/** Every port's state from an old web interface's main page (`Power Port N</td>… ON`). */
export function gudeTableStates(text: string): Map<number, OutletState> {
  const out = new Map<number, OutletState>();
  for (const line of text.split(/\r?\n/)) {
    const m = /(?:Power Port|SwitchPort) (\d+)<\/td>.*?\b(ON|OFF)\b/.exec(line);
    if (m) out.set(Number(m[1]), m[2] === "ON" ? "on" : "off");
  }
  return out;
}

/**
 * Every port's state from `<meta http-equiv="powerstate" content="Power Port N,S">` tags: a tag
 * without its number (the 8316's firmware) is the port its position says.
 */
export function gudeMetaStates(text: string): Map<number, OutletState> {
  const out = new Map<number, OutletState>();
  let position = 0;
  for (const m of text.matchAll(/content="Power Port ?(\d*),([01])"/g)) {
    position++;
    out.set(m[1] ? Number(m[1]) : position, m[2] === "1" ? "on" : "off");
  }
  return out;
}

/** The longest outlet name taken from a device (a longer one is cut, ending in "…"). */
const MAX_NAME = 64;

/** Every port's state (and name) from the JSON status object's `outputs`. */
export function gudeJsonOutlets(doc: unknown, device: string): OutletStatus[] {
  const outputs = (doc as { outputs?: unknown } | null)?.outputs;
  if (!Array.isArray(outputs)) {
    throw new DriverError("protocol", `${device} answered a status object without outputs`);
  }
  return outputs.map((o: unknown, i): OutletStatus => {
    const { state, name } = (o ?? {}) as { state?: unknown; name?: unknown };
    if (state !== 0 && state !== 1) {
      throw new DriverError(
        "protocol",
        `${device} reported output ${i + 1} in state ${printable(JSON.stringify(state), 20)}`,
      );
    }
    return {
      outlet: i + 1,
      state: state === 1 ? "on" : "off",
      // The device's own text: made printable and bounded like every device string pdud shows.
      ...(typeof name === "string" ? { name: printable(name, MAX_NAME) } : {}),
    };
  });
}

function gudeDescriptor(model: GudeModel): DriverDescriptor<GudeOptions> {
  return {
    names: [model.name],
    summary: model.summary,
    options: GUDE_OPTIONS,
    outletRange: () => ({ min: 1, max: model.outlets }),
    create(hostname, { options }) {
      const device = `Gude EPC at ${hostname}:${options.port}`;
      const auth: HttpAuth | undefined = options.password !== undefined
        ? { scheme: "basic", username: options.username, password: options.password }
        : undefined;
      const get = async (path: string, signal: AbortSignal) =>
        devicePage(
          await httpCall({
            url: `http://${hostname}:${options.port}/${path}`,
            auth,
            signal,
            device,
          }),
          device,
          `/${path.split("?")[0]}`,
        );
      const blocked = (text: string) => {
        const m = /Device is blocked by another user with IP ([^\s<]+)/.exec(text);
        if (m) {
          throw new DriverError(
            "device",
            `${device} is blocked by another user of its web interface (${printable(m[1]!, 45)})`,
          );
        }
      };
      const parse = (text: string, reading = model.reading): OutletStatus[] => {
        blocked(text);
        if (reading === "json") {
          let doc: unknown;
          try {
            doc = JSON.parse(text);
          } catch {
            throw new DriverError(
              "protocol",
              `${device} answered a status that is not JSON: ${
                printable(JSON.stringify(text.slice(0, 40)))
              }`,
            );
          }
          return gudeJsonOutlets(doc, device);
        }
        const states = reading === "meta" ? gudeMetaStates(text) : gudeTableStates(text);
        return [...states].map(([outlet, state]) => ({ outlet, state }));
      };
      const stateOf = (list: OutletStatus[], outlet: number): OutletState => {
        const found = list.find((o) => o.outlet === outlet);
        if (!found) {
          throw new DriverError("protocol", `${device} did not report the state of port ${outlet}`);
        }
        return found.state;
      };
      const list = async (signal: AbortSignal) => parse(await get(model.readPath, signal));
      /** The port's state when the switch's answer lists it (a firmware may answer less). */
      const answered = (text: string, outlet: number): OutletState | undefined => {
        blocked(text);
        if (model.answer.reading === "json") {
          if (text.trim() === "") return undefined;
          if (!isJson(text)) {
            // A status object or nothing; never a page of something else.
            throw new DriverError(
              "protocol",
              `${device} answered the switch with something that is not JSON: ${
                printable(JSON.stringify(text.slice(0, 40)))
              }`,
            );
          }
          const doc = JSON.parse(text) as { outputs?: unknown } | null;
          if (!Array.isArray(doc?.outputs)) return undefined;
        }
        return parse(text, model.answer.reading).find((o) => o.outlet === outlet)?.state;
      };
      return {
        async setOutlet(outlet, state, { signal }) {
          checkRange(outlet, 1, model.outlets, device);
          const text = await get(model.switchPath(outlet, state === "on" ? 1 : 0), signal);
          const now = model.answer.always
            ? stateOf(parse(text, model.answer.reading), outlet)
            : answered(text, outlet) ?? stateOf(await list(signal), outlet);
          confirmSwitched(device, `port ${outlet}`, state, now);
        },
        async getOutlet(outlet, { signal }) {
          checkRange(outlet, 1, model.outlets, device);
          return stateOf(await list(signal), outlet);
        },
        async listOutlets({ signal }) {
          return (await list(signal)).filter((o) => o.outlet >= 1 && o.outlet <= model.outlets);
        },
        async close() {},
      };
    },
  };
}

/** The Gude HTTP descriptors (`gude`, `gude24`, `gude8316`, `gude8031`, `gude8225`). */
export const GUDE_HTTP_DRIVERS: readonly DriverDescriptor<GudeOptions>[] = GUDE_MODELS.map(
  gudeDescriptor,
);
