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

/**
 * The shortest piece of a secret replaced where a message was cut inside it (`…`, a quoted
 * excerpt's closing `"`, or the end): a longer prefix would say most of the secret.
 */
export const MIN_CUT_SECRET = 3;

/**
 * The ways a secret is written on its way to a device and back in an echo: as it is, percent-
 * encoded (encodeURIComponent), form-encoded (URLSearchParams: `+` for a space, `'()!~`
 * encoded), with `+` for its spaces (a form value decoded by a server that leaves `+`), and
 * JSON-escaped (a quoted excerpt of a reply).
 */
export function secretForms(secret: string): string[] {
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      secret.replaceAll(" ", "+"),
      JSON.stringify(secret).slice(1, -1),
    ]),
  ];
}

const CUT_MARK = '(?=…|"|$)';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `text` with every secret replaced by "***", in each of its written forms (see secretForms),
 * and also where the text was cut inside one (a prefix of at least MIN_CUT_SECRET characters
 * just before `…`, `"` or the end): messages quote devices' answers cut to a length, and an
 * echoed secret may straddle the cut.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = secrets.flatMap(secretForms).sort((a, b) => b.length - a.length);
  for (const form of forms) out = out.replaceAll(form, REDACTED);
  for (const form of forms) {
    for (let k = form.length - 1; k >= MIN_CUT_SECRET; k--) {
      const prefix = form.slice(0, k);
      if (!out.includes(prefix)) continue;
      out = out.replace(new RegExp(escapeRegExp(prefix) + CUT_MARK, "g"), REDACTED);
    }
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
