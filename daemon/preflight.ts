/**
 * The pre-flight: everything that would stop a config from starting, checked before anything
 * starts, and reported one line per problem — never a stack trace. Start, reload (SIGHUP and the
 * API) and `pdud check-config` all run it, so what check-config passes, a start accepts.
 *
 * It checks what the schema cannot: files the config names (TLS certificate and key, the audit
 * log's directory), environment variables it names (token secrets), the listen address (when
 * asked, as check-config does), and for a reload the keys that need a restart.
 * @module
 */
import { ConfigError, type ConfigIssue, type DaemonConfig } from "../config/mod.ts";
import type { Config } from "../config/mod.ts";

/** The listen settings given on the command line, which win over the config's. */
export interface ListenOverrides {
  hostname?: string;
  port?: number;
  listener?: "both" | "http" | "tcp";
}

/** Options of preflight. */
export interface PreflightOptions {
  /** Environment lookup for token secrets (default: the process's environment). */
  env?: (name: string) => string | undefined;
  /** Command-line overrides of the listen address. */
  listen?: ListenOverrides;
  /** Try to bind the listen address and let it go again (check-config; a start just binds). */
  probeListen?: boolean;
}

/** What the pre-flight found. */
export interface PreflightResult {
  /** Each would stop a start. */
  problems: ConfigIssue[];
  /** Worth knowing, but no reason to refuse (e.g. the port is in use by the running pdud). */
  notes: string[];
}

/** A token secret needs this many characters (as the schema asks of inline secrets). */
const MIN_TOKEN_SECRET = 16;

/** Checks what would stop `config` from starting. */
export async function preflight(
  config: Config,
  options: PreflightOptions = {},
): Promise<PreflightResult> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const daemon = config.daemon;
  const problems: ConfigIssue[] = [];
  const notes: string[] = [];

  daemon.tokens.forEach((token, i) => {
    if (token.secret_env === undefined) return;
    const value = env(token.secret_env);
    const path = `daemon.tokens.${i}.secret_env`;
    if (value === undefined || value === "") {
      problems.push({
        path,
        message: `token "${token.name}": environment variable ${token.secret_env} is unset`,
      });
    } else if (value.length < MIN_TOKEN_SECRET) {
      problems.push({
        path,
        message: `token "${token.name}": environment variable ${token.secret_env} holds ` +
          `${value.length} characters; a token secret needs at least ${MIN_TOKEN_SECRET}`,
      });
    }
  });

  const listener = options.listen?.listener ?? daemon.listener;
  if (daemon.tls) {
    if (listener !== "http") {
      problems.push({
        path: "daemon.tls",
        message: `needs listener http, but --listener ${listener} was given`,
      });
    }
    await pemFile(daemon.tls.cert, "daemon.tls.cert", "CERTIFICATE", problems);
    await pemFile(daemon.tls.key, "daemon.tls.key", "PRIVATE KEY", problems);
  }

  if (daemon.audit_log !== undefined) await auditLogPath(daemon.audit_log, problems);

  const natsTls = config.cluster?.tls;
  if (natsTls?.ca_file !== undefined) {
    await pemFile(natsTls.ca_file, "cluster.tls.ca_file", "CERTIFICATE", problems);
  }
  if (natsTls?.cert_file !== undefined) {
    await pemFile(natsTls.cert_file, "cluster.tls.cert_file", "CERTIFICATE", problems);
  }
  if (natsTls?.key_file !== undefined) {
    await pemFile(natsTls.key_file, "cluster.tls.key_file", "PRIVATE KEY", problems);
  }

  if (options.probeListen) {
    const hostname = options.listen?.hostname ?? daemon.hostname;
    const port = options.listen?.port ?? daemon.port;
    if (port !== 0) {
      try {
        Deno.listen({ hostname, port }).close();
      } catch (error) {
        const failure = listenError(error, hostname, port);
        if (error instanceof Deno.errors.AddrInUse) {
          notes.push(`${failure.message}; a start fails until it is free`);
        } else problems.push({ path: "daemon.hostname", message: failure.message });
      }
    }
  }
  const lease = clusterLeaseNote(config);
  if (lease) notes.push(lease);
  return { problems, notes };
}

/**
 * In a cluster, an operation in flight when its node is cut off from NATS can outlast the node's
 * lease by up to the PDU's `timeout`: strict no-overlap needs each timeout below a third of
 * `lease_seconds` (docs/cluster.md). Not refused: the default timeout (20 s) is above a third of
 * the default lease (10 s), and most labs accept that window.
 */
function clusterLeaseNote(config: Config): string | undefined {
  if (!config.cluster) return undefined;
  const bound = config.cluster.lease_seconds / 3;
  const pdus = Object.values(config.pdus);
  const long = pdus.filter((p) => p.timeout >= bound);
  if (long.length === 0) return undefined;
  const examples = long.slice(0, 3).map((p) => `${p.name}: ${p.timeout} s`).join(", ");
  return `cluster: ${long.length} of ${pdus.length} PDUs have a timeout of ` +
    `${Math.round(bound * 10) / 10} s (a third of cluster.lease_seconds) or more (${examples}` +
    `${long.length > 3 ? ", …" : ""}): an operation in flight when this node is cut off from ` +
    `NATS can outlast its lease by up to that timeout (docs/cluster.md)`;
}

/** Runs the pre-flight and throws a ConfigError listing every problem; returns its notes. */
export async function assertStartable(
  config: Config,
  source: string,
  options: PreflightOptions = {},
): Promise<string[]> {
  const { problems, notes } = await preflight(config, options);
  if (problems.length > 0) throw new ConfigError(problems, source);
  return notes;
}

async function pemFile(
  path: string,
  key: string,
  kind: "CERTIFICATE" | "PRIVATE KEY",
  problems: ConfigIssue[],
): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    problems.push({ path: key, message: `cannot read ${path}: ${reason(error)}` });
    return;
  }
  // "BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY" and "BEGIN PRIVATE KEY" are all keys.
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
    problems.push({
      path: key,
      message: `${path} is not a PEM file (expected a "-----BEGIN ${kind}-----" block)`,
    });
  }
}

/** The audit log is created at start if missing: its directory must exist, the file be writable. */
async function auditLogPath(path: string, problems: ConfigIssue[]): Promise<void> {
  const add = (message: string): void => void problems.push({ path: "daemon.audit_log", message });
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile) return add(`${path} is not a regular file`);
    // Opened without create, so checking writes nothing.
    (await Deno.open(path, { append: true })).close();
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return add(`cannot write ${path}: ${reason(error)}`);
    }
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    if (!(await Deno.stat(dir)).isDirectory) add(`${dir} (the directory of ${path}) is a file`);
  } catch (error) {
    add(`cannot create ${path}: directory ${dir}: ${reason(error)}`);
  }
}

/** A bind that failed: its one-line message says what and where. */
export class ListenError extends Error {
  /** The address that could not be bound. */
  readonly hostname: string;
  /** The port that could not be bound. */
  readonly port: number;

  /**
   * @param message the whole line, "cannot listen on HOST:PORT: why"
   * @param where the address
   */
  constructor(message: string, where: { hostname: string; port: number }, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
    this.hostname = where.hostname;
    this.port = where.port;
  }
}

/** `cannot listen on 127.0.0.1:16421: address already in use (is pdudaemon.service …?)`. */
export function listenError(error: unknown, hostname: string, port: number): ListenError {
  const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let why: string;
  if (error instanceof Deno.errors.AddrInUse) {
    why = "address already in use (is pdudaemon.service still running?)";
  } else if (error instanceof Deno.errors.AddrNotAvailable) {
    why = "address not available (not an address of this host; see daemon.hostname or --hostname)";
  } else if (error instanceof Deno.errors.PermissionDenied) {
    why = "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  } else why = reason(error);
  return new ListenError(`cannot listen on ${where}: ${why}`, { hostname, port }, { cause: error });
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Deno appends the syscall and path ("(os error 2): readfile '/x'"); the message names the file.
  return text.replace(/:? ?\(os error \d+\).*$/, "").replace(/^./, (c) => c.toLowerCase());
}

/**
 * Daemon keys a running pdud cannot change: the sockets are bound, and the listener, the audit
 * log and the job store were built with them. Everything else (tokens, networks, log level,
 * shutdown grace) applies at reload.
 */
export const RESTART_KEYS = [
  "hostname",
  "port",
  "listener",
  "tls",
  "request_timeout",
  "idle_timeout",
  "handshake_timeout",
  "max_connections",
  "audit_log",
  "job_ttl",
  "event_ring",
  "event_buffer",
] as const satisfies readonly (keyof DaemonConfig)[];

/**
 * The restart-only keys `next` changes, one issue each. A key the command line overrides is not
 * a change: the address stays the command line's.
 */
export function restartNeeded(
  running: DaemonConfig,
  next: DaemonConfig,
  overrides: ListenOverrides = {},
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of RESTART_KEYS) {
    if (
      (key === "hostname" || key === "port" || key === "listener") && overrides[key] !== undefined
    ) {
      continue;
    }
    const before = JSON.stringify(running[key]);
    const after = JSON.stringify(next[key]);
    if (before === after) continue;
    issues.push({
      path: `daemon.${key}`,
      message: `changed from ${before ?? "unset"} to ${after ?? "unset"}; this takes effect ` +
        "only when pdud restarts (the running config stays)",
    });
  }
  return issues;
}

/**
 * The daemon keys whose value differs and takes effect (names only: token secrets never reach a
 * log); a key the command line overrides changes nothing.
 */
export function changedDaemonKeys(
  running: DaemonConfig,
  next: DaemonConfig,
  overrides: ListenOverrides = {},
): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]) as Set<keyof DaemonConfig>;
  return [...keys].filter((k) =>
    !(k in overrides && overrides[k as keyof ListenOverrides] !== undefined) &&
    JSON.stringify(running[k]) !== JSON.stringify(next[k])
  ).sort();
}
