/**
 * `pdud simulate`: starts the simulators a YAML file lists, prints where they listen and a pdud
 * config that drives them, and runs until SIGINT/SIGTERM.
 * @module
 */
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { z } from "zod";
import {
  COMMON_SIMULATOR_OPTIONS,
  deviceFromOptions,
  findSimulator,
  type Simulator,
  SIMULATORS,
} from "../simulators/mod.ts";
import { DEFAULT_DAEMON_PORT, formatHostPort, type HostPort, parseHostPort } from "./address.ts";
import { HELP } from "./help.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Starts every simulator of a simulate config; throws an Error listing every problem. */
export async function startSimulators(text: string): Promise<Simulator[]> {
  const data = parse(text) as { simulators?: Record<string, Record<string, unknown>> } | null;
  const entries = Object.entries(data?.simulators ?? {});
  if (entries.length === 0) throw new Error("no simulators: expected a 'simulators:' mapping");
  const problems: string[] = [];
  const plans: (() => Promise<Simulator>)[] = [];
  const commonKeys = Object.keys(COMMON_SIMULATOR_OPTIONS);
  const common = z.object(COMMON_SIMULATOR_OPTIONS);
  for (const [name, raw] of entries) {
    const kind = findSimulator(String(raw?.kind));
    if (!kind) {
      problems.push(
        `simulators.${name}.kind: unknown kind "${raw?.kind}"; known: ${
          SIMULATORS.map((s) => s.name).join(", ")
        }`,
      );
      continue;
    }
    const own = Object.fromEntries(Object.entries(raw).filter(([k]) => !commonKeys.includes(k)));
    const c = common.safeParse(
      Object.fromEntries(Object.entries(raw).filter(([k]) => commonKeys.includes(k))),
    );
    const o = kind.options.safeParse(own);
    for (const r of [c, o]) {
      if (!r.success) {
        for (const i of r.error.issues) {
          problems.push(`simulators.${name}.${i.path.join(".")}: ${i.message}`);
        }
      }
    }
    if (c.success && o.success) {
      plans.push(() =>
        kind.start(deviceFromOptions(name, c.data), {
          options: o.data,
          hostname: c.data.hostname,
          port: c.data.port,
        })
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const started: Simulator[] = [];
  try {
    for (const plan of plans) started.push(await plan());
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
  return started;
}

/** Where the printed config makes pdud listen unless `--listen` says otherwise: pdud's default. */
const DEFAULT_LISTEN: HostPort = { hostname: "127.0.0.1", port: DEFAULT_DAEMON_PORT };

/**
 * The pdud config that drives `simulators`, one PDU each, named after the device. Its daemon
 * section is written out, so the config binds where it says whatever the defaults become.
 */
export function configFor(
  simulators: Simulator[],
  listen: HostPort = DEFAULT_LISTEN,
): Record<string, unknown> {
  const pdus: Record<string, unknown> = {};
  for (const s of simulators) {
    pdus[s.device.name] = { ...s.pduConfig(), address: s.pduHostname };
  }
  return { daemon: { hostname: listen.hostname, port: listen.port }, pdus };
}

/**
 * What `pdud simulate` prints: each simulator's address as a comment, then the config. The whole
 * output is a valid config (`pdud simulate … > pdud.yaml`).
 */
export function simulateOutput(simulators: Simulator[], listen: HostPort = DEFAULT_LISTEN): string {
  const lines = simulators.map((s) =>
    `# ${s.device.name}: ${s.kind} on ${s.address.transport}://${s.address.hostname}:${s.address.port} (${s.device.count} outlets)`
  );
  return [
    ...lines,
    `# a pdud config for these simulators; pdud --conf FILE listens on ${formatHostPort(listen)}`,
    stringify(configFor(simulators, listen)),
  ].join("\n");
}

/** Runs `pdud simulate`. */
export async function runSimulate(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      listen: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  let listen = DEFAULT_LISTEN;
  try {
    if (values.listen) listen = parseHostPort(values.listen, DEFAULT_DAEMON_PORT);
  } catch (error) {
    io.err(`pdud simulate: --listen ${(error as Error).message}`);
    return 2;
  }
  if (values.help || !values.config) {
    io.out(
      HELP.simulate + "\n\nKinds:\n" +
        SIMULATORS.map((s) => `  ${s.name.padEnd(22)} ${s.summary}`).join("\n"),
    );
    return values.help ? 0 : 2;
  }
  let simulators: Simulator[];
  try {
    simulators = await startSimulators(await Deno.readTextFile(values.config));
  } catch (error) {
    io.err(`${values.config}: ${error instanceof Error ? error.message : error}`);
    return 3;
  }
  io.out(simulateOutput(simulators, listen));
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGINT", resolve);
    Deno.addSignalListener("SIGTERM", resolve);
  });
  await Promise.all(simulators.map((s) => s.close()));
  return 0;
}
