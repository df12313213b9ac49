/**
 * `<key>_file: PATH`: a secret read from a file when the config is loaded — the form systemd
 * credentials, Docker and Kubernetes secrets and `pass` exports take.
 * @module
 */

/** Reads at most `limit` bytes of a file (Deno's, or a test's); throws as Deno.openSync does. */
export type FileReader = (path: string, limit: number) => Uint8Array;

/** A secret file larger than this is not a secret (a key ring, a log, the wrong path). */
export const MAX_SECRET_FILE = 64 * 1024;

/** The file's bytes up to `limit` (one more than allowed tells an over-size file). */
export function readBounded(path: string, limit: number): Uint8Array {
  using file = Deno.openSync(path);
  const buffer = new Uint8Array(limit);
  let filled = 0;
  // Read, not stat: /proc files and pipes report size 0, and a file may grow after a stat.
  while (filled < limit) {
    const n = file.readSync(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

/** The secret in `path`, or why there is none; messages name the file, never its content. */
export function secretFromFile(
  path: string,
  read: FileReader = readBounded,
): { value: string } | { problem: string } {
  let bytes: Uint8Array;
  try {
    bytes = read(path, MAX_SECRET_FILE + 1);
  } catch (error) {
    // Deno's message ends in "(os error 2): open '…'", which repeats the path already named.
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/ \(os error \d+\).*$/, "");
    return { problem: `cannot read ${path}: ${reason}` };
  }
  if (bytes.length > MAX_SECRET_FILE) {
    return { problem: `${path} is larger than 64 KiB, too large to be a secret` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { problem: `${path} is not UTF-8 text` };
  }
  // `echo secret > file` and editors end the file with a newline that is not part of the secret.
  const value = text.replace(/\r?\n$/, "");
  if (value === "") return { problem: `${path} is empty` };
  return { value };
}
