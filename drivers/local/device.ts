/**
 * SimulatedDevice: the state and misbehaviour knobs of one simulated PDU, shared by every
 * protocol front end. A front end asks `beginOperation()` what the device does next (answer,
 * refuse, error, drop, hang, garbage) and then reads or sets outlets.
 * @module
 */
import type { OutletState } from "../driver.ts";

/** What a simulated device does to the next operation it receives. */
export type Fault =
  | "none"
  | "refuse" // closes the connection at once / refuses to connect
  | "error" // answers with the protocol's error reply
  | "drop" // reads the command, then closes the connection without answering
  | "hang" // reads the command and never answers
  | "garbage" // answers bytes that are not the protocol
  | "flap"; // fails ("error") every other operation

/** Every fault name, for schemas and help texts. */
export const FAULTS: readonly Fault[] = [
  "none",
  "refuse",
  "error",
  "drop",
  "hang",
  "garbage",
  "flap",
];

/** Options of a simulated device. */
export interface DeviceOptions {
  /** Outlets are numbered `first` … `first + outlets - 1`. */
  outlets?: number;
  /** Number of the first outlet (1 for most PDUs, 0 for some relays). */
  first?: number;
  /** State every outlet starts in. */
  initial?: OutletState;
  /** Time each operation takes on the device. */
  latencyMs?: number;
  /** Misbehaviour applied to operations. */
  fault?: Fault;
}

/** What a simulated outlet reports of its power. */
export interface SimulatedReading {
  /** Watts drawn now: the outlet's load while it is on, 0 while off. */
  watts: number;
  /** The outlet's energy counter, watt-hours (set by tests; time does not advance it). */
  energyWh: number;
  /** The device's supply voltage. */
  volts: number;
  /** watts / volts, rounded to milliamperes. */
  amps: number;
}

/** One entry of the device's receive log. */
export interface Received {
  /** What the front end saw, in its protocol's words ("SET 1.3.6…=1", "GET /cm?cmnd=Power1%20On"). */
  text: string;
  /** Milliseconds since the epoch (wall clock: the log is for humans). */
  at: number;
}

const LOG_LIMIT = 1000;
const HISTORY_LIMIT = 10_000;

/** The outlets and knobs of one simulated PDU. */
export class SimulatedDevice {
  /** A name for logs and `pdud simulate` output. */
  readonly name: string;
  /** Number of the first outlet. */
  readonly first: number;
  /** Number of outlets. */
  readonly count: number;
  /** Delay applied to every operation. */
  get latencyMs(): number {
    return this.#latencyMs;
  }
  /** Lowering the latency also ends the waits of operations slowed by the old one. */
  set latencyMs(ms: number) {
    if (ms < this.#latencyMs) {
      this.#latencyCut.abort();
      this.#latencyCut = new AbortController();
    }
    this.#latencyMs = ms;
  }
  #latencyMs = 0;
  #latencyCut = new AbortController();
  /** The fault applied to operations. */
  fault: Fault;
  /**
   * The device answers a switch command as it always does (200 and its usual page) but leaves
   * the outlet as it was: firmware that ignores an outlet it lacks, a relay that did not move.
   * Honoured by the front ends that switch through `command()`.
   */
  ignoreSwitches = false;
  /**
   * The last state changes in order, `[outlet, state]`: at least the last 10,000 (a simulator
   * serving a benchmark or a long demo must not grow without bound).
   */
  readonly history: [number, OutletState][] = [];
  #begun: (() => void)[] = [];
  /** How many state changes there have been in all (history keeps only the last ones). */
  changes = 0;
  /** The last received commands, oldest first: at least the last 1,000. */
  readonly received: Received[] = [];
  /** Highest number of operations ever in progress at once (must stay 1 behind pdud). */
  maxInFlight = 0;
  #inFlight = 0;
  #operations = 0;
  #states: OutletState[];
  /** Per outlet: what it draws while on, and its energy counter; unset outlets draw nothing. */
  #loads = new Map<number, { watts: number; energyWh: number }>();
  /** The supply voltage every metering front end reports. */
  volts = 230;

  /**
   * @param name the device's name
   * @param options outlets, initial state and knobs
   */
  constructor(name: string, options: DeviceOptions = {}) {
    const count = options.outlets ?? 8;
    if (!Number.isInteger(count) || count < 1 || count > 4096) {
      throw new RangeError(`Simulated device "${name}": outlets must be 1..4096, got ${count}`);
    }
    this.name = name;
    this.first = options.first ?? 1;
    this.count = count;
    this.latencyMs = options.latencyMs ?? 0;
    this.fault = options.fault ?? "none";
    this.#states = Array.from({ length: count }, () => options.initial ?? "off");
  }

  /** Whether `outlet` exists on this device. */
  has(outlet: number): boolean {
    return Number.isInteger(outlet) && outlet >= this.first && outlet < this.first + this.count;
  }

  /** Every outlet number, in order. */
  outlets(): number[] {
    return Array.from({ length: this.count }, (_, i) => i + this.first);
  }

  /** Reads an outlet; throws RangeError for an outlet the device does not have. */
  get(outlet: number): OutletState {
    this.#check(outlet);
    return this.#states[outlet - this.first] as OutletState;
  }

  /** Sets an outlet; throws RangeError for an outlet the device does not have. */
  set(outlet: number, state: OutletState): void {
    this.#check(outlet);
    this.#states[outlet - this.first] = state;
    this.changes++;
    this.history.push([outlet, state]);
    // Trimmed by half its size at a time: amortized O(1) per change, unlike shift().
    if (this.history.length >= 2 * HISTORY_LIMIT) this.history.splice(0, HISTORY_LIMIT);
  }

  /**
   * A switch command a front end received: sets the outlet unless `ignoreSwitches` is on.
   * Throws RangeError for an outlet the device does not have, ignored or not.
   */
  command(outlet: number, state: OutletState): void {
    this.#check(outlet);
    if (!this.ignoreSwitches) this.set(outlet, state);
  }

  /**
   * Sets what `outlet` draws while on and its energy counter, so a test can assert the exact
   * numbers a driver reads; throws RangeError for an outlet the device does not have.
   */
  setLoad(outlet: number, watts: number, energyWh = 0): void {
    this.#check(outlet);
    this.#loads.set(outlet, { watts, energyWh });
  }

  /** What `outlet` reports now: its load while on (0 while off), its counter, the voltage. */
  reading(outlet: number): SimulatedReading {
    const load = this.#loads.get(outlet);
    const watts = load && this.get(outlet) === "on" ? load.watts : 0;
    return {
      watts,
      energyWh: load?.energyWh ?? 0,
      volts: this.volts,
      amps: Math.round((watts / this.volts) * 1000) / 1000,
    };
  }

  /** Every outlet's state, keyed by outlet number. */
  snapshot(): Record<number, OutletState> {
    const out: Record<number, OutletState> = {};
    this.#states.forEach((s, i) => out[i + this.first] = s);
    return out;
  }

  /** Appends to the receive log. */
  record(text: string): void {
    this.received.push({ text, at: Date.now() });
    if (this.received.length >= 2 * LOG_LIMIT) this.received.splice(0, LOG_LIMIT);
  }

  /**
   * Starts one operation: waits out the latency, counts it in flight, and tells the front end
   * which fault applies. Call `endOperation()` when the front end has answered.
   */
  async beginOperation(signal?: AbortSignal): Promise<Fault> {
    for (const begun of this.#begun.splice(0)) begun();
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    this.#operations++;
    if (this.#latencyMs > 0) {
      const cut = this.#latencyCut.signal;
      await delay(this.#latencyMs, signal ? AbortSignal.any([signal, cut]) : cut);
    }
    if (this.fault === "flap") return this.#operations % 2 === 1 ? "error" : "none";
    return this.fault;
  }

  /**
   * Resolves when the next operation begins (a front end called `beginOperation()`): tests abort
   * a driver once the device has really seen its command, not before it connected.
   */
  nextOperation(): Promise<void> {
    return new Promise((resolve) => this.#begun.push(resolve));
  }

  /** Ends an operation started with `beginOperation()`. */
  endOperation(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  #check(outlet: number): void {
    if (!this.has(outlet)) {
      throw new RangeError(
        `Simulated device "${this.name}" has outlets ${this.first}..${
          this.first + this.count - 1
        }, not ${outlet}`,
      );
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
