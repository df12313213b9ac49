/**
 * What the simulators of the tool-driven devices (uhubctl.ts, bcu.ts, sispmctl.ts, usbrelay.ts)
 * share: a stand-in executable (a bash script written into a
 * temporary directory) that sends its argv to the simulator over 127.0.0.1 (bash's /dev/tcp)
 * and prints what the real tool would print, exiting with its status. The simulator checks the
 * argv exactly, changes the simulated outlets and records every run; the script's path is what
 * pduConfig() puts in the tool key (`uhubctl`, `bcu_exe`, `sispmctl`, `usbrelay`).
 *
 * Faults: refuse and drop end the run without an answer (the script exits 98, as a tool that
 * lost its device fails), error is the tool's own failure message and status, garbage is
 * output the tool never prints, hang never answers (the driver's signal kills the script).
 * @module
 */
import type { SimulatedDevice, Simulator } from "../kind.ts";
import { serveSimulatorTcp, writeLatin1 } from "../_transport/tcp_server.ts";
import { simulatorDirectory } from "./_node.ts";

/** What one run of the stand-in tool answers. */
export interface Run {
  code: number;
  output: string;
}

/** A simulated tool: how it answers a well-formed request, and what it says otherwise. */
export interface Tool {
  /** The answer to `args`, applying it to the device (only called without a fault). */
  run(args: string[]): Run;
  /** The failure the real tool reports for the "error" fault. */
  error: Run;
  /** Output the real tool never gives, for the "garbage" fault. */
  garbage: Run;
  /** The answer to a run that switches nothing (bcu init), which faults leave alone. */
  setup?(args: string[]): Run | undefined;
}

/** A simulator of a tool-driven device; `runs` is every argv it received, oldest first. */
export interface ToolSimulator extends Simulator {
  /** Every argv the stand-in tool was run with. */
  readonly runs: string[][];
  /** The stand-in executable. */
  readonly executable: string;
}

function script(port: number): string {
  return `#!/usr/bin/env bash
# Stand-in tool written by a pdud simulator: forwards argv to 127.0.0.1:${port}.
{ exec 3<>/dev/tcp/127.0.0.1/${port}; } 2>/dev/null || { echo "simulated device unreachable" >&2; exit 98; }
# With no arguments printf would still print its format once: an argv of one empty string.
[ "$#" -eq 0 ] || printf '%s\\0' "$@" >&3
printf '\\n' >&3
IFS= read -r code <&3 || { echo "simulated device went away" >&2; exit 98; }
if [ "$code" = 0 ]; then cat <&3; else cat <&3 >&2; fi
exit "$code"
`;
}

/**
 * Starts the stand-in tool of `kind` and the socket it reports to; `config(executable)` is the
 * PDU config that reaches it.
 */
export async function startTool(
  kind: string,
  device: SimulatedDevice,
  tool: Tool,
  config: (executable: string) => Record<string, unknown>,
): Promise<ToolSimulator> {
  const directory = await simulatorDirectory(kind);
  const runs: string[][] = [];
  const server = serveSimulatorTcp(device, { hostname: "127.0.0.1", port: 0 }, async (conn) => {
    let text = "";
    const buffer = new Uint8Array(1024);
    while (!text.endsWith("\n")) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null || text.length > 8192) return;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const args = text.slice(0, -1).split("\0").slice(0, -1);
    runs.push(args);
    device.record(`${kind} ${args.join(" ")}`);
    // The script going away (it exits, or is killed on abort) ends the exchange: a slow or hung
    // run is abandoned, and the connection is closed only after the script closed its end, so
    // no unread byte turns the close into a reset that loses the answer.
    const gone = new AbortController();
    const ended = conn.read(buffer).then(() => gone.abort(), () => gone.abort());
    const setup = tool.setup?.(args);
    if (setup) {
      await writeLatin1(conn, `${setup.code}\n${setup.output}`);
      await conn.closeWrite().catch(() => {});
      return void await ended;
    }
    const fault = await device.beginOperation(gone.signal);
    try {
      if (gone.signal.aborted || fault === "drop" || fault === "refuse") return;
      if (fault !== "hang") {
        const answer = fault === "error"
          ? tool.error
          : fault === "garbage"
          ? tool.garbage
          : tool.run(args);
        await writeLatin1(conn, `${answer.code}\n${answer.output}`);
        await conn.closeWrite().catch(() => {});
      }
      await ended;
    } finally {
      device.endOperation();
    }
  });
  const executable = `${directory}/${kind}`;
  try {
    await Deno.writeTextFile(executable, script(server.port), { mode: 0o755 });
  } catch (error) {
    await server.close();
    await Deno.remove(directory, { recursive: true }).catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    })();
  return {
    kind,
    device,
    runs,
    executable,
    address: { hostname: "127.0.0.1", port: server.port, transport: "tcp" },
    pduHostname: "localhost",
    pduConfig: () => config(executable),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The real tool's answer to arguments it does not take. */
export const usage = (tool: string): Run => ({
  code: 64,
  output: `${tool}: unexpected arguments\n`,
});
