/**
 * Energenie EG-PMS LAN (and the EG-PMS2-LAN / WLAN relatives that speak the same session):
 * `egpms` (upstream's name). Protocol: the "Power Manager client" TCP session as described by
 * egctl (github.com/unterwulf/egctl) — start byte, 4-byte task, 4-byte answer derived from the
 * password, the 4 socket states, 4 switch commands, the new states, the start byte again to end
 * the session (see _egpms_cipher.ts). Keys: `ip` (default: the PDU name; upstream requires it),
 * `password` (required, as upstream), `port` (5000; pdud's addition — upstream always uses 5000).
 *
 * The device never says that a password is wrong: it stays silent. A device that has not sent
 * the socket states within AUTH_WAIT_MS of the answer is reported as an auth failure.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import {
  type DriverClock,
  type DriverDescriptor,
  type OutletState,
  SYSTEM_DRIVER_CLOCK,
} from "../driver.ts";
import { DriverError } from "../errors.ts";
import { hex, Session } from "../_transport/session.ts";
import {
  authResponse,
  decode,
  DONT_SWITCH,
  encode,
  keyFor,
  SOCKETS,
  START,
  stateOf,
  SWITCH_OFF,
  SWITCH_ON,
} from "./_egpms_cipher.ts";

/** How long a correct login takes at most before silence means a wrong password (egctl: 4 s). */
export const AUTH_WAIT_MS = 2000;
/**
 * A device still inside the 4 s timeout of an earlier, unfinished session ignores the first start
 * byte; egctl sends it up to four times, 125 ms apart, and so do we.
 */
const START_TRIES = 4;
const START_WAIT_MS = 125;

const OPTIONS = z.object({
  "ip": z.string().min(1).optional(),
  "password": z.string(),
  "port": portNumber(5000),
}).strict();

/**
 * A signal that also aborts after `ms` on `clock` (tests end the wait by advancing it);
 * `expired()` tells whether the timer was the cause.
 */
function within(clock: DriverClock, signal: AbortSignal, ms: number) {
  const controller = new AbortController();
  const timer = clock.setTimer(ms, () => controller.abort(new Error(`no answer within ${ms} ms`)));
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    expired: () => controller.signal.aborted && !signal.aborted,
    [Symbol.dispose]() {
      timer.cancel();
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** `egpms`. */
export const EGPMS: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["egpms"],
  summary: "Energenie EG-PMS LAN over its scrambled TCP session (port 5000), password",
  options: OPTIONS,
  outletRange: () => ({ min: 1, max: SOCKETS }),
  create(hostname, { options, clock = SYSTEM_DRIVER_CLOCK }) {
    const host = options.ip ?? hostname;
    const device = `EG-PMS at ${host}:${options.port}`;
    const key = keyFor(options.password);

    const states = (bytes: Uint8Array, task: Uint8Array): OutletState[] => {
      const codes = decode(bytes, task, key);
      return codes.map((code, i) => {
        const state = stateOf(code);
        if (!state) {
          throw new DriverError(
            "protocol",
            `${device} reported socket ${i + 1} in state 0x${code.toString(16)}` +
              ` (raw ${hex(bytes)}), which is no socket state`,
          );
        }
        return state;
      });
    };

    /** Opens a session up to the socket states; `work` gets them and the task, then it ends. */
    const session = <T>(
      signal: AbortSignal,
      work: (s: Session, task: Uint8Array, now: OutletState[]) => Promise<T>,
    ) =>
      Session.with({ host, port: options.port, device }, signal, async (s) => {
        let task: Uint8Array | undefined;
        for (let attempt = 1; !task; attempt++) {
          await s.write(Uint8Array.of(START), signal);
          using wait = within(clock, signal, START_WAIT_MS);
          try {
            task = await s.readExactly(4, "the session task", wait.signal);
          } catch (error) {
            if (!wait.expired() || attempt === START_TRIES) throw error;
          }
        }
        await s.write(authResponse(task, key), signal);
        let first: Uint8Array;
        {
          using wait = within(clock, signal, AUTH_WAIT_MS);
          try {
            first = await s.readExactly(
              SOCKETS,
              "the socket states after the login (a wrong password gets no answer)",
              wait.signal,
            );
          } catch (error) {
            if (!wait.expired()) throw error;
            throw new DriverError(
              "auth",
              `${device} did not answer the login within ${AUTH_WAIT_MS} ms: wrong password`,
            );
          }
        }
        try {
          return await work(s, task, states(first, task));
        } finally {
          // Ends the session even after a bad answer, so the next one is not ignored.
          await s.write(Uint8Array.of(START), signal).catch(() => {});
        }
      });

    return {
      async setOutlet(socket, state, { signal }) {
        await session(signal, async (s, task) => {
          const commands = Array.from(
            { length: SOCKETS },
            (_, i) => i + 1 === socket ? (state === "on" ? SWITCH_ON : SWITCH_OFF) : DONT_SWITCH,
          );
          await s.write(encode(commands, task, key), signal);
          const after = states(
            await s.readExactly(SOCKETS, `the socket states after switching`, signal),
            task,
          );
          if (after[socket - 1] !== state) {
            throw new DriverError(
              "device",
              `${device} reports socket ${socket} ${after[socket - 1]} after switching it ${state}`,
            );
          }
        });
      },
      async getOutlet(socket, { signal }) {
        return await session(signal, (_s, _task, now) => Promise.resolve(now[socket - 1]!));
      },
      close: () => Promise.resolve(),
    };
  },
};
