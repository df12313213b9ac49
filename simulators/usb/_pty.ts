/**
 * The device end of a simulated USB device node: a pseudo-terminal made by socat
 * (`socat pty,raw,echo=0,ignoreeof STDIO`), whose slave is what the driver opens (through a
 * stable symlink, as /dev/serial/by-id/… is on a real machine) and whose master side arrives on
 * socat's stdio, where a simulator answers as the device would.
 *
 * `replug()` models a USB re-enumeration: a new pty is linked in atomically before the old one
 * hangs up, so a driver mid-operation sees its node fail (EIO) and its next open finds the new
 * one; `unplug()`/`plug()` leave a gap with no node at all. Used by simulators and tests only.
 * @module
 */

/** One connected incarnation of the device, as its simulator sees it. */
export interface PtyIo {
  /** The next bytes the driver wrote, or null once this incarnation is gone. */
  read(): Promise<Uint8Array | null>;
  /** Sends bytes to the driver. */
  write(bytes: Uint8Array): Promise<void>;
  /** Re-enumerates the device: this incarnation ends, a new one appears. */
  replug(): void;
}

/** Serves one incarnation; returns when it ends. */
export type PtyServe = (io: PtyIo) => Promise<void>;

interface Incarnation {
  child: Deno.ChildProcess;
  pts: string;
  served: Promise<void>;
}

/** Whether socat can be run here; simulators built on PtyEndpoint need it. */
export async function socatAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command("socat", { args: ["-V"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** A simulated device node at a stable path. */
export class PtyEndpoint implements AsyncDisposable {
  /** The path the driver opens (a symlink to the current pty slave). */
  readonly path: string;
  readonly #serve: PtyServe;
  readonly #stty: readonly string[];
  #current: Incarnation | undefined;
  #retired: Promise<void>[] = [];
  /** Settled once unplug() is called, so nothing waits for a re-enumeration that will not come. */
  #stopping = Promise.withResolvers<void>();
  #closed = false;
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string, serve: PtyServe, stty: readonly string[]) {
    this.path = path;
    this.#serve = serve;
    this.#stty = stty;
  }

  /**
   * Creates the node at `path` (its directory must exist) served by `serve`; `stty` settings
   * are applied to each new pty's slave.
   */
  static async create(
    path: string,
    serve: PtyServe,
    stty: readonly string[] = [],
  ): Promise<PtyEndpoint> {
    const endpoint = new PtyEndpoint(path, serve, stty);
    await endpoint.plug();
    return endpoint;
  }

  /** Brings a new device up at `path`, replacing any current one without a gap. */
  plug(): Promise<void> {
    return this.#serialised(async () => {
      if (this.#closed) return;
      this.#stopping = Promise.withResolvers<void>();
      const next = await this.#spawn();
      if (this.#stty.length > 0) {
        await new Deno.Command("stty", { args: ["-F", next.pts, ...this.#stty] }).output();
      }
      const temporary = `${this.path}.${next.child.pid}`;
      await Deno.symlink(next.pts, temporary);
      await Deno.rename(temporary, this.path);
      const previous = this.#current;
      this.#current = next;
      if (previous) this.#retire(previous);
    });
  }

  /** A re-enumeration: the node is replaced, and whoever had the old one open sees it fail. */
  replug(): Promise<void> {
    return this.plug();
  }

  /** Removes the node: the device is gone until `plug()`. */
  unplug(): Promise<void> {
    this.#stopping.resolve();
    return this.#serialised(async () => {
      await Deno.remove(this.path).catch(() => {});
      const previous = this.#current;
      this.#current = undefined;
      if (previous) this.#retire(previous);
      await Promise.all(this.#retired);
    });
  }

  /** Stops every socat and removes the node. Safe to call twice. */
  async close(): Promise<void> {
    // Closed first: a re-plug queued behind the unplug must not start a new socat.
    this.#closed = true;
    await this.unplug();
    await this.#queue;
    await Promise.all(this.#retired);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #serialised(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }

  #retire(incarnation: Incarnation): void {
    try {
      incarnation.child.kill("SIGTERM");
    } catch { /* already exited */ }
    this.#retired.push(
      Promise.all([incarnation.child.status, incarnation.served]).then(() => {}),
    );
  }

  async #spawn(): Promise<Incarnation> {
    const child = new Deno.Command("socat", {
      args: ["-d", "-d", "pty,raw,echo=0,ignoreeof", "STDIO"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let log = "";
    let pts: string | undefined;
    while (pts === undefined) {
      const { value, done } = await errors.read();
      if (done) {
        await child.status;
        throw new Error(`socat exited before creating a pty: ${log.trim()}`);
      }
      log += value;
      pts = /PTY is (\S+)/.exec(log)?.[1];
    }
    // socat keeps logging (e.g. at exit); drain it so it never blocks on a full pipe.
    const drained = (async () => {
      while (!(await errors.read()).done) { /* discard */ }
    })();
    const reader = child.stdout.getReader();
    const writer = child.stdin.getWriter();
    let gone = false;
    let replugging: Promise<void> | undefined;
    const io: PtyIo = {
      read: async () => {
        if (gone) return null;
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done || !value) {
          gone = true;
          return null;
        }
        return value;
      },
      write: async (bytes) => {
        if (gone) return;
        await writer.write(bytes).catch(() => {});
      },
      replug: () => {
        gone = true;
        replugging = this.replug().catch(() => {});
      },
    };
    const served = (async () => {
      try {
        await this.#serve(io);
      } finally {
        gone = true;
        // Closing socat's input ends it and removes its pty: during a re-enumeration that must
        // wait until the new node is linked in, or a slow spawn leaves the path dangling.
        // (Not past an unplug: it waits for this incarnation, and the re-plug queued behind it.)
        if (replugging) await Promise.race([replugging, this.#stopping.promise]);
        await writer.close().catch(() => {});
        await reader.cancel().catch(() => {});
        await drained.catch(() => {});
      }
    })();
    return { child, pts, served };
  }
}

/** Reads a device's input stream in the units its protocol uses. */
export class ByteReader {
  readonly #io: PtyIo;
  #buffer: number[] = [];
  #filling: Promise<boolean> | undefined;

  /** @param io the incarnation to read from */
  constructor(io: PtyIo) {
    this.#io = io;
  }

  /**
   * Resolves true once more input is buffered (false when the incarnation is gone); lets a
   * simulator notice that the driver gave up and started over while an operation was slow.
   */
  more(): Promise<boolean> {
    if (this.#buffer.length > 0) return Promise.resolve(true);
    return this.#filling ??= this.#io.read().then((chunk) => {
      this.#filling = undefined;
      if (chunk === null) return false;
      this.#buffer.push(...chunk);
      return true;
    });
  }

  /** The next byte, or null when the incarnation is gone. */
  async byte(): Promise<number | null> {
    while (this.#buffer.length === 0) {
      if (!(await this.more())) return null;
    }
    return this.#buffer.shift()!;
  }

  /** Exactly `count` bytes, or null when the incarnation is gone first. */
  async bytes(count: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const b = await this.byte();
      if (b === null) return null;
      out[i] = b;
    }
    return out;
  }
}
