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

/** Options of DriverError. */
export interface DriverErrorOptions extends ErrorOptions {
  /**
   * Whether trying again cannot help (wrong credentials, an outlet the device does not have, a
   * value it refuses). Defaults to true for "auth" and "config", false otherwise.
   */
  permanent?: boolean;
  /**
   * Whether this error only reports that the operation's signal aborted it, saying nothing of
   * what the device did. Default false: the message then tells what the driver was waiting for.
   */
  aborted?: boolean;
}

/**
 * A device-side failure. Transient ones are retried by the actor up to `retries` attempts;
 * permanent ones fail the job at once.
 */
export class DriverError extends Error {
  /** What kind of failure this was. */
  readonly kind: DriverErrorKind;
  /** Whether retrying cannot fix it. */
  readonly permanent: boolean;
  /** Whether it only reports the abort (the actor then words the timeout itself). */
  readonly aborted: boolean;

  /**
   * @param kind what kind of failure
   * @param message a sentence for a lab engineer: what was tried and what the device did
   */
  constructor(kind: DriverErrorKind, message: string, options?: DriverErrorOptions) {
    const { permanent, aborted, ...errorOptions } = options ?? {};
    super(message, errorOptions);
    this.name = "DriverError";
    this.kind = kind;
    this.permanent = permanent ?? (kind === "auth" || kind === "config");
    this.aborted = aborted ?? false;
  }
}

/** Turns an abort into the DriverError the actor expects, keeping other errors as they are. */
export function abortError(signal: AbortSignal, what: string): DriverError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  return new DriverError("timeout", `${what} was aborted: ${reason}`, { aborted: true });
}

// Terminal escape sequences (CSI such as colours and cursor moves, OSC such as window titles)
// and every other control character: none of them may reach a reply, a log line or a terminal.
// deno-lint-ignore no-control-regex
const ESCAPE_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]/g;
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a device or a program made safe for a message: escape sequences removed, line
 * breaks and tabs as spaces, other control characters as `\xHH`, at most `max` characters.
 */
export function printable(text: string, max = 300): string {
  const clean = text.replace(ESCAPE_SEQUENCE, "").replace(
    CONTROL,
    (c) =>
      c === "\n" || c === "\r" || c === "\t"
        ? " "
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
