/**
 * The one byte-stream session of the drivers, for every device spoken to over a raw TCP socket:
 * text consoles (wait for a pattern, send a line) and binary or line protocols (read exactly N
 * bytes, read one line, write a packet). Every wait is bounded by the caller's AbortSignal; an
 * abandoned wait leaves the connection usable, and closing never blocks, because a pump reads the
 * bytes as they arrive.
 *
 * Bytes are kept as Latin-1 text (one character per byte), so any byte the device sends maps to
 * one character, no decoder can fail on it, and exact reads give back the bytes unchanged. With
 * `telnet: true` the IAC negotiation is answered the way a plain NVT client answers it (accept
 * the server's ECHO and SUPPRESS-GO-AHEAD, refuse everything else) and stripped from what the
 * driver sees.
 * @module
 */
import { abortError, DriverError, printable } from "../errors.ts";

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const ECHO = 1, SGA = 3;
/** What a device may send that the driver has not consumed; beyond it the oldest is dropped. */
const BUFFER_LIMIT = 64 * 1024;

/** Where to connect and how to name the device in messages. */
export interface SessionTarget {
  host: string;
  port: number;
  /** "APC 7952 at 10.0.0.5:23" — used in every error message. */
  device: string;
  /** Negotiate and strip telnet IAC sequences (default false: raw TCP). */
  telnet?: boolean;
}

/** What `expect` waits for: text, or a regular expression. */
export type Pattern = string | RegExp;

/** The outcome of `expect`: which pattern matched and the text before it. */
export interface Match {
  index: number;
  before: string;
  match: string;
}

/** Connects; a refused or unroutable connection is `unreachable`, an abort is `timeout`. */
export async function connectTcp(
  target: { host: string; port: number; device: string },
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  if (signal.aborted) throw abortError(signal, `Connecting to ${target.device}`);
  try {
    return await Deno.connect({ hostname: target.host, port: target.port, signal });
  } catch (error) {
    if (signal.aborted) {
      throw new DriverError("timeout", `${target.device} did not accept a connection in time`);
    }
    throw new DriverError(
      "unreachable",
      `${target.device} is unreachable: ${(error as Error).message}`,
    );
  }
}

/** One TCP connection to a device. */
export class Session {
  /** Received and not yet consumed, one character per byte. */
  #buffer = "";
  /** Bytes dropped from the front of a full buffer (an exact read can no longer be trusted). */
  #dropped = 0;
  /** Why no more bytes will come (the peer closed, or the socket broke); undefined while open. */
  #ended: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  #iac: number[] = [];
  /** Writes (the driver's and the telnet replies) one after the other, never interleaved. */
  #writing: Promise<unknown> = Promise.resolve();
  readonly #pump: Promise<void>;

  private constructor(readonly target: SessionTarget, readonly conn: Deno.TcpConn) {
    this.#pump = this.#read();
  }

  /** The device's name in messages. */
  get device(): string {
    return this.target.device;
  }

  /** Connects; a refused or unroutable connection is `unreachable`, an abort is `timeout`. */
  static async open(target: SessionTarget, signal: AbortSignal): Promise<Session> {
    return new Session(target, await connectTcp(target, signal));
  }

  /** Runs `work` on a fresh session and always closes it. */
  static async with<T>(
    target: SessionTarget,
    signal: AbortSignal,
    work: (session: Session) => Promise<T>,
  ): Promise<T> {
    const session = await Session.open(target, signal);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /**
   * Waits until one of `patterns` appears; consumes the text up to the end of the match.
   * `what` names the wait in error messages ("the apc> prompt").
   */
  async expect(patterns: Pattern[], what: string, signal: AbortSignal): Promise<Match> {
    let found: Match | undefined;
    await this.#until(() => (found = this.#find(patterns)) !== undefined, what, signal);
    return found!;
  }

  /**
   * Reads exactly `count` bytes; `what` names the wait ("the answer to 0x20"). An abort gives up
   * the wait but keeps the connection, so a caller may try again on it.
   */
  async readExactly(count: number, what: string, signal: AbortSignal): Promise<Uint8Array> {
    await this.#until(() => this.#buffer.length >= count, what, signal, true);
    return bytesOf(this.#take(count));
  }

  /** One line without its CR/LF; an empty line (the LF of a CR LF) is skipped. */
  async readLine(what: string, signal: AbortSignal): Promise<string> {
    for (;;) {
      let end = -1;
      await this.#until(() => (end = this.#buffer.search(/[\r\n]/)) >= 0, what, signal, true);
      const line = this.#take(end);
      this.#take(1);
      if (line !== "") return line;
    }
  }

  /** Sends text as Latin-1 bytes (request data never reaches here unvalidated). */
  async send(text: string, signal: AbortSignal): Promise<void> {
    await this.write(bytesOf(text), signal);
  }

  /** Writes all of `bytes` in one call, so a device that frames by packet sees one packet. */
  async write(bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal, `Talking to ${this.device}`);
    try {
      await this.#write(bytes);
    } catch (error) {
      throw new DriverError(
        "protocol",
        `${this.device} closed the connection while pdud was sending: ${(error as Error).message}`,
      );
    }
  }

  /** Closes the socket; safe twice, and after the peer closed first. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch { /* already closed */ }
    }
    await this.#pump;
  }

  #write(bytes: Uint8Array): Promise<void> {
    const next = this.#writing.catch(() => {}).then(async () => {
      let written = 0;
      while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
    });
    this.#writing = next;
    return next;
  }

  #take(count: number): string {
    const out = this.#buffer.slice(0, count);
    this.#buffer = this.#buffer.slice(count);
    return out;
  }

  async #until(
    ready: () => boolean,
    what: string,
    signal: AbortSignal,
    exact = false,
  ): Promise<void> {
    const onAbort = () => this.#wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (exact && this.#dropped > 0) {
          throw new DriverError(
            "protocol",
            `${this.device} sent more than ${BUFFER_LIMIT} bytes that pdud did not ask for ` +
              `while pdud waited for ${what}`,
          );
        }
        if (ready()) return;
        if (signal.aborted) {
          throw new DriverError(
            "timeout",
            `${this.device} did not send ${what} in time; last received: ${this.#tail()}`,
          );
        }
        if (this.#ended !== undefined) {
          throw new DriverError(
            "protocol",
            `${this.device} ${this.#ended} while pdud waited for ${what}; ` +
              `last received: ${this.#tail()}`,
          );
        }
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  #find(patterns: Pattern[]): Match | undefined {
    let best: { index: number; at: number; length: number } | undefined;
    patterns.forEach((pattern, index) => {
      let at: number, length: number;
      if (typeof pattern === "string") {
        at = this.#buffer.indexOf(pattern);
        length = pattern.length;
      } else {
        const m = pattern.exec(this.#buffer);
        at = m ? m.index : -1;
        length = m ? m[0].length : 0;
      }
      if (at >= 0 && (!best || at < best.at)) best = { index, at, length };
    });
    if (!best) return undefined;
    const before = this.#take(best.at);
    return { index: best.index, before, match: this.#take(best.length) };
  }

  #tail(): string {
    // Terminal escape sequences (cursor moves, clears, titles) never reach a message.
    const text = printable(this.#buffer.slice(-160), 200);
    return text.trim() === "" ? "(nothing)" : JSON.stringify(text);
  }

  async #read(): Promise<void> {
    const chunk = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) {
          this.#ended = "closed the connection";
          return;
        }
        const bytes = chunk.subarray(0, n);
        const text = this.target.telnet ? this.#negotiate(bytes) : latin1(bytes);
        const joined = this.#buffer + text;
        const over = joined.length - BUFFER_LIMIT;
        if (over > 0) this.#dropped += over;
        this.#buffer = over > 0 ? joined.slice(over) : joined;
        this.#wake?.();
      }
    } catch (error) {
      this.#ended = this.#closed
        ? "was disconnected"
        : `broke the connection (${printable((error as Error).message, 100)})`;
    } finally {
      this.#wake?.();
    }
  }

  /** Strips IAC sequences (they may span reads) and answers the option requests. */
  #negotiate(bytes: Uint8Array): string {
    let text = "";
    const replies: number[] = [];
    for (const byte of bytes) {
      const seq = this.#iac;
      if (seq.length === 0) {
        if (byte === IAC) seq.push(byte);
        else text += String.fromCharCode(byte);
        continue;
      }
      seq.push(byte);
      const command = seq[1]!;
      if (command === IAC) {
        text += "\xff";
        seq.length = 0;
      } else if (command === SB) {
        // Subnegotiation runs until IAC SE.
        if (seq.length >= 4 && seq[seq.length - 2] === IAC && byte === SE) seq.length = 0;
      } else if (command >= WILL && command <= DONT) {
        if (seq.length < 3) continue;
        const option = byte;
        if (command === WILL) {
          replies.push(IAC, option === ECHO || option === SGA ? DO : DONT, option);
        } else if (command === DO) replies.push(IAC, option === SGA ? WILL : WONT, option);
        seq.length = 0;
      } else {
        seq.length = 0; // NOP, GA and the like: two bytes, nothing to answer
      }
    }
    if (replies.length > 0) this.#write(Uint8Array.from(replies)).catch(() => {});
    return text;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Bytes as "0x01 0xff" for messages. */
export function hex(bytes: Uint8Array): string {
  return [...bytes.slice(0, 16)].map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ") +
    (bytes.length > 16 ? " …" : "");
}
