/**
 * The second line of defence for secrets: whatever a driver's error says, no configured secret
 * value and no control byte leaves it. The first line is at each message's source (drivers name
 * keys, never their values); this catches what a device or a library echoes back.
 * @module
 */
import type { Driver } from "./driver.ts";
import { printable } from "./errors.ts";

/** What a secret is replaced with. */
export const REDACTED = "***";

/**
 * Secrets shorter than this are not replaced by value: "apc" or "lab" would mangle ordinary
 * words of every message; their sources never quote them.
 */
export const MIN_SECRET_LENGTH = 4;

/** The secrets worth replacing, longest first (so a secret holding another goes whole). */
export function scrubList(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by "***" (also in its URL-encoded form). */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    out = out.replaceAll(secret, REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.replaceAll(encoded, REDACTED);
  }
  return out;
}

/**
 * Rewrites `error` in place (its message, stack and causes): secrets replaced, control bytes
 * made visible. In place, so its class, kind and `permanent` stay as the driver set them.
 */
export function scrubError<E>(error: E, secrets: readonly string[], depth = 0): E {
  if (!(error instanceof Error) || depth > 3) return error;
  try {
    error.message = printable(scrubText(error.message, secrets), 1000);
    if (typeof error.stack === "string") error.stack = scrubText(error.stack, secrets);
  } catch { /* a frozen error: nothing to do but pass it on */ }
  scrubError(error.cause, secrets, depth + 1);
  return error;
}

/**
 * `driver` with every rejection scrubbed of `secrets` (see config's collectSecrets) and of
 * control bytes. Everything else passes through unchanged.
 */
export function scrubbedDriver(driver: Driver, secrets: Iterable<string>): Driver {
  const list = scrubList(secrets);
  // async, so a driver that throws before its first await is scrubbed too.
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw scrubError(error, list);
    }
  };
  const wrapped: Driver = {
    setOutlet: (outlet, state, options) => guard(() => driver.setOutlet(outlet, state, options)),
    close: () => guard(() => driver.close()),
  };
  if (driver.getOutlet) {
    wrapped.getOutlet = (outlet, options) => guard(() => driver.getOutlet!(outlet, options));
  }
  return wrapped;
}
