/**
 * The one way a driver runs a program: an argv array (never a shell of pdud's making), stdin
 * closed, the program in a process group of its own, and output kept as a bounded tail.
 *
 * Why a group: a hung command is usually a shell waiting on a child (`sh -c "curl …"`). Killing
 * only the shell leaves the child holding the output pipes, so waiting for the output never ends
 * and the operation never settles. On abort the whole group gets SIGKILL and the operation
 * settles at once as a timeout. A program that leaves its group on purpose (setsid, a daemon's
 * double fork) escapes this; nothing short of a cgroup could follow it.
 *
 * Why a tail: a command that prints 100 MB must not cost 100 MB (Deno's `output()` buffers all
 * of it, three times over while decoding). Only the last `keepBytes` of each stream are kept,
 * which is where a failing program says why.
 * @module
 */
import { abortError, DriverError, printable } from "../errors.ts";

/** How much of stdout and of stderr is kept by default: the last 64 KiB. */
export const KEEP_BYTES = 64 * 1024;

/**
 * After the program exits, how long its pipes may stay open (a background child it started
 * still holding them) before pdud stops reading: the exit is what counts.
 */
const DRAIN_MS = 200;

/** What to run and how. */
export interface RunProcessOptions {
  /** Aborting kills the program's whole process group and rejects with a timeout DriverError. */
  signal: AbortSignal;
  /** For messages: "running uhubctl for hub 1-1". */
  what: string;
  /** Bytes kept from the end of stdout and of stderr (default 64 KiB). */
  keepBytes?: number;
  /**
   * Variables added to the program's environment (the rest is inherited): how a secret reaches
   * a program that reads it from there (ipmitool -E), never through its argv, which every
   * local user can read in /proc.
   */
  env?: Readonly<Record<string, string>>;
}

/** How a program ended and the tail of what it printed. */
export interface ProcessResult {
  /** Exit status; 128 + n when killed by signal n. */
  code: number;
  /** The signal that killed it, if one did. */
  signal: Deno.Signal | null;
  success: boolean;
  /** The last `keepBytes` of stdout, decoded as UTF-8. */
  stdout: string;
  /** The last `keepBytes` of stderr, decoded as UTF-8. */
  stderr: string;
  /** Bytes the program wrote to stdout and stderr in all (kept or not). */
  bytes: number;
}

/**
 * Runs `executable args…` and resolves with how it ended, whatever its exit status. Rejects with
 * DriverError: "timeout" when `signal` aborts (the group is killed first), "config" when the
 * program cannot be started (not found, not executable).
 */
export async function runProcess(
  executable: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ProcessResult> {
  const { signal, what } = options;
  const keep = options.keepBytes ?? KEEP_BYTES;
  if (signal.aborted) throw abortError(signal, what);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(executable, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: { ...options.env } } : {}),
      // setsid(2): the child leads a new session and process group, so -pid names all of it.
      detached: true,
    }).spawn();
  } catch (error) {
    throw new DriverError(
      "config",
      `${what}: cannot run ${printable(executable)}: ${
        printable(error instanceof Error ? error.message : String(error))
      }`,
      { cause: error },
    );
  }
  const killGroup = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch { /* the group is gone already */ }
  };
  signal.addEventListener("abort", killGroup, { once: true });
  const stdout = new Tail(child.stdout, keep);
  const stderr = new Tail(child.stderr, keep);
  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    signal.removeEventListener("abort", killGroup);
  }
  if (signal.aborted) {
    // Killed: nothing more worth reading, and an escaped process may hold the pipes forever.
    await Promise.all([stdout.stop(), stderr.stop()]);
    throw abortError(signal, what);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = Promise.all([stdout.done, stderr.done]);
  await Promise.race([drained, new Promise((resolve) => timer = setTimeout(resolve, DRAIN_MS))]);
  clearTimeout(timer);
  await Promise.all([stdout.stop(), stderr.stop()]);
  return {
    code: status.code,
    signal: status.signal,
    success: status.success,
    stdout: stdout.text(),
    stderr: stderr.text(),
    bytes: stdout.bytes + stderr.bytes,
  };
}

/**
 * Reads a stream to its end into one reused buffer (a BYOB reader, so reading 100 MB makes no
 * garbage), keeping only its last `keep` bytes in a ring.
 */
class Tail {
  readonly done: Promise<void>;
  bytes = 0;
  #ring: Uint8Array;
  #reader: ReadableStreamBYOBReader;

  constructor(stream: ReadableStream<Uint8Array>, readonly keep: number) {
    this.#ring = new Uint8Array(keep);
    this.#reader = stream.getReader({ mode: "byob" });
    this.done = this.#pump();
  }

  async #pump(): Promise<void> {
    let buffer = new ArrayBuffer(64 * 1024);
    try {
      for (;;) {
        const { done, value } = await this.#reader.read(new Uint8Array(buffer));
        if (done || value === undefined) return;
        this.#append(value);
        buffer = value.buffer as ArrayBuffer;
      }
    } catch { /* cancelled or the pipe broke: what was read stands */ }
  }

  #append(chunk: Uint8Array): void {
    const keep = this.keep;
    if (keep === 0) return void (this.bytes += chunk.length);
    const tail = chunk.length > keep ? chunk.subarray(chunk.length - keep) : chunk;
    const at = (this.bytes + chunk.length - tail.length) % keep;
    const first = Math.min(tail.length, keep - at);
    this.#ring.set(tail.subarray(0, first), at);
    this.#ring.set(tail.subarray(first), 0);
    this.bytes += chunk.length;
  }

  /** Stops reading (the pipe may stay open in an escaped child) and waits for the pump. */
  async stop(): Promise<void> {
    try {
      await this.#reader.cancel();
    } catch { /* already closed */ }
    await this.done;
  }

  text(): string {
    const keep = this.keep;
    const held = Math.min(this.bytes, keep);
    const start = (this.bytes - held) % (keep || 1);
    const out = new Uint8Array(held);
    const first = Math.min(held, keep - start);
    out.set(this.#ring.subarray(start, start + first), 0);
    out.set(this.#ring.subarray(0, held - first), first);
    return new TextDecoder().decode(out);
  }
}

/**
 * What a failed program said last: the last non-empty line of stderr (else stdout), made
 * printable, at most 200 characters; "" when it said nothing.
 */
export function complaint(result: Pick<ProcessResult, "stdout" | "stderr">): string {
  const last = (text: string) =>
    text.split(/\r?\n|\r/).map((l) => printable(l, 200).trim()).filter((l) => l !== "").at(-1) ??
      "";
  return last(result.stderr) || last(result.stdout);
}

/** "exited with status 3" or "was killed by SIGKILL". */
export function howItEnded(result: Pick<ProcessResult, "code" | "signal">): string {
  return result.signal ? `was killed by ${result.signal}` : `exited with status ${result.code}`;
}
