/**
 * The supervisor: one slot per PDU (mailbox, memory and restart window outlive incarnations),
 * one_for_one restarts with OTP's intensity per PDU, a jittered back-off once a PDU has failed,
 * reload, and an ordered shutdown that never leaves a reboot half done.
 * @module
 */
import {
  type Config,
  configGroups,
  type GroupMember,
  parseOutletList,
  type PduConfig,
} from "../config/mod.ts";
import { type AnyDriverDescriptor, type Driver, findDriver, type Logger } from "../drivers/mod.ts";
import { type Clock, sleep, SYSTEM_CLOCK, type Timer } from "./clock.ts";
import type { Job, Requester } from "./job.ts";
import { Mailbox } from "./mailbox.ts";
import { describeCommand, type JobResult, type PduCommand, stepsOf } from "./messages.ts";
import { ActorCrash, PduActor, type SlotMemory, type StopMode } from "./pdu_actor.ts";
import { RestartWindow } from "./restart_window.ts";

/** What a PDU looks like from outside. */
export interface PduSnapshot {
  name: string;
  driver: string;
  state: "idle" | "busy" | "failed" | "unavailable" | "stopping";
  queueDepth: number;
  queueLimit: number;
  restarts: number;
  lastError: string | null;
  /** Outlets pdud has set, with the state it set. */
  outlets: Record<string, { state: "on" | "off"; at: string }>;
}

/** What a shutdown could not finish. */
export interface ShutdownReport {
  unfinished: { pdu: string; outlet: number; command: string }[];
}

/** What a reload changed. */
export interface ReloadReport {
  added: string[];
  removed: string[];
  changed: string[];
}

/** One request to the supervisor. */
export interface SubmitRequest {
  pdu: string;
  command: PduCommand;
  requester?: Requester;
}

/**
 * The only interface routes see.
 *
 * @example
 * ```ts
 * const result = await control.submit({ pdu: "apc01", command: { type: "reboot", outlet: 3, delay: 5 } });
 * if (result.status !== "done") console.log(result.reason);
 * ```
 */
export interface PowerControl {
  /** Queues a command; resolves with its one definite result. */
  submit(request: SubmitRequest): Promise<JobResult>;
  /** The PDU and outlet an alias names. */
  resolveAlias(alias: string): { pdu: string; outlet: number } | undefined;
  /** The PDU and outlets a group names, in order. */
  resolveGroup(group: string): { pdu: string; outlets: number[] } | undefined;
  /**
   * The outlets a group names, in order, across PDUs: config `groups` and aliases carrying
   * upstream's `group` key (pdudaemon PR #169).
   */
  resolveGroupMembers(group: string): readonly GroupMember[] | undefined;
  /** Every group with its outlets, in config order. */
  listGroups(): { name: string; members: readonly GroupMember[] }[];
  /** Every PDU's state. */
  snapshot(): PduSnapshot[];
  /** Applies a new config; queues are kept. */
  reload(config: Config): ReloadReport;
  /** Stops accepting, finishes what was started, answers the rest. */
  shutdown(options?: { graceMs?: number }): Promise<ShutdownReport>;
  /** Whether shutdown has begun. */
  readonly stopping: boolean;
}

/** Options of createSupervisor. */
export interface SupervisorOptions {
  clock?: Clock;
  log: Logger;
  /** Looks up descriptors (tests inject fakes). */
  findDriver?: (name: string) => AnyDriverDescriptor | undefined;
  /** Back-off after a PDU failed: first delay and ceiling, in ms. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a driver may take to settle after abort. */
  abortGraceMs?: number;
  /** Random source for back-off jitter (tests pass a constant). */
  random?: () => number;
  /** Called after each successful outlet change (audit, metrics). */
  onSet?: (event: SetEvent) => void;
  /** Called once per request with its definite result, refusals included (metrics, audit). */
  onJob?: (event: JobEvent) => void;
}

/** A request and its one definite result. */
export interface JobEvent {
  request: SubmitRequest;
  result: JobResult;
  /** From submission to result. */
  ms: number;
}

/** A successful outlet change. */
export interface SetEvent {
  pdu: string;
  driver: string;
  outlet: number;
  state: "on" | "off";
  ms: number;
  jobId: string;
  requester: Requester;
}

interface Slot {
  name: string;
  config: PduConfig;
  descriptor: AnyDriverDescriptor | undefined;
  mailbox: Mailbox<Job, JobResult>;
  memory: SlotMemory;
  window: RestartWindow;
  restarts: number;
  actor: PduActor | null;
  driver: Driver | null;
  failed: { reason: string; timer: Timer | null; backoffMs: number } | null;
  stopMode: StopMode | null;
  /** Start a new incarnation when the current one yields (settings changed). */
  restartOnYield: boolean;
  /** Resolved when the slot has stopped for good (drain or shutdown finished). */
  stopped: Promise<void>;
  resolveStopped: () => void;
  nextSeq: number;
}

let jobCounter = 0;

/** Builds and starts every PDU actor of `config`. */
export function createSupervisor(config: Config, options: SupervisorOptions): Supervisor {
  return new Supervisor(config, options);
}

/** The supervisor; see PowerControl. */
export class Supervisor implements PowerControl, AsyncDisposable {
  #slots = new Map<string, Slot>();
  #aliases: Config["aliases"];
  #groups: Config["groups"];
  #groupMembers: Map<string, GroupMember[]>;
  #clock: Clock;
  #log: Logger;
  #find: (name: string) => AnyDriverDescriptor | undefined;
  #backoff: { initialMs: number; maxMs: number };
  #abortGraceMs: number;
  #random: () => number;
  #shuttingDown = false;
  #onSet: ((event: SetEvent) => void) | undefined;
  #onJob: ((event: JobEvent) => void) | undefined;

  /**
   * @param config a validated config
   * @param options clock, logger and test hooks
   */
  constructor(config: Config, options: SupervisorOptions) {
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#log = options.log;
    this.#find = options.findDriver ?? findDriver;
    this.#backoff = options.backoff ?? { initialMs: 30_000, maxMs: 600_000 };
    this.#abortGraceMs = options.abortGraceMs ?? 2000;
    this.#random = options.random ?? Math.random;
    this.#onSet = options.onSet;
    this.#onJob = options.onJob;
    this.#aliases = config.aliases;
    this.#groups = config.groups;
    this.#groupMembers = configGroups(config);
    for (const pdu of Object.values(config.pdus)) this.#addSlot(pdu);
  }

  submit(request: SubmitRequest): Promise<JobResult> {
    const onJob = this.#onJob;
    if (onJob === undefined) return this.#submit(request);
    const started = this.#clock.now();
    return this.#submit(request).then((result) => {
      onJob({ request, result, ms: this.#clock.now() - started });
      return result;
    });
  }

  #submit(request: SubmitRequest): Promise<JobResult> {
    const { pdu, command } = request;
    const slot = this.#slots.get(pdu);
    const refuse = (kind: Extract<JobResult, { status: "refused" }>["kind"], reason: string) =>
      Promise.resolve<JobResult>({ status: "refused", pdu, kind, reason });
    if (this.#shuttingDown) return refuse("shutting_down", "pdud is shutting down");
    if (slot === undefined) return refuse("unknown_pdu", `no PDU named "${pdu}" is configured`);
    if (!slot.config.available) {
      return refuse(
        "driver_unavailable",
        `driver "${slot.config.driver}" of PDU "${pdu}" is not available in this pdud`,
      );
    }
    if (slot.stopMode !== null) return refuse("stopping", `PDU "${pdu}" is being removed`);
    if (slot.failed) {
      return refuse("pdu_failed", `PDU "${pdu}" has failed: ${slot.failed.reason}`);
    }
    const range = slot.descriptor?.outletRange?.(slot.config.options);
    if (range && (command.outlet < range.min || command.outlet > range.max)) {
      return refuse(
        "bad_outlet",
        `PDU "${pdu}" has outlets ${range.min} to ${range.max}, not ${command.outlet}`,
      );
    }
    return new Promise<JobResult>((resolve) => {
      const job: Job = {
        id: `j${(++jobCounter).toString(36)}`,
        seq: slot.nextSeq++,
        pdu,
        command,
        steps: stepsOf(command),
        requester: request.requester ?? {},
        acceptedAt: this.#clock.now(),
        stepIndex: 0,
        attempts: 0,
        started: false,
        lastState: null,
        resolve,
      };
      if (!slot.mailbox.offer(job)) {
        resolve({
          status: "refused",
          pdu,
          kind: "queue_full",
          reason: `queue of PDU "${pdu}" is full (${slot.mailbox.limit} jobs waiting)`,
        });
        return;
      }
      this.#log.debug("job accepted", {
        pdu,
        job: job.id,
        command: describeCommand(command),
        ...job.requester,
      });
    });
  }

  get stopping(): boolean {
    return this.#shuttingDown;
  }

  resolveAlias(alias: string): { pdu: string; outlet: number } | undefined {
    const a = Object.hasOwn(this.#aliases, alias) ? this.#aliases[alias] : undefined;
    return a ? { pdu: a.hostname, outlet: a.port } : undefined;
  }

  resolveGroup(group: string): { pdu: string; outlets: number[] } | undefined {
    const g = Object.hasOwn(this.#groups, group) ? this.#groups[group] : undefined;
    const outlets = g && parseOutletList(g.ports);
    return g && outlets ? { pdu: g.hostname, outlets } : undefined;
  }

  resolveGroupMembers(group: string): readonly GroupMember[] | undefined {
    return this.#groupMembers.get(group);
  }

  listGroups(): { name: string; members: readonly GroupMember[] }[] {
    return [...this.#groupMembers].map(([name, members]) => ({ name, members }));
  }

  /**
   * Seeds what pdud last set (from the audit log at start), so outlet state survives a
   * restart of pdud; marked "commanded" as any state pdud did not read from the device.
   */
  restoreOutlets(pdu: string, outlets: Map<number, { state: "on" | "off"; at: number }>): void {
    const slot = this.#slots.get(pdu);
    if (!slot) return;
    for (const [outlet, v] of outlets) {
      if (!slot.memory.outlets.has(outlet)) slot.memory.outlets.set(outlet, v);
    }
  }

  /** Whether a PDU of this name is configured. */
  hasPdu(name: string): boolean {
    return this.#slots.has(name);
  }

  snapshot(): PduSnapshot[] {
    return [...this.#slots.values()].map((slot) => ({
      name: slot.name,
      driver: slot.config.driver,
      state: !slot.config.available
        ? "unavailable"
        : slot.failed
        ? "failed"
        : slot.stopMode
        ? "stopping"
        : slot.memory.inFlight > 0 || slot.mailbox.size > 0
        ? "busy"
        : "idle",
      queueDepth: slot.mailbox.size,
      queueLimit: slot.mailbox.limit,
      restarts: slot.restarts,
      lastError: slot.failed?.reason ?? slot.memory.lastError ?? null,
      outlets: Object.fromEntries(
        [...slot.memory.outlets].map((
          [outlet, v],
        ) => [String(outlet), { state: v.state, at: new Date(v.at).toISOString() }]),
      ),
    }));
  }

  reload(config: Config): ReloadReport {
    const report: ReloadReport = { added: [], removed: [], changed: [] };
    this.#aliases = config.aliases;
    this.#groups = config.groups;
    this.#groupMembers = configGroups(config);
    for (const [name, slot] of this.#slots) {
      if (!(name in config.pdus) && slot.stopMode === null) {
        report.removed.push(name);
        this.#stopSlot(slot, "drain");
        slot.stopped.then(() => {
          if (this.#slots.get(name) === slot) this.#slots.delete(name);
        });
      }
    }
    for (const pdu of Object.values(config.pdus)) {
      const slot = this.#slots.get(pdu.name);
      if (slot === undefined || slot.stopMode !== null) {
        if (slot) this.#slots.delete(pdu.name);
        report.added.push(pdu.name);
        this.#addSlot(pdu, slot?.mailbox);
      } else if (JSON.stringify(slot.config.raw) !== JSON.stringify(pdu.raw)) {
        report.changed.push(pdu.name);
        this.#changeSlot(slot, pdu);
      }
    }
    this.#log.info("config reloaded", { ...report });
    return report;
  }

  async shutdown(options: { graceMs?: number } = {}): Promise<ShutdownReport> {
    const graceMs = options.graceMs ?? 30_000;
    this.#shuttingDown = true;
    const slots = [...this.#slots.values()];
    for (const slot of slots) this.#stopSlot(slot, "shutdown");
    const grace = new AbortController();
    const all = Promise.all(slots.map((s) => s.stopped));
    await Promise.race([all, sleep(this.#clock, graceMs, grace.signal)]);
    grace.abort();
    const report: ShutdownReport = { unfinished: [] };
    for (const slot of slots) {
      slot.actor?.stop("yield");
      for (const job of [...slot.mailbox.entries()]) {
        report.unfinished.push({
          pdu: slot.name,
          outlet: job.command.outlet,
          command: job.command.type,
        });
        slot.mailbox.settle(job, {
          status: "failed",
          jobId: job.id,
          pdu: slot.name,
          kind: "shutdown",
          reason: `pdud stopped before ${describeCommand(job.command)} of "${slot.name}" ` +
            `could finish (grace period of ${graceMs} ms exceeded)`,
        });
      }
      slot.failed?.timer?.cancel();
    }
    for (const u of report.unfinished) this.#log.error("left unfinished at shutdown", { ...u });
    await Promise.all(slots.map((s) => this.#closeDriver(s)));
    return report;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ graceMs: 0 });
  }

  #addSlot(config: PduConfig, mailbox?: Mailbox<Job, JobResult>): void {
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => resolveStopped = r);
    const slot: Slot = {
      name: config.name,
      config,
      descriptor: config.available ? this.#find(config.driver) : undefined,
      mailbox: mailbox ?? new Mailbox<Job, JobResult>(config.queue_limit),
      memory: { lastOperationAt: -Infinity, outlets: new Map(), inFlight: 0 },
      window: new RestartWindow(config.max_restarts, config.restart_window * 1000),
      restarts: 0,
      actor: null,
      driver: null,
      failed: null,
      stopMode: null,
      restartOnYield: false,
      stopped,
      resolveStopped,
      nextSeq: Math.max(0, ...(mailbox?.entries().map((j) => j.seq + 1) ?? [])),
    };
    slot.mailbox.limit = config.queue_limit;
    this.#slots.set(config.name, slot);
    if (slot.descriptor) this.#startIncarnation(slot);
    else slot.resolveStopped();
  }

  #changeSlot(slot: Slot, config: PduConfig): void {
    slot.config = config;
    slot.descriptor = config.available ? this.#find(config.driver) : undefined;
    slot.mailbox.limit = config.queue_limit;
    slot.window = new RestartWindow(config.max_restarts, config.restart_window * 1000);
    if (slot.failed) {
      slot.failed.timer?.cancel();
      slot.failed = null;
    }
    if (slot.actor) {
      slot.restartOnYield = true;
      slot.actor.stop("yield");
    } else if (slot.descriptor) {
      this.#startIncarnation(slot);
    }
  }

  #stopSlot(slot: Slot, mode: StopMode): void {
    slot.stopMode = mode;
    slot.mailbox.seal();
    if (slot.actor) {
      slot.actor.stop(mode);
      return;
    }
    // No incarnation (failed, or driver unavailable): nothing can run, answer everything now.
    slot.failed?.timer?.cancel();
    slot.mailbox.close((job) => ({
      status: "refused",
      jobId: job.id,
      pdu: slot.name,
      kind: mode === "shutdown" ? "shutting_down" : "stopping",
      reason: `PDU "${slot.name}" stopped before ${describeCommand(job.command)} could start`,
    }));
    slot.resolveStopped();
  }

  #startIncarnation(slot: Slot): void {
    const descriptor = slot.descriptor;
    if (descriptor === undefined) return;
    const log = this.#log.child({ pdu: slot.name, driver: slot.config.driver });
    let driver: Driver;
    try {
      const address = slot.config.address ?? slot.name;
      driver = descriptor.create(address, { options: slot.config.options, log });
    } catch (error) {
      this.#onCrash(
        slot,
        new ActorCrash("create driver", error instanceof Error ? error.message : String(error)),
      );
      return;
    }
    const c = slot.config;
    const actor = new PduActor(slot.name, {
      mailbox: slot.mailbox,
      driver,
      settings: {
        retries: c.retries,
        retryDelayMs: c.retrydelay * 1000,
        timeoutMs: c.timeout * 1000,
        commandGapMs: c.command_gap * 1000,
        abortGraceMs: this.#abortGraceMs,
      },
      memory: slot.memory,
      clock: this.#clock,
      log,
      onSet: (job, outlet, state, ms) =>
        this.#onSet?.({
          pdu: slot.name,
          driver: slot.config.driver,
          outlet,
          state,
          ms,
          jobId: job.id,
          requester: job.requester,
        }),
    });
    slot.actor = actor;
    slot.driver = driver;
    if (slot.stopMode) actor.stop(slot.stopMode);
    actor.run().then(
      async () => {
        await this.#closeDriver(slot);
        if (slot.actor === actor) slot.actor = null;
        if (slot.stopMode !== null) {
          slot.resolveStopped();
        } else if (slot.restartOnYield) {
          slot.restartOnYield = false;
          this.#startIncarnation(slot);
        }
      },
      async (error: unknown) => {
        await this.#closeDriver(slot);
        if (slot.actor === actor) slot.actor = null;
        const crash = error instanceof ActorCrash
          ? error
          : new ActorCrash("actor loop", error instanceof Error ? error.message : String(error));
        this.#onCrash(slot, crash);
      },
    );
  }

  #onCrash(slot: Slot, crash: ActorCrash): void {
    slot.restarts++;
    const withinLimit = slot.window.record(this.#clock.now());
    this.#log.error("actor crashed", {
      pdu: slot.name,
      driver: slot.config.driver,
      context: crash.context,
      reason: crash.reason,
      restartsInWindow: slot.window.count,
      maxRestarts: slot.config.max_restarts,
    });
    if (withinLimit || slot.stopMode === "shutdown") {
      // During shutdown a fresh incarnation is what finishes half-done reboots.
      this.#startIncarnation(slot);
      return;
    }
    this.#fail(slot, `${crash.context}: ${crash.reason}`);
  }

  #fail(slot: Slot, reason: string): void {
    const backoffMs = slot.failed
      ? Math.min(slot.failed.backoffMs * 2, this.#backoff.maxMs)
      : this.#backoff.initialMs;
    const jittered = Math.round(backoffMs * (0.8 + 0.4 * this.#random()));
    const message = `restarted ${slot.config.max_restarts} times within ` +
      `${slot.config.restart_window} s; last crash: ${reason}`;
    this.#log.error("PDU failed", { pdu: slot.name, reason: message, retryInMs: jittered });
    slot.mailbox.close((job) => ({
      status: "failed",
      jobId: job.id,
      pdu: slot.name,
      kind: "pdu_failed",
      reason: `PDU "${slot.name}" has failed: ${message}`,
    }));
    const timer = this.#clock.setTimer(jittered, () => {
      if (slot.failed?.timer !== timer) return;
      slot.failed = null;
      slot.window.reset();
      this.#slots.set(slot.name, slot);
      slot.mailbox = new Mailbox<Job, JobResult>(slot.config.queue_limit);
      this.#log.info("PDU back from failed state", { pdu: slot.name });
      this.#startIncarnation(slot);
    });
    slot.failed = { reason: message, timer, backoffMs };
  }

  async #closeDriver(slot: Slot): Promise<void> {
    const driver = slot.driver;
    if (driver === null) return;
    slot.driver = null;
    const cancel = new AbortController();
    try {
      await Promise.race([driver.close(), sleep(this.#clock, this.#abortGraceMs, cancel.signal)]);
    } catch (error) {
      this.#log.warn("driver close failed", { pdu: slot.name, error });
    } finally {
      cancel.abort();
    }
  }
}
