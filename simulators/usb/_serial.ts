/**
 * What the USB serial relay simulators share: each runs on a pty made by socat (see _pty.ts).
 * A refused or dropped operation re-enumerates the device; an error leaves the relay as it was
 * (the drivers read back and notice).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice } from "../kind.ts";
import { ByteReader, type ByteReader as Reader, PtyEndpoint, type PtyIo } from "./_pty.ts";
import { type NodeSimulator, nodeSimulator, simulatorDirectory } from "./_node.ts";

/** For serial simulators that take no options. */
export const NONE = z.object({}).strict();

/** Starts `serve` on a fresh pty; `config(path)` is the PDU config that reaches it. */
export async function startSerial(
  kind: string,
  device: SimulatedDevice,
  serve: (io: PtyIo, reader: Reader) => Promise<void>,
  config: (path: string) => Record<string, unknown>,
): Promise<NodeSimulator> {
  const directory = await simulatorDirectory(kind);
  try {
    const endpoint = await PtyEndpoint.create(
      `${directory}/tty`,
      (io) => serve(io, new ByteReader(io)),
    );
    return nodeSimulator(kind, device, endpoint, directory, () => config(endpoint.path));
  } catch (error) {
    await Deno.remove(directory, { recursive: true }).catch(() => {});
    throw error;
  }
}
