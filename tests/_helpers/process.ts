/**
 * pdud as a real process: spawn `main.ts` with arguments, wait for its "pdud listening" log line
 * (the port it bound), and stop it with a signal. For tests of what only a process shows: argv,
 * exit codes, signals, drive mode.
 */
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The permissions the shipped tasks grant (deno.json `start`). */
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-run", "--allow-env"];

/** A running pdud process. */
export interface PdudProcess extends AsyncDisposable {
  port: number;
  child: Deno.ChildProcess;
  /** Every JSON log line read so far. */
  logs: Record<string, unknown>[];
  /** Sends `signal` and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Resolves with the first log line (already read or still to come) that `match` accepts. */
  waitForLog(match: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Runs `deno run main.ts …args` to completion; returns its exit code and output. */
export function runPdud(
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProgram(Deno.execPath(), ["run", ...PERMISSIONS, `${ROOT}main.ts`, ...args], options);
}

/** Runs `executable …args` to completion (stdin closed); returns its exit code and output. */
export async function runProgram(
  executable: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(executable, {
    args,
    cwd: options.cwd ?? ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Starts the daemon (`deno run main.ts …args --logfile -`, or `executable …args --logfile -` for
 * a compiled binary) and resolves once it listens.
 */
export async function spawnPdud(
  args: string[],
  options: { executable?: string; denoFlags?: string[] } = {},
): Promise<PdudProcess> {
  const argv = options.executable ? [...args, "--logfile", "-"] : [
    "run",
    ...PERMISSIONS,
    ...options.denoFlags ?? [],
    `${ROOT}main.ts`,
    ...args,
    "--logfile",
    "-",
  ];
  const child = new Deno.Command(options.executable ?? Deno.execPath(), {
    args: argv,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<{
    match: (r: Record<string, unknown>) => boolean;
    resolve: (r: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }>();
  const push = (record: Record<string, unknown>) => {
    logs.push(record);
    for (const w of waiters) {
      if (w.match(record)) {
        waiters.delete(w);
        w.resolve(record);
      }
    }
  };
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter());
  const reader = lines.getReader();
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(`pdud exited (${status.code}) before listening: ${await stderr}`);
    }
    const record = parse(value);
    if (!record) continue;
    push(record);
    if (record.msg === "pdud listening") port = Number(record.port);
  }
  // Keep draining so the child never blocks on a full pipe.
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        for (const w of waiters) w.reject(new Error("pdud's output ended before the log line"));
        return;
      }
      const record = parse(value);
      if (record) push(record);
    }
  })();
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
      const status = await child.status;
      await drained;
      await stderr;
      return status;
    })();
    return stopped;
  };
  const waitForLog = (match: (r: Record<string, unknown>) => boolean) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) =>
      waiters.add({ match, resolve, reject })
    );
  };
  return {
    port,
    child,
    logs,
    stop,
    waitForLog,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        controller.enqueue(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  });
}

/** A config file whose PDU "rack" records each switch, for tests that signal or flood pdud. */
export interface RecordingRack {
  /** The config file. */
  conf: string;
  /** Where "rack" appends `N on` / `N off` as each command runs. */
  log: string;
  /** A named pipe "rack" writes `off` to when it switches an outlet off (a reboot's first half). */
  fifo: string;
}

/**
 * Writes, in `dir`, a config of one `localcmdline` PDU "rack" (retries 1) that records every
 * switch in `log` and announces each off on `fifo`; `daemon` is the config's daemon line
 * (`{hostname: 127.0.0.1, port: 0, …}`).
 */
export async function recordingRack(dir: string, daemon: string): Promise<RecordingRack> {
  const log = `${dir}/log`;
  const fifo = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  if (!made.success) throw new Error(`mkfifo ${fifo} failed`);
  const conf = `${dir}/pdud.yaml`;
  await Deno.writeTextFile(
    conf,
    [
      `daemon: ${daemon}`,
      "pdus:",
      "  rack:",
      "    driver: localcmdline",
      `    cmd_on: "echo '%d on' >> ${log}"`,
      `    cmd_off: "echo '%d off' >> ${log}; echo off > ${fifo}"`,
      "    retries: 1",
      "",
    ].join("\n"),
  );
  return { conf, log, fifo };
}
