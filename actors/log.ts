/**
 * The one logger: JSON lines with a level, a time, a message and fields. Created by main and
 * handed down; drivers receive it through `create()`.
 * @module
 */
import type { Logger } from "../drivers/mod.ts";
export { parseLogLevel } from "../config/mod.ts";

/** Log levels, most verbose first; upstream's names (DEBUG, INFO, WARN/WARNING, ERROR) map here. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Keys whose values never reach a log line. */
const SECRET = /pass(word|phrase)?|secret|token|community|authorization|privkey|key$/i;

/** Options of createLogger. */
export interface LoggerOptions {
  level?: LogLevel;
  /** Where a finished line goes (default: stderr). */
  write?: (line: string) => void;
  /** Clock for the `time` field (default: Date.now). */
  now?: () => number;
}

/** Replaces secret-looking fields so that no password or token is ever logged. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET.test(k)) out[k] = "[redacted]";
    else if (v instanceof Error) out[k] = v.message;
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = redact(v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/** Creates a JSON-lines logger. */
export function createLogger(
  options: LoggerOptions = {},
  base: Record<string, unknown> = {},
): Logger {
  const min = ORDER[options.level ?? "info"];
  const encoder = new TextEncoder();
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const now = options.now ?? Date.now;
  const at = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const record = {
      time: new Date(now()).toISOString(),
      level,
      msg: message,
      ...redact({ ...base, ...fields }),
    };
    write(JSON.stringify(record));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything. */
export const SILENT_LOGGER: Logger = createLogger({ level: "error", write: () => {} });
