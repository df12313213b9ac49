/**
 * Simulators of the tool-driven devices: a stand-in executable (a bash script written into a
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
import { z } from "zod";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import { serveSimulatorTcp, writeLatin1 } from "../_transport/tcp_server.ts";
import { simulatorDirectory } from "./_node.ts";

/** What one run of the stand-in tool answers. */
interface Run {
  code: number;
  output: string;
}

/** A simulated tool: how it answers a well-formed request, and what it says otherwise. */
interface Tool {
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

async function startTool(
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

const usage = (tool: string): Run => ({ code: 64, output: `${tool}: unexpected arguments\n` });

/** `uhubctl`. */
export const UHUBCTL_SIMULATOR: SimulatorKind<{ location: string }> = {
  name: "uhubctl",
  summary: "USB hub behind a stand-in uhubctl (--location L --port N --action on|off)",
  options: z.object({ "location": z.string().default("1-1.4") }).strict(),
  start(device, { options }) {
    const status = (port: number) =>
      `  Port ${port}: ${
        device.get(port) === "on" ? "0503 power highspeed enable connect" : "0000 off"
      }\n`;
    const hub =
      `hub ${options.location} [05e3:0610 GenesysLogic USB2.0 Hub, USB 2.10, ${device.count} ports, ppps]`;
    return startTool("uhubctl", device, {
      run(args) {
        const [l, location, p, port, a, action, ...rest] = args;
        const n = Number(port);
        if (
          l !== "--location" || p !== "--port" || a !== "--action" || rest.length > 0 ||
          !/^\d+$/.test(port ?? "") || !["on", "off"].includes(action ?? "")
        ) return usage("uhubctl");
        if (location !== options.location || !device.has(n)) {
          return { code: 1, output: "No compatible devices detected!\n" };
        }
        const before = `Current status for ${hub}\n${status(n)}`;
        device.set(n, action === "on" ? "on" : "off");
        return {
          code: 0,
          output: `${before}Sent power ${action} request\nNew status for ${hub}\n${status(n)}`,
        };
      },
      error: { code: 1, output: "Error: USB device 05e3:0610 permission denied\n" },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({ driver: "uhubctl", location: options.location, uhubctl: executable }));
  },
};

/** `bcu`. */
export const BCU_SIMULATOR: SimulatorKind<{ board: string; id: string }> = {
  name: "bcu",
  summary: "NXP board behind a stand-in bcu (init, set_gpio reset 1|0); one outlet",
  options: z.object({
    "board": z.string().default("imx8mpevk"),
    "id": z.string().default("3-7.1"),
  }).strict(),
  start(device, { options }) {
    const selectors = [`-id=${options.id}`, `-board=${options.board}`];
    const same = (a: string[], b: string[]) =>
      a.length === b.length && a.every((x, i) => x === b[i]);
    return startTool("bcu", device, {
      setup(args) {
        if (same(args, ["init", ...selectors])) return { code: 0, output: "board initialised\n" };
      },
      run(args) {
        if (!same(args.slice(-2), selectors)) return { code: 1, output: "board not found\n" };
        const command = args.slice(0, -2);
        const [verb, gpio, level] = command;
        if (verb !== "set_gpio" || gpio !== "reset" || !["0", "1"].includes(level ?? "")) {
          return usage("bcu");
        }
        // Active-low reset: 1 releases it, so the board runs ("on").
        for (const o of device.outlets()) device.set(o, level === "1" ? "on" : "off");
        return { code: 0, output: `set GPIO reset to ${level}\n` };
      },
      error: { code: 1, output: "ftdi: unable to open device\n" },
      garbage: { code: 139, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({
      driver: "bcu",
      board: options.board,
      id: options.id,
      "bcu_exe": executable,
    }));
  },
};

/** `sispmctl`. */
export const SISPMCTL_SIMULATOR: SimulatorKind<{ id: string }> = {
  name: "sispmctl",
  summary: "Energenie EG-PM2 USB strip behind a stand-in sispmctl (-D id -o|-f N)",
  options: z.object({ "id": z.string().default("01:01:4f:2b:a3") }).strict(),
  start(device, { options }) {
    return startTool("sispmctl", device, {
      run(args) {
        const [d, id, flag, outlet, ...rest] = args;
        const n = Number(outlet);
        if (d !== "-D" || !["-o", "-f"].includes(flag ?? "") || rest.length > 0) {
          return usage("sispmctl");
        }
        if (id !== options.id) return { code: 1, output: `No device with serial ${id} found\n` };
        if (!/^\d+$/.test(outlet ?? "") || !device.has(n)) {
          return { code: 2, output: `Invalid outlet number given: ${outlet}\n` };
        }
        device.set(n, flag === "-o" ? "on" : "off");
        return {
          code: 0,
          output: `Accessing Gembird #0 USB device 004\nSwitched outlet ${n} ${device.get(n)}\n`,
        };
      },
      error: {
        code: 1,
        output: "Error performing requested action\nLibusb error string: Pipe error\n",
      },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({ driver: "EG-PM2", device: options.id, sispmctl: executable }));
  },
};

/** `usbrelay`. */
export const USBRELAY_SIMULATOR: SimulatorKind<{ serial: string; invert: boolean }> = {
  name: "usbrelay",
  summary: "V-USB HID relay board (16c0:05df) behind a stand-in usbrelay 1.0 (lists " +
    "SERIAL_N=1|0; -q SERIAL_N=1|0 sets a relay)",
  options: z.object({
    "serial": z.string().regex(/^[0-9A-Z]{5}$/).default("QAAMZ"),
    // The load hangs on the relay's normally closed contact: the outlet is on while the relay
    // is released, and the PDU config needs `invert`.
    "invert": z.boolean().default(false),
  }).strict(),
  start(device, { options }) {
    // Relay 0 is usbrelay's "rename the board"; a board's relays count from 1.
    if (device.first !== 1) throw new RangeError("a USB relay board has relays from 1");
    const energised = (relay: number) => (device.get(relay) === "on") !== options.invert;
    return startTool("usbrelay", device, {
      // Listing switches nothing, as bcu's init: faults are left to the runs that switch.
      setup(args) {
        if (args.length > 0) return undefined;
        const lines = device.outlets().map((r) => `${options.serial}_${r}=${energised(r) ? 1 : 0}`);
        return { code: 0, output: lines.map((l) => `${l}\n`).join("") };
      },
      run(args) {
        const [quiet, action, ...rest] = args;
        const m = /^([^_=]+)_(\d+)=([01])$/.exec(action ?? "");
        if (quiet !== "-q" || rest.length > 0 || !m) return usage("usbrelay");
        // usbrelay 1.0, given one action for a board it does not have, exits 0 without a word.
        if (m[1] !== options.serial) return { code: 0, output: "" };
        const relay = Number(m[2]);
        // ... and fails a relay number past the board's, silently with -q.
        if (!device.has(relay)) return { code: 1, output: "" };
        device.set(relay, (m[3] === "1") !== options.invert ? "on" : "off");
        return { code: 0, output: "" };
      },
      error: {
        code: 1,
        output: "operate_relay() Unable to write or unknown relay\nError: Broken pipe\n",
      },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({
      driver: "vusbhid",
      serial: options.serial,
      ...(options.invert ? { invert: true } : {}),
      usbrelay: executable,
    }));
  },
};

/** Every tool-driven simulator kind. */
export const TOOL_SIMULATORS: readonly SimulatorKind<unknown>[] = [
  UHUBCTL_SIMULATOR,
  BCU_SIMULATOR,
  SISPMCTL_SIMULATOR,
  USBRELAY_SIMULATOR,
] as SimulatorKind<unknown>[];
