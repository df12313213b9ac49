/**
 * Prometheus metrics (prom-client, with a registry per daemon rather than its global default):
 * requests, jobs by outcome, operation latency per driver, queue depth and restarts per PDU.
 *
 * prom-client (and the Node compatibility it pulls in) costs ~0.07 s to import, so it is kept
 * off the path to the first served requests: it loads `deferMs` after start (or at the first
 * scrape, if sooner), and what happens before is recorded as soon as it is there (nothing is
 * lost; a scrape waits for it).
 *
 * Every label value is bounded: the PDU label of `pdud_jobs_total` is one of the configured PDU
 * names or {@link UNKNOWN_PDU} (a client choosing the name cannot mint series), and a PDU removed
 * by reload stops being exported at the next scrape once nothing of it is left to count.
 *
 * Power readings (`pdud_outlet_power_watts` and friends) are read through each PDU's actor like
 * any job, by the scrape itself: a scrape that finds a PDU's last read older than the interval
 * queues one list job for it (never a second while one is pending), waits for the reads it
 * started at most `waitMs`, and answers with the newest readings it has. The reads yield to
 * switching in the actor, and a PDU whose driver reads no power (no `readPower`) is never asked.
 * @module
 */
import type Client from "prom-client";
import {
  ALL_OUTLETS,
  type Clock,
  type JobResult,
  type OutletReport,
  type PowerControl,
  type SetEvent,
  sleep,
  SYSTEM_CLOCK,
  type Timer,
} from "../actors/mod.ts";

/** The `pdu` label of jobs for PDUs that are not configured. */
export const UNKNOWN_PDU = "(unknown)";

interface Instruments {
  registry: Client.Registry;
  powerReads: Client.Counter<"pdu" | "outcome">;
  requests: Client.Counter<"transport" | "status">;
  jobs: Client.Counter<"pdu" | "outcome" | "kind">;
  operations: Client.Histogram<"driver">;
  ownership: Client.Counter<"pdu" | "change">;
  forward: Client.Histogram;
}

/** How often /metrics reads power, and how long a scrape waits for it (ms; 0 = off). */
export interface ReadingSettings {
  intervalMs: number;
  waitMs: number;
}

/** The newest readings of one PDU, and the read in progress. */
interface PduReadings {
  /** When the last read was started (clock ms): the interval counts from it, failed or not. */
  at: number;
  outlets: readonly OutletReport[];
  pending?: Promise<void>;
}

function instruments(
  client: typeof Client,
  control: () => PowerControl,
  prune: (jobs: Client.Counter<"pdu" | "outcome" | "kind">) => void,
  readings: () => ReadonlyMap<string, PduReadings>,
): Instruments {
  const registry = new client.Registry();
  const perOutlet = (
    name: string,
    help: string,
    field: "watts" | "volts" | "amps",
  ) =>
    new client.Gauge({
      name,
      help,
      labelNames: ["pdu", "outlet"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [pdu, r] of readings()) {
          for (const o of r.outlets) {
            const value = o.power?.[field];
            if (value !== undefined) this.set({ pdu, outlet: String(o.outlet) }, value);
          }
        }
      },
    });
  perOutlet("pdud_outlet_power_watts", "Active power an outlet draws, as its PDU reports", "watts");
  perOutlet("pdud_outlet_voltage_volts", "RMS voltage at an outlet, as its PDU reports", "volts");
  perOutlet("pdud_outlet_current_amperes", "RMS current of an outlet, as its PDU reports", "amps");
  // The device's own energy counter: it only grows, or starts again from 0 (a counter reset).
  new client.Counter({
    name: "pdud_outlet_energy_joules_total",
    help: "Energy an outlet has used since its PDU's counter began, as the PDU reports (J)",
    labelNames: ["pdu", "outlet"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [pdu, r] of readings()) {
        for (const o of r.outlets) {
          const wh = o.power?.energyWh;
          if (wh !== undefined && wh >= 0) this.inc({ pdu, outlet: String(o.outlet) }, wh * 3600);
        }
      }
    },
  });
  const perPdu = (name: string, help: string, value: (p: PduSample) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ["pdu"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of control().snapshot()) this.set({ pdu: p.name }, value(p));
      },
    });
  perPdu("pdud_queue_depth", "Jobs accepted and not yet finished, per PDU", (p) => p.queueDepth);
  perPdu("pdud_actor_restarts", "Actor restarts since start, per PDU", (p) => p.restarts);
  perPdu(
    "pdud_pdu_failed",
    "1 when the PDU is in the failed state",
    (p) => p.state === "failed" ? 1 : 0,
  );
  return {
    registry,
    powerReads: new client.Counter({
      name: "pdud_power_reads_total",
      help:
        "Power reads /metrics made through each PDU's actor, by outcome (done, failed, refused)",
      labelNames: ["pdu", "outcome"] as const,
      registers: [registry],
    }),
    requests: new client.Counter({
      name: "pdud_requests_total",
      help: "Requests answered, by transport and HTTP status",
      labelNames: ["transport", "status"] as const,
      registers: [registry],
    }),
    jobs: new client.Counter({
      name: "pdud_jobs_total",
      help: "Requests by PDU and outcome (done, failed, refused) and kind",
      labelNames: ["pdu", "outcome", "kind"] as const,
      registers: [registry],
      collect() {
        prune(this);
      },
    }),
    operations: new client.Histogram({
      name: "pdud_operation_seconds",
      help: "Duration of successful outlet operations, by driver",
      labelNames: ["driver"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    ownership: new client.Counter({
      name: "pdud_cluster_ownership_changes_total",
      help: "Cluster mode: PDUs this node took over (acquired) or gave up (lost), per PDU",
      labelNames: ["pdu", "change"] as const,
      registers: [registry],
    }),
    forward: new client.Histogram({
      name: "pdud_cluster_forward_seconds",
      help: "Cluster mode: requests forwarded to the owner node, from forwarding to its answer",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

type PduSample = ReturnType<PowerControl["snapshot"]>[number];

/** The daemon's metrics. */
export class Metrics {
  #instruments: Instruments | undefined;
  #early: ((i: Instruments) => void)[] = [];
  #ready: Promise<Instruments> | undefined;
  readonly #control: () => PowerControl;
  readonly #timer: Timer;
  readonly #configured: (pdu: string) => boolean;
  readonly #clock: Clock;
  readonly #settings: () => ReadingSettings;
  #readings = new Map<string, PduReadings>();
  /** The label sets of pdud_jobs_total per configured PDU, to drop them when it is removed. */
  #jobSeries = new Map<string, Map<string, { outcome: string; kind: string }>>();

  /**
   * @param control the PowerControl whose PDUs are sampled at scrape time
   * @param options when to load prom-client (default: at once, on `clock`); `configured` says
   *   whether a PDU name may be a label value (default: it is in `control`'s snapshot);
   *   `readings` how often power is read (read at each scrape; default: never)
   */
  constructor(
    control: () => PowerControl,
    options: {
      clock?: Clock;
      deferMs?: number;
      configured?: (pdu: string) => boolean;
      readings?: () => ReadingSettings;
    } = {},
  ) {
    this.#control = control;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#settings = options.readings ?? (() => ({ intervalMs: 0, waitMs: 0 }));
    this.#configured = options.configured ??
      ((pdu) => control().snapshot().some((p) => p.name === pdu));
    this.#timer = (options.clock ?? SYSTEM_CLOCK).setTimer(options.deferMs ?? 0, () => {
      void this.#load();
    });
  }

  #load(): Promise<Instruments> {
    return this.#ready ??= import("prom-client").then(({ default: client }) => {
      const made = instruments(
        client,
        this.#control,
        (jobs) => this.#prune(jobs),
        () => this.#readings,
      );
      for (const record of this.#early) record(made);
      this.#early = [];
      return this.#instruments = made;
    });
  }

  /** Cancels a load not started yet (the daemon is stopping). */
  close(): void {
    this.#timer.cancel();
  }

  #record(record: (i: Instruments) => void): void {
    if (this.#instruments) record(this.#instruments);
    else this.#early.push(record);
  }

  /** Counts one answered request. */
  request(transport: string, status: number): void {
    this.#record((i) => i.requests.inc({ transport, status: String(status) }));
  }

  /** Counts one job result; a PDU that is not configured is counted as {@link UNKNOWN_PDU}. */
  job(result: JobResult): void {
    const known = !(result.status === "refused" && result.kind === "unknown_pdu") &&
      this.#configured(result.pdu);
    const outcome = result.status;
    const kind = result.status === "done" ? "" : result.kind;
    const labels = { pdu: known ? result.pdu : UNKNOWN_PDU, outcome, kind };
    if (known) {
      let series = this.#jobSeries.get(result.pdu);
      if (!series) this.#jobSeries.set(result.pdu, series = new Map());
      series.set(`${outcome}/${kind}`, { outcome, kind });
    }
    this.#record((i) => i.jobs.inc(labels));
  }

  /** Drops the series of PDUs no longer configured (removed by reload), at scrape time. */
  #prune(jobs: Client.Counter<"pdu" | "outcome" | "kind">): void {
    for (const [pdu, series] of this.#jobSeries) {
      if (this.#configured(pdu)) continue;
      for (const labels of series.values()) jobs.remove({ pdu, ...labels });
      this.#jobSeries.delete(pdu);
    }
  }

  /** Records one successful operation. */
  operation(event: SetEvent): void {
    const seconds = event.ms / 1000;
    this.#record((i) => i.operations.observe({ driver: event.driver }, seconds));
  }

  /** Counts one change of ownership of a configured PDU (cluster mode). */
  ownership(pdu: string, owned: boolean): void {
    if (!this.#configured(pdu)) return;
    const change = owned ? "acquired" : "lost";
    this.#record((i) => i.ownership.inc({ pdu, change }));
  }

  /** Records one forwarded request's round trip (cluster mode). */
  forward(ms: number): void {
    this.#record((i) => i.forward.observe(ms / 1000));
  }

  /** The text exposition. */
  async text(): Promise<{ body: string; contentType: string }> {
    const { registry } = await this.#load();
    await this.refreshReadings();
    return { body: await registry.metrics(), contentType: registry.contentType };
  }

  /**
   * Starts a power read of every metered PDU whose last one is older than the interval (none
   * while one is pending), then waits for the reads in progress at most `waitMs`.
   */
  async refreshReadings(): Promise<void> {
    const { intervalMs, waitMs } = this.#settings();
    if (!(intervalMs > 0)) {
      this.#readings.clear();
      return;
    }
    const control = this.#control();
    const now = this.#clock.now();
    const pending: Promise<void>[] = [];
    const names = new Set<string>();
    for (const { name } of control.snapshot()) {
      names.add(name);
      const can = control.capabilities?.(name);
      let entry = this.#readings.get(name);
      if (entry?.pending) {
        pending.push(entry.pending);
        continue;
      }
      if (entry && now - entry.at < intervalMs) continue;
      // A PDU whose driver reads no power is not asked (its list would cost an exchange).
      if (!can?.readPower) {
        this.#readings.delete(name);
        continue;
      }
      if (!entry) this.#readings.set(name, entry = { at: now, outlets: [] });
      entry.at = now;
      const read = entry;
      read.pending = control.submit({
        pdu: name,
        command: { type: "list", outlet: ALL_OUTLETS, power: true },
        requester: { transport: "metrics" },
        background: true,
      }).then((result) => {
        // A failed read leaves no numbers: a stale reading must not pass for a new one.
        read.outlets = result.status === "done" ? result.outlets ?? [] : [];
        this.#record((i) => i.powerReads.inc({ pdu: name, outcome: result.status }));
        delete read.pending;
      });
      pending.push(read.pending);
    }
    for (const name of this.#readings.keys()) {
      if (names.has(name)) continue;
      // Removed by reload: its series go with it (label values stay the configured names).
      this.#readings.delete(name);
      this.#record((i) => {
        for (const outcome of ["done", "failed", "refused"]) {
          i.powerReads.remove({ pdu: name, outcome });
        }
      });
    }
    if (pending.length === 0) return;
    const cancel = new AbortController();
    await Promise.race([Promise.all(pending), sleep(this.#clock, waitMs, cancel.signal)]);
    cancel.abort();
  }
}
