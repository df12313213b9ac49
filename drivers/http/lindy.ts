/**
 * `LindyIPowerClassic8` (outlets 1–8): `GET /ons.cgi?led=<24 bits>` / `offs.cgi`, one bit per
 * outlet, MSB first; basic auth when `username` and `password` are set. `port` (80) — upstream
 * reads it but never uses it; pdud does.
 *
 * `digipower` (labgrid's name for the DigiPower PDUs the Lindy is built on) is the same driver;
 * labgrid sends the account snmp/1234 fixed in its code, pdud the configured one.
 *
 * State: `GET /status.xml`, whose text split at commas holds outlet N's state (`0`/`1`) in
 * field 10+N (counting from 1: fields 11–18) — the layout labgrid's digipower driver reads
 * (fixed and tested on a device in labgrid e9db7a0e, 2021); no vendor document of the page was
 * available. Every outlet is in that one page, so reads list all eight at once. The switch CGIs
 * answer a page that does not carry the states, so a switch is confirmed by reading status.xml
 * once.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletStatus } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpAuth, httpCall } from "../_transport/http_client.ts";
import { checkRange, confirmSwitched, devicePage } from "./_page.ts";

const LINDY_OPTIONS = z.object({
  "port": portNumber(80),
  "username": z.string().optional(),
  "password": z.string().optional(),
}).strict();

/** The `led` value of outlet N: 24 binary digits, the MSB being outlet 1 (the web UI's padding). */
export function lindyLeds(outlet: number): string {
  return (1 << (24 - outlet)).toString(2).padStart(24, "0");
}

/** The eight outlet states of a status.xml page (fields 11–18 of its comma-separated text). */
export function lindyStatusStates(text: string, device: string): OutletStatus[] {
  const fields = text.split(",");
  return Array.from({ length: 8 }, (_, i): OutletStatus => {
    const field = fields[10 + i]?.trim();
    if (field !== "0" && field !== "1") {
      throw new DriverError(
        "protocol",
        `${device} answered a status.xml without outlet ${i + 1}'s state in field ${11 + i}`,
      );
    }
    return { outlet: i + 1, state: field === "1" ? "on" : "off" };
  });
}

/** `LindyIPowerClassic8`. */
export const LINDY_IPOWER_CLASSIC8: DriverDescriptor<z.infer<typeof LINDY_OPTIONS>> = {
  names: ["LindyIPowerClassic8"],
  summary:
    "Lindy iPower Classic 8 (outlets 1–8): ons.cgi/offs.cgi?led=<bits>, state from status.xml",
  options: LINDY_OPTIONS,
  outletRange: () => ({ min: 1, max: 8 }),
  create(hostname, { options }) {
    const device = `Lindy iPower at ${hostname}:${options.port}`;
    const auth: HttpAuth | undefined = options.username && options.password
      ? { scheme: "basic", username: options.username, password: options.password }
      : undefined;
    const list = async (signal: AbortSignal) =>
      lindyStatusStates(
        devicePage(
          await httpCall({
            url: `http://${hostname}:${options.port}/status.xml`,
            auth,
            signal,
            device,
          }),
          device,
          "status.xml",
        ),
        device,
      );
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, 8, device);
        const script = state === "on" ? "ons.cgi" : "offs.cgi";
        devicePage(
          await httpCall({
            url: `http://${hostname}:${options.port}/${script}?led=${lindyLeds(outlet)}`,
            auth,
            signal,
            device,
          }),
          device,
          script,
        );
        // The CGI answers a page without the outlets' states: status.xml is read once.
        const now = (await list(signal))[outlet - 1]!.state;
        confirmSwitched(device, `outlet ${outlet}`, state, now);
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, 8, device);
        return (await list(signal))[outlet - 1]!.state;
      },
      listOutlets: ({ signal }) => list(signal),
      async close() {},
    };
  },
};

/** `digipower`: labgrid's name for the same DigiPower-built PDUs. */
export const DIGIPOWER: DriverDescriptor<z.infer<typeof LINDY_OPTIONS>> = {
  ...LINDY_IPOWER_CLASSIC8,
  names: ["digipower"],
  summary: "DigiPower PDUs (outlets 1–8), labgrid's name for the Lindy iPower Classic 8 protocol",
};
