/**
 * The whole driver contract: what a PDU driver is, how it is described, and what it receives.
 *
 * A driver is one protocol exchange with one device; it never sleeps for pacing, retries or
 * reboot delays (the actor owns those) and never builds a shell command from request data.
 *
 * @example
 * ```ts
 * const descriptor: DriverDescriptor<{ community: string }> = {
 *   names: ["snmpv1"],
 *   options: z.object({ community: z.string() }).strict(),
 *   create(hostname, { options, log }) {
 *     return {
 *       async setOutlet(outlet, state, { signal }) {},
 *       async close() {},
 *     };
 *   },
 * };
 * ```
 * @module
 */
import type { z } from "zod";

/** The state of one outlet. */
export type OutletState = "on" | "off";

/**
 * An outlet as a request names it: its number, or its name (see OUTLET_NAME) for drivers whose
 * descriptor declares `namedOutlets`. A port written in digits is always a number.
 */
export type OutletId = number | string;

/**
 * What an outlet name may be: 1-64 characters of `A-Za-z0-9._:-`, beginning with a letter or a
 * digit, and not all digits (that is a number). The first character rules out a name a program
 * would read as an option (`-rf`) or a relative path (`..`).
 */
export const OUTLET_NAME: RegExp = /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The rule of OUTLET_NAME in words, for error messages. */
export const OUTLET_NAME_RULE =
  "1-64 characters of A-Z a-z 0-9 . _ : -, beginning with a letter or digit";

/** Passed to every driver operation. */
export interface OperationOptions {
  /** Aborted when the actor's per-operation timeout expires or the daemon stops. */
  signal: AbortSignal;
}

/** Structured logger handed to drivers; fields are merged into the JSON log line. */
export interface Logger {
  /** Debug detail (protocol exchanges). */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal operation. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something unusual that did not fail a job. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `fields` too. */
  child(fields: Record<string, unknown>): Logger;
  /**
   * Whether lines at `level` are written (absent: assume they are). Lets a wrapper skip work
   * for lines that would be dropped.
   */
  enabled?(level: "debug" | "info" | "warn" | "error"): boolean;
}

/** One PDU session. Created per actor incarnation; never shared, never used concurrently. */
export interface Driver {
  /** Sets one outlet and resolves once the device accepted it; rejects with DriverError. */
  setOutlet(outlet: number, state: OutletState, options: OperationOptions): Promise<void>;
  /** Reads one outlet; omitted by drivers whose device cannot tell. */
  getOutlet?(outlet: number, options: OperationOptions): Promise<OutletState>;
  /**
   * Sets an outlet given by name (matching OUTLET_NAME, passed as data, never through a shell);
   * required when the descriptor declares `namedOutlets`, never called otherwise.
   */
  setNamedOutlet?(name: string, state: OutletState, options: OperationOptions): Promise<void>;
  /** Reads an outlet given by name; optional as getOutlet is. */
  getNamedOutlet?(name: string, options: OperationOptions): Promise<OutletState>;
  /**
   * Reads what the device reports about one outlet's power; omitted by drivers whose device
   * reports nothing. Runs through the actor like any operation (one exchange in flight per PDU).
   */
  readPower?(outlet: number, options: OperationOptions): Promise<PowerReading>;
  /**
   * Reads every outlet in one device exchange where the protocol allows (an SNMP walk, one JSON
   * status document); omitted where it does not, and the caller then reads outlet by outlet.
   */
  listOutlets?(options: OperationOptions): Promise<OutletStatus[]>;
  /** Releases sockets and sessions; safe after a failed connect, safe to call twice. */
  close(): Promise<void>;
}

/** What a device reports about one outlet's (or one system's) power: only the fields it reports. */
export interface PowerReading {
  /** Active power now, watts. */
  watts?: number;
  /** Energy counted by the device since its counter began, watt-hours. */
  energyWh?: number;
  /** RMS voltage, volts. */
  volts?: number;
  /** RMS current, amperes. */
  amps?: number;
}

/** One outlet as an all-outlet read reports it. */
export interface OutletStatus {
  /** The outlet's number, as requests name it. */
  outlet: number;
  /** Its state now. */
  state: OutletState;
  /** The name the device gives it, where it has one. */
  name?: string;
  /** Its power, where the same exchange reports it. */
  power?: PowerReading;
}

/**
 * Time for a driver's own waits (a probe after silence, a login's deadline). The actor's clock
 * satisfies it, so a test with a manual clock decides when those waits end and never sleeps.
 */
export interface DriverClock {
  /** Milliseconds on a monotonic-enough scale. */
  now(): number;
  /** Calls `callback` after `ms` milliseconds. */
  setTimer(ms: number, callback: () => void): { cancel(): void };
}

/** The real clock, for drivers created without one. */
export const SYSTEM_DRIVER_CLOCK: DriverClock = {
  now: () => performance.now(),
  setTimer(ms, callback) {
    const id = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  },
};

/** What `create()` receives besides the PDU's hostname. */
export interface DriverSettings<O> {
  /** The driver's own options, already validated by `options`. */
  options: O;
  /** The logger of this PDU. */
  log: Logger;
  /** Time for the driver's own waits (default: the real clock). */
  clock?: DriverClock;
}

/** Describes a driver: its names, its config keys and how to build one. No I/O at creation. */
export interface DriverDescriptor<O = unknown> {
  /** Upstream driver names, verbatim ("apc7952", "localcmdline"). */
  readonly names: readonly string[];
  /** One line for the README and `--help`: the devices and the protocol. */
  readonly summary: string;
  /**
   * The driver's config keys, upstream spelling; unknown keys are rejected. The schema sees
   * only the driver's own keys: `driver`, `retries`, `retrydelay`, `timeout`, `command_gap`,
   * `queue_limit` are removed before it runs.
   */
  readonly options: z.ZodType<O>;
  /**
   * The outlets this device has, when it is known from the options (undefined when these
   * options do not say); checked before queueing.
   */
  outletRange?(options: O): { min: number; max: number } | undefined;
  /**
   * Whether a request may name an outlet (`port=board-a`) instead of numbering it; the driver
   * then implements `setNamedOutlet`. Other drivers' PDUs refuse names before queueing.
   */
  readonly namedOutlets?: boolean;
  /**
   * Deno permissions the driver needs besides net, read and env: "run" for drivers that start a
   * program, "write" for ones that write device nodes. pdud gives up those no PDU needs.
   */
  readonly permissions?: readonly ("run" | "write")[];
  /** No I/O here: connect lazily on the first operation. */
  create(hostname: string, settings: DriverSettings<O>): Driver;
}

/** A descriptor whose option type is erased, as the registry holds them. */
// deno-lint-ignore no-explicit-any
export type AnyDriverDescriptor = DriverDescriptor<any>;
