/**
 * A PowerControl without a supervisor, for driving the HTTP surface alone: `createApp` around it,
 * called with `app.request` (no socket, no actor, no driver). It records every submission and
 * answers each from `answer`, which a test replaces to script results.
 * @module
 */
import {
  type DriverCapabilities,
  type GroupMember,
  type JobResult,
  type PduSnapshot,
  type PowerControl,
  type ShutdownReport,
  ShuttingDownError,
  SILENT_LOGGER,
  type SubmitRequest,
} from "../../actors/mod.ts";
import { createApp, JobStore } from "../../routes/mod.ts";
import { ManualClock } from "./clock.ts";

/** What a FakeControl resolves: its aliases and groups, and its driver's capabilities. */
export interface FakeControlOptions {
  aliases?: { name: string; pdu: string; outlet: number }[];
  groups?: { name: string; members: GroupMember[] }[];
  /** Undefined: as if the PDU had no running driver, so no route adds a power read. */
  can?: DriverCapabilities;
}

/** A PowerControl that records every submission and answers from `answer`. */
export class FakeControl implements PowerControl {
  readonly submitted: SubmitRequest[] = [];
  can: DriverCapabilities | undefined;
  /** By default every job is done: the outlet in the state asked ("on" for anything but off). */
  answer: (request: SubmitRequest) => JobResult = (request) => ({
    status: "done",
    jobId: `j${this.submitted.length}`,
    pdu: request.pdu,
    outlet: request.command.outlet,
    state: request.command.type === "off" ? "off" : "on",
    source: "commanded",
  });
  reloads = 0;
  stopping = false;
  readonly #aliases: NonNullable<FakeControlOptions["aliases"]>;
  readonly #groups: NonNullable<FakeControlOptions["groups"]>;

  constructor(options: FakeControlOptions = {}) {
    this.#aliases = options.aliases ?? [];
    this.#groups = options.groups ?? [];
    this.can = options.can;
  }

  submit(request: SubmitRequest): Promise<JobResult> {
    this.submitted.push(request);
    return Promise.resolve(this.answer(request));
  }
  capabilities(): DriverCapabilities | undefined {
    return this.can;
  }
  resolveAlias(alias: string): { pdu: string; outlet: number } | undefined {
    const found = this.#aliases.find((a) => a.name === alias);
    return found && { pdu: found.pdu, outlet: found.outlet };
  }
  resolveGroup(): undefined {
    return undefined;
  }
  resolveGroupMembers(group: string): GroupMember[] | undefined {
    return this.#groups.find((g) => g.name === group)?.members;
  }
  listGroups(): { name: string; members: GroupMember[] }[] {
    return this.#groups;
  }
  listAliases(): { name: string; pdu: string; outlet: number }[] {
    return this.#aliases;
  }
  snapshot(): PduSnapshot[] {
    return [];
  }
  /** Counts the call, then refuses as a shutting-down supervisor does. */
  reload(): never {
    this.reloads++;
    throw new ShuttingDownError();
  }
  shutdown(): Promise<ShutdownReport> {
    return Promise.resolve({ unfinished: [] });
  }
}

/** What the listener passes the app for a plain-HTTP request from 127.0.0.1. */
export const FAKE_ENV = { transport: "http" as const, remote: { address: "127.0.0.1", port: 1 } };

/**
 * The app around `control` (silent log, a job store on a manual clock), `request` to call it, and
 * `words()`: what was submitted so far, as "pdu:type:outlet" words.
 */
export function fakeApp(control: FakeControl): {
  request: (path: string, init?: RequestInit) => Response | Promise<Response>;
  words: () => string[];
} {
  const app = createApp(control, {
    log: SILENT_LOGGER,
    jobs: new JobStore(new ManualClock(), 60_000),
  });
  const request = (path: string, init?: RequestInit) =>
    app.request(`http://pdud${path}`, init, FAKE_ENV);
  const words = () =>
    control.submitted.map((r) => `${r.pdu}:${r.command.type}:${String(r.command.outlet)}`);
  return { request, words };
}
