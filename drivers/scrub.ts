/**
 * The second line of defence for secrets: whatever a driver's error says, no configured secret
 * value and no control byte leaves it. The first line is at each message's source (drivers name
 * keys, never their values); this catches what a device or a library echoes back.
 * @module
 */
import type { Driver, Logger } from "./driver.ts";
import { printable } from "./errors.ts";
import { wrapDriver } from "./wrap.ts";

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
  return wrapDriver(driver, (_outlet, run) => guard(run));
}

/** A logger for a driver whose messages and string fields are scrubbed like its errors. */
export function scrubbedLogger(log: Logger, secrets: Iterable<string>): Logger {
  const list = scrubList(secrets);
  const value = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return printable(scrubText(v, list), 2000);
    if (v instanceof Error) return scrubError(v, list);
    if (depth > 3 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((item) => value(item, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, value(item, depth + 1)]));
  };
  // A line the logger would drop (a driver's debug detail, at the default level) is not
  // scrubbed first: that walk of its fields was ~4% of a request's CPU.
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields?: Record<string, unknown>) => {
      if (log.enabled?.(level) === false) return;
      log[level](
        value(message, 0) as string,
        fields === undefined ? undefined : value(fields, 0) as Record<string, unknown>,
      );
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => scrubbedLogger(log.child(value(fields, 0) as Record<string, unknown>), list),
    enabled: (level) => log.enabled?.(level) ?? true,
  };
}
