/**
 * What the console simulators share: the device's fault applied to one command, as the text
 * the console answers or what it does instead.
 * @module
 */
import { type SimulatedDevice, streamFault } from "../kind.ts";

/** A console's answer to a line: text, or "hang" (send nothing) or "hangup" (close). */
export type ConsoleReply = string | "hang" | "hangup";

/** Runs one command under the device's fault; `ok()` applies it and returns the answer. */
export async function consoleFault(
  device: SimulatedDevice,
  errorText: string,
  ok: () => string,
): Promise<ConsoleReply> {
  return await streamFault(device, ok, () => errorText, "\x00\x13\xfe\x7f garbage\r\n");
}
