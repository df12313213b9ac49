/**
 * Prometheus metrics (prom-client, with a registry per daemon rather than its global default):
 * requests, jobs by outcome, operation latency per driver, queue depth and restarts per PDU.
 *
 * pdud counts into its own tables, one entry per label set (a few Map and array updates per
 * request), and prom-client — with the Node compatibility it pulls in, ~0.07 s to import and
 * ~7 MiB resident — loads only at the first scrape, when the tables are handed to it: a
 * daemon nobody scrapes never loads it, and nothing counted before is lost. The tables are
 * bounded by their label sets, not by the number of events.
 *
 * Every label value is bounded: the PDU label of `pdud_jobs_total` is one of the configured PDU
 * names or {@link UNKNOWN_PDU} (a client choosing the name cannot mint series), and a PDU removed
 * by reload stops being exported at the next scrape once nothing of it is left to count.
 * @module
 */
import type Client from "prom-client";
import type { PowerControl, SetEvent } from "../actors/mod.ts";
import type { JobResult } from "../actors/mod.ts";

/** The `pdu` label of jobs for PDUs that are not configured. */
export const UNKNOWN_PDU = "(unknown)";

/** Upper bounds of pdud_operation_seconds's buckets, in seconds. */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One counter series: its labels and its count. */
interface Series<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** One driver's operation durations: per bucket (not cumulative, the last is +Inf), and sum. */
interface Durations {
  buckets: number[];
  count: number;
  sum: number;
}

function instruments(client: typeof Client, metrics: Metrics, control: () => PowerControl) {
  const registry = new client.Registry();
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
  // Counters are set from pdud's tables at each scrape.
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    series: () => Iterable<Series<L>>,
  ) =>
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of series()) this.inc(s.labels as Client.LabelValues<L>, s.value);
      },
    });
  counter(
    "pdud_requests_total",
    "Requests answered, by transport and HTTP status",
    ["transport", "status"] as const,
    () => metrics.requestSeries(),
  );
  counter(
    "pdud_jobs_total",
    "Requests by PDU and outcome (done, failed, refused) and kind",
    ["pdu", "outcome", "kind"] as const,
    () => metrics.jobSeries(),
  );
  // A histogram cannot be set from counts through prom-client's Histogram, so this one is a
  // metric object of its own (prom-client's MetricObjectWithValues), formatted by the registry.
  const name = "pdud_operation_seconds";
  registry.registerMetric({
    name,
    help: "Duration of successful outlet operations, by driver",
    type: "histogram" as unknown as Client.MetricType,
    aggregator: "sum",
    get: () => {
      const values: Client.MetricValueWithName<string>[] = [];
      for (const [driver, d] of metrics.durations()) {
        let cumulative = 0;
        for (let i = 0; i <= OPERATION_BUCKETS.length; i++) {
          cumulative += d.buckets[i]!;
          const le = i < OPERATION_BUCKETS.length ? String(OPERATION_BUCKETS[i]) : "+Inf";
          values.push({ metricName: `${name}_bucket`, labels: { le, driver }, value: cumulative });
        }
        values.push({ metricName: `${name}_sum`, labels: { driver }, value: d.sum });
        values.push({ metricName: `${name}_count`, labels: { driver }, value: d.count });
      }
      return Promise.resolve({
        name,
        help: "Duration of successful outlet operations, by driver",
        type: "histogram" as unknown as Client.MetricType,
        aggregator: "sum" as Client.Aggregator,
        values,
      });
    },
  } as unknown as Client.Metric);
  return registry;
}

type PduSample = ReturnType<PowerControl["snapshot"]>[number];

/** The daemon's metrics. */
export class Metrics {
  #registry: Promise<Client.Registry> | undefined;
  readonly #control: () => PowerControl;
  readonly #configured: (pdu: string) => boolean;
  #requests = new Map<string, Series<"transport" | "status">>();
  /** pdud_jobs_total's series per configured PDU (UNKNOWN_PDU's too), to drop them at removal. */
  #jobs = new Map<string, Map<string, Series<"pdu" | "outcome" | "kind">>>();
  #durations = new Map<string, Durations>();

  /**
   * @param control the PowerControl whose PDUs are sampled at scrape time
   * @param options `configured` says whether a PDU name may be a label value (default: it is
   *   in `control`'s snapshot)
   */
  constructor(
    control: () => PowerControl,
    options: { configured?: (pdu: string) => boolean } = {},
  ) {
    this.#control = control;
    this.#configured = options.configured ??
      ((pdu) => control().snapshot().some((p) => p.name === pdu));
  }

  /** Nothing to release: prom-client loads at the first scrape and holds no timer. */
  close(): void {}

  /** Counts one answered request. */
  request(transport: string, status: number): void {
    const key = `${transport} ${status}`;
    const series = this.#requests.get(key);
    if (series) series.value++;
    else this.#requests.set(key, { labels: { transport, status: String(status) }, value: 1 });
  }

  /** Counts one job result; a PDU that is not configured is counted as {@link UNKNOWN_PDU}. */
  job(result: JobResult): void {
    const known = !(result.status === "refused" && result.kind === "unknown_pdu") &&
      this.#configured(result.pdu);
    const pdu = known ? result.pdu : UNKNOWN_PDU;
    const outcome = result.status;
    const kind = result.status === "done" ? "" : result.kind;
    let perPdu = this.#jobs.get(pdu);
    if (!perPdu) this.#jobs.set(pdu, perPdu = new Map());
    const key = `${outcome} ${kind}`;
    const series = perPdu.get(key);
    if (series) series.value++;
    else perPdu.set(key, { labels: { pdu, outcome, kind }, value: 1 });
  }

  /** Records one successful operation. */
  operation(event: SetEvent): void {
    const seconds = event.ms / 1000;
    let d = this.#durations.get(event.driver);
    if (!d) {
      d = { buckets: new Array(OPERATION_BUCKETS.length + 1).fill(0), count: 0, sum: 0 };
      this.#durations.set(event.driver, d);
    }
    let i = 0;
    while (i < OPERATION_BUCKETS.length && seconds > OPERATION_BUCKETS[i]!) i++;
    d.buckets[i]!++;
    d.count++;
    d.sum += seconds;
  }

  /** pdud_requests_total's series. */
  requestSeries(): Iterable<Series<"transport" | "status">> {
    return this.#requests.values();
  }

  /** pdud_jobs_total's series, less those of PDUs no longer configured (removed by reload). */
  *jobSeries(): Iterable<Series<"pdu" | "outcome" | "kind">> {
    for (const [pdu, perPdu] of this.#jobs) {
      if (pdu !== UNKNOWN_PDU && !this.#configured(pdu)) {
        this.#jobs.delete(pdu);
        continue;
      }
      yield* perPdu.values();
    }
  }

  /** pdud_operation_seconds's counts per driver. */
  durations(): Iterable<[string, Durations]> {
    return this.#durations.entries();
  }

  /** The text exposition; prom-client loads at the first call. */
  async text(): Promise<{ body: string; contentType: string }> {
    this.#registry ??= import("prom-client").then(({ default: client }) =>
      instruments(client, this, this.#control)
    );
    const registry = await this.#registry;
    return { body: await registry.metrics(), contentType: registry.contentType };
  }
}
