/**
 * The supervisor: the map of PDU slots (actors/slot.ts holds each one's state machine),
 * admission of requests, the reload diff, and the shutdown order. Every job's outcome is logged
 * here, refusals of PDUs that never reach a slot included.
 * @module
 */
import {
  collectSecrets,
  type Config,
  configGroups,
  type GroupMember,
  parseOutletList,
  type SecretEnv,
  type Secrets,
} from "../config/mod.ts";
import {
  type AnyDriverDescriptor,
  type Driver,
  findDriver,
  type Logger,
  type OutletId,
} from "../drivers/mod.ts";
import { type Clock, sleep, SYSTEM_CLOCK } from "./clock.ts";
import type { EventHub } from "./events.ts";
import type { Job, Requester } from "./job.ts";
import { describeCommand, isRead, type JobResult, type PduCommand, stepsOf } from "./messages.ts";
import { type DriverCapabilities, Slot, type SlotSnapshot, type SlotState } from "./slot.ts";

export type { DriverCapabilities };

/** What a PDU looks like from outside. */
export interface PduSnapshot {
  name: string;
  driver: string;
  state: "idle" | "busy" | "failed" | "unavailable" | "stopping";
  /** The slot's state machine state (actors/slot.ts). */
  slot: SlotState;
  queueDepth: number;
  queueLimit: number;
  restarts: number;
  lastError: string | null;
  /** Outlets pdud has set, with the state it set. */
  outlets: Record<string, { state: "on" | "off"; at: string }>;
  /**
   * The outlet numbers the driver accepts (its descriptor's `outletRange`), so a client can
   * list outlets pdud has not touched yet; null when the driver declares none or is missing.
   */
  outletRange: { min: number; max: number } | null;
}

/** What a shutdown could not finish. */
export interface ShutdownReport {
  unfinished: { pdu: string; outlet: OutletId; command: string }[];
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
  /**
   * pdud's own request (the metrics' power refresh): not published on the event stream and not
   * passed to `onJob`, so dashboards and request counts see what clients asked, not scrapes.
   */
  background?: boolean;
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
  resolveAlias(alias: string): { pdu: string; outlet: OutletId } | undefined;
  /** The PDU and outlets a group names, in order. */
  resolveGroup(group: string): { pdu: string; outlets: number[] } | undefined;
  /**
   * The outlets a group names, in order, across PDUs: config `groups` and aliases carrying
   * upstream's `group` key (pdudaemon PR #169).
   */
  resolveGroupMembers(group: string): readonly GroupMember[] | undefined;
  /** Every group with its outlets, in config order. */
  listGroups(): { name: string; members: readonly GroupMember[] }[];
  /** Every alias with the PDU and outlet it names, in config order. */
  listAliases(): { name: string; pdu: string; outlet: OutletId }[];
  /** Every PDU's state. */
  snapshot(): PduSnapshot[];
  /**
   * What the PDU's running driver can read (its optional methods), or undefined when the PDU is
   * unknown or has no driver right now; lets a route skip a read the driver cannot make.
   */
  capabilities?(pdu: string): DriverCapabilities | undefined;
  /**
   * Applies a new config; queues are kept. Throws ShuttingDownError once shutdown began.
   * `secrets`: the new config's, when the caller collected them already (see SupervisorOptions).
   */
  reload(config: Config, options?: { secrets?: Secrets }): ReloadReport;
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
  /** Where token `secret_env` values are read (default the process environment). */
  env?: SecretEnv;
  /**
   * The config's secret values, when the caller has collected them already (the daemon collects
   * them once, for the root logger and the supervisor); default: collected here from `env`.
   */
  secrets?: Secrets;
  /** The event stream's hub: jobs, outlet and PDU state changes are published to it. */
  events?: EventHub;
  /** Put around each new driver (cluster mode: fencing by lease); see SlotContext. */
  wrapDriver?: (pdu: string, driver: Driver) => Driver;
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
  outlet: OutletId;
  state: "on" | "off";
  ms: number;
  jobId: string;
  requester: Requester;
}

/** A reload asked for after shutdown began: refused, nothing changes. */
export class ShuttingDownError extends Error {
  /** @param options the cause, if any */
  constructor(options?: ErrorOptions) {
    super("pdud is shutting down; reload refused", options);
    this.name = "ShuttingDownError";
  }
}

let jobCounter = 0;

/**
 * The most outlets a list reads one by one (a driver that cannot list in one exchange): a
 * Modbus device's 65536 coils must not become one job of 65536 reads.
 */
const MAX_ONE_BY_ONE = 256;

/** Every outlet number of a range, in order (empty without one, or beyond MAX_ONE_BY_ONE). */
function rangeOf(range: { min: number; max: number } | undefined): number[] {
  if (range === undefined || range.max - range.min + 1 > MAX_ONE_BY_ONE) return [];
  return Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i);
}

/** A PDU's state as clients see it, from its slot's. */
function pduState(s: SlotSnapshot): PduSnapshot["state"] {
  return s.state === "unavailable" || s.state === "failed"
    ? s.state
    : s.state === "draining" || s.state === "stopping" || s.state === "stopped"
    ? "stopping"
    : s.inFlight > 0 || s.queueDepth > 0
    ? "busy"
    : "idle";
}

/** What every job event says: the job, its command and who asked (a token's name, never its value). */
function jobData(pdu: string, job: string | undefined, command: PduCommand, requester: Requester) {
  return {
    pdu,
    outlet: command.outlet,
    command: command.type,
    ...(command.type === "reboot" ? { delay: command.delay } : {}),
    ...(command.type === "delay" ? { delay: command.seconds } : {}),
    ...("delayBefore" in command && command.delayBefore ? { delay: command.delayBefore } : {}),
    ...(job ? { job } : {}),
    principal: requester.token ?? "anonymous",
    ...(requester.transport ? { transport: requester.transport } : {}),
    ...(requester.address ? { address: requester.address } : {}),
    ...(requester.requestId ? { requestId: requester.requestId } : {}),
  };
}

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
  #wrapDriver: ((pdu: string, driver: Driver) => Driver) | undefined;
  #events: EventHub | undefined;
  /** The PDU state last published per PDU, so only changes are. */
  #published = new Map<string, string>();

  #env: SecretEnv;
  /** Every configured secret value: drivers' errors and log lines are scrubbed of them. */
  #secrets: Secrets;

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
    this.#wrapDriver = options.wrapDriver;
    this.#events = options.events;
    this.#aliases = config.aliases;
    this.#groups = config.groups;
    this.#groupMembers = configGroups(config);
    this.#env = options.env ?? ((name) => Deno.env.get(name));
    this.#secrets = options.secrets ?? collectSecrets(config, this.#env);
    for (const pdu of Object.values(config.pdus)) this.#addSlot(pdu);
  }

  submit(request: SubmitRequest): Promise<JobResult> {
    const started = this.#clock.now();
    return this.#submit(request).then((result) => {
      this.#logOutcome(request, result);
      const ms = this.#clock.now() - started;
      // pdud's own reads are not requests: metrics count them apart, audit has nothing to say.
      if (!request.background) this.#onJob?.({ request, result, ms });
      if (this.#events?.wanted && !request.background) this.#publishResult(request, result, ms);
      return result;
    });
  }

  /** One line per job: done at INFO (a status read at DEBUG), failed and refused at WARN. */
  #logOutcome(request: SubmitRequest, result: JobResult): void {
    const { requestId, transport, address, token } = request.requester ?? {};
    const fields: Record<string, unknown> = {
      pdu: request.pdu,
      outlet: request.command.outlet,
      command: request.command.type,
      ...(result.jobId ? { job: result.jobId } : {}),
      ...(requestId ? { requestId } : {}),
      ...(transport ? { transport } : {}),
      ...(address ? { address } : {}),
      // The token's configured name, never its value.
      principal: token ?? "anonymous",
    };
    if (result.status === "done") {
      const at = isRead(request.command) ? this.#log.debug : this.#log.info;
      at("job done", { ...fields, ...(result.state ? { state: result.state } : {}) });
    } else {
      this.#log.warn(`job ${result.status}`, {
        ...fields,
        kind: result.kind,
        reason: result.reason,
      });
    }
  }

  #submit(request: SubmitRequest): Promise<JobResult> {
    const { pdu } = request;
    let { command } = request;
    const slot = this.#slots.get(pdu);
    const refuse = (kind: Extract<JobResult, { status: "refused" }>["kind"], reason: string) =>
      Promise.resolve<JobResult>({ status: "refused", pdu, kind, reason });
    if (this.#shuttingDown) return refuse("shutting_down", "pdud is shutting down");
    if (slot === undefined) return refuse("unknown_pdu", `no PDU named "${pdu}" is configured`);
    switch (slot.state) {
      case "unavailable":
        return refuse(
          "driver_unavailable",
          `driver "${slot.config.driver}" of PDU "${pdu}" is not available in this pdud`,
        );
      case "draining":
      case "stopped":
        return refuse("removed", `PDU "${pdu}" is being removed`);
      case "stopping":
        return refuse("shutting_down", "pdud is shutting down");
      case "failed":
        return refuse("pdu_failed", `PDU "${pdu}" has failed: ${slot.failureReason}`);
      case "running":
      case "reconfiguring":
        break;
    }
    const descriptor = this.#find(slot.config.driver);
    const range = this.#outletRange(slot);
    if (command.type === "list" || command.type === "power") {
      const refusal = this.#readable(slot, command, range);
      if (refusal) return refuse(refusal.kind, refusal.reason);
    }
    if (command.type === "list") {
      // The range the actor reads outlet by outlet when the driver cannot list in one exchange.
      command = { ...command, outlets: rangeOf(range) };
    } else if (typeof command.outlet === "string" && !descriptor?.namedOutlets) {
      return refuse(
        "bad_outlet",
        `PDU "${pdu}" (driver ${slot.config.driver}) cannot name outlets: port ` +
          `"${command.outlet}" is a name, and ${slot.config.driver} expects an outlet number` +
          (range ? ` ${range.min}..${range.max}` : ""),
      );
    }
    if (
      range && typeof command.outlet === "number" &&
      (command.outlet < range.min || command.outlet > range.max)
    ) {
      return refuse(
        "bad_outlet",
        `PDU "${pdu}" has outlets ${range.min} to ${range.max}, not ${command.outlet}`,
      );
    }
    return new Promise<JobResult>((resolve) => {
      const job: Omit<Job, "seq"> = {
        id: `j${(++jobCounter).toString(36)}`,
        pdu,
        command,
        steps: stepsOf(command),
        requester: request.requester ?? {},
        acceptedAt: this.#clock.now(),
        ...(request.background ? { background: true } : {}),
        stepIndex: 0,
        attempts: 0,
        started: false,
        lastState: null,
        resolve,
      };
      if (!slot.offer(job)) {
        resolve({
          status: "refused",
          pdu,
          kind: "queue_full",
          reason: `queue of PDU "${pdu}" is full (${slot.queueLimit} jobs waiting)`,
        });
        return;
      }
      this.#log.debug("job accepted", {
        pdu,
        job: job.id,
        command: describeCommand(command),
        requestId: job.requester.requestId,
      });
      if (this.#events?.wanted && !request.background) {
        this.#events.publish("job.accepted", jobData(pdu, job.id, command, job.requester));
        this.#publishPdu(slot, "job");
      }
    });
  }

  #publishResult(request: SubmitRequest, result: JobResult, ms: number): void {
    const events = this.#events!;
    const data = jobData(request.pdu, result.jobId, request.command, request.requester ?? {});
    if (result.status === "done") {
      // As for a set, the outlet's change comes before the job's end.
      if (result.source === "device" && result.state) {
        events.outletState(request.pdu, result.outlet, result.state, "device", {
          job: result.jobId,
          principal: data.principal,
        });
      }
      // A list read is a device read of every outlet: the changes it finds are reported too.
      for (const o of result.outlets ?? []) {
        if (o.state === undefined) continue;
        events.outletState(request.pdu, o.outlet, o.state, "device", {
          job: result.jobId,
          principal: data.principal,
        });
      }
      events.publish("job.done", { ...data, state: result.state, source: result.source, ms });
    } else {
      events.publish(`job.${result.status}`, {
        ...data,
        kind: result.kind,
        reason: result.reason,
        ms,
      });
    }
    const slot = this.#slots.get(request.pdu);
    if (slot) this.#publishPdu(slot, "job");
  }

  /** Publishes the PDU's state (as snapshot() names it) when it differs from the last one. */
  #publishPdu(slot: Slot, via: string, from?: SlotState): void {
    const view = slot.snapshot();
    const state = pduState(view);
    const last = this.#published.get(slot.name);
    const key = `${state}/${view.state}`;
    if (last === key) return;
    this.#published.set(slot.name, key);
    this.#events!.publish("pdu.state", {
      pdu: slot.name,
      state,
      slot: view.state,
      ...(from ? { from } : {}),
      via,
      queueDepth: view.queueDepth,
      restarts: view.restarts,
      lastError: view.lastError,
    });
  }

  get stopping(): boolean {
    return this.#shuttingDown;
  }

  resolveAlias(alias: string): { pdu: string; outlet: OutletId } | undefined {
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

  listAliases(): { name: string; pdu: string; outlet: OutletId }[] {
    return Object.entries(this.#aliases).map(([name, a]) => ({
      name,
      pdu: a.hostname,
      outlet: a.port,
    }));
  }

  /**
   * Whether the PDU's driver can do a read (power, list) at all, as far as its running driver
   * tells: a refusal when it cannot, so the client hears "not supported" without queueing.
   */
  #readable(
    slot: Slot,
    command: Extract<PduCommand, { type: "list" | "power" }>,
    range: { min: number; max: number } | undefined,
  ): { kind: "bad_outlet" | "not_supported"; reason: string } | undefined {
    const pdu = slot.name;
    const driver = slot.config.driver;
    if (command.type === "power" && typeof command.outlet !== "number") {
      return { kind: "bad_outlet", reason: `power is read by outlet number, not by name` };
    }
    const can = slot.capabilities();
    if (can === undefined) return undefined; // No driver right now: the actor decides.
    if (command.type === "power") {
      return can.readPower ? undefined : {
        kind: "not_supported",
        reason: `PDU "${pdu}" (driver ${driver}) does not report power`,
      };
    }
    if (can.listOutlets) return undefined;
    const oneByOne = command.power ? can.readPower : can.getOutlet;
    if (!oneByOne) {
      return {
        kind: "not_supported",
        reason: command.power
          ? `PDU "${pdu}" (driver ${driver}) does not report power`
          : `PDU "${pdu}" (driver ${driver}) cannot read its outlets' states`,
      };
    }
    if (range === undefined) {
      return {
        kind: "not_supported",
        reason: `PDU "${pdu}" (driver ${driver}) cannot list its outlets in one exchange and ` +
          `declares no outlet range to read one by one`,
      };
    }
    const count = range.max - range.min + 1;
    return count <= MAX_ONE_BY_ONE ? undefined : {
      kind: "not_supported",
      reason: `PDU "${pdu}" (driver ${driver}) cannot list its outlets in one exchange, and ` +
        `its ${count} outlets are more than ${MAX_ONE_BY_ONE} to read one by one`,
    };
  }

  #outletRange(slot: Slot): { min: number; max: number } | undefined {
    return this.#find(slot.config.driver)?.outletRange?.(slot.config.options);
  }

  /**
   * Seeds what pdud last set (from the audit log at start), so outlet state survives a
   * restart of pdud; marked "commanded" as any state pdud did not read from the device.
   */
  restoreOutlets(pdu: string, outlets: Map<OutletId, { state: "on" | "off"; at: number }>): void {
    this.#slots.get(pdu)?.restoreOutlets(outlets);
  }

  capabilities(pdu: string): DriverCapabilities | undefined {
    return this.#slots.get(pdu)?.capabilities();
  }

  /** Whether a PDU of this name is configured. */
  hasPdu(name: string): boolean {
    return this.#slots.has(name);
  }

  snapshot(): PduSnapshot[] {
    return [...this.#slots.values()].map((slot) => {
      const s = slot.snapshot();
      return {
        name: slot.name,
        driver: slot.config.driver,
        state: pduState(s),
        slot: s.state,
        queueDepth: s.queueDepth,
        queueLimit: s.queueLimit,
        restarts: s.restarts,
        lastError: s.lastError,
        outlets: Object.fromEntries(
          [...s.outlets].map((
            [outlet, v],
          ) => [String(outlet), { state: v.state, at: new Date(v.at).toISOString() }]),
        ),
        outletRange: this.#outletRange(slot) ?? null,
      };
    });
  }

  reload(config: Config, options: { secrets?: Secrets } = {}): ReloadReport {
    // A reload during shutdown would hand stopping slots new work (issue: SIGHUP at SIGTERM).
    if (this.#shuttingDown) throw new ShuttingDownError();
    const report: ReloadReport = { added: [], removed: [], changed: [] };
    this.#aliases = config.aliases;
    this.#groups = config.groups;
    this.#groupMembers = configGroups(config);
    this.#secrets = options.secrets ?? collectSecrets(config, this.#env);
    for (const [name, slot] of this.#slots) {
      if (!(name in config.pdus) && slot.dispatch({ type: "remove" })) {
        report.removed.push(name);
        slot.stopped.then(() => {
          if (this.#slots.get(name) !== slot) return;
          this.#slots.delete(name);
          if (this.#events?.wanted) {
            this.#published.delete(name);
            this.#events.forget(name);
            this.#events.publish("pdu.state", { pdu: name, state: "removed", via: "remove" });
          }
        });
      }
    }
    for (const pdu of Object.values(config.pdus)) {
      const slot = this.#slots.get(pdu.name);
      if (slot === undefined || slot.state === "stopped") {
        report.added.push(pdu.name);
        this.#addSlot(pdu);
      } else if (slot.state === "draining") {
        // Re-added while its removal drains: the same slot carries on with the new config.
        report.added.push(pdu.name);
        slot.dispatch({ type: "reconfigure", config: pdu });
      } else if (JSON.stringify(slot.config.raw) !== JSON.stringify(pdu.raw)) {
        report.changed.push(pdu.name);
        slot.dispatch({ type: "reconfigure", config: pdu });
      } else if (slot.state === "failed") {
        // The README's promise: a reload brings a failed PDU back, changed or not.
        slot.dispatch({ type: "reconfigure", config: pdu });
      }
    }
    this.#log.info("config reloaded", { ...report });
    return report;
  }

  async shutdown(options: { graceMs?: number } = {}): Promise<ShutdownReport> {
    const graceMs = options.graceMs ?? 30_000;
    this.#shuttingDown = true;
    const slots = [...this.#slots.values()];
    for (const slot of slots) slot.dispatch({ type: "shutdown" });
    const grace = new AbortController();
    const all = Promise.all(slots.map((s) => s.stopped));
    await Promise.race([all, sleep(this.#clock, graceMs, grace.signal)]);
    grace.abort();
    const report: ShutdownReport = { unfinished: slots.flatMap((slot) => slot.abandon(graceMs)) };
    for (const u of report.unfinished) this.#log.error("left unfinished at shutdown", { ...u });
    await Promise.all(slots.map((s) => s.closeDriver()));
    return report;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ graceMs: 0 });
  }

  #addSlot(config: Config["pdus"][string]): void {
    this.#slots.set(
      config.name,
      new Slot(config, {
        clock: this.#clock,
        log: this.#log,
        find: this.#find,
        abortGraceMs: this.#abortGraceMs,
        backoff: this.#backoff,
        random: this.#random,
        secrets: (pdu) => this.#secrets.forPdu(pdu),
        onSet: (job, outlet, state, ms) => {
          this.#onSet?.({
            pdu: job.pdu,
            driver: this.#slots.get(job.pdu)?.config.driver ?? config.driver,
            outlet,
            state,
            ms,
            jobId: job.id,
            requester: job.requester,
          });
          if (this.#events?.wanted) {
            this.#events.outletState(job.pdu, outlet, state, "commanded", {
              job: job.id,
              principal: job.requester.token ?? "anonymous",
            });
          }
        },
        onState: (slot, from, event) => {
          if (this.#events?.wanted) this.#publishPdu(slot, event, from);
        },
        onStart: (job) => {
          if (job.background) return;
          this.#events?.publish(
            "job.started",
            jobData(job.pdu, job.id, job.command, job.requester),
          );
        },
        wantStarts: () => this.#events?.wanted ?? false,
        ...(this.#wrapDriver ? { wrapDriver: this.#wrapDriver } : {}),
      }),
    );
  }
}
