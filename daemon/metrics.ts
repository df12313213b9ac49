/**
 * Prometheus metrics (prom-client, with a registry per daemon rather than its global default):
 * requests, jobs by outcome, operation latency per driver, queue depth and restarts per PDU.
 *
 * prom-client (and the Node compatibility it pulls in) costs ~0.07 s to import, so it is kept
 * off the path to the first served requests: it loads `deferMs` after start (or at the first
 * scrape, if sooner), and what happens before is recorded as soon as it is there (nothing is
 * lost; a scrape waits for it).
 * @module
 */
import type Client from "prom-client";
import {
  type Clock,
  type JobResult,
  type PowerControl,
  type SetEvent,
  SYSTEM_CLOCK,
  type Timer,
} from "../actors/mod.ts";

interface Instruments {
  registry: Client.Registry;
  requests: Client.Counter<"transport" | "status">;
  jobs: Client.Counter<"pdu" | "outcome" | "kind">;
  operations: Client.Histogram<"driver">;
}

function instruments(client: typeof Client, control: () => PowerControl): Instruments {
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
  return {
    registry,
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
    }),
    operations: new client.Histogram({
      name: "pdud_operation_seconds",
      help: "Duration of successful outlet operations, by driver",
      labelNames: ["driver"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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

  /**
   * @param control the PowerControl whose PDUs are sampled at scrape time
   * @param options when to load prom-client (default: at once, on `clock`)
   */
  constructor(control: () => PowerControl, options: { clock?: Clock; deferMs?: number } = {}) {
    this.#control = control;
    this.#timer = (options.clock ?? SYSTEM_CLOCK).setTimer(options.deferMs ?? 0, () => {
      void this.#load();
    });
  }

  #load(): Promise<Instruments> {
    return this.#ready ??= import("prom-client").then(({ default: client }) => {
      const made = instruments(client, this.#control);
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

  /** Counts one job result. */
  job(result: JobResult): void {
    const labels = {
      pdu: result.pdu,
      outcome: result.status,
      kind: result.status === "done" ? "" : result.kind,
    };
    this.#record((i) => i.jobs.inc(labels));
  }

  /** Records one successful operation. */
  operation(event: SetEvent): void {
    const seconds = event.ms / 1000;
    this.#record((i) => i.operations.observe({ driver: event.driver }, seconds));
  }

  /** The text exposition. */
  async text(): Promise<{ body: string; contentType: string }> {
    const { registry } = await this.#load();
    return { body: await registry.metrics(), contentType: registry.contentType };
  }
}
