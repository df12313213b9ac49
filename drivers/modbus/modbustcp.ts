/**
 * Relay boards and PLC outputs on Modbus/TCP: `modbustcp` (upstream's). Protocol: Modbus
 * Application Protocol V1.1b3 and Modbus Messaging on TCP/IP V1.0b, spoken by npm `jsmodbus`
 * over a socket this driver owns. As upstream, an outlet is a coil address used verbatim (outlet
 * 3 is coil 3, counted from 0): Write Single Coil (0x05, 0xFF00 on / 0x0000 off) switches it and
 * Read Coils (0x01) reads it. Keys: `port` (502), `unit` (upstream's `slave` when absent, else 1).
 * Tested against the simulator in simulators/modbus/modbustcp.ts only.
 *
 * One connection is kept open across operations, as upstream and most Modbus servers expect; it
 * is dropped after any failure so the next attempt starts clean.
 * @module
 */
import net from "node:net";
import type { client as modbusClient } from "jsmodbus";
import { z } from "zod";
import { portNumber, wholeNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { exceptionText } from "./_protocol.ts";
import { loadJsModbus } from "../_libraries.ts";

const OPTIONS = z.object({
  "port": portNumber(502),
  "unit": wholeNumber(0, 255).optional(),
  "slave": wholeNumber(0, 255).optional(),
}).strict();

type ModbusClient = InstanceType<typeof modbusClient.TCP>;

interface Session {
  socket: net.Socket;
  client: ModbusClient;
}

/**
 * jsmodbus' own per-request timer. The actor's per-step timeout (the signal) is what bounds an
 * operation; this only has to be longer than any sane step.
 */
const LIBRARY_TIMEOUT_MS = 60_000;

/** What jsmodbus rejects with (its UserRequestError), read structurally. */
interface RequestFailure {
  err: string;
  message: string;
  response?: { body?: { code?: number } };
}

function isRequestFailure(error: unknown): error is RequestFailure {
  return typeof error === "object" && error !== null && "err" in error &&
    typeof (error as { err: unknown }).err === "string";
}

/** `modbustcp`. */
export const MODBUSTCP: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["modbustcp"],
  summary: "Modbus/TCP coils (Write Single Coil 0x05, Read Coils 0x01), outlet = coil address",
  options: OPTIONS,
  outletRange: () => ({ min: 0, max: 65535 }),
  create(hostname, { options, log }) {
    const unit = options.unit ?? options.slave ?? 1;
    const device = `Modbus device ${hostname}:${options.port} (unit ${unit})`;
    let session: Session | undefined;

    const drop = () => {
      session?.socket.destroy();
      session = undefined;
    };

    const connect = async (signal: AbortSignal): Promise<Session> => {
      if (session && !session.socket.destroyed) return session;
      drop();
      const { client: modbusClient } = await loadJsModbus();
      const socket = new net.Socket();
      // Failures surface through "close" and the pending request; without a listener an
      // "error" event would be thrown.
      socket.on("error", () => {});
      const client = new modbusClient.TCP(socket, unit, LIBRARY_TIMEOUT_MS);
      return await new Promise<Session>((resolve, reject) => {
        const settle = (error?: DriverError) => {
          socket.off("connect", onConnect);
          socket.off("error", onError);
          signal.removeEventListener("abort", onAbort);
          if (error) {
            socket.destroy();
            reject(error);
          } else {
            session = { socket, client };
            resolve(session);
          }
        };
        const onConnect = () => settle();
        const onError = (error: Error) =>
          settle(new DriverError("unreachable", `cannot reach ${device}: ${error.message}`));
        const onAbort = () =>
          settle(new DriverError("timeout", `${device} did not accept a connection in time`));
        if (signal.aborted) return onAbort();
        socket.once("connect", onConnect);
        socket.once("error", onError);
        signal.addEventListener("abort", onAbort, { once: true });
        socket.connect({ host: hostname, port: options.port });
      });
    };

    /** Runs one request on the session; any failure drops the connection. */
    const exchange = async <T>(
      what: string,
      signal: AbortSignal,
      request: (client: ModbusClient) => Promise<T>,
    ): Promise<T> => {
      const { client } = await connect(signal);
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () =>
          reject(new DriverError("timeout", `${device} did not answer ${what} in time`));
        signal.addEventListener("abort", onAbort, { once: true });
        if (signal.aborted) onAbort();
      });
      const pending = request(client);
      pending.catch(() => {}); // settles after an abort too; nobody awaits it then
      try {
        return await Promise.race([pending, aborted]);
      } catch (error) {
        drop();
        throw asDriverError(error, what);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    };

    const asDriverError = (error: unknown, what: string): unknown => {
      if (error instanceof DriverError || !isRequestFailure(error)) return error;
      switch (error.err) {
        case "ModbusException":
          return new DriverError(
            "device",
            `${device} answered Modbus exception ${
              exceptionText(error.response?.body?.code ?? 0)
            } to ${what}`,
          );
        case "Offline":
          return new DriverError(
            "unreachable",
            `${device} closed the connection without answering ${what}`,
          );
        case "Timeout":
          return new DriverError("timeout", `${device} did not answer ${what} in time`);
        default:
          return new DriverError(
            "protocol",
            `${device} answered ${what} wrongly: ${error.message}`,
          );
      }
    };

    return {
      async setOutlet(outlet, state, { signal }) {
        const what = `Write Single Coil ${outlet} ${state}`;
        const answer = await exchange(
          what,
          signal,
          (c) => c.writeSingleCoil(outlet, state === "on"),
        );
        const body = answer.response.body;
        // The device echoes the request; anything else means it did something else.
        if (body.address !== outlet || body.value !== (state === "on")) {
          drop();
          throw new DriverError(
            "protocol",
            `${device} echoed coil ${body.address} = ${body.value} to ${what}`,
          );
        }
        log.debug("modbus coil written", { outlet, state });
      },
      async getOutlet(outlet, { signal }): Promise<OutletState> {
        const what = `Read Coils ${outlet}`;
        const answer = await exchange(what, signal, (c) => c.readCoils(outlet, 1));
        const value = answer.response.body.valuesAsArray[0];
        if (value === undefined) {
          drop();
          throw new DriverError("protocol", `${device} answered ${what} without a coil value`);
        }
        return value ? "on" : "off";
      },
      close() {
        drop();
        return Promise.resolve();
      },
    };
  },
};
