/**
 * What the console simulators share: the device's fault applied to one command, as the text
 * the console answers or what it does instead.
 * @module
 */
import type { SimulatedDevice } from "../simulator/mod.ts";

/** A console's answer to a line: text, or "hang" (send nothing) or "hangup" (close). */
export type ConsoleReply = string | "hang" | "hangup";

/** Runs one command under the device's fault; `ok()` applies it and returns the answer. */
export async function consoleFault(
  device: SimulatedDevice,
  errorText: string,
  ok: () => string,
): Promise<ConsoleReply> {
  const fault = await device.beginOperation();
  try {
    switch (fault) {
      case "drop":
      case "refuse":
        return "hangup";
      case "hang":
        return "hang";
      case "garbage":
        return "\x00\x13\xfe\x7f garbage\r\n";
      case "error":
        return errorText;
      default:
        return ok();
    }
  } finally {
    device.endOperation();
  }
}
