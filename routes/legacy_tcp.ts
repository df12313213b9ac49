/**
 * The legacy pduclient protocol: `hostname port command [delay]`, ASCII words separated by one
 * space, with or without a newline (pduclient sends none and waits for the reply). A line
 * becomes the Request curl would have sent, so that routing, validation and results are the
 * HTTP path's, byte for byte.
 * @module
 */
import { UPSTREAM_COMMANDS } from "./params.ts";

/** The longest legacy request accepted, in bytes (upstream read at most 16 KiB). */
export const LEGACY_MAX_BYTES = 4096;

/** Synthesises the upstream HTTP request for one legacy line. */
export function legacyLineToRequest(line: string): Request {
  const [hostname = "", port = "", command = "", delay, ...extra] = line.trim().split(/\s+/);
  const query = new URLSearchParams({ hostname, port });
  if (delay !== undefined) query.set("delay", delay);
  // Lets params.ts reject the line with a reason instead of silently ignoring words.
  if (extra.length > 0) query.set("extra", extra.join(" "));
  return new Request(
    `http://legacy.invalid/power/control/${encodeURIComponent(command)}?${query}`,
  );
}

/**
 * What the bytes read so far of a legacy request are: a whole request (`line`, without its
 * terminator), the start of one (wait for more, up to the request timeout), or bytes that no
 * further byte can make valid (`reason` says why; the client gets `nack` at once).
 */
export type LegacyFrame =
  | { kind: "complete"; line: string }
  | { kind: "incomplete" }
  | { kind: "invalid"; reason: string };

/** Longest hostname or port word (params.ts refuses longer names). */
const MAX_WORD = 255;

/**
 * Frames a legacy request by its grammar, as upstream parses it (`split(" ")`, `int(delay)`): a
 * newline (or the end of input, `ended`) ends a line, which must then be whole; without one,
 * three words whose third is a whole command that no other command starts with, or a fourth
 * word of digits, make a request — pduclient writes its request in one piece and waits.
 * The command vocabulary is UPSTREAM_COMMANDS, so a command added there is framed here too.
 */
export function legacyFrame(text: string, ended = false): LegacyFrame {
  const newline = text.indexOf("\n");
  const terminated = newline >= 0 || ended;
  let body = newline >= 0 ? text.slice(0, newline) : text;
  if (newline >= 0 && body.endsWith("\r")) body = body.slice(0, -1);
  const bad = /[^\x20-\x7e]/.exec(body);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).padStart(2, "0");
    return invalid(`byte 0x${code} at offset ${bad.index}; expected printable ASCII`);
  }
  const words = body.split(" ");
  if (words.length > 4) return invalid("more than four words");
  const [hostname = "", port, command, delay] = words;
  const commands: readonly string[] = UPSTREAM_COMMANDS;
  for (const [name, word] of [["hostname", hostname], ["port", port]] as const) {
    if (word === undefined) break;
    if (word.length > MAX_WORD) return invalid(`${name} longer than ${MAX_WORD} characters`);
    if (word === "" && (terminated || words.length > (name === "hostname" ? 1 : 2))) {
      return invalid(`empty ${name}; expected "hostname port command [delay]", one space apart`);
    }
  }
  if (command !== undefined) {
    const partial = !terminated && words.length === 3;
    if (!commands.some((c) => partial ? c.startsWith(command) : c === command)) {
      return invalid(`unknown command "${command}"; expected ${commands.join(", ")}`);
    }
  }
  if (delay !== undefined && !/^\d{0,6}$/.test(delay)) {
    return invalid(`delay "${delay}"; expected whole seconds`);
  }
  if (terminated) {
    if (command === undefined) return invalid('expected "hostname port command [delay]"');
    if (delay === "") return invalid("empty delay after the command; expected whole seconds");
    return { kind: "complete", line: body };
  }
  if (delay !== undefined) return delay === "" ? { kind: "incomplete" } : complete(body);
  if (command !== undefined && commands.includes(command)) {
    const longer = commands.some((c) => c !== command && c.startsWith(command));
    if (!longer) return complete(body);
  }
  return { kind: "incomplete" };
}

function invalid(reason: string): LegacyFrame {
  return { kind: "invalid", reason };
}

function complete(line: string): LegacyFrame {
  return { kind: "complete", line };
}
