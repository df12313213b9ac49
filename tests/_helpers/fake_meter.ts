/**
 * A scriptable driver that reads as well as switches, for tests of power and list reads: which
 * optional methods it has is chosen per test, and every call lands in one ordered log.
 */
import { z } from "zod";
import {
  type AnyDriverDescriptor,
  type Driver,
  DriverError,
  type OutletState,
  type PowerReading,
} from "../../drivers/mod.ts";

/** What the fake does for one call. */
export type MeterBehaviour = "ok" | "device-error" | "unmetered" | "hang" | "gate";

/** Which optional methods the fake's drivers have. */
export interface MeterAbilities {
  get?: boolean;
  power?: boolean;
  list?: boolean;
  /** listOutlets reports power too (default true when `power`). */
  listPower?: boolean;
}

/** The fake device. */
export class FakeMeter {
  /** Every call in order: "set 3 on", "get 3", "power 3", "list". */
  log: string[] = [];
  script: MeterBehaviour[] = [];
  inFlight = 0;
  maxInFlight = 0;
  states = new Map<number, OutletState>();
  watts = new Map<number, number>();
  #gates: (() => void)[] = [];

  /**
   * @param abilities the optional methods its drivers have
   * @param outlets the outlets it has (its descriptor's outletRange; none when null)
   */
  constructor(
    readonly abilities: MeterAbilities,
    readonly outlets: { min: number; max: number } | null = { min: 1, max: 4 },
  ) {}

  /** Releases the oldest gated call. */
  release(): void {
    this.#gates.shift()?.();
  }

  /** The reading of one outlet: its watts, and watt-hours ten times that. */
  reading(outlet: number): PowerReading {
    const watts = this.states.get(outlet) === "on" ? this.watts.get(outlet) ?? 0 : 0;
    return { watts, energyWh: watts * 10 };
  }

  /** The descriptor whose drivers act on this device. */
  descriptor(): AnyDriverDescriptor {
    const range = this.outlets;
    return {
      names: ["fake"],
      summary: "test fake with readings",
      options: z.object({}).strict(),
      ...(range ? { outletRange: () => range } : {}),
      create: () => this.#driver(),
    };
  }

  async #call<T>(word: string, signal: AbortSignal, result: () => T): Promise<T> {
    this.log.push(word);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      switch (this.script.shift() ?? "ok") {
        case "ok":
          break;
        case "device-error":
          throw new DriverError("device", `fake meter failed ${word}`);
        case "unmetered":
          throw new DriverError("device", `fake meter has no meter for ${word}`, {
            permanent: true,
          });
        case "hang":
          await new Promise<void>((_, reject) =>
            signal.addEventListener(
              "abort",
              () => reject(new DriverError("timeout", "aborted", { aborted: true })),
            )
          );
          break;
        case "gate":
          await new Promise<void>((resolve) => this.#gates.push(resolve));
          break;
      }
      return result();
    } finally {
      this.inFlight--;
    }
  }

  #driver(): Driver {
    const a = this.abilities;
    const driver: Driver = {
      setOutlet: (outlet, state, { signal }) =>
        this.#call(`set ${outlet} ${state}`, signal, () => void this.states.set(outlet, state)),
      close: () => Promise.resolve(),
    };
    if (a.get) {
      driver.getOutlet = (outlet, { signal }) =>
        this.#call(`get ${outlet}`, signal, () => this.states.get(outlet) ?? "off");
    }
    if (a.power) {
      driver.readPower = (outlet, { signal }) =>
        this.#call(`power ${outlet}`, signal, () => this.reading(outlet));
    }
    if (a.list) {
      const withPower = a.listPower ?? a.power ?? false;
      driver.listOutlets = ({ signal }) =>
        this.#call("list", signal, () => {
          const range = this.outlets ?? { min: 1, max: 2 };
          const out = [];
          for (let outlet = range.min; outlet <= range.max; outlet++) {
            out.push({
              outlet,
              state: this.states.get(outlet) ?? "off" as OutletState,
              name: `socket-${outlet}`,
              ...(withPower ? { power: this.reading(outlet) } : {}),
            });
          }
          return out;
        });
    }
    return driver;
  }
}
