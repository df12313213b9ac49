/**
 * Prometheus metrics (prom-client, with a registry per daemon rather than its global default):
 * requests, jobs by outcome, operation latency per driver, queue depth and restarts per PDU.
 *
 * pdud counts into its own tables, one entry per label set (a Map lookup and an increment per
 * event), and prom-client — with the Node compatibility it pulls in, ~0.07 s to import and a few
 * MiB resident — is imported only at the first scrape, where the tables are handed to it: a
 * daemon nobody scrapes never loads it, and nothing counted before is lost. The tables are
 * bounded by their label sets, not by the number of events.
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
} from "../actors/mod.ts";

/** The `pdu` label of jobs for PDUs that are not configured. */
export const UNKNOWN_PDU = "(unknown)";

/** Upper bounds of pdud_operation_seconds's buckets, in seconds. */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Upper bounds of pdud_cluster_forward_seconds's buckets, in seconds. */
const FORWARD_BUCKETS = [
  0.0005,
  0.001,
  0.002,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** One counter series: its labels and its count. */
interface Series<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** A counter's series, keyed by their label values joined. */
type CounterTable<L extends string> = Map<string, Series<L>>;

/**
 * Adds one to the series at `key` (its label values joined); false when there is none yet, for
 * the caller to add it (the labels are built only then: nothing is allocated per event).
 */
function bump(table: CounterTable<string>, key: string): boolean {
  const series = table.get(key);
  if (series === undefined) return false;
  series.value++;
  return true;
}

/** One histogram series: its labels, observations per bucket (not cumulative; last: +Inf), sum. */
interface Durations {
  labels: Record<string, string>;
  buckets: number[];
  count: number;
  sum: number;
}

/** A histogram's series and its buckets' upper bounds. */
class HistogramTable {
  readonly series = new Map<string, Durations>();
  constructor(readonly bounds: readonly number[]) {}

  /** Counts `value` in the series at `key`; false when there is none yet (see {@link add}). */
  observe(key: string, value: number): boolean {
    const d = this.series.get(key);
    if (d === undefined) return false;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    d.buckets[i]!++;
    d.count++;
    d.sum += value;
    return true;
  }

  /** Adds the series at `key`, with its labels, and counts `value` in it. */
  add(key: string, labels: Record<string, string>, value: number): void {
    const d = { labels, buckets: new Array(this.bounds.length + 1).fill(0), count: 0, sum: 0 };
    this.series.set(key, d);
    this.observe(key, value);
  }
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

/** pdud's tables, as the scrape hands them to prom-client. */
interface Tables {
  powerReads: () => Iterable<Series<string>>;
  requests: () => Iterable<Series<string>>;
  jobs: () => Iterable<Series<string>>;
  operations: HistogramTable;
  ownership: () => Iterable<Series<string>>;
  forward: HistogramTable;
}

function instruments(
  client: typeof Client,
  control: () => PowerControl,
  tables: Tables,
  readings: () => ReadonlyMap<string, PduReadings>,
): Client.Registry {
  const registry = new client.Registry();
  // Counters are set from pdud's tables at each scrape.
  const counter = (
    name: string,
    help: string,
    labelNames: readonly string[],
    series: () => Iterable<Series<string>>,
  ) =>
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of series()) this.inc(s.labels, s.value);
      },
    });
  // prom-client's Histogram cannot be set from counts, so each histogram is a metric object of
  // its own, formatted by the registry exactly as a Histogram's (le first, then the labels).
  const histogram = (name: string, help: string, table: HistogramTable, unlabelled: boolean) => {
    const type = "histogram" as unknown as Client.MetricType;
    const aggregator: Client.Aggregator = "sum";
    const get = () => {
      const values: Client.MetricValueWithName<string>[] = [];
      const all = [...table.series.values()];
      // An unlabelled histogram shows its zeros before the first observation, as prom-client's.
      if (unlabelled && all.length === 0) {
        all.push({
          labels: {},
          buckets: new Array(table.bounds.length + 1).fill(0),
          count: 0,
          sum: 0,
        });
      }
      for (const d of all) {
        let cumulative = 0;
        for (let i = 0; i <= table.bounds.length; i++) {
          cumulative += d.buckets[i]!;
          const le = i < table.bounds.length ? table.bounds[i]! : "+Inf";
          values.push({
            metricName: `${name}_bucket`,
            labels: { le, ...d.labels },
            value: cumulative,
          });
        }
        values.push({ metricName: `${name}_sum`, labels: d.labels, value: d.sum });
        values.push({ metricName: `${name}_count`, labels: d.labels, value: d.count });
      }
      return Promise.resolve({ name, help, type, aggregator, values });
    };
    registry.registerMetric({ name, help, type, aggregator, get } as unknown as Client.Metric);
  };
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
  counter(
    "pdud_power_reads_total",
    "Power reads /metrics made through each PDU's actor, by outcome (done, failed, refused)",
    ["pdu", "outcome"],
    tables.powerReads,
  );
  counter(
    "pdud_requests_total",
    "Requests answered, by transport and HTTP status",
    ["transport", "status"],
    tables.requests,
  );
  counter(
    "pdud_jobs_total",
    "Requests by PDU and outcome (done, failed, refused) and kind",
    ["pdu", "outcome", "kind"],
    tables.jobs,
  );
  histogram(
    "pdud_operation_seconds",
    "Duration of successful outlet operations, by driver",
    tables.operations,
    false,
  );
  counter(
    "pdud_cluster_ownership_changes_total",
    "Cluster mode: PDUs this node took over (acquired) or gave up (lost), per PDU",
    ["pdu", "change"],
    tables.ownership,
  );
  histogram(
    "pdud_cluster_forward_seconds",
    "Cluster mode: requests forwarded to the owner node, from forwarding to its answer",
    tables.forward,
    true,
  );
  return registry;
}

type PduSample = ReturnType<PowerControl["snapshot"]>[number];

/** The daemon's metrics. */
export class Metrics {
  #registry: Promise<Client.Registry> | undefined;
  readonly #control: () => PowerControl;
  readonly #configured: (pdu: string) => boolean;
  readonly #clock: Clock;
  readonly #settings: () => ReadingSettings;
  #readings = new Map<string, PduReadings>();
  #powerReads: CounterTable<"pdu" | "outcome"> = new Map();
  #requests: CounterTable<"transport" | "status"> = new Map();
  #jobs: CounterTable<"pdu" | "outcome" | "kind"> = new Map();
  #operations = new HistogramTable(OPERATION_BUCKETS);
  #ownership: CounterTable<"pdu" | "change"> = new Map();
  #forward = new HistogramTable(FORWARD_BUCKETS);

  /**
   * @param control the PowerControl whose PDUs are sampled at scrape time
   * @param options `clock` times the power reads; `configured` says whether a PDU name may be a
   *   label value (default: it is in `control`'s snapshot); `readings` how often power is read
   *   (read at each scrape; default: never)
   */
  constructor(
    control: () => PowerControl,
    options: {
      clock?: Clock;
      configured?: (pdu: string) => boolean;
      readings?: () => ReadingSettings;
    } = {},
  ) {
    this.#control = control;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#settings = options.readings ?? (() => ({ intervalMs: 0, waitMs: 0 }));
    this.#configured = options.configured ??
      ((pdu) => control().snapshot().some((p) => p.name === pdu));
  }

  /** Nothing to release: prom-client loads at the first scrape and holds no timer. */
  close(): void {}

  /** Counts one answered request. */
  request(transport: string, status: number): void {
    const key = `${transport} ${status}`;
    if (!bump(this.#requests, key)) {
      this.#requests.set(key, { labels: { transport, status: String(status) }, value: 1 });
    }
  }

  /** Counts one job result; a PDU that is not configured is counted as {@link UNKNOWN_PDU}. */
  job(result: JobResult): void {
    const known = !(result.status === "refused" && result.kind === "unknown_pdu") &&
      this.#configured(result.pdu);
    const pdu = known ? result.pdu : UNKNOWN_PDU;
    const outcome = result.status;
    const kind = result.status === "done" ? "" : result.kind;
    // Outcome and kind hold no space, so the PDU name (which may) goes last.
    const key = `${outcome} ${kind} ${pdu}`;
    if (!bump(this.#jobs, key)) this.#jobs.set(key, { labels: { pdu, outcome, kind }, value: 1 });
  }

  /** pdud_jobs_total's series, less those of PDUs no longer configured (removed by reload). */
  *#jobSeries(): Iterable<Series<"pdu" | "outcome" | "kind">> {
    for (const [key, series] of this.#jobs) {
      const pdu = series.labels.pdu;
      if (pdu !== UNKNOWN_PDU && !this.#configured(pdu)) this.#jobs.delete(key);
      else yield series;
    }
  }

  /** Records one successful operation. */
  operation(event: SetEvent): void {
    const { driver } = event;
    const seconds = event.ms / 1000;
    if (!this.#operations.observe(driver, seconds)) {
      this.#operations.add(driver, { driver }, seconds);
    }
  }

  /** Counts one change of ownership of a configured PDU (cluster mode). */
  ownership(pdu: string, owned: boolean): void {
    if (!this.#configured(pdu)) return;
    const change = owned ? "acquired" : "lost";
    const key = `${pdu} ${change}`;
    if (!bump(this.#ownership, key)) {
      this.#ownership.set(key, { labels: { pdu, change }, value: 1 });
    }
  }

  /** Records one forwarded request's round trip (cluster mode). */
  forward(ms: number): void {
    if (!this.#forward.observe("", ms / 1000)) this.#forward.add("", {}, ms / 1000);
  }

  /** The text exposition; prom-client loads at the first call. */
  async text(): Promise<{ body: string; contentType: string }> {
    this.#registry ??= import("prom-client").then(({ default: client }) =>
      instruments(client, this.#control, {
        powerReads: () => this.#powerReads.values(),
        requests: () => this.#requests.values(),
        jobs: () => this.#jobSeries(),
        operations: this.#operations,
        ownership: () => this.#ownership.values(),
        forward: this.#forward,
      }, () => this.#readings)
    );
    const registry = await this.#registry;
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
        const outcome = result.status;
        const key = `${name} ${outcome}`;
        if (!bump(this.#powerReads, key)) {
          this.#powerReads.set(key, { labels: { pdu: name, outcome }, value: 1 });
        }
        delete read.pending;
      });
      pending.push(read.pending);
    }
    for (const name of this.#readings.keys()) {
      if (names.has(name)) continue;
      // Removed by reload: its series go with it (label values stay the configured names).
      this.#readings.delete(name);
      for (const outcome of ["done", "failed", "refused"]) {
        this.#powerReads.delete(`${name} ${outcome}`);
      }
    }
    if (pending.length === 0) return;
    const cancel = new AbortController();
    await Promise.race([Promise.all(pending), sleep(this.#clock, waitMs, cancel.signal)]);
    cancel.abort();
  }
}
