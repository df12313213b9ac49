/**
 * One incarnation of a PDU's actor: the loop that runs its jobs' steps one driver operation at a
 * time, with per-step timeouts and retries. Waits are timers, so a reboot's wait holds only its
 * outlet. A defect (anything but a DriverError escaping the driver, or a driver that ignores
 * abort) rejects `run()`; the slot then restarts it: a new incarnation on the same mailbox.
 * @module
 */
import {
  type Driver,
  DriverError,
  type Logger,
  type OutletId,
  type OutletState,
  type OutletStatus,
} from "../drivers/mod.ts";
import { type Clock, type Timer, Watchdog } from "./clock.ts";
import type { Job } from "./job.ts";
import type { Mailbox } from "./mailbox.ts";
import type { FailureKind, JobResult, OutletReport, Step } from "./messages.ts";
import { decide, heads, type JobView } from "./scheduler.ts";

/** The settings an incarnation runs with (times in milliseconds). */
export interface ActorSettings {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  commandGapMs: number;
  /** How long a driver may take to settle after abort before it counts as a defect. */
  abortGraceMs: number;
}

/** State that outlives incarnations (kept by the supervisor's slot). */
export interface SlotMemory {
  lastOperationAt: number;
  /** What pdud last set each outlet to, and when. */
  outlets: Map<OutletId, { state: OutletState; at: number }>;
  /** Driver operations in flight right now (0 or 1 — that is the guarantee). */
  inFlight: number;
  /** The last device-side error, for status views. */
  lastError?: string;
}

/** What happens when the actor is asked to stop (the slot's state says which). */
export type StopMode =
  /** Run every queued job to its end, then stop (the PDU was removed). */
  | "drain"
  /** Refuse jobs not started, finish started ones without their waits, then stop (pdud shuts down). */
  | "shutdown"
  /** Stop after the current step, leaving jobs queued for the next incarnation (reconfigure). */
  | "yield";

/** A defect in an incarnation, with OTP-style report fields. */
export class ActorCrash extends Error {
  /**
   * @param context what the actor was doing
   * @param reason what went wrong
   */
  constructor(readonly context: string, readonly reason: string, options?: ErrorOptions) {
    super(`${context}: ${reason}`, options);
    this.name = "ActorCrash";
  }
}

/** The answer to a job that shutdown found not started: refused at once, so clients can retry. */
export function notStartedAtShutdown(job: Job): JobResult {
  return {
    status: "refused",
    jobId: job.id,
    pdu: job.pdu,
    kind: "shutting_down",
    reason: `pdud is shutting down, not started: ${job.command.type} of outlet ` +
      `${job.command.outlet} on "${job.pdu}"`,
  };
}

/** One incarnation of a PDU actor. */
export class PduActor {
  #stopMode: StopMode | null = null;
  #wake: (() => void) | null = null;
  /**
   * The operation timeout: one clock timer per incarnation, re-armed per operation, instead of
   * a timer set and cleared for each (issue 22); `#timedOut` is the operation in flight's.
   */
  #watchdog: Watchdog | undefined;
  #timedOut: (() => void) | undefined;
  #running = false;

  /**
   * @param pdu the PDU's name
   * @param parts its mailbox, driver, settings, memory, clock and logger
   */
  constructor(
    readonly pdu: string,
    readonly parts: {
      mailbox: Mailbox<Job, JobResult>;
      driver: Driver;
      settings: ActorSettings;
      memory: SlotMemory;
      clock: Clock;
      log: Logger;
      /** Called after every successful set (audit, metrics). */
      onSet?: (job: Job, outlet: OutletId, state: OutletState, ms: number) => void;
    },
  ) {}

  /** Whether a driver operation is in flight. */
  get busy(): boolean {
    return this.parts.memory.inFlight > 0;
  }

  /** Asks the loop to stop as `mode` says; `run()` resolves when it has. */
  stop(mode: StopMode): void {
    // A shutdown overrides a drain or yield already asked for; nothing overrides a shutdown.
    if (this.#stopMode !== "shutdown") this.#stopMode = mode;
    this.#wake?.();
  }

  /** Runs until stopped; rejects with ActorCrash on a defect. */
  async run(): Promise<void> {
    if (this.#running) throw new Error("PduActor.run() called twice");
    this.#running = true;
    try {
      await this.#loop();
    } finally {
      this.#watchdog?.stop();
    }
  }

  async #loop(): Promise<void> {
    const { mailbox, clock } = this.parts;
    while (true) {
      const mode = this.#stopMode;
      if (mode === "yield") return;
      if (mode === "shutdown") this.#prepareShutdown();
      const jobs = mailbox.entries();
      if (jobs.length === 0 && mode !== null) return;
      const now = clock.now();
      // Only the oldest job of each outlet may act, so only those are shown to the scheduler.
      const front = heads(jobs, (j) => j.command.outlet);
      this.#startWaits(front, now);
      const decision = decide(front.map((j) => this.#view(j)), {
        now,
        lastOperationAt: this.parts.memory.lastOperationAt,
        gapMs: this.parts.settings.commandGapMs,
      });
      switch (decision.type) {
        case "advance":
          for (const seq of decision.seqs) {
            const job = front.find((j) => j.seq === seq);
            if (job) this.#advance(job);
          }
          break;
        case "run": {
          const job = front.find((j) => j.seq === decision.seq);
          if (job) await this.#runStep(job);
          break;
        }
        case "sleep":
          await this.#sleep(decision.until - now);
          break;
        case "idle":
          await this.#sleep(Infinity);
          break;
      }
    }
  }

  #view(job: Job): JobView {
    const step = job.steps[job.stepIndex];
    if (step?.kind === "wait") {
      return {
        seq: job.seq,
        outlet: job.command.outlet,
        step: "wait",
        readyAt: job.waitUntil ?? 0,
      };
    }
    const view: JobView = {
      seq: job.seq,
      outlet: job.command.outlet,
      step: "set",
      readyAt: job.retryAt ?? 0,
    };
    // Readings yield to switching (scheduler.ts); a status read keeps its place.
    if (job.command.type === "power" || job.command.type === "list") view.background = true;
    return view;
  }

  /** A wait starts when its job reaches the head of its outlet's line (`front`). */
  #startWaits(front: readonly Job[], now: number): void {
    for (const job of front) {
      const step = job.steps[job.stepIndex];
      if (step?.kind === "wait" && job.waitUntil === undefined) job.waitUntil = now + step.ms;
    }
  }

  /** Shutdown: unstarted jobs are refused; started ones skip their waits and finish. */
  #prepareShutdown(): void {
    const { mailbox, clock } = this.parts;
    for (const job of [...mailbox.entries()]) {
      if (!job.started) {
        mailbox.settle(job, notStartedAtShutdown(job));
      } else if (job.steps[job.stepIndex]?.kind === "wait") {
        job.waitUntil = clock.now();
      }
    }
  }

  #advance(job: Job): void {
    job.stepIndex++;
    delete job.waitUntil;
    delete job.retryAt;
    job.attempts = 0;
    if (job.stepIndex >= job.steps.length) {
      const result: JobResult = {
        status: "done",
        jobId: job.id,
        pdu: this.pdu,
        outlet: job.command.outlet,
        state: job.lastState ?? this.parts.memory.outlets.get(job.command.outlet)?.state ?? null,
        source: job.readFromDevice || job.report ? "device" : "commanded",
      };
      if (job.power) result.power = job.power;
      if (job.report) {
        result.outlets = [...job.report.values()].sort((a, b) => a.outlet - b.outlet);
        result.exchanges = job.exchanges ?? 0;
        result.via = job.via ?? "list";
      }
      this.parts.mailbox.settle(job, result);
    }
  }

  #settleFailed(job: Job, kind: FailureKind, reason: string): void {
    this.parts.mailbox.settle(job, {
      status: "failed",
      jobId: job.id,
      pdu: this.pdu,
      kind,
      reason,
    });
  }

  async #runStep(job: Job): Promise<void> {
    const { driver, settings, memory, clock, log } = this.parts;
    const step = job.steps[job.stepIndex];
    if (step === undefined || step.kind === "wait") {
      throw new ActorCrash("scheduling", "asked to run a wait step");
    }
    if (step.kind === "list" && driver.listOutlets === undefined) return this.#perOutlet(job);
    if (step.kind === "power" && driver.readPower === undefined) {
      return this.#notSupported(job, `the driver of "${this.pdu}" reads no power`);
    }
    const outlet = step.kind === "get" || step.kind === "power"
      ? step.outlet ?? job.command.outlet
      : job.command.outlet;
    const canRead = typeof outlet === "string"
      ? driver.getNamedOutlet !== undefined
      : driver.getOutlet !== undefined;
    if (step.kind === "get" && !canRead) {
      // The device cannot tell: answer with what pdud last set, marked as such.
      this.#advance(job);
      return;
    }
    const what = step.kind === "get"
      ? `read outlet ${outlet}`
      : step.kind === "power"
      ? `read power of outlet ${outlet}`
      : step.kind === "list"
      ? "list outlets"
      : `set outlet ${outlet} ${step.state}`;
    job.attempts++;
    job.started = true;
    if (job.command.type === "list") job.exchanges = (job.exchanges ?? 0) + 1;
    const attempt = `attempt ${job.attempts} of ${settings.retries}`;
    const controller = new AbortController();
    const watchdog = this.#watchdog ??= new Watchdog(clock, () => this.#timedOut?.());
    let abandon: Timer | undefined;
    const started = clock.now();
    memory.inFlight++;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#timedOut = () => {
          controller.abort(new Error(`timed out after ${settings.timeoutMs} ms`));
          // A driver that ignores abort is abandoned after a grace period: a defect.
          abandon = clock.setTimer(settings.abortGraceMs, () => {
            reject(
              new ActorCrash(
                what,
                `driver did not settle ${settings.abortGraceMs} ms after being aborted`,
              ),
            );
          });
        };
        watchdog.arm(settings.timeoutMs);
        const signal = controller.signal;
        if (step.kind === "get") {
          (typeof outlet === "string"
            ? driver.getNamedOutlet!(outlet, { signal })
            : driver.getOutlet!(outlet, { signal })).then((state) => {
              if (step.outlet === undefined) {
                job.lastState = state;
                job.readFromDevice = true;
              } else reportOf(job, step.outlet).state = state;
              resolve();
            }, reject);
        } else if (step.kind === "power") {
          driver.readPower!(outlet as number, { signal }).then((reading) => {
            if (step.outlet === undefined) job.power = reading;
            else reportOf(job, step.outlet).power = reading;
            resolve();
          }, reject);
        } else if (step.kind === "list") {
          driver.listOutlets!({ signal }).then((list) => {
            this.#listed(job, list);
            resolve();
          }, reject);
        } else if (typeof outlet === "string") {
          // The supervisor lets a name through only for a descriptor with namedOutlets.
          if (driver.setNamedOutlet === undefined) {
            reject(
              new DriverError("config", `the driver of "${this.pdu}" cannot switch named outlets`),
            );
          } else driver.setNamedOutlet(outlet, step.state, { signal }).then(resolve, reject);
        } else {
          driver.setOutlet(outlet, step.state, { signal }).then(resolve, reject);
        }
      });
      const ms = clock.now() - started;
      if (step.kind === "set") {
        job.lastState = step.state;
        job.readFromDevice = false;
        memory.outlets.set(outlet, { state: step.state, at: Date.now() });
        log.debug("outlet set", { outlet, state: step.state, ms, job: job.id, ...job.requester });
        this.parts.onSet?.(job, outlet, step.state, ms);
      }
      this.#advance(job);
    } catch (error) {
      if (error instanceof ActorCrash) {
        this.#failIfExhausted(job, "internal", error.reason);
        throw error;
      }
      const timedOut = controller.signal.aborted;
      if (!(error instanceof DriverError) && !timedOut) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.#failIfExhausted(job, "internal", reason);
        throw new ActorCrash(what, reason, { cause: error });
      }
      const driverError = error instanceof DriverError ? error : undefined;
      const kind: FailureKind = timedOut ? "timeout" : driverError!.kind;
      // A driver that knows what it was waiting for says so when aborted (the prompt it never
      // saw, "agents drop a wrong community silently"); that goes into the reason.
      const hint = timedOut && driverError && !driverError.aborted
        ? `: ${driverError.message}`
        : "";
      const detail = timedOut
        ? `no answer within ${settings.timeoutMs} ms${hint}`
        : driverError!.message;
      // A permanent error (wrong credentials, an outlet the device lacks) cannot be fixed by
      // trying again; the reply says why it was not.
      const permanent = !timedOut && driverError!.permanent;
      const tail = permanent ? `${attempt}; not retried: the error is permanent` : attempt;
      const reason = step.kind === "set"
        ? `Cannot switch outlet ${outlet} of "${this.pdu}" ${step.state}: ${detail} (${tail})`
        : step.kind === "list"
        ? `Cannot list the outlets of "${this.pdu}": ${detail} (${tail})`
        : step.kind === "power"
        ? `Cannot read the power of outlet ${outlet} of "${this.pdu}": ${detail} (${tail})`
        : `Cannot read outlet ${outlet} of "${this.pdu}": ${detail} (${tail})`;
      // A list's reading of an outlet the device does not meter: skipped, the others still
      // count, and it is no error of the PDU's (a metrics read meets it at every interval).
      const unmetered = permanent && step.kind === "power" && step.outlet !== undefined;
      if (unmetered) {
        log.debug("outlet not metered", { outlet, reason, job: job.id });
      } else {
        memory.lastError = reason;
        job.lastError = reason;
        log.warn("operation failed", { outlet, kind, reason, job: job.id, permanent });
      }
      await this.#closeDriver();
      if (unmetered) {
        this.#advance(job);
      } else if (permanent || job.attempts >= settings.retries) {
        this.#settleFailed(job, kind, reason);
      } else {
        job.retryAt = clock.now() + settings.retryDelayMs;
      }
    } finally {
      watchdog.disarm();
      this.#timedOut = undefined;
      abandon?.cancel();
      memory.inFlight--;
      memory.lastOperationAt = clock.now();
    }
  }

  /** What one all-outlet exchange reported; a power list of outlets it gave none is read on. */
  #listed(job: Job, list: readonly OutletStatus[]): void {
    job.via = "list";
    for (const status of list) {
      const entry = reportOf(job, status.outlet);
      entry.state = status.state;
      if (status.name !== undefined) entry.name = status.name;
      if (status.power !== undefined) entry.power = status.power;
    }
    const command = job.command;
    if (command.type !== "list" || !command.power || this.parts.driver.readPower === undefined) {
      return;
    }
    // A listing that carries power for no outlet does not carry it at all (a state walk):
    // the readings follow, outlet by outlet, in the same job.
    if (list.some((s) => s.power !== undefined)) return;
    const outlets = command.outlets?.length ? command.outlets : list.map((s) => s.outlet);
    job.steps = [
      ...job.steps.slice(0, job.stepIndex + 1),
      ...outlets.map((outlet): Step => ({ kind: "power", outlet })),
    ];
  }

  /**
   * A list the driver cannot make in one exchange: read outlet by outlet over the PDU's range,
   * each read a step of its own (timeout, retries, command_gap, switching first).
   */
  #perOutlet(job: Job): void {
    const { driver } = this.parts;
    const command = job.command;
    const outlets = command.type === "list" ? command.outlets ?? [] : [];
    const power = command.type === "list" && command.power === true;
    const can = power ? driver.readPower !== undefined : driver.getOutlet !== undefined;
    if (!can || outlets.length === 0) {
      return this.#notSupported(
        job,
        !can
          ? `the driver of "${this.pdu}" can neither list its outlets nor read ${
            power ? "their power" : "them"
          } one by one`
          : `the driver of "${this.pdu}" cannot list its outlets and declares no outlet range`,
      );
    }
    job.via = "per-outlet";
    job.exchanges = 0;
    job.steps = outlets.map((outlet): Step => ({ kind: power ? "power" : "get", outlet }));
    job.stepIndex = 0;
    for (const outlet of outlets) reportOf(job, outlet);
  }

  #notSupported(job: Job, reason: string): void {
    this.parts.mailbox.settle(job, {
      status: "refused",
      jobId: job.id,
      pdu: this.pdu,
      kind: "not_supported",
      reason,
    });
  }

  /** A job whose attempts are used up is not re-run by the next incarnation. */
  #failIfExhausted(job: Job, kind: FailureKind, reason: string): void {
    if (job.attempts >= this.parts.settings.retries) {
      this.#settleFailed(
        job,
        kind,
        `Cannot switch outlet ${job.command.outlet} of "${this.pdu}": ${reason} ` +
          `(attempt ${job.attempts} of ${this.parts.settings.retries})`,
      );
    }
  }

  /** Tears the connection down between attempts, bounded so a stuck close cannot block. */
  async #closeDriver(): Promise<void> {
    const { driver, clock, settings, log } = this.parts;
    let timer: Timer | undefined;
    try {
      await Promise.race([
        driver.close(),
        new Promise<void>((resolve) => timer = clock.setTimer(settings.abortGraceMs, resolve)),
      ]);
    } catch (error) {
      log.warn("driver close failed", { error });
    } finally {
      timer?.cancel();
    }
  }

  #sleep(ms: number): Promise<void> {
    const { mailbox, clock } = this.parts;
    return new Promise<void>((resolve) => {
      const changed = mailbox.changed();
      const timer = Number.isFinite(ms) ? clock.setTimer(ms, done) : undefined;
      this.#wake = done;
      changed.promise.then(done);
      function done() {
        timer?.cancel();
        changed.cancel();
        resolve();
      }
    }).finally(() => this.#wake = null);
  }
}

/** A list job's entry for `outlet`, made on first use. */
function reportOf(job: Job, outlet: number): OutletReport {
  job.report ??= new Map();
  let entry = job.report.get(outlet);
  if (entry === undefined) job.report.set(outlet, entry = { outlet });
  return entry;
}
