/**
 * The event hub behind `GET /api/v1/events`: jobs, outlet and PDU state changes, numbered, kept in
 * a bounded ring for `Last-Event-ID` resume, and handed to subscribers through bounded buffers.
 *
 * Publishing never waits for a subscriber: it appends to arrays and returns. A subscriber whose
 * buffer is full is dropped with a final `dropped` event (and abandoned after a grace period if it
 * cannot even take that), so a slow or dead client can neither slow a PDU nor grow memory.
 * Until the first subscriber arrives nothing is recorded: call sites check {@link EventHub.wanted}
 * before building an event, so a daemon nobody watches pays one property read per event.
 * @module
 */
import { type Driver, wrapDriver } from "../drivers/mod.ts";
import { type Clock, SYSTEM_CLOCK, type Timer } from "./clock.ts";
import type { Job } from "./job.ts";

/** The event types a subscriber may see. */
export const EVENT_TYPES = [
  "job.accepted",
  "job.started",
  "job.done",
  "job.failed",
  "job.refused",
  "outlet.state",
  "pdu.state",
] as const;

/** An event type. */
export type EventType = typeof EVENT_TYPES[number];

/** One recorded event: its number, type and JSON data (serialized once, shared by all). */
export interface HubEvent {
  readonly seq: number;
  /** `<boot>-<seq>`: the SSE `id:`. */
  readonly id: string;
  readonly type: EventType | "ready" | "reset" | "dropped" | "closed";
  readonly data: string;
  /** The PDU the event is about (every numbered event names one), for subscribers' filters. */
  readonly pdu?: string;
}

/** Options of EventHub.subscribe. */
export interface SubscribeOptions {
  /**
   * Only events about these PDUs (job.*, outlet.state, pdu.state), in the replay too; stream
   * control events (reset, dropped, closed) always. Default: every PDU.
   */
  pdus?: ReadonlySet<string>;
}

/** Options of EventHub (sizes in events, times in ms). */
export interface EventHubOptions {
  clock?: Clock;
  /** Events kept for resume (default 1000). */
  ringSize?: number;
  /** Events one subscriber may have waiting before it is dropped (default 1000). */
  bufferSize?: number;
  /** Subscribers at once; more are refused (default 64). */
  maxSubscribers?: number;
  /** How long a dropped subscriber gets to take its final event before it is abandoned (5 s). */
  dropGraceMs?: number;
  /** A subscriber with nothing to read is woken this often, for a keep-alive (default 25 s). */
  heartbeatMs?: number;
  /** This run's id prefix (default: the start time in base 36), so ids of a past run are told apart. */
  boot?: string;
  /** Wall clock for the `time` field (default Date.now). */
  wallClock?: () => number;
}

/** Why a subscription could not be made. */
export type SubscribeRefusal =
  | { error: "bad_id"; message: string }
  | { error: "too_many" | "closed"; message: string };

/** One subscriber's view of the hub. */
export class Subscription {
  #hub: EventHub;
  #buffer: HubEvent[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #final: HubEvent | null = null;
  #abandon: Timer | null = null;
  #onAbandon: (() => void) | null = null;
  #pdus: ReadonlySet<string> | null;

  /** @internal made by EventHub.subscribe */
  constructor(hub: EventHub, first: HubEvent[], pdus: ReadonlySet<string> | null = null) {
    this.#hub = hub;
    this.#buffer = first;
    this.#pdus = pdus;
  }

  /** Whether this subscriber wants `event` (its PDU filter). */
  wants(event: HubEvent): boolean {
    return this.#pdus === null || (event.pdu !== undefined && this.#pdus.has(event.pdu));
  }

  /** Events waiting to be written. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Whether the subscription has ended (nothing more will come after what `take()` returns). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Everything waiting, in order, the final event (dropped, closed) last. */
  take(): HubEvent[] {
    const out = this.#buffer;
    this.#buffer = [];
    if (this.#final) {
      out.push(this.#final);
      this.#final = null;
    }
    return out;
  }

  /**
   * Resolves when there is something to take, the subscription ended, or a heartbeat is due
   * (then it resolves with "idle").
   */
  wait(): Promise<"ready" | "idle"> {
    if (this.#buffer.length > 0 || this.#final || this.#ended) return Promise.resolve("ready");
    return new Promise((resolve) => {
      const timer = this.#hub.clock.setTimer(this.#hub.heartbeatMs, () => finish("idle"));
      const finish = (why: "ready" | "idle") => {
        timer.cancel();
        this.#wake = null;
        resolve(why);
      };
      this.#wake = () => finish("ready");
    });
  }

  /** Called when a dropped subscriber did not take its final event in time (close its stream). */
  onAbandon(callback: () => void): void {
    this.#onAbandon = callback;
  }

  /** The subscriber went away, or has written its final event: releases everything. */
  close(): void {
    this.#hub.remove(this);
    this.#ended = true;
    this.#buffer = [];
    this.#final = null;
    this.#abandon?.cancel();
    this.#abandon = null;
    this.#wake?.();
  }

  /** @internal */
  push(event: HubEvent): void {
    if (this.#ended || !this.wants(event)) return;
    if (this.#buffer.length >= this.#hub.bufferSize) {
      this.end("dropped", {
        reason: `this subscriber fell ${this.#hub.bufferSize} events behind and was dropped; ` +
          "reconnect with Last-Event-ID to resume from the ring",
        // What this client will not get; its last id seen is where a resume starts.
        discarded: this.#buffer.length,
        firstDiscarded: this.#buffer[0]?.id ?? null,
      }, { discard: true });
      return;
    }
    this.#buffer.push(event);
    this.#wake?.();
  }

  /** @internal Ends with a final event; `discard` frees what was waiting (a dropped subscriber). */
  end(type: "dropped" | "closed", data: object, options: { discard?: boolean } = {}): void {
    if (this.#ended) return;
    this.#hub.remove(this);
    this.#ended = true;
    if (options.discard) this.#buffer = [];
    this.#final = this.#hub.control(type, data);
    this.#abandon = this.#hub.clock.setTimer(this.#hub.dropGraceMs, () => {
      this.#abandon = null;
      this.#buffer = [];
      this.#final = null;
      this.#onAbandon?.();
    });
    this.#wake?.();
  }
}

/** The hub. */
export class EventHub {
  readonly clock: Clock;
  readonly ringSize: number;
  readonly bufferSize: number;
  readonly maxSubscribers: number;
  readonly dropGraceMs: number;
  readonly heartbeatMs: number;
  readonly boot: string;
  #wall: () => number;
  /** Circular: the event of number `seq` is at `seq % ringSize` while it is kept. */
  #ring: (HubEvent | undefined)[] = [];
  #seq = 0;
  #subscribers = new Set<Subscription>();
  #wanted = false;
  #closed = false;
  /** Last state seen per PDU and outlet, so a device read only reports a change. */
  #outlets = new Map<string, Map<number | string, string>>();

  /** @param options sizes, clock and boot id */
  constructor(options: EventHubOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.ringSize = positive("ringSize", options.ringSize ?? 1000);
    this.bufferSize = positive("bufferSize", options.bufferSize ?? 1000);
    this.maxSubscribers = positive("maxSubscribers", options.maxSubscribers ?? 64);
    this.dropGraceMs = options.dropGraceMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? 25_000;
    this.boot = options.boot ?? Date.now().toString(36);
    if (!/^[0-9a-z]+$/.test(this.boot)) throw new TypeError(`boot: expected [0-9a-z]+`);
    this.#wall = options.wallClock ?? Date.now;
  }

  /** Whether events are recorded: someone has subscribed since start. */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** Subscribers now. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Events recorded since start. */
  get published(): number {
    return this.#seq;
  }

  /** The newest event's id, or null. */
  get lastId(): string | null {
    return this.#seq === 0 ? null : `${this.boot}-${this.#seq}`;
  }

  /** Records an event and hands it to every subscriber; a no-op until someone subscribed. */
  publish(type: EventType, data: Record<string, unknown>): void {
    if (!this.#wanted) return;
    const seq = ++this.#seq;
    const event: HubEvent = {
      seq,
      id: `${this.boot}-${seq}`,
      type,
      data: JSON.stringify({ time: new Date(this.#wall()).toISOString(), ...data }),
      ...(typeof data.pdu === "string" ? { pdu: data.pdu } : {}),
    };
    this.#ring[seq % this.ringSize] = event;
    for (const s of this.#subscribers) s.push(event);
  }

  /**
   * An outlet's state; a device read is published only when it differs from the last state
   * seen (what pdud set, or read before), a set always.
   */
  outletState(
    pdu: string,
    outlet: number | string,
    state: string,
    source: "device" | "commanded",
    data: Record<string, unknown>,
  ): void {
    if (!this.#wanted) return;
    let known = this.#outlets.get(pdu);
    if (!known) this.#outlets.set(pdu, known = new Map());
    const before = known.get(outlet);
    known.set(outlet, state);
    if (source === "device" && before === state) return;
    this.publish("outlet.state", {
      pdu,
      outlet,
      state,
      source,
      previous: before ?? null,
      ...data,
    });
  }

  /** Forgets a removed PDU's outlets. */
  forget(pdu: string): void {
    this.#outlets.delete(pdu);
  }

  /**
   * Subscribes, replaying what the ring holds after `lastEventId`; an id the ring no longer
   * holds (or of another run) gets a `reset` event first, saying what was missed. A `pdus`
   * filter applies to the replay as to what comes after.
   */
  subscribe(
    lastEventId?: string,
    options: SubscribeOptions = {},
  ): Subscription | SubscribeRefusal {
    const m = lastEventId ? /^([0-9a-z]{1,20})-(\d{1,15})$/.exec(lastEventId) : null;
    if (lastEventId && !m) {
      return {
        error: "bad_id",
        message: `Last-Event-ID: expected an id this stream sent (like "${this.boot}-42"), ` +
          `got "${lastEventId.slice(0, 40)}"`,
      };
    }
    if (this.#closed) return { error: "closed", message: "pdud is shutting down" };
    if (this.#subscribers.size >= this.maxSubscribers) {
      return {
        error: "too_many",
        message: `the event stream has ${this.maxSubscribers} subscribers, its limit; retry later`,
      };
    }
    const pdus = options.pdus ?? null;
    const replay = m ? this.#replay(lastEventId!, m[1]!, Number(m[2])) : [];
    // The reset (unnumbered) always; numbered events as the filter says.
    const first = pdus === null
      ? replay
      : replay.filter((e) => e.seq === 0 || (e.pdu !== undefined && pdus.has(e.pdu)));
    this.#wanted = true;
    const subscription = new Subscription(this, first, pdus);
    this.#subscribers.add(subscription);
    return subscription;
  }

  #replay(lastEventId: string, boot: string, seq: number): HubEvent[] {
    const oldest = Math.max(1, this.#seq - this.ringSize + 1);
    const kept = (from: number) => {
      const out: HubEvent[] = [];
      for (let s = from; s <= this.#seq; s++) out.push(this.#ring[s % this.ringSize]!);
      return out;
    };
    if (boot === this.boot && seq <= this.#seq && seq >= oldest - 1) return kept(seq + 1);
    const reason = boot !== this.boot
      ? `"${lastEventId}" is from another run of pdud (it restarted); events since are lost`
      : seq > this.#seq
      ? `"${lastEventId}" was never sent (the newest is ${this.lastId ?? "none"})`
      : `events after "${lastEventId}" up to ${this.boot}-${oldest - 1} were dropped from the ` +
        `ring (it keeps ${this.ringSize})`;
    const missed = boot === this.boot && seq < oldest ? oldest - 1 - seq : null;
    return [
      this.control("reset", {
        reason,
        lastEventId,
        missed,
        oldest: this.#seq === 0 ? null : `${this.boot}-${oldest}`,
      }),
      ...(this.#seq === 0 ? [] : kept(oldest)),
    ];
  }

  /** Ends every subscription with a `closed` event (access rules changed, or shutdown). */
  closeAll(reason: string): void {
    for (const s of [...this.#subscribers]) s.end("closed", { reason });
  }

  /** Shutdown: ends every subscription and refuses new ones, so no stream holds the listeners. */
  close(reason: string): void {
    this.#closed = true;
    this.closeAll(reason);
  }

  /** @internal A stream-control event: not numbered, not kept in the ring. */
  control(type: "ready" | "reset" | "dropped" | "closed", data: object): HubEvent {
    return {
      seq: 0,
      id: "",
      type,
      data: JSON.stringify({ time: new Date(this.#wall()).toISOString(), ...data }),
    };
  }

  /** @internal */
  remove(subscription: Subscription): void {
    this.#subscribers.delete(subscription);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name}: expected a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Wraps a driver so that `onStart` hears of each job's first device operation. The actor runs
 * only the oldest job of an outlet and marks it started just before calling the driver, so the
 * call names its job without the actor having to know about events.
 */
export function noticeStarts(
  driver: Driver,
  jobs: () => readonly Job[],
  onStart: ((job: Job) => void) | undefined,
  wanted: () => boolean,
): Driver {
  if (!onStart) return driver;
  const announced = new WeakSet<Job>();
  const notice = (outlet: Job["command"]["outlet"]) => {
    if (!wanted()) return;
    const job = jobs().find((j) => j.command.outlet === outlet);
    if (job?.started && !announced.has(job)) {
      announced.add(job);
      onStart(job);
    }
  };
  return wrapDriver(driver, (outlet, run) => {
    if (outlet !== undefined) notice(outlet);
    return run();
  });
}
