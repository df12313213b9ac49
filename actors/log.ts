/**
 * The one logger: a level, a time, a message and fields per line, as JSON lines (for journald,
 * files and log shippers) or as text (for a person at a terminal). Created by main and handed
 * down; drivers receive it through `create()`. Its level and the secret values it scrubs can
 * change while it runs (reload), for every child at once.
 * @module
 */
import type { Logger } from "../drivers/mod.ts";
export { parseLogLevel } from "../config/mod.ts";

/** Log levels, most verbose first; upstream's names (DEBUG, INFO, WARN/WARNING, ERROR) map here. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** How a line is written: one JSON object, or `time LEVEL message key=value …`. */
export type LogFormat = "json" | "text";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Keys whose values never reach a log line. */
const SECRET = /pass(word|phrase)?|secret|token|community|authorization|privkey|key$/i;

/** What replaces a secret value found in a line. */
export const SCRUBBED = "***";

/**
 * Shorter values are not scrubbed: a two-character community would turn every number and word
 * containing it into `***`. Messages that never include secrets are the first line of defence.
 */
export const MIN_SECRET_LENGTH = 4;

/** Options of createLogger. */
export interface LoggerOptions {
  level?: LogLevel;
  /** "json" (default) or "text". */
  format?: LogFormat;
  /** Where a finished line goes (default: stderr). */
  write?: (line: string) => void;
  /** Clock for the `time` field (default: Date.now). */
  now?: () => number;
}

/** The logger main creates: a Logger whose level and scrubbed secrets can change later. */
export interface RootLogger extends Logger {
  /** Changes the level of this logger and of every child made from it (reload). */
  setLevel(level: LogLevel): void;
  /** The current level. */
  readonly level: LogLevel;
  /**
   * Replaces every occurrence of each value in every later line (message and fields, at any
   * depth, this logger's children included) with `***`. Replaces the previous list.
   */
  setSecrets(values: readonly string[]): void;
}

/** Replaces secret-looking fields so that no password or token is ever logged. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET.test(k)) out[k] = "[redacted]";
    else if (v instanceof Error) out[k] = v.message;
    else if (
      v && typeof v === "object" && !Array.isArray(v) &&
      typeof (v as { toJSON?: unknown }).toJSON !== "function" // a Date is a value, not a record
    ) {
      out[k] = redact(v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

interface Shared {
  min: number;
  level: LogLevel;
  /** Longest first, so a secret containing another is replaced whole. */
  secrets: string[];
}

/** Creates a logger (JSON lines unless `format: "text"`). */
export function createLogger(
  options: LoggerOptions = {},
  base: Record<string, unknown> = {},
): RootLogger {
  const level = options.level ?? "info";
  const shared: Shared = { min: ORDER[level], level, secrets: [] };
  return build(options, shared, base);
}

function build(options: LoggerOptions, shared: Shared, base: Record<string, unknown>): RootLogger {
  const encoder = new TextEncoder();
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const now = options.now ?? Date.now;
  const format = options.format === "text" ? text : json;
  const at = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < shared.min) return;
    const clean = (value: unknown) => scrub(value, shared.secrets);
    write(format(
      new Date(now()).toISOString(),
      level,
      clean(message) as string,
      clean(redact({ ...base, ...fields })) as Record<string, unknown>,
    ));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => build(options, shared, { ...base, ...fields }),
    enabled: (level) => ORDER[level] >= shared.min,
    setLevel(level: LogLevel) {
      shared.level = level;
      shared.min = ORDER[level];
    },
    get level() {
      return shared.level;
    },
    setSecrets(values: readonly string[]) {
      shared.secrets = [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH)
        .sort((a, b) => b.length - a.length);
    },
  };
}

/**
 * The value with every secret replaced, before it is serialised: escaping (a quote or backslash
 * in a secret, as JSON writes it) cannot hide a secret from the scrubber.
 */
function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  // What JSON would write for it (a Date's ISO text), not its own enumerable fields.
  const toJSON = (value as { toJSON?: unknown } | null)?.toJSON;
  if (typeof toJSON === "function") value = toJSON.call(value);
  if (typeof value === "string") {
    let out = value;
    for (const s of secrets) if (out.includes(s)) out = out.replaceAll(s, SCRUBBED);
    return out;
  }
  if (typeof value === "number" || typeof value === "bigint") {
    const text = String(value);
    const out = scrub(text, secrets);
    return out === text ? value : out;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[scrub(k, secrets) as string] = scrub(v, secrets);
    }
    return out;
  }
  return value;
}

function json(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ time, level, msg, ...fields });
}

/**
 * `2026-01-02T03:04:05.678Z INFO  pdud listening hostname=127.0.0.1 port=16421`: values that
 * are plain words stay bare, anything else is JSON-quoted, so a control byte (a terminal escape
 * from a device) is shown escaped, never sent to the terminal.
 */
function text(time: string, level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const parts = [time, level.toUpperCase().padEnd(5), escapeControls(msg)];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    parts.push(`${escapeControls(k)}=${textValue(v)}`);
  }
  return parts.join(" ");
}

const BARE = /^[\w.:/@%+,\-\[\]]+$/;

function textValue(value: unknown): string {
  if (typeof value === "string") return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  if (typeof value === "bigint") return value.toString();
  return JSON.stringify(value) ?? String(value);
}

function escapeControls(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** A logger that drops everything. */
export const SILENT_LOGGER: Logger = createLogger({ level: "error", write: () => {} });
