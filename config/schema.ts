/**
 * The config's shape: the daemon section, the keys every PDU has whatever its driver, and
 * aliases. Each driver's own keys are validated by its descriptor's schema (see mod.ts).
 * Defaults live here, once.
 * @module
 */
import { z } from "zod";
import { parseLogLevel } from "./_log_level.ts";
import { UPSTREAM_DEFAULTS } from "./upstream.ts";
import { parseOutlet } from "./outlets.ts";
import { FILE_PATH, type OutletId } from "../drivers/mod.ts";
import type { LoadedPlugin } from "./plugins.ts";

/** A number, or a string holding one (upstream configs write both). */
const numeric = z.union(
  [z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/).transform(Number)],
  {
    error: "expected a number",
  },
);

/** One bearer token: a name for logs and audit, its secret (inline or from the environment). */
export const TOKEN_SCHEMA = z.object({
  "name": z.string().min(1),
  "secret": z.string().min(16, "a token secret needs at least 16 characters").optional(),
  "secret_env": z.string().min(1).optional(),
  "scope": z.enum(["read", "control"]).default("control"),
}).strict().refine((t) => (t.secret === undefined) !== (t.secret_env === undefined), {
  message: "give exactly one of secret or secret_env",
});

/** Whether `text` is an IPv4/IPv6 address with an optional prefix length. */
export function isCidr(text: string): boolean {
  const [addr = "", prefix, ...rest] = text.split("/");
  if (rest.length > 0) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  const max = v4 ? 32 : addr.includes(":") ? 128 : -1;
  if (max < 0) return false;
  if (v4 && v4.slice(1).some((o) => Number(o) > 255)) return false;
  if (!v4 && !/^[0-9a-fA-F:.]+$/.test(addr)) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
}

/** The daemon section (upstream keys plus pdud's). */
export const DAEMON_SCHEMA = z.object({
  "hostname": z.string().min(1).default("127.0.0.1"),
  "port": numeric.pipe(z.number().int().min(0).max(65535)).default(UPSTREAM_DEFAULTS.port),
  "listener": z.enum(["http", "tcp", "both"]).default("both"),
  "logging_level": z.string().refine((s) => parseLogLevel(s) !== undefined, {
    message: "expected one of DEBUG, INFO, WARN, WARNING, ERROR",
  }).default("INFO"),
  /** Upstream's SQLite file: accepted and ignored (pdud keeps its queues in memory). */
  "dbname": z.string().optional(),
  /** Seconds a shutdown waits for in-flight operations and half-done reboots. */
  "shutdown_grace": numeric.pipe(z.number().min(0).max(3600)).default(30),
  /**
   * Seconds a client may take to send its request: a legacy line, or each HTTP request's head
   * and body, from its first byte.
   */
  "request_timeout": numeric.pipe(z.number().positive().max(3600)).default(10),
  /**
   * Seconds a connection may stay silent with no request in progress: a new connection before
   * its first byte, an HTTP keep-alive connection between requests.
   */
  "idle_timeout": numeric.pipe(z.number().positive().max(86400)).default(60),
  /** Seconds a TLS handshake may take. */
  "handshake_timeout": numeric.pipe(z.number().positive().max(3600)).default(10),
  /**
   * Client connections at once; beyond it the oldest idle or slow connection is closed, or the
   * new one refused (503 / nack). Default: from the descriptor limit (daemon/limits.ts).
   */
  "max_connections": numeric.pipe(z.number().int().min(1).max(10_000_000)).optional(),
  /** JSON-lines file every operation is appended to; last states are restored from it. */
  "audit_log": FILE_PATH.optional(),
  /** Bearer tokens; when any is configured, HTTP requests need one. */
  "tokens": z.array(TOKEN_SCHEMA).default([]),
  /** Client networks allowed on both protocols (CIDR); empty = everyone. */
  "allowed_networks": z.array(
    z.string().refine(isCidr, "expected an address or CIDR like 10.0.0.0/8"),
  )
    .default([]),
  /** Networks whose legacy TCP clients may switch without a token (pduclient cannot send one). */
  "legacy_trusted_networks": z.array(
    z.string().refine(isCidr, "expected an address or CIDR like 10.0.0.0/8"),
  ).default([]),
  /** TLS for HTTP (requires listener: http): PEM certificate and key files. */
  "tls": z.object({ "cert": FILE_PATH, "key": FILE_PATH }).strict().optional(),
  /** Seconds an asynchronous job's result stays available at /api/v1/jobs/{id}. */
  "job_ttl": numeric.pipe(z.number().positive().max(86400 * 7)).default(3600),
  /**
   * Seconds between two power reads of a PDU for /metrics (one read job per PDU at most, made
   * by a scrape that finds the last one older); 0 = /metrics reads no power.
   */
  "power_scrape_interval": numeric.pipe(z.number().min(0).max(86400)).default(60),
  /** Seconds a scrape waits for the reads it started before it answers with what it has. */
  "power_scrape_wait": numeric.pipe(z.number().min(0).max(60)).default(5),
  /** Events the event stream keeps for `Last-Event-ID` resume. */
  "event_ring": numeric.pipe(z.number().int().min(1).max(1_000_000)).default(1000),
  /** Events one event-stream subscriber may have waiting before it is dropped. */
  "event_buffer": numeric.pipe(z.number().int().min(1).max(1_000_000)).default(1000),
}).strict().refine((d) => d.tls === undefined || d.listener === "http", {
  message: "tls needs listener: http (legacy pduclient TCP cannot speak TLS)",
  path: ["tls"],
});

/** The daemon section, parsed. */
export type DaemonConfig = z.infer<typeof DAEMON_SCHEMA>;

/** Keys every PDU has, besides `driver`; removed before the driver's own schema runs. */
export const PDU_COMMON_SCHEMA = z.object({
  "driver": z.string().min(1),
  /** pdud's: where the device is, when the PDU's name is not its hostname. */
  "address": z.string().min(1).optional(),
  "retries": numeric.pipe(z.number().int().min(1).max(100)).default(UPSTREAM_DEFAULTS.retries),
  "retrydelay": numeric.pipe(z.number().min(0).max(3600)).default(UPSTREAM_DEFAULTS.retryDelay),
  "timeout": numeric.pipe(z.number().positive().max(3600)).default(20),
  "command_gap": numeric.pipe(z.number().min(0).max(3600)).default(0),
  "queue_limit": numeric.pipe(z.number().int().min(1).max(1_000_000)).default(1000),
  "max_restarts": numeric.pipe(z.number().int().min(0).max(1000)).default(3),
  "restart_window": numeric.pipe(z.number().positive().max(86400)).default(60),
  /** Cluster mode: the nodes that can reach this PDU (default: every node). */
  "nodes": z.array(z.string().min(1)).min(1).optional(),
});

/** The names of the common keys. */
export const PDU_COMMON_KEYS: readonly string[] = Object.keys(PDU_COMMON_SCHEMA.shape);

/**
 * An alias's port: a number (3, "05") or, as upstream allows since b30c332, an outlet name
 * ("usb-hub-3") for drivers that can name outlets; whether the PDU's driver can is checked per
 * request, as upstream loads such a config whatever the driver.
 */
const ALIAS_PORT = z.union([z.number().int(), z.string().trim()]).transform(
  (value, ctx): OutletId => {
    const parsed = parseOutlet(String(value));
    if ("outlet" in parsed) return parsed.outlet;
    ctx.addIssue({ code: "custom", message: parsed.reason });
    return z.NEVER;
  },
);

/** One alias: a name for one outlet of one PDU. */
export const ALIAS_SCHEMA = z.object({
  "hostname": z.string().min(1),
  "port": ALIAS_PORT,
  /** Upstream's alias group (pdudaemon PR #169): `?group=NAME` switches every alias tagged so. */
  "group": z.string().min(1, "a group name must not be empty").max(255).refine(
    (s) => !/\p{Cc}/u.test(s),
    "expected a group name without control characters",
  ).optional(),
}).strict();

/** A named set of outlets of one PDU, switched in order by one request. */
export const GROUP_SCHEMA = z.object({
  "hostname": z.string().min(1),
  "ports": z.string().regex(
    /^\s*\d{1,5}(-\d{1,5})?(\s*,\s*\d{1,5}(-\d{1,5})?)*\s*$/,
    'expected outlets like "1-4,7"',
  ),
}).strict();

/** One PDU, validated. */
export interface PduConfig {
  /** The PDU's name (upstream: its hostname). */
  name: string;
  /** The driver name as written. */
  driver: string;
  /** The device's address, when it differs from the name. */
  address?: string | undefined;
  /** False when the driver is an upstream name pdud does not implement. */
  available: boolean;
  /** The driver's own options, parsed by its schema. */
  options: unknown;
  retries: number;
  /** Seconds. */
  retrydelay: number;
  /** Seconds. */
  timeout: number;
  /** Seconds. */
  "command_gap": number;
  "queue_limit": number;
  "max_restarts": number;
  /** Seconds. */
  "restart_window": number;
  /** Cluster mode: the nodes that can reach this PDU (absent: every node). */
  nodes?: string[] | undefined;
  /**
   * The PDU's section as written (each secret's `_env` key replaced by its value), to tell a
   * changed PDU on reload.
   */
  raw: Record<string, unknown>;
}

/** A node or cluster name: it becomes a NATS subject token and a stream name. */
const CLUSTER_NAME = z.string().regex(
  /^[A-Za-z0-9_-]{1,64}$/,
  "expected 1 to 64 letters, digits, '-' or '_'",
);

/** The `cluster` section: several pdud daemons as one, on NATS JetStream (docs/cluster.md). */
export const CLUSTER_SCHEMA = z.object({
  /** NATS server URLs (nats://host:port, tls://host:port); the client fails over between them. */
  "nats": z.array(z.string().regex(/^(nats|tls):\/\/\S+$/, "expected nats://host:port")).min(1),
  /** The cluster's name: several clusters may share one NATS system. */
  "name": CLUSTER_NAME.default("pdud"),
  /** This daemon's node name, unique in the cluster. */
  "node": CLUSTER_NAME,
  /** A NATS credentials file (.creds), read at start. */
  "credentials": FILE_PATH.optional(),
  /**
   * TLS to the NATS servers (implied by `tls://` URLs): a CA to verify them (a lab's private CA;
   * default the system's), and a client certificate for servers that require one.
   */
  "tls": z.object({
    "ca_file": FILE_PATH.optional(),
    "cert_file": FILE_PATH.optional(),
    "key_file": FILE_PATH.optional(),
  }).strict().refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), {
    message:
      "expected cert_file and key_file together (a client certificate and its key), or neither",
    path: ["cert_file"],
  }).optional(),
  /**
   * Seconds a PDU's lease lasts without renewal: the KV bucket's TTL. A dead owner's PDUs move
   * after at most this plus one acquisition round.
   */
  "lease_seconds": numeric.pipe(z.number().min(1).max(3600)).default(10),
  /** Replicas of the lease bucket and job stream (default: the number of NATS URLs, at most 3). */
  "replicas": numeric.pipe(z.number().int().min(1).max(5)).optional(),
}).strict();

/** The cluster section, parsed. */
export type ClusterConfig = z.infer<typeof CLUSTER_SCHEMA>;

/** A validated config. */
export interface Config {
  daemon: DaemonConfig;
  pdus: Record<string, PduConfig>;
  aliases: Record<string, { hostname: string; port: OutletId; group?: string | undefined }>;
  groups: Record<string, { hostname: string; ports: string }>;
  /** Cluster mode (absent: one daemon on its own, the default). */
  cluster?: ClusterConfig;
  /** Out-of-tree drivers of the `drivers:` section, imported (absent when there are none). */
  plugins?: readonly LoadedPlugin[];
}
