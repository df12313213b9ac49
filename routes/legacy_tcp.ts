/**
 * The legacy pduclient protocol: `hostname port command [delay]`, ASCII, with or without a
 * newline. A line becomes the Request curl would have sent, so that routing, validation and
 * results are the HTTP path's, byte for byte.
 * @module
 */

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

const COMMANDS = ["on", "off", "reboot", "get-port-state", "get-status"];

/**
 * Whether `text` already holds a whole request. pduclient sends no newline and waits for the
 * reply, so the end of a request is recognised by its shape: a newline, a delay (the fourth
 * word), or three words whose third is a whole command. Three words ending in a mere prefix of
 * a command ("of" of "off") wait for more bytes; so do fewer than three words.
 */
export function legacyRequestComplete(text: string): boolean {
  if (/[\r\n]/.test(text)) return true;
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length >= 4) {
    return /\s$/.test(text) || /^\d+$/.test(words[3] ?? "") || words.length > 4;
  }
  if (words.length < 3 || /\s$/.test(text)) return false;
  const command = words[2] ?? "";
  const isPrefix = COMMANDS.some((c) => c !== command && c.startsWith(command));
  return COMMANDS.includes(command) && !isPrefix;
}
