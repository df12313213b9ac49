/**
 * `eg_pms2_network` — Energenie EG-PMS2-LAN and EG-PMS2-WLAN through their web interface (the
 * TCP "Power Manager" session of the same devices is `egpms`, drivers/tcp/egpms.ts):
 * `POST /login.html` with the form `pw=<password>` (the answer holds the "Log Out" link when it
 * worked), `POST /` with `cteN=1|0` to switch socket N (1–4), `GET /energenie.html` whose script
 * says `var sockstates = [s1,s2,s3,s4];`, and `GET /login.html` to log out.
 *
 * The web server holds one session for the address that logged in and shows every other client
 * the login page until that session logs out (or times out), so every operation logs in, does one
 * exchange and always logs out — also when the exchange failed (whose error is then reported);
 * when the operation was aborted the logout is still sent, on its own short deadline, without
 * holding the operation up (close() waits for it: it releases the device's session). A logout that fails after a successful exchange is logged, not
 * reported: the switch was done.
 * Reference: labgrid's eg_pms2_network driver (tested on an EG-PMS2-LAN); labgrid always sends
 * the factory password `1`, pdud takes `password` (default `1`, the factory setting). The answer
 * to a switch carries the new socket states, which pdud checks.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState, OutletStatus } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type HttpCall, httpCall } from "../_transport/http_client.ts";
import { checkRange, pageText } from "./_page.ts";

const EGPMS2_OPTIONS = z.object({
  "port": portNumber(80),
  "password": z.string().default("1"),
}).strict();

const SOCKETS = 4;
/** How long a logout after an aborted operation may take. */
const LOGOUT_AFTER_ABORT_MS = 2000;

/** The "Log Out" link of a logged-in page. */
const LOGGED_IN = /<a href="login\.html">Log Out<\/a>/;

/** The four socket states from a page's `var sockstates = [a,b,c,d];`, or undefined. */
export function egpms2SockStates(text: string): OutletState[] | undefined {
  const m = /var\s+sockstates\s*=\s*\[([01]),([01]),([01]),([01])\];/.exec(text);
  return m ? m.slice(1, 5).map((s) => (s === "1" ? "on" : "off")) : undefined;
}

/** `eg_pms2_network`. */
export const EG_PMS2_NETWORK: DriverDescriptor<z.infer<typeof EGPMS2_OPTIONS>> = {
  names: ["eg_pms2_network"],
  summary:
    "Energenie EG-PMS2-LAN/WLAN web interface (sockets 1–4): login, POST cteN, log out every time",
  options: EGPMS2_OPTIONS,
  outletRange: () => ({ min: 1, max: SOCKETS }),
  create(hostname, { options, log }) {
    const device = `EG-PMS2 web interface at ${hostname}:${options.port}`;
    const base = `http://${hostname}:${options.port}`;
    /** Logouts sent after an abort, which close() waits for (they release the session). */
    const lateLogouts = new Set<Promise<void>>();
    const call = async (c: Omit<HttpCall, "device">, what: string) =>
      pageText(await httpCall({ ...c, device }), device, what);
    const states = (text: string, what: string): OutletState[] => {
      const found = egpms2SockStates(text);
      if (!found) {
        if (!LOGGED_IN.test(text)) {
          throw new DriverError(
            "device",
            `${device} ended the session before ${what} (another client logged in?)`,
          );
        }
        throw new DriverError("protocol", `${device} answered ${what} without the socket states`);
      }
      return found;
    };
    /** Logs in, runs `exchange`, and always logs out. */
    const session = async <T>(signal: AbortSignal, exchange: () => Promise<T>): Promise<T> => {
      const login = await call({
        method: "POST",
        url: `${base}/login.html`,
        form: { pw: options.password },
        signal,
      }, "the login");
      if (!LOGGED_IN.test(login)) {
        throw new DriverError(
          "auth",
          `${device} did not accept the password (or another client holds its one web session)`,
        );
      }
      const logout = async () => {
        // After an abort the logout still goes out, on its own deadline, not holding the caller.
        const own = signal.aborted ? AbortSignal.timeout(LOGOUT_AFTER_ABORT_MS) : signal;
        const sent = call({ url: `${base}/login.html`, signal: own }, "the logout");
        if (!signal.aborted) {
          await sent;
          return;
        }
        const quiet = sent.then(() => {}, () => {});
        lateLogouts.add(quiet);
        quiet.finally(() => lateLogouts.delete(quiet));
      };
      let result: T;
      try {
        result = await exchange();
      } catch (error) {
        await logout().catch(() => {}); // the exchange's failure is the one to report
        throw error;
      }
      try {
        await logout();
      } catch (error) {
        // The exchange was done; the device frees a session left open after its own timeout.
        log.warn("logout failed", { device, reason: (error as Error).message });
      }
      return result;
    };
    const list = (signal: AbortSignal) =>
      session(
        signal,
        async () =>
          states(await call({ url: `${base}/energenie.html`, signal }, "the status"), "the status")
            .map((state, i): OutletStatus => ({ outlet: i + 1, state })),
      );
    return {
      async setOutlet(outlet, state, { signal }) {
        checkRange(outlet, 1, SOCKETS, device);
        await session(signal, async () => {
          const text = await call({
            method: "POST",
            url: `${base}/`,
            form: { [`cte${outlet}`]: state === "on" ? "1" : "0" },
            signal,
          }, "the switch");
          const now = states(text, "the switch")[outlet - 1];
          if (now !== state) {
            throw new DriverError(
              "device",
              `${device} reports socket ${outlet} ${now} after ${state}`,
            );
          }
        });
      },
      async getOutlet(outlet, { signal }) {
        checkRange(outlet, 1, SOCKETS, device);
        return (await list(signal))[outlet - 1]!.state;
      },
      listOutlets: ({ signal }) => list(signal),
      async close() {
        await Promise.all(lateLogouts);
      },
    };
  },
};
