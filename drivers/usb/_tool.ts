/**
 * Running a vendor command-line tool for one operation: argv arrays only (never a shell), the
 * executable from the config, the operation's signal killing the process, and a missing or
 * failing tool turned into a DriverError naming the tool and its last line of complaint.
 * @module
 */
import { abortError, DriverError, printable } from "../errors.ts";
import { complaint, howItEnded, runProcess } from "../_transport/process.ts";

/** Directories upstream also searches for tools such as uhubctl, besides PATH. */
const SBIN = ["/sbin", "/usr/sbin", "/usr/local/sbin"];

/**
 * Finds `name` as upstream does (PATH, then the sbin directories); a name with a slash is used
 * as given. Returns undefined when there is no such executable.
 */
export async function findTool(name: string): Promise<string | undefined> {
  if (name.includes("/")) return (await isFile(name)) ? name : undefined;
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const directory of [...path, ...SBIN]) {
    const candidate = `${directory}/${name}`;
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** What one run of a tool printed. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** Runs `executable args…`; resolves with its output when it exits 0, else a DriverError. */
export async function runTool(
  executable: string,
  args: readonly string[],
  what: string,
  signal: AbortSignal,
): Promise<ToolOutput> {
  if (signal.aborted) throw abortError(signal, `running ${executable}`);
  const resolved = await findTool(executable);
  if (resolved === undefined) {
    throw new DriverError(
      "config",
      `${what}: ${executable} is not installed (searched PATH, /sbin, /usr/sbin, ` +
        `/usr/local/sbin); install it or set the path in the PDU's config`,
    );
  }
  const result = await runProcess(resolved, args, {
    signal,
    what: `${what}: running ${executable}`,
  });
  if (!result.success) {
    const said = complaint(result);
    // Tool arguments are hub locations, serials and outlet numbers, none of them secret.
    throw new DriverError(
      "device",
      `${what}: ${printable([executable, ...args].join(" "))} ${howItEnded(result)}` +
        (said ? `: ${said}` : ""),
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The last non-empty line of `text`, made printable, at most 200 characters. */
export function lastLine(text: string): string {
  return complaint({ stdout: "", stderr: text });
}
