/**
 * Prometheus metrics (prom-client, with a registry per daemon rather than its global default):
 * requests, jobs by outcome, operation latency per driver, queue depth and restarts per PDU.
 * @module
 */
import client from "prom-client";
import type { JobResult, PowerControl, SetEvent } from "../actors/mod.ts";

/** The daemon's metrics. */
export class Metrics {
  readonly registry: client.Registry = new client.Registry();
  readonly #requests = new client.Counter({
    name: "pdud_requests_total",
    help: "Requests answered, by transport and HTTP status",
    labelNames: ["transport", "status"] as const,
    registers: [this.registry],
  });
  readonly #jobs = new client.Counter({
    name: "pdud_jobs_total",
    help: "Requests by PDU and outcome (done, failed, refused) and kind",
    labelNames: ["pdu", "outcome", "kind"] as const,
    registers: [this.registry],
  });
  readonly #operations = new client.Histogram({
    name: "pdud_operation_seconds",
    help: "Duration of successful outlet operations, by driver",
    labelNames: ["driver"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /**
   * @param control the PowerControl whose PDUs are sampled at scrape time
   */
  constructor(control: () => PowerControl) {
    const registry = this.registry;
    new client.Gauge({
      name: "pdud_queue_depth",
      help: "Jobs accepted and not yet finished, per PDU",
      labelNames: ["pdu"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of control().snapshot()) this.set({ pdu: p.name }, p.queueDepth);
      },
    });
    new client.Gauge({
      name: "pdud_actor_restarts",
      help: "Actor restarts since start, per PDU",
      labelNames: ["pdu"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of control().snapshot()) this.set({ pdu: p.name }, p.restarts);
      },
    });
    new client.Gauge({
      name: "pdud_pdu_failed",
      help: "1 when the PDU is in the failed state",
      labelNames: ["pdu"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of control().snapshot()) {
          this.set({ pdu: p.name }, p.state === "failed" ? 1 : 0);
        }
      },
    });
  }

  /** Counts one answered request. */
  request(transport: string, status: number): void {
    this.#requests.inc({ transport, status: String(status) });
  }

  /** Counts one job result. */
  job(result: JobResult): void {
    this.#jobs.inc({
      pdu: result.pdu,
      outcome: result.status,
      kind: result.status === "done" ? "" : result.kind,
    });
  }

  /** Records one successful operation. */
  operation(event: SetEvent): void {
    this.#operations.observe({ driver: event.driver }, event.ms / 1000);
  }

  /** The text exposition. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
