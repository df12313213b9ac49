/**
 * A device node (a tty or a hidraw node) opened for one operation: bytes in, bytes out, abort
 * honoured promptly, and the errors a vanished or forbidden node gives turned into DriverErrors a
 * lab engineer can act on.
 *
 * Drivers open the node per operation and close it afterwards: a USB device that re-enumerates
 * between operations (unplugged, reset, hub power-cycled) then needs no staleness check, and the
 * next operation simply finds the new node.
 *
 * A read cannot be cancelled: closing the file only drops Deno's side, while the blocked read(2)
 * lives on and would swallow the next operation's answer. So an aborted operation returns at
 * once but its read stays owned by its node, the node closes when that read ends, and a
 * NodeLine makes the next operation wait for that. Serial nodes are set to VMIN 0 / VTIME 1,
 * so a read ends within 0.1 s; a hidraw read ends with the device's next report.
 * @module
 */
import { abortError, DriverError } from "../errors.ts";
import { complaint, type ProcessResult, runProcess } from "../_transport/process.ts";

/** What `openNode` needs to know. */
export interface OpenNodeOptions {
  /** How messages name the device ("Numato relay at /dev/ttyACM0"). */
  what: string;
  /** `stty` settings applied after opening (serial nodes only), e.g. ["raw", "9600"]. */
  stty?: readonly string[];
  /** Aborts the open and every later read and write. */
  signal: AbortSignal;
}

/** One open device node. */
export class DeviceNode {
  readonly #file: Deno.FsFile;
  readonly #what: string;
  readonly #path: string;
  readonly #signal: AbortSignal;
  readonly #chunk = new Uint8Array(256);
  #pending: Promise<number | null> | undefined;
  #buffer: Uint8Array = new Uint8Array(0);
  #closed: Promise<void> | undefined;
  readonly #done = Promise.withResolvers<void>();

  private constructor(file: Deno.FsFile, path: string, what: string, signal: AbortSignal) {
    this.#file = file;
    this.#path = path;
    this.#what = what;
    this.#signal = signal;
  }

  /** Opens `path` read-write, then applies `stty` settings when given. */
  static async open(path: string, options: OpenNodeOptions): Promise<DeviceNode> {
    const { what, signal } = options;
    if (signal.aborted) throw abortError(signal, `opening ${what}`);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch (error) {
      throw openError(error, path, what);
    }
    const node = new DeviceNode(file, path, what, signal);
    try {
      if (signal.aborted) throw abortError(signal, `opening ${what}`);
      if (options.stty) await configureTty(path, options.stty, what, signal);
    } catch (error) {
      await node.close();
      throw error;
    }
    return node;
  }

  /** Writes all of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      this.#check("write to");
      try {
        done += await this.#file.write(bytes.subarray(done));
      } catch (error) {
        throw this.#ioError(error, "write to");
      }
    }
  }

  /**
   * Reads until `complete(buffer)` returns how many bytes make up a whole answer; returns those
   * bytes and keeps the rest for the next read. `expected` names the answer in messages.
   */
  async readUntil(complete: (bytes: Uint8Array) => number | undefined, expected: string): Promise<
    Uint8Array
  > {
    for (;;) {
      const length = complete(this.#buffer);
      if (length !== undefined) {
        const answer = this.#buffer.slice(0, length);
        this.#buffer = this.#buffer.slice(length);
        return answer;
      }
      const n = await this.#readChunk(expected);
      if (n === 0) continue;
      if (this.#buffer.length > 64 * 1024) {
        throw new DriverError(
          "protocol",
          `${this.#what} sent more than 64 KiB without ${expected}`,
        );
      }
      const next = new Uint8Array(this.#buffer.length + n);
      next.set(this.#buffer);
      next.set(this.#chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = next;
    }
  }

  /** Reads exactly `count` bytes. */
  readExactly(count: number, expected: string): Promise<Uint8Array> {
    return this.readUntil((b) => b.length >= count ? count : undefined, expected);
  }

  /**
   * Reads one input report of a hidraw node. Each read(2) of hidraw returns exactly one report,
   * so this keeps report boundaries that readUntil would merge when a device's report length is
   * not known in advance.
   */
  async readReport(expected: string): Promise<Uint8Array> {
    if (this.#buffer.length > 0) {
      const buffered = this.#buffer;
      this.#buffer = new Uint8Array(0);
      return buffered;
    }
    for (;;) {
      const n = await this.#readChunk(expected);
      if (n > 0) return this.#chunk.slice(0, n);
    }
  }

  /**
   * One read(2) into the chunk buffer; 0 when nothing came: a tty read with VMIN 0 returns
   * nothing when its VTIME passes, and a hung-up one keeps doing so. Either way the operation's
   * signal bounds the caller's wait.
   */
  async #readChunk(expected: string): Promise<number> {
    this.#check(`read ${expected} from`);
    try {
      return (await this.#read()) ?? 0;
    } catch (error) {
      throw this.#ioError(error, `read ${expected} from`);
    }
  }

  /**
   * Closes the node once no read is in flight any more; resolves then. Safe to call twice. The
   * operation need not wait for it: NodeLine makes the next one do so.
   */
  close(): Promise<void> {
    return this.#closed ??= (this.#pending ?? Promise.resolve()).then(
      () => {},
      () => {},
    ).then(() => {
      try {
        this.#file.close();
      } catch { /* closed already */ }
      this.#done.resolve();
    });
  }

  /** Resolves once the file is closed, after any abandoned read ended. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  /** One read, raced against the operation's abort; an abandoned read stays in #pending. */
  async #read(): Promise<number | null> {
    const read = this.#pending ??= this.#file.read(this.#chunk).finally(() => {
      this.#pending = undefined;
    });
    const signal = this.#signal;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal, `reading from ${this.#what}`));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([read, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
      aborted.catch(() => {});
    }
  }

  #check(action: string): void {
    if (this.#signal.aborted) throw abortError(this.#signal, `${action} ${this.#what}`);
    if (this.#closed) throw new DriverError("unreachable", `${this.#what} is closed`);
  }

  #ioError(error: unknown, action: string): DriverError {
    if (error instanceof DriverError) return error;
    if (this.#signal.aborted) return abortError(this.#signal, `${action} ${this.#what}`);
    const message = error instanceof Error ? error.message : String(error);
    return new DriverError(
      "unreachable",
      `cannot ${action} ${this.#what}: ${message} (did ${this.#path} disappear? it is reopened ` +
        `on the next attempt)`,
      { cause: error },
    );
  }
}

function openError(error: unknown, path: string, what: string): DriverError {
  if (error instanceof Deno.errors.NotCapable) {
    return new DriverError(
      "config",
      `${what}: pdud may not open ${path}: Deno opens device files only when run with ` +
        `--allow-all (-A)`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.NotFound) {
    return new DriverError(
      "unreachable",
      `${what}: ${path} does not exist (is the device plugged in?)`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new DriverError(
      "config",
      `${what}: no permission to open ${path} (a udev rule must give pdud's user access)`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DriverError("unreachable", `${what}: cannot open ${path}: ${message}`, {
    cause: error,
  });
}

/** Runs `stty -F path settings…`; the path comes from the config only, never from a request. */
async function configureTty(
  path: string,
  settings: readonly string[],
  what: string,
  signal: AbortSignal,
): Promise<void> {
  let result: ProcessResult;
  try {
    result = await runProcess("stty", ["-F", path, ...settings], {
      signal,
      what: `configuring ${what}`,
    });
  } catch (error) {
    if (error instanceof DriverError && error.kind === "config") {
      throw new DriverError("config", `cannot run stty to configure ${what}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (!result.success) {
    const said = complaint(result);
    throw new DriverError(
      "unreachable",
      `stty could not configure ${what} (exit ${result.code})${said ? `: ${said}` : ""}`,
    );
  }
}

/** The serial settings every relay here uses: raw 8N1, reads that return within 0.1 s. */
export function serialSettings(baud: number): string[] {
  return [
    "raw",
    "-echo",
    "cs8",
    "-parenb",
    "-cstopb",
    "-crtscts",
    "min",
    "0",
    "time",
    "1",
    `${baud}`,
  ];
}

/**
 * The node of one driver, opened once per operation: an operation waits until the previous
 * operation's node is really closed, so no abandoned read competes for its answer.
 */
export class NodeLine {
  readonly #path: string;
  #previous: Promise<void> = Promise.resolve();

  /** @param path the device node from the config */
  constructor(path: string) {
    this.#path = path;
  }

  /** Opens the node for one operation; close it with `node.close()` when done. */
  async open(options: OpenNodeOptions): Promise<DeviceNode> {
    const { signal, what } = options;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal, `waiting for the last read of ${what} to end`));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.#previous, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort!);
      aborted.catch(() => {});
    }
    const node = await DeviceNode.open(this.#path, options);
    this.#previous = node.closed;
    return node;
  }

  /** Resolves when the last node is closed (for the driver's `close()`). */
  settled(): Promise<void> {
    return this.#previous;
  }
}
