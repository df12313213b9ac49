/**
 * An expect-style session over TCP for the telnet drivers: wait for a pattern (bounded by the
 * operation's AbortSignal), send a line. With `telnet: true` the IAC negotiation is answered the
 * way a plain NVT client answers it (accept the server's ECHO and SUPPRESS-GO-AHEAD, refuse
 * everything else) and stripped from the text the driver sees. Bytes are read as Latin-1, so
 * any byte the device sends maps to one character and no decoder can fail on it.
 * @module
 */
import { connectTcp } from "./tcp_client.ts";
import { abortError, DriverError, printable } from "../errors.ts";

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const ECHO = 1, SGA = 3;
/** What the driver may see of a chatty device before old text is dropped. */
const BUFFER_LIMIT = 64 * 1024;

/** Where to connect and how to name the device in messages. */
export interface ExpectTarget {
  host: string;
  port: number;
  /** "APC 7952 at 10.0.0.5:23" — used in every error message. */
  device: string;
  /** Negotiate and strip telnet IAC sequences (default false: raw TCP). */
  telnet?: boolean;
}

/** A pattern and what it means, for messages ("the login prompt"). */
export type Pattern = string | RegExp;

/** The outcome of `expect`: which pattern matched and the text before it. */
export interface Match {
  index: number;
  before: string;
  match: string;
}

/** One TCP session with a text-speaking device. */
export class ExpectSession {
  #buffer = "";
  #closed = false;
  #released = false;
  #wake: (() => void) | undefined;
  #iac: number[] = [];
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pump: Promise<void>;

  private constructor(readonly target: ExpectTarget, readonly conn: Deno.TcpConn) {
    this.#writer = conn.writable.getWriter();
    this.#pump = this.#read();
  }

  /** Connects; a refused or unroutable connection is `unreachable`, an abort is `timeout`. */
  static async open(target: ExpectTarget, signal: AbortSignal): Promise<ExpectSession> {
    return new ExpectSession(target, await connectTcp(target, signal));
  }

  /** Everything received and not yet consumed by `expect`. */
  get pending(): string {
    return this.#buffer;
  }

  /**
   * Waits until one of `patterns` appears; consumes the text up to the end of the match.
   * `what` names the wait in error messages ("the apc> prompt").
   */
  async expect(patterns: Pattern[], what: string, signal: AbortSignal): Promise<Match> {
    const onAbort = () => this.#wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const found = this.#find(patterns);
        if (found) return found;
        if (signal.aborted) {
          throw new DriverError(
            "timeout",
            `${this.target.device} did not show ${what}; last received: ${this.#tail()}`,
          );
        }
        if (this.#closed) {
          throw new DriverError(
            "protocol",
            `${this.target.device} closed the connection while pdud waited for ${what}; ` +
              `last received: ${this.#tail()}`,
          );
        }
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Sends text as Latin-1 bytes (request data never reaches here unvalidated). */
  async send(text: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal, `Talking to ${this.target.device}`);
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    try {
      await this.#writer.write(bytes);
    } catch (error) {
      throw new DriverError(
        "protocol",
        `${this.target.device} closed the connection while pdud was sending: ${
          (error as Error).message
        }`,
      );
    }
  }

  /** Closes the socket; safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    // Released even when the peer closed first (#closed already set by the reader at EOF):
    // otherwise the socket of a refused or dropped session stays open.
    if (!this.#released) {
      this.#released = true;
      try {
        this.conn.close();
      } catch { /* already closed */ }
    }
    await this.#pump.catch(() => {});
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
    const before = this.#buffer.slice(0, best.at);
    const match = this.#buffer.slice(best.at, best.at + best.length);
    this.#buffer = this.#buffer.slice(best.at + best.length);
    return { index: best.index, before, match };
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
        if (n === null) break;
        const text = this.target.telnet
          ? await this.#negotiate(chunk.subarray(0, n))
          : latin1(chunk.subarray(0, n));
        this.#buffer = (this.#buffer + text).slice(-BUFFER_LIMIT);
        this.#wake?.();
      }
    } catch { /* reset or closed by us: the same as EOF for a waiting expect */ }
    this.#closed = true;
    this.#wake?.();
  }

  /** Strips IAC sequences (they may span reads) and answers the option requests. */
  async #negotiate(bytes: Uint8Array): Promise<string> {
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
    if (replies.length > 0) {
      await this.#writer.write(Uint8Array.from(replies)).catch(() => {});
    }
    return text;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}
