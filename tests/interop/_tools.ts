/**
 * Running clients nobody here wrote (Net-SNMP's tools, ClusterLabs' fence agents, PowerMan)
 * against pdud's simulators: where Debian puts them, and one bounded run of each.
 */

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The tool's path: PATH, then the sbin directories Debian installs daemons and agents in. */
export function which(tool: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  return dirs.map((d) => `${d}/${tool}`).find(isFile);
}

/** "" when every tool is installed, else a test-name suffix saying which are missing. */
export function skipUnless(tools: string[], debianPackages: string): string {
  const missing = tools.filter((t) => !which(t));
  return missing.length === 0
    ? ""
    : ` (skipped: ${missing.join(", ")} not installed; apt-get install ${debianPackages})`;
}

export interface Run {
  code: number;
  /** stdout and stderr together. */
  out: string;
  /** Wall time, ms. */
  ms: number;
}

/** Runs `tool` with argv (no shell), killed after `limitMs` so a hang fails the test, not CI. */
export async function run(
  tool: string,
  args: string[],
  options: { limitMs?: number; env?: Record<string, string>; cwd?: string } = {},
): Promise<Run> {
  const path = which(tool);
  if (!path) throw new Error(`${tool} is not installed`);
  const started = performance.now();
  const output = await new Deno.Command(path, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.limitMs ?? 30_000),
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout) + decoder.decode(output.stderr),
    ms: performance.now() - started,
  };
}
