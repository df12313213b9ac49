/**
 * DriverError: the only error a driver throws for device-side trouble. Anything else escaping a
 * driver is treated as a defect and restarts the actor incarnation.
 * @module
 */

/** Why a device operation failed. */
export type DriverErrorKind =
  | "unreachable"
  | "timeout"
  | "auth"
  | "refused"
  | "protocol"
  | "device"
  | "config";

/** A device-side failure, retried by the actor up to `retries` attempts. */
export class DriverError extends Error {
  /** What kind of failure this was. */
  readonly kind: DriverErrorKind;

  /**
   * @param kind what kind of failure
   * @param message a sentence for a lab engineer: what was tried and what the device did
   */
  constructor(kind: DriverErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DriverError";
    this.kind = kind;
  }
}

/** Turns an abort into the DriverError the actor expects, keeping other errors as they are. */
export function abortError(signal: AbortSignal, what: string): DriverError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new DriverError("timeout", `${what} was aborted: ${reason}`);
}
