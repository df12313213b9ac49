/**
 * One PDU's slot as an explicit state machine. The slot owns what outlives an incarnation (the
 * mailbox, the outlet memory, the restart window) and the one incarnation that may run on it.
 * `transition()` is the whole table; `Slot.dispatch()` applies it and is the only place a state
 * changes, so two actors can never share a mailbox and every way out of `failed` takes one path.
 * @module
 */
import type { PduConfig } from "../config/mod.ts";
import {
  type AnyDriverDescriptor,
  type Driver,
  type Logger,
  type OutletId,
  type OutletState,
  scrubbedDriver,
  scrubbedLogger,
  scrubList,
  scrubText,
} from "../drivers/mod.ts";
import { type Clock, sleep, type Timer } from "./clock.ts";
import type { Job } from "./job.ts";
import { noticeStarts } from "./events.ts";
import { Mailbox } from "./mailbox.ts";
import type { JobResult } from "./messages.ts";
import {
  ActorCrash,
  notStartedAtShutdown,
  PduActor,
  type SlotMemory,
  type StopMode,
} from "./pdu_actor.ts";
import { RestartWindow } from "./restart_window.ts";

/** Which reads a driver offers (its optional methods). */
export interface DriverCapabilities {
  readonly getOutlet: boolean;
  readonly readPower: boolean;
  readonly listOutlets: boolean;
}

/** The states of a slot. */
export const SLOT_STATES = [
  /** An incarnation serves the mailbox. */
  "running",
  /** The config changed; the incarnation stops after its current step and a new one starts. */
  "reconfiguring",
  /** Restarted too often: no incarnation, requests refused until back-off or reconfigure. */
  "failed",
  /** Removed by reconfigure: queued jobs run to their end, nothing new is accepted. */
  "draining",
  /** The daemon shuts down: started jobs finish (reboots without their wait), others refused. */
  "stopping",
  /** The end; a slot never leaves it. */
  "stopped",
  /** The driver is not in this pdud: nothing can run, requests are refused. */
  "unavailable",
] as const;

/** A slot's state. */
export type SlotState = typeof SLOT_STATES[number];

/** The named events a slot reacts to. */
export const SLOT_EVENTS = [
  "crashed",
  "incarnationEnded",
  "reconfigure",
  "remove",
  "shutdown",
  "backoffElapsed",
] as const;

/** An event's name. */
export type SlotEventType = typeof SLOT_EVENTS[number];

/** An event with its data. Incarnation events name the incarnation, so a late one is refused. */
export type SlotEvent =
  | { type: "crashed"; incarnation: number; crash: ActorCrash }
  | { type: "incarnationEnded"; incarnation: number }
  | { type: "reconfigure"; config: PduConfig }
  | { type: "remove" }
  | { type: "shutdown" }
  | { type: "backoffElapsed"; generation: number };

/** What the table needs to know besides state and event. */
export interface TransitionFacts {
  /** A crash is within the restart limit (while stopping: within the limit of shutdown restarts). */
  mayRestart: boolean;
  /** Jobs are still in the mailbox. */
  pending: boolean;
  /** The driver of the config the slot will run is in this pdud. */
  available: boolean;
}

/** Where an event leads: a state, or a choice made on the facts. */
type Rule = SlotState | ((facts: TransitionFacts) => SlotState);

/** The whole state machine. A pair missing here is refused. */
const TABLE: Record<SlotState, Partial<Record<SlotEventType, Rule>>> = {
  running: {
    crashed: (f) => f.mayRestart ? "running" : "failed",
    reconfigure: "reconfiguring",
    remove: "draining",
    shutdown: "stopping",
  },
  reconfiguring: {
    crashed: (f) => !f.available ? "unavailable" : f.mayRestart ? "running" : "failed",
    incarnationEnded: (f) => f.available ? "running" : "unavailable",
    reconfigure: "reconfiguring",
    remove: "draining",
    shutdown: "stopping",
  },
  failed: {
    reconfigure: (f) => f.available ? "running" : "unavailable",
    backoffElapsed: "running",
    remove: "stopped",
    shutdown: "stopped",
  },
  draining: {
    crashed: (f) => f.mayRestart && f.pending ? "draining" : "stopped",
    incarnationEnded: (f) => f.pending ? "draining" : "stopped",
    // Re-added while it drains: the removal is cancelled and becomes a reconfigure, so the PDU
    // keeps one mailbox and one incarnation.
    reconfigure: "reconfiguring",
    shutdown: "stopping",
  },
  stopping: {
    // A fresh incarnation is what finishes a half-done reboot.
    crashed: (f) => f.mayRestart && f.pending ? "stopping" : "stopped",
    incarnationEnded: (f) => f.pending ? "stopping" : "stopped",
  },
  unavailable: {
    reconfigure: (f) => f.available ? "running" : "unavailable",
    remove: "stopped",
    shutdown: "stopped",
  },
  stopped: {},
};

/**
 * The state machine: where `event` takes a slot in `state`, or null when the slot refuses it
 * (the event is logged and changes nothing).
 */
export function transition(
  state: SlotState,
  event: SlotEventType,
  facts: TransitionFacts,
): SlotState | null {
  const rule = TABLE[state][event];
  if (rule === undefined) return null;
  return typeof rule === "function" ? rule(facts) : rule;
}

/** What the supervisor lends every slot. */
export interface SlotContext {
  clock: Clock;
  log: Logger;
  find: (name: string) => AnyDriverDescriptor | undefined;
  abortGraceMs: number;
  backoff: { initialMs: number; maxMs: number };
  random: () => number;
  /** The secret values a PDU's driver must never say (replaced in its errors and log lines). */
  secrets?: (pdu: string) => readonly string[];
  /** After each successful outlet change. */
  onSet?: (job: Job, outlet: OutletId, state: OutletState, ms: number) => void;
  /** After each change of state (the event stream). */
  onState?: (slot: Slot, from: SlotState, event: SlotEventType) => void;
  /** When a job's first device operation begins, if `wantStarts()` (the event stream). */
  onStart?: (job: Job) => void;
  wantStarts?: () => boolean;
  /**
   * Put around each new driver of a PDU (cluster mode: the lease check before every device
   * operation). Innermost, so what it throws is scrubbed and counted like the driver's own.
   */
  wrapDriver?: (pdu: string, driver: Driver) => Driver;
}

/** What a slot shows. */
export interface SlotSnapshot {
  state: SlotState;
  queueDepth: number;
  queueLimit: number;
  inFlight: number;
  restarts: number;
  lastError: string | null;
  outlets: SlotMemory["outlets"];
}

/** One PDU's slot. */
export class Slot {
  #state: SlotState;
  #config: PduConfig;
  #context: SlotContext;
  #log: Logger;
  #mailbox: Mailbox<Job, JobResult>;
  #memory: SlotMemory = { lastOperationAt: -Infinity, outlets: new Map(), inFlight: 0 };
  #window: RestartWindow;
  #restarts = 0;
  #shutdownRestarts = 0;
  /** The incarnation that owns the slot; no actor when its driver could not be created. */
  #incarnation: {
    id: number;
    actor?: PduActor;
    driver?: Driver;
    /** What the driver can read, worked out once per incarnation (routes ask per request). */
    can?: DriverCapabilities;
  } | null = null;
  #incarnations = 0;
  #failure: { reason: string; timer: Timer; generation: number } | null = null;
  #generation = 0;
  /** The next back-off; doubles with each failure not followed by a successful operation. */
  #backoffMs: number;
  #nextSeq = 0;
  #resolveStopped!: () => void;
  /** Resolves when the slot reaches `stopped`. */
  readonly stopped: Promise<void> = new Promise((resolve) => this.#resolveStopped = resolve);

  /**
   * @param config the PDU's validated config
   * @param context clock, logger and what the supervisor lends
   */
  constructor(config: PduConfig, context: SlotContext) {
    this.#config = config;
    this.#context = context;
    this.#log = context.log.child({ pdu: config.name });
    this.#mailbox = new Mailbox(config.queue_limit);
    this.#window = new RestartWindow(config.max_restarts, config.restart_window * 1000);
    this.#backoffMs = context.backoff.initialMs;
    this.#state = config.available ? "running" : "unavailable";
    if (this.#state === "running") this.#startIncarnation(null);
  }

  /** The PDU's name. */
  get name(): string {
    return this.#config.name;
  }

  /** The config the slot runs (or will run once reconfigured). */
  get config(): PduConfig {
    return this.#config;
  }

  /** The current state. */
  get state(): SlotState {
    return this.#state;
  }

  /** Why the PDU failed, while it is failed. */
  get failureReason(): string | undefined {
    return this.#failure?.reason;
  }

  /** The queue limit jobs are refused beyond. */
  get queueLimit(): number {
    return this.#mailbox.limit;
  }

  /** The running incarnation's number (each is counted from 1), or null. */
  get incarnation(): number | null {
    return this.#incarnation?.id ?? null;
  }

  /**
   * What the running incarnation's driver can read (its optional methods), or undefined while
   * no driver runs (failed, between incarnations).
   */
  capabilities(): DriverCapabilities | undefined {
    return this.#incarnation?.can;
  }

  /** What the slot looks like now. */
  snapshot(): SlotSnapshot {
    return {
      state: this.#state,
      queueDepth: this.#mailbox.size,
      queueLimit: this.#mailbox.limit,
      inFlight: this.#memory.inFlight,
      restarts: this.#restarts,
      lastError: this.#failure?.reason ?? this.#memory.lastError ?? null,
      outlets: this.#memory.outlets,
    };
  }

  /** Seeds the outlet memory (from the audit log at start); what pdud set since wins. */
  restoreOutlets(outlets: Map<OutletId, { state: OutletState; at: number }>): void {
    for (const [outlet, v] of outlets) {
      if (!this.#memory.outlets.has(outlet)) this.#memory.outlets.set(outlet, v);
    }
  }

  /** Queues `job` (numbered here); false when the mailbox is full. Admission is the caller's. */
  offer(job: Omit<Job, "seq">): boolean {
    const numbered = { ...job, seq: this.#nextSeq } as Job;
    if (!this.#mailbox.offer(numbered)) return false;
    this.#nextSeq++;
    return true;
  }

  /**
   * Applies `event` as `transition()` says; returns false when the slot refused it. The only
   * method that changes the state.
   */
  dispatch(event: SlotEvent): boolean {
    const from = this.#state;
    if (event.type === "crashed" || event.type === "incarnationEnded") {
      if (event.incarnation !== this.#incarnation?.id) return this.#refuse(event);
      this.#incarnation = null;
    }
    if (event.type === "backoffElapsed" && event.generation !== this.#failure?.generation) {
      return this.#refuse(event);
    }
    const facts = this.#facts(event);
    const to = transition(from, event.type, facts);
    if (to === null) return this.#refuse(event);
    this.#state = to;
    if (from !== to) this.#log.debug("slot state", { from, to, event: event.type });
    if (from === "failed") this.#leaveFailed();
    if (event.type === "reconfigure") this.#applyConfig(event.config);
    switch (to) {
      case "running":
        this.#startIncarnation(null);
        break;
      case "reconfiguring":
        this.#incarnation?.actor?.stop("yield");
        break;
      case "failed":
        this.#fail(event.type === "crashed" ? event.crash : undefined);
        break;
      case "draining":
        if (this.#incarnation) this.#incarnation.actor?.stop("drain");
        else this.#startIncarnation("drain");
        break;
      case "stopping":
        this.#refuseNotStarted();
        if (this.#incarnation) this.#incarnation.actor?.stop("shutdown");
        else this.#startIncarnation("shutdown");
        break;
      case "unavailable":
        this.#settleAll(() => ({
          kind: "config",
          reason: `driver "${this.#config.driver}" of PDU "${this.name}" is not available in ` +
            `this pdud`,
        }));
        break;
      case "stopped":
        this.#stop(from, event);
        break;
    }
    if (from !== to) this.#context.onState?.(this, from, event.type);
    return true;
  }

  /**
   * After the shutdown grace: every job left is answered as failed and named in the returned
   * list; the incarnation is asked to stop after its step.
   */
  abandon(graceMs: number): { pdu: string; outlet: OutletId; command: string }[] {
    const unfinished = this.#mailbox.entries().map((job) => ({
      pdu: this.name,
      outlet: job.command.outlet,
      command: job.command.type,
    }));
    this.#settleAll((job) => ({
      kind: "shutdown",
      reason: `pdud stopped before ${job.command.type} outlet ${job.command.outlet} of ` +
        `"${this.name}" could finish (grace period of ${graceMs} ms exceeded)`,
    }));
    this.#incarnation?.actor?.stop("yield");
    this.#failure?.timer.cancel();
    return unfinished;
  }

  /** Closes the incarnation's driver, bounded by the abort grace. */
  async closeDriver(): Promise<void> {
    const driver = this.#incarnation?.driver;
    if (driver) await this.#close(driver);
  }

  #refuse(event: SlotEvent): false {
    this.#log.debug("slot event refused", { state: this.#state, event: event.type });
    return false;
  }

  #facts(event: SlotEvent): TransitionFacts {
    return {
      mayRestart: event.type === "crashed" && this.#recordCrash(event.crash),
      pending: this.#mailbox.size > 0,
      available: event.type === "reconfigure" ? event.config.available : this.#config.available,
    };
  }

  /** Counts a crash (OTP's crash report fields in the log); true when a restart is allowed. */
  #recordCrash(crash: ActorCrash): boolean {
    this.#restarts++;
    const mayRestart = this.#state === "stopping"
      // Bounded apart from the window, so a driver that cannot even be created ends it.
      ? ++this.#shutdownRestarts <= Math.max(1, this.#config.max_restarts)
      : this.#window.record(this.#context.clock.now());
    this.#log.error("actor crashed", {
      driver: this.#config.driver,
      context: crash.context,
      reason: crash.reason,
      restartsInWindow: this.#window.count,
      maxRestarts: this.#config.max_restarts,
    });
    return mayRestart;
  }

  #applyConfig(config: PduConfig): void {
    this.#config = config;
    this.#mailbox.limit = config.queue_limit;
    this.#window = new RestartWindow(config.max_restarts, config.restart_window * 1000);
    this.#backoffMs = this.#context.backoff.initialMs;
  }

  /** The one way out of `failed`: timer gone, window cleared, a fresh mailbox. */
  #leaveFailed(): void {
    this.#failure?.timer.cancel();
    this.#failure = null;
    this.#window.reset();
    this.#mailbox = new Mailbox(this.#config.queue_limit);
    this.#log.info("PDU back from failed state", { state: this.#state });
  }

  #fail(crash: ActorCrash | undefined): void {
    const { clock, random, backoff } = this.#context;
    const backoffMs = this.#backoffMs;
    this.#backoffMs = Math.min(backoffMs * 2, backoff.maxMs);
    const jittered = Math.round(backoffMs * (0.8 + 0.4 * random()));
    const last = crash ? `${crash.context}: ${crash.reason}` : "unknown";
    const reason = `restarted ${this.#config.max_restarts} times within ` +
      `${this.#config.restart_window} s; last crash: ${last}`;
    this.#log.error("PDU failed", { reason, retryInMs: jittered });
    this.#mailbox.close((job) => ({
      status: "failed",
      jobId: job.id,
      pdu: this.name,
      kind: "pdu_failed",
      reason: `PDU "${this.name}" has failed: ${reason}`,
    }));
    const generation = ++this.#generation;
    const timer = clock.setTimer(
      jittered,
      () => this.dispatch({ type: "backoffElapsed", generation }),
    );
    this.#failure = { reason, timer, generation };
  }

  #refuseNotStarted(): void {
    for (const job of [...this.#mailbox.entries()]) {
      if (!job.started) this.#mailbox.settle(job, notStartedAtShutdown(job));
    }
  }

  #stop(from: SlotState, event: SlotEvent): void {
    const crashed = event.type === "crashed";
    this.#settleAll((job) =>
      crashed
        ? {
          kind: "pdu_failed",
          reason: `PDU "${this.name}" crashed while it was ${
            from === "draining" ? "removed" : "shutting down"
          }: ${event.crash.reason}`,
        }
        : {
          kind: "shutdown",
          reason: `PDU "${this.name}" stopped before ${job.command.type} outlet ` +
            `${job.command.outlet} could finish`,
        }
    );
    this.#mailbox.seal();
    this.#resolveStopped();
  }

  #settleAll(why: (job: Job) => { kind: "config" | "pdu_failed" | "shutdown"; reason: string }) {
    for (const job of [...this.#mailbox.entries()]) {
      const { kind, reason } = why(job);
      this.#mailbox.settle(job, { status: "failed", jobId: job.id, pdu: this.name, kind, reason });
    }
  }

  #startIncarnation(mode: StopMode | null): void {
    const { clock, find, abortGraceMs, onSet } = this.#context;
    const id = ++this.#incarnations;
    const config = this.#config;
    const descriptor = find(config.driver);
    // Secrets are taken out of what the driver says at the source (printable, redacted messages);
    // this is the second line of defence, by value.
    const secrets = scrubList(this.#context.secrets?.(config.name) ?? []);
    const log = scrubbedLogger(this.#log.child({ driver: config.driver }), secrets);
    let driver: Driver;
    const wrapNew = this.#context.wrapDriver ?? ((_: string, made: Driver) => made);
    try {
      if (descriptor === undefined) throw new Error(`no driver named "${config.driver}"`);
      driver = noticeStarts(
        scrubbedDriver(
          wrapNew(
            config.name,
            descriptor.create(config.address ?? config.name, {
              options: config.options,
              log,
              clock,
            }),
          ),
          secrets,
        ),
        () => this.#mailbox.entries(),
        this.#context.onStart,
        this.#context.wantStarts ?? (() => false),
      );
    } catch (error) {
      const reason = scrubText(error instanceof Error ? error.message : String(error), secrets);
      this.#incarnation = { id };
      // Dispatched once the current transition is complete, never from inside it.
      const crash = new ActorCrash("create driver", reason);
      queueMicrotask(() => this.dispatch({ type: "crashed", incarnation: id, crash }));
      return;
    }
    const actor = new PduActor(config.name, {
      mailbox: this.#mailbox,
      driver,
      settings: {
        retries: config.retries,
        retryDelayMs: config.retrydelay * 1000,
        timeoutMs: config.timeout * 1000,
        commandGapMs: config.command_gap * 1000,
        abortGraceMs,
      },
      memory: this.#memory,
      clock,
      log,
      onSet: (job, outlet, state, ms) => {
        // A PDU that switches again has recovered: the next failure starts the back-off anew.
        this.#backoffMs = this.#context.backoff.initialMs;
        onSet?.(job, outlet, state, ms);
      },
    });
    this.#incarnation = {
      id,
      actor,
      driver,
      can: {
        getOutlet: driver.getOutlet !== undefined,
        readPower: driver.readPower !== undefined,
        listOutlets: driver.listOutlets !== undefined,
      },
    };
    if (mode) actor.stop(mode);
    actor.run().then(
      async () => {
        await this.#close(driver);
        this.dispatch({ type: "incarnationEnded", incarnation: id });
      },
      async (error: unknown) => {
        await this.#close(driver);
        const crash = error instanceof ActorCrash
          ? error
          : new ActorCrash("actor loop", error instanceof Error ? error.message : String(error));
        this.dispatch({ type: "crashed", incarnation: id, crash });
      },
    );
  }

  async #close(driver: Driver): Promise<void> {
    const cancel = new AbortController();
    try {
      await Promise.race([
        driver.close(),
        sleep(this.#context.clock, this.#context.abortGraceMs, cancel.signal),
      ]);
    } catch (error) {
      this.#log.warn("driver close failed", { error });
    } finally {
      cancel.abort();
    }
  }
}
