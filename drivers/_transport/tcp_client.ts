/**
 * The TCP connect every raw-socket driver session shares, with its failures as DriverErrors.
 * @module
 */
import { abortError, DriverError } from "../errors.ts";

/** Connects; a refused or unroutable connection is `unreachable`, an abort is `timeout`. */
export async function connectTcp(
  target: { host: string; port: number; device: string },
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  if (signal.aborted) throw abortError(signal, `Connecting to ${target.device}`);
  try {
    return await Deno.connect({ hostname: target.host, port: target.port, signal });
  } catch (error) {
    if (signal.aborted) {
      throw new DriverError("timeout", `${target.device} did not accept a connection in time`);
    }
    throw new DriverError(
      "unreachable",
      `${target.device} is unreachable: ${(error as Error).message}`,
    );
  }
}
