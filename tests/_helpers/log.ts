/** A Logger that keeps lines in memory, for tests that assert on logging (or want silence). */
import type { Logger } from "../../drivers/mod.ts";

/** One captured log line. */
export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** Creates a logger that records into `lines`. */
export function memoryLogger(lines: LogLine[] = [], base: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => {
    lines.push({ level, message, fields: { ...base, ...fields } });
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => memoryLogger(lines, { ...base, ...fields }),
  };
}
