/**
 * What the simulators of locally attached devices share: a temporary directory holding the
 * simulated device node (a PtyEndpoint) or stand-in tool, the Simulator face the tests and
 * `pdud simulate` expect, and the device's fault applied to one operation.
 * @module
 */
import type { SimulatedDevice, Simulator } from "../kind.ts";
import type { ByteReader, PtyEndpoint, PtyIo } from "./_pty.ts";

/** A simulator whose device sits behind a local node; tests re-enumerate it through `endpoint`. */
export interface NodeSimulator extends Simulator {
  /** The simulated device node. */
  readonly endpoint: PtyEndpoint;
}

/** What a front end does with one operation, after the device's fault is applied. */
export type NodeFault = "none" | "error" | "garbage" | "hang";

/**
 * Runs one operation under the device's fault. A refused or dropped operation is a device that
 * falls off the bus and re-enumerates (the only way a local node "drops a connection"); `act`
 * then never runs and false is returned, ending this incarnation. A slow operation is
 * abandoned, unanswered, when the driver sends anything else meanwhile (it gave up waiting).
 */
export async function nodeOperation(
  device: SimulatedDevice,
  io: PtyIo,
  reader: ByteReader,
  act: (fault: NodeFault) => Promise<void>,
): Promise<boolean> {
  const superseded = new AbortController();
  if (device.latencyMs > 0) reader.more().then(() => superseded.abort(), () => {});
  const fault = await device.beginOperation(superseded.signal);
  try {
    if (superseded.signal.aborted) return true;
    if (fault === "drop" || fault === "refuse") {
      io.replug();
      return false;
    }
    await act(fault === "flap" ? "error" : fault);
    return true;
  } finally {
    device.endOperation();
  }
}

/** A private temporary directory for one simulator's node or tool. */
export function simulatorDirectory(kind: string): Promise<string> {
  return Deno.makeTempDir({ prefix: `pdud-${kind}-` });
}

/** Builds the Simulator face of a node-backed simulator. */
export function nodeSimulator(
  kind: string,
  device: SimulatedDevice,
  endpoint: PtyEndpoint,
  directory: string,
  config: () => Record<string, unknown>,
): NodeSimulator {
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await endpoint.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    })();
  return {
    kind,
    device,
    endpoint,
    // Not a network address: the node path stands where `pdud simulate` prints a host.
    address: { hostname: endpoint.path, port: 0, transport: "tcp" },
    pduHostname: "localhost",
    pduConfig: config,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Latin-1 bytes of `text` (the relay protocols here are 8-bit ASCII). */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}
