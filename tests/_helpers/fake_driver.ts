/** A scriptable driver for actor and supervisor tests. */
import { z } from "zod";
import {
  type AnyDriverDescriptor,
  type Driver,
  DriverError,
  type OutletState,
} from "../../drivers/mod.ts";
import type { Config, PduConfig } from "../../config/mod.ts";
import { DAEMON_SCHEMA } from "../../config/schema.ts";

/** What the fake does for one call. */
export type Behaviour =
  | "ok"
  | "device-error"
  | "auth-error" // permanent: retrying cannot help
  | "type-error"
  | "hang" // honours abort
  | "hang-forever" // ignores abort
  | "gate"; // waits until released

/** A call the fake received. */
export interface Call {
  outlet: number;
  state: OutletState;
  incarnation: number;
}

/** The fake device and its script. */
export class FakeDevice {
  calls: Call[] = [];
  /** Behaviours consumed one per call; "ok" when empty. */
  script: Behaviour[] = [];
  /** Default when the script is empty. */
  fallback: Behaviour = "ok";
  inFlight = 0;
  maxInFlight = 0;
  created = 0;
  closed = 0;
  states = new Map<number, OutletState>();
  #gates: (() => void)[] = [];

  /** Releases the oldest gated call. */
  release(): void {
    this.#gates.shift()?.();
  }

  /** The descriptor whose drivers act on this device. */
  descriptor(): AnyDriverDescriptor {
    return {
      names: ["fake"],
      summary: "test fake",
      options: z.object({}).strict(),
      create: () => this.#driver(++this.created),
    };
  }

  #driver(incarnation: number): Driver {
    return {
      setOutlet: async (outlet, state, { signal }) => {
        this.calls.push({ outlet, state, incarnation });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const behaviour = this.script.shift() ?? this.fallback;
          switch (behaviour) {
            case "ok":
              break;
            case "device-error":
              throw new DriverError("device", "fake device said no");
            case "auth-error":
              throw new DriverError("auth", "fake device refused the credentials");
            case "type-error":
              throw new TypeError("fake driver bug");
            case "hang":
              await new Promise<void>((_, reject) =>
                signal.addEventListener(
                  "abort",
                  () => reject(new DriverError("timeout", "aborted", { aborted: true })),
                )
              );
              break;
            case "hang-forever":
              await new Promise<void>(() => {});
              break;
            case "gate":
              await new Promise<void>((resolve) => this.#gates.push(resolve));
              break;
          }
          this.states.set(outlet, state);
        } finally {
          this.inFlight--;
        }
      },
      close: () => {
        this.closed++;
        return Promise.resolve();
      },
    };
  }
}

/** A PduConfig for the fake driver, with pdud's defaults unless overridden. */
export function fakePdu(name: string, overrides: Partial<PduConfig> = {}): PduConfig {
  return {
    name,
    driver: "fake",
    available: true,
    options: {},
    retries: 1,
    retrydelay: 5,
    timeout: 10,
    "command_gap": 0,
    "queue_limit": 100,
    "max_restarts": 3,
    "restart_window": 60,
    raw: { driver: "fake", ...overrides },
    ...overrides,
  };
}

/** A whole config of `pdus` (each as fakePdu builds it), with the daemon section's defaults. */
export function fakeConfig(pdus: PduConfig[]): Config {
  return {
    daemon: DAEMON_SCHEMA.parse({}),
    pdus: Object.fromEntries(pdus.map((p) => [p.name, p])),
    aliases: {},
    groups: {},
  };
}
