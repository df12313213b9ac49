/**
 * `netio` — Koukaam NETIO-230A/230B (four outputs) through their CGI interface:
 * `GET /tgi/control.tgi?l=p:USER:PASS&p=<4 chars>&q=q` — log in with the plain password, set the
 * outputs (one character per output: `1` on, `0` off, `u` unchanged), log out — and
 * `p=l` in the same place to list the outputs, answered `1 0 0 1`.
 *
 * Protocol: NETIO-230A user's manual, 5.3.5 "URL control using the CGI commands": commands
 * `login=p:<user>:<password>` (`l=`), `port=list|xxxx` (`p=`), `quit=quit` (`q=`), joined by `&`,
 * answered inside `<html>…</html>` with KSHELL's codes (`100 HELLO`, `553 INVALID LOGIN`,
 * `555 FORBIDDEN`, `110 BYE`). labgrid's `netio` sends the factory account admin/admin fixed in
 * its code and never logs out; the manual provides `quit`, which pdud sends in the same request so
 * that no login is left behind. The plain login puts the password in the URL (as labgrid does);
 * pdud never quotes URLs with their query. Keys: `port` (80), `username` and `password` (admin,
 * the factory account, as `netio4`); neither may contain `:` (the login's separator).
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const NO_COLON = (key: string) =>
  z.string().refine(
    (s) => !s.includes(":"),
    `${key} cannot contain ":" (the CGI login's separator)`,
  );

const NETIO_CGI_OPTIONS = z.object({
  "port": portNumber(80),
  "username": NO_COLON("username").default("admin"),
  "password": NO_COLON("password").default("admin"),
}).strict();

const OUTPUTS = 4;

/** The `p=` value setting output `outlet` and leaving the others (`u`). */
export function netioPortString(outlet: number, state: OutletState): string {
  return Array.from(
    { length: OUTPUTS },
    (_, i) => (i + 1 === outlet ? (state === "on" ? "1" : "0") : "u"),
  ).join("");
}

/** `netio`. */
export const NETIO_CGI: DriverDescriptor<z.infer<typeof NETIO_CGI_OPTIONS>> = {
  names: ["netio"],
  summary: "Koukaam NETIO-230A/B (outputs 1–4): CGI /tgi/control.tgi login, p=1uuu, quit",
  options: NETIO_CGI_OPTIONS,
  outletRange: () => ({ min: 1, max: OUTPUTS }),
  create(hostname, { options }) {
    const device = `NETIO-230 at ${hostname}:${options.port}`;
    /** One request: login, `port`, quit; the answer's text without the html wrapper. */
    const command = async (port: string, signal: AbortSignal) => {
      // Written out rather than through URLSearchParams: the device's parser takes the login's
      // colons literally. The account is percent-encoded piece by piece.
      const login = `p:${encodeURIComponent(options.username)}:${
        encodeURIComponent(options.password)
      }`;
      const text = pageText(
        await httpCall({
          url: `http://${hostname}:${options.port}/tgi/control.tgi?l=${login}&p=${port}&q=q`,
          signal,
          device,
        }),
        device,
        "/tgi/control.tgi",
      );
      if (/\b553\b/.test(text)) {
        throw new DriverError(
          "auth",
          `${device} refused user "${options.username}" (553 INVALID LOGIN)`,
        );
      }
      const error = /\b(5\d\d) ([A-Z][A-Z ]*[A-Z])/.exec(text);
      if (error) {
        throw new DriverError(
          "device",
          `${device} answered ${error[1]} ${printable(error[2]!, 40)}`,
        );
      }
      if (!/\b100 HELLO\b/.test(text)) {
        throw new DriverError(
          "protocol",
          `${device} answered without a login reply: ${
            printable(JSON.stringify(text.slice(0, 40)))
          }`,
        );
      }
      return text;
    };
    const list = async (signal: AbortSignal): Promise<OutletStatus[]> => {
      const text = await command("l", signal);
      const m = /(?:^|[\s>])([01]) ([01]) ([01]) ([01])(?=[\s<]|$)/.exec(text);
      if (!m) {
        throw new DriverError("protocol", `${device} answered the port list without four states`);
      }
      return m.slice(1, 5).map((s, i) => ({ outlet: i + 1, state: s === "1" ? "on" : "off" }));
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, OUTPUTS, device);
        await command(netioPortString(outlet, state), signal);
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, OUTPUTS, device);
        return (await list(signal))[outlet - 1]!.state;
      },
      listOutlets: ({ signal }) => list(signal),
      async close() {},
    };
  },
};
