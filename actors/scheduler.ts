/**
 * The scheduling rules of DESIGN §2 as one pure function: per-outlet FIFO (only the oldest job
 * of an outlet may act), a wait holds only its outlet, oldest runnable first, and `command_gap`
 * between two driver operations of one PDU. Readings (power, list) yield to every other
 * runnable step, so they never delay switching.
 * @module
 */

/** What the scheduler sees of one job. */
export interface JobView {
  seq: number;
  /** The outlet's identity: a number and a name never denote the same queue. */
  outlet: number | string;
  /** The current step's kind. */
  step: "set" | "wait";
  /** For a wait: when it ends. For a set: not before this time (retry delay), or 0. */
  readyAt: number;
  /** A reading (power, list): it runs only when no other runnable step is waiting. */
  background?: boolean;
}

/** The scheduler's answer. */
export type Decision =
  /** These waits are over: advance these jobs, then ask again. */
  | { type: "advance"; seqs: number[] }
  /** Run this job's set step now. */
  | { type: "run"; seq: number }
  /** Nothing to do before `until` (or a new job). */
  | { type: "sleep"; until: number }
  /** Nothing to do until a new job arrives. */
  | { type: "idle" };

/**
 * The oldest job of each outlet, in arrival order: the only ones allowed to act.
 * @param outletOf the outlet of a job
 */
export function heads<T extends { seq: number }>(
  jobs: readonly T[],
  outletOf: (job: T) => number | string,
): T[] {
  // A mailbox keeps arrival order, so the copy and sort are needed only for other callers; the
  // actor asks at every step, and a thousand queued jobs must not cost a sort each time.
  let ordered = true;
  for (let i = 1; i < jobs.length && ordered; i++) ordered = jobs[i - 1]!.seq < jobs[i]!.seq;
  const seen = new Set<number | string>();
  const out: T[] = [];
  for (const job of ordered ? jobs : [...jobs].sort((a, b) => a.seq - b.seq)) {
    const outlet = outletOf(job);
    if (seen.has(outlet)) continue;
    seen.add(outlet);
    out.push(job);
  }
  return out;
}

/**
 * Decides the next step of a PDU.
 * @param jobs every unsettled job of the PDU (any order)
 * @param timing `now`, the end of the last driver operation and the minimum gap between two
 */
export function decide(
  jobs: readonly JobView[],
  timing: { now: number; lastOperationAt: number; gapMs: number },
): Decision {
  const { now, lastOperationAt, gapMs } = timing;
  const front = heads(jobs, (j) => j.outlet);
  const expired = front.filter((j) => j.step === "wait" && j.readyAt <= now).map((j) => j.seq);
  if (expired.length > 0) return { type: "advance", seqs: expired };
  const gapEnds = lastOperationAt + gapMs;
  let wake = Infinity;
  let reading: number | undefined;
  for (const job of front) {
    if (job.step === "wait") {
      wake = Math.min(wake, job.readyAt);
    } else if (job.readyAt <= now) {
      if (now < gapEnds && gapMs > 0) wake = Math.min(wake, gapEnds);
      else if (!job.background) return { type: "run", seq: job.seq };
      else reading ??= job.seq;
    } else {
      wake = Math.min(wake, Math.max(job.readyAt, gapEnds));
    }
  }
  if (reading !== undefined) return { type: "run", seq: reading };
  return wake === Infinity ? { type: "idle" } : { type: "sleep", until: wake };
}
