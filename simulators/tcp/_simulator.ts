/**
 * What this family's simulators share: the TCP server wrapped as a Simulator, byte writes, and
 * the device's fault knob applied to one command (the answer, the device's error answer, junk,
 * silence, or a closed connection).
 * @module
 */
import { type SimulatedDevice, type Simulator, streamFault } from "../kind.ts";
import { serveSimulatorTcp, simulatorOn, writeLatin1 } from "../_transport/tcp_server.ts";

/**
 * Junk for the `garbage` fault. Its first byte is none of the ETH boards' answer codes (0, 1, 2)
 * and, read as a Kasa length prefix, announces far more than any answer may be long.
 */
export const GARBAGE: Uint8Array = Uint8Array.from(
  "\xfe\x13\x00\x7f garbage\r\n",
  (c) => c.charCodeAt(0),
);

/** What a simulator sends for one command: the reply, or silence ("hang") or a hang-up. */
export type FaultReply<T> = T | Uint8Array | "hang" | "hangup";

/**
 * Runs one command under the device's fault; `ok()` applies it and returns the answer, `error()`
 * gives the protocol's error answer, or null where the protocol has none (then `ok()` answers).
 */
export async function deviceFault<T>(
  device: SimulatedDevice,
  ok: () => T,
  error: () => T | null,
): Promise<FaultReply<T>> {
  return await streamFault<T | Uint8Array>(device, ok, () => error() ?? ok(), GARBAGE);
}

/** A simulator around a TCP server, as every kind of this family returns it. */
export function tcpSimulator(
  kind: string,
  device: SimulatedDevice,
  listen: { hostname: string; port: number },
  handle: (conn: Deno.TcpConn) => Promise<void>,
  config: (hostname: string, port: number) => Record<string, unknown>,
): Simulator {
  return simulatorOn(kind, device, serveSimulatorTcp(device, listen, handle), config);
}

/** Writes bytes, ignoring a peer that has gone. */
export async function writeBytes(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  await writeLatin1(conn, String.fromCharCode(...bytes));
}
