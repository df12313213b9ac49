/**
 * A raw TCP session for the binary and line protocols of this family: connect, write, read exact
 * byte counts or one line — every wait bounded by the caller's signal. Bytes are read by a pump
 * as they arrive, so an abandoned wait leaves the connection usable and closing it never blocks.
 * @module
 */
import { connectTcp } from "../_transport/tcp_client.ts";
import { abortError, DriverError } from "../errors.ts";

/** Longest answer any device of this family sends; more is taken as a misbehaving peer. */
const BUFFER_LIMIT = 64 * 1024;

/** One TCP connection to a device; `device` names it in every message. */
export class TcpSession {
  #pending = new Uint8Array(0);
  /** Why no more bytes will come (the peer closed, or the socket broke); undefined while open. */
  #ended: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #pump: Promise<void>;

  private constructor(readonly device: string, readonly conn: Deno.TcpConn) {
    this.#pump = this.#read();
  }

  /** Connects; a refused or unroutable connection is `unreachable`, an abort is `timeout`. */
  static async open(
    target: { host: string; port: number; device: string },
    signal: AbortSignal,
  ): Promise<TcpSession> {
    return new TcpSession(target.device, await connectTcp(target, signal));
  }

  /** Runs `work` on a fresh session and always closes it. */
  static async with<T>(
    target: { host: string; port: number; device: string },
    signal: AbortSignal,
    work: (session: TcpSession) => Promise<T>,
  ): Promise<T> {
    const session = await TcpSession.open(target, signal);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /** Writes all of `bytes` in one call, so a device that frames by packet sees one packet. */
  async write(bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal, `Talking to ${this.device}`);
    try {
      let written = 0;
      while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
    } catch (error) {
      throw new DriverError(
        "protocol",
        `${this.device} closed the connection while pdud was sending: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Reads exactly `count` bytes; `what` names the wait ("the answer to 0x20"). An abort gives up
   * the wait but keeps the connection, so a caller may try again on it.
   */
  async readExactly(count: number, what: string, signal: AbortSignal): Promise<Uint8Array> {
    await this.#until(() => this.#pending.length >= count, what, signal);
    return this.#take(count);
  }

  /** One line without its CR/LF; an empty line (the LF of a CR LF) is skipped. */
  async readLine(what: string, signal: AbortSignal): Promise<string> {
    for (;;) {
      let end = -1;
      await this.#until(
        () => {
          end = this.#pending.findIndex((b) => b === 10 || b === 13);
          return end >= 0;
        },
        what,
        signal,
      );
      const line = String.fromCharCode(...this.#take(end));
      this.#take(1);
      if (line !== "") return line;
    }
  }

  /** Closes the socket; safe twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch { /* already closed by the peer */ }
    }
    await this.#pump;
  }

  #take(count: number): Uint8Array {
    const out = this.#pending.slice(0, count);
    this.#pending = this.#pending.slice(count);
    return out;
  }

  async #until(ready: () => boolean, what: string, signal: AbortSignal): Promise<void> {
    const onAbort = () => this.#wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (ready()) return;
        if (signal.aborted) {
          throw new DriverError("timeout", `${this.device} did not send ${what} in time`);
        }
        if (this.#ended !== undefined) {
          throw new DriverError(
            "protocol",
            `${this.device} ${this.#ended} while pdud waited for ${what}`,
          );
        }
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null) {
          this.#ended = "closed the connection";
          return;
        }
        if (this.#pending.length + n > BUFFER_LIMIT) {
          this.#ended = `sent more than ${BUFFER_LIMIT} bytes`;
          return;
        }
        const joined = new Uint8Array(this.#pending.length + n);
        joined.set(this.#pending);
        joined.set(buffer.subarray(0, n), this.#pending.length);
        this.#pending = joined;
        this.#wake?.();
      }
    } catch (error) {
      this.#ended = this.#closed
        ? "was disconnected"
        : `broke the connection (${(error as Error).message})`;
    } finally {
      this.#wake?.();
    }
  }
}

/** Bytes as "0x01 0xff" for messages. */
export function hex(bytes: Uint8Array): string {
  return [...bytes.slice(0, 16)].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ") +
    (bytes.length > 16 ? " …" : "");
}
