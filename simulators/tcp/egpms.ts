/**
 * Simulator of the EG-PMS LAN in egpms.ts, as strict as the device: a session starts with 0x11
 * and nothing else; a wrong login answer gets silence, never an error; switch commands other
 * than on/off/don't-switch end the session (that is how clients end it without waiting out the
 * device's timeout). A session that ends without that leaves the device deaf to the next start
 * byte for SESSION_TIMEOUT_MS, as the real one is. Four sockets, numbered 1–4.
 *
 * Faults act on the switch commands: `error` leaves the socket as it was (a relay that did not
 * switch; the states say so), `garbage` sends states that are none.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import {
  authResponse,
  decode,
  DONT_SWITCH,
  encode,
  keyFor,
  SOCKETS,
  START,
  STATE_OFF,
  STATE_ON,
  SWITCH_OFF,
  SWITCH_ON,
} from "../../drivers/tcp/mod.ts";
import { deviceFault, GARBAGE, tcpSimulator, writeBytes } from "./_simulator.ts";

const SESSION_TIMEOUT_MS = 4000;

const OPTIONS = z.object({
  // The factory password of the EG-PMS2-LAN's Power Manager client access.
  "password": z.string().default("1"),
}).strict();

/** `egpms`. */
export const EGPMS_SIMULATOR: SimulatorKind<z.infer<typeof OPTIONS>> = {
  name: "egpms",
  summary: "Energenie EG-PMS LAN TCP session (0x11, task, password answer, 4 sockets scrambled)",
  options: OPTIONS,
  start(device, { options, hostname, port }) {
    if (device.count !== SOCKETS) {
      throw new RangeError(
        `An EG-PMS has ${SOCKETS} sockets; simulator "${device.name}" has ${device.count} outlets`,
      );
    }
    const key = keyFor(options.password);
    /** When the last unfinished session ended (the device ignores one start byte until +4 s). */
    let deafSince = -Infinity;
    const socket = (i: number) => device.first + i;
    const status = (task: Uint8Array) =>
      encode(
        Array.from(
          { length: SOCKETS },
          (_, i) => device.get(socket(i)) === "on" ? STATE_ON : STATE_OFF,
        ),
        task,
        key,
      );

    const handle = async (conn: Deno.TcpConn) => {
      let stage: "idle" | "login" | "control" | "done" | "silent" = "idle";
      let task = new Uint8Array(4);
      let pending: number[] = [];
      let finished = false;
      const buffer = new Uint8Array(64);
      try {
        for (;;) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          pending.push(...buffer.subarray(0, n));
          device.record(`< ${buffer.subarray(0, n).length} bytes in stage ${stage}`);
          while (pending.length > 0) {
            if (stage === "silent") {
              pending = [];
            } else if (stage === "idle") {
              const byte = pending.shift();
              if (byte !== START) continue;
              if (Date.now() - deafSince < SESSION_TIMEOUT_MS) {
                deafSince = -Infinity;
                continue;
              }
              task = crypto.getRandomValues(new Uint8Array(4));
              await writeBytes(conn, task);
              stage = "login";
            } else if (stage === "login") {
              if (pending.length < 4) break;
              const answer = pending.splice(0, 4);
              const expected = authResponse(task, key);
              if (!answer.every((b, i) => b === expected[i])) {
                stage = "silent";
                continue;
              }
              await writeBytes(conn, status(task));
              stage = "control";
            } else if (stage === "control") {
              if (pending.length < 4) break;
              const commands = decode(Uint8Array.from(pending.splice(0, 4)), task, key);
              if (!commands.every((c) => [SWITCH_ON, SWITCH_OFF, DONT_SWITCH].includes(c))) {
                finished = true;
                return;
              }
              const reply = await deviceFault(device, () => {
                commands.forEach((c, i) => {
                  if (c !== DONT_SWITCH) device.set(socket(i), c === SWITCH_ON ? "on" : "off");
                });
                return status(task);
              }, () => status(task));
              if (reply === "hangup") {
                finished = true;
                return;
              }
              if (reply === "hang") {
                stage = "silent";
                continue;
              }
              // Garbage: states that are none, scrambled like real ones.
              await writeBytes(conn, reply === GARBAGE ? encode([0, 0, 0, 0], task, key) : reply);
              stage = "done";
            } else {
              finished = true;
              return;
            }
          }
          // A lone start byte where switch commands would come is the client ending the session.
          if (stage === "control" && pending.length === 1 && pending[0] === START) {
            finished = true;
          }
        }
      } finally {
        if (stage !== "idle" && !finished) deafSince = Date.now();
      }
    };
    return Promise.resolve(tcpSimulator(
      "egpms",
      device,
      { hostname, port },
      handle,
      (ip, p) => ({ driver: "egpms", ip, port: p, password: options.password }),
    ));
  },
};
