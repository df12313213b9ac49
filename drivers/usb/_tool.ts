/**
 * Running a vendor command-line tool for one operation: argv arrays only (never a shell), the
 * executable from the config, the operation's signal killing the process, and a missing or
 * failing tool turned into a DriverError naming the tool and its last line of complaint.
 * @module
 */
import { abortError, DriverError } from "../errors.ts";

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
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(resolved, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
  } catch (error) {
    if (signal.aborted) throw abortError(signal, `running ${executable}`);
    throw new DriverError(
      "config",
      `${what}: cannot run ${resolved}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
  if (signal.aborted) throw abortError(signal, `running ${executable}`);
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) {
    const complaint = lastLine(stderr) || lastLine(stdout);
    throw new DriverError(
      "device",
      `${what}: ${executable} ${args.join(" ")} exited with status ${output.code}` +
        (complaint ? `: ${complaint}` : ""),
    );
  }
  return { stdout, stderr };
}

/** The last non-empty line of `text`, control characters removed, at most 200 characters. */
export function lastLine(text: string): string {
  // deno-lint-ignore no-control-regex
  const lines = text.replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, "").split("\n").map((l) => l.trim())
    .filter((l) => l !== "");
  return (lines.at(-1) ?? "").slice(0, 200);
}
