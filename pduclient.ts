/**
 * pduclient: a drop-in for upstream's client (same flags, output lines and exit codes).
 * `deno task compile` builds it as a standalone binary.
 * @module
 */
import { runClient } from "./cli/client.ts";

if (import.meta.main) {
  const encoder = new TextEncoder();
  const write = (stream: { writeSync(p: Uint8Array): number }) => (text: string) =>
    stream.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
  Deno.exit(await runClient(Deno.args, { out: write(Deno.stdout), err: write(Deno.stderr) }));
}
