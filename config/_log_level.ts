/** Upstream's log level names, accepted case-insensitively. */
export function parseLogLevel(name: string): "debug" | "info" | "warn" | "error" | undefined {
  const n = name.toLowerCase();
  if (n === "warning") return "warn";
  return n === "debug" || n === "info" || n === "warn" || n === "error" ? n : undefined;
}
