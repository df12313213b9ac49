/**
 * Pure helpers of the pdud-vs-pdudaemon comparison (bench/compare.ts): statistics, parsing of
 * raw replies and wrk output, config generation and markdown rendering. No I/O here, so
 * tests/bench_compare_test.ts can check them without running a benchmark.
 * @module
 */

/** The value at quantile `q` (0..1) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** min / median / max of repeated measurements. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** Summarizes repeats; NaN entries (failed repeats) are left out. */
export function spread(values: readonly number[]): Spread {
  const ok = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (ok.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = Math.floor(ok.length / 2);
  const median = ok.length % 2 === 1 ? ok[mid]! : (ok[mid - 1]! + ok[mid]!) / 2;
  return { min: ok[0]!, median, max: ok[ok.length - 1]!, n: ok.length };
}

/** Formats a number with `digits` decimals, "—" for NaN/undefined. */
export function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}

/** "median (min–max)", or just the value when there was one repeat. */
export function fmtSpread(s: Spread, digits = 1): string {
  if (s.n === 0) return "—";
  if (s.n === 1 || s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Renders a markdown table; cells are escaped for `|`. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    `| ${header.map(esc).join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** "met" / "MISSED" with the measured figure, for target lines. */
export function verdict(ok: boolean | undefined): string {
  return ok === undefined ? "not measured" : ok ? "met" : "**MISSED**";
}

/** The status code of a raw HTTP/1.x response, or undefined when it is not one. */
export function httpStatus(raw: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return m ? Number(m[1]) : undefined;
}

/** The body of a raw HTTP/1.x response (after the blank line). */
export function httpBody(raw: string): string {
  const i = raw.indexOf("\r\n\r\n");
  return i < 0 ? "" : raw.slice(i + 4);
}

/** What wrk printed, reduced to the figures the comparison needs. */
export interface WrkResult {
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  /** Latency percentiles in ms (needs `--latency`). */
  p50?: number;
  p99?: number;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  switch (unit) {
    case "us":
      return v / 1000;
    case "ms":
      return v;
    case "s":
      return v * 1000;
    case "m":
      return v * 60_000;
    default:
      return NaN;
  }
}

/** Parses wrk's text output. */
export function parseWrk(text: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const result: WrkResult = { requests, rps, non2xx, socketErrors };
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  if (p50) result.p50 = toMs(p50[1]!, p50[2]!);
  if (p99) result.p99 = toMs(p99[1]!, p99[2]!);
  return result;
}

/** The PDU names of a farm: "127.0.0.1:PORT", as both daemons then reach the simulator. */
export function pduNames(ports: readonly number[]): string[] {
  return ports.map((p) => `127.0.0.1:${p}`);
}

/**
 * The one JSON config both daemons read: upstream's format, upstream keys only (pdud accepts
 * it unchanged). Every PDU is a two-relay Tasmota (upstream's sonoff_s20 expects "POWER1" where
 * a one-relay Tasmota answers "POWER", so the two-relay driver is the one both can drive).
 */
export function daemonConfig(
  ports: readonly number[],
  daemon: { port: number; listener: "http" | "tcp"; loggingLevel?: string },
): Record<string, unknown> {
  return {
    daemon: {
      hostname: "127.0.0.1",
      port: daemon.port,
      listener: daemon.listener,
      logging_level: daemon.loggingLevel ?? "ERROR",
    },
    pdus: Object.fromEntries(
      pduNames(ports).map((name) => [name, { driver: "brennenstuhl_wspl01_tasmota" }]),
    ),
  };
}

/**
 * The burst's request order: round k for every PDU, then round k+1, so that with a cap on
 * connections in flight every PDU's queue is still fed from the start.
 */
export function burstPlan(pdus: number, perPdu: number): { pdu: number; k: number }[] {
  const plan: { pdu: number; k: number }[] = [];
  for (let k = 0; k < perPdu; k++) {
    for (let p = 0; p < pdus; p++) plan.push({ pdu: p, k });
  }
  return plan;
}

/** Reads a `Vm…:  1234 kB` line of /proc/PID/status as MiB. */
export function statusMiB(status: string, key: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** a / b, formatted as "12.3×", "—" when either is missing. */
export function ratio(a: number, b: number, digits = 2): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  return `${(a / b).toFixed(digits)}×`;
}

/** Replaces the text between two marker lines (inclusive markers kept), or appends it. */
export function replaceBetween(
  document: string,
  begin: string,
  end: string,
  content: string,
): string {
  const block = `${begin}\n${content.trimEnd()}\n${end}`;
  const i = document.indexOf(begin);
  const j = document.indexOf(end);
  if (i < 0 || j < i) return (document.trimEnd() + "\n\n" + block + "\n").trimStart();
  return document.slice(0, i) + block + document.slice(j + end.length);
}

/**
 * A wrk script that rotates over `names` (outlets 1 and 2 of each), switching on for one pass
 * over the PDUs and off for the next, so every request changes an outlet.
 */
export function rotateScript(names: readonly string[]): string {
  return `local names = {${names.map((n) => `"${n}"`).join(",")}}
local i = 0
request = function()
  i = i + 1
  local cmd = (math.floor(i / #names) % 2 == 0) and "on" or "off"
  return wrk.format("GET", "/power/control/" .. cmd .. "?hostname=" .. names[(i % #names) + 1] .. "&port=" .. ((i % 2) + 1))
end
`;
}
