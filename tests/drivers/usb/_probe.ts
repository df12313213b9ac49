/** Whether these tests can simulate device nodes here, and if not, why (for skip reasons). */
import { PtyEndpoint, socatAvailable } from "../../../simulators/usb/_pty.ts";

async function probe(): Promise<string> {
  if (!(await socatAvailable())) return "socat is not installed, so no pty can be simulated";
  const directory = await Deno.makeTempDir({ prefix: "pdud-probe-" });
  try {
    await using endpoint = await PtyEndpoint.create(`${directory}/tty`, async (io) => {
      while (await io.read() !== null) { /* discard */ }
    });
    try {
      (await Deno.open(endpoint.path, { read: true, write: true })).close();
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) {
        return "Deno opens device files only with --allow-all (run deno test -A)";
      }
      throw error;
    }
    return "";
  } finally {
    await Deno.remove(directory, { recursive: true }).catch(() => {});
  }
}

/** Empty when device nodes can be simulated and opened; otherwise the reason they cannot. */
export const NODE_SKIP_REASON: string = await probe();

/** The suffix for a test name that is skipped, with its reason. */
export const NODE_SKIP: string = NODE_SKIP_REASON ? ` (skipped: ${NODE_SKIP_REASON})` : "";
