/**
 * pdud's command line: parse argv, pick serve | drive | client | simulate | check-config, and
 * map errors to exit codes. Upstream's flags are accepted so a pdudaemon unit file works by
 * changing the binary name.
 * @module
 */
import { parseArgs } from "node:util";
import { createLogger, createSupervisor, type LogLevel } from "./actors/mod.ts";
import {
  assertPermitted,
  type Config,
  ConfigError,
  DEMO_CONFIG,
  type DroppablePermission,
  dropUnneededPermissions,
  formatIssue,
  loadConfig,
  parseLogLevel,
  readConfigFile,
} from "./config/mod.ts";
import { startDaemon } from "./daemon/mod.ts";
import { toPduCommand } from "./routes/mod.ts";
import { HELP, usageError } from "./cli/help.ts";

/** Exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3 } as const;

const encoder = new TextEncoder();
function out(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}
function err(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}

/** Runs the CLI; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  try {
    // Subcommands load with their first use: `simulate` brings the YAML parser and every
    // simulator, which the daemon itself never needs.
    switch (first) {
      case "client":
        return await (await import("./cli/client.ts")).runClient(rest, { out, err });
      case "status":
        return await (await import("./cli/status.ts")).runStatus(rest, { out, err });
      case "simulate":
        return await (await import("./cli/simulate.ts")).runSimulate(rest, { out, err });
      case "check-config":
        return await checkConfig(rest);
      case "help":
        out(HELP.main);
        return EXIT.ok;
      default:
        return await serveOrDrive(args);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return EXIT.config;
    }
    if (
      error instanceof TypeError && (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      err(usageError(error.message));
      return EXIT.usage;
    }
    throw error;
  }
}

async function checkConfig(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out(HELP["check-config"]);
    return EXIT.ok;
  }
  if (positionals.length !== 1) {
    err(usageError("check-config takes exactly one FILE"));
    return EXIT.usage;
  }
  const path = positionals[0]!;
  try {
    const config = await readConfigFile(path);
    const unavailable = Object.values(config.pdus).filter((p) => !p.available);
    out(
      `${path}: OK, ${Object.keys(config.pdus).length} PDUs, ${
        Object.keys(config.aliases).length
      } aliases`,
    );
    for (const p of unavailable) {
      out(`  note: pdus.${p.name}: driver "${p.driver}" is not available in this pdud`);
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(`${path}: ${error.issues.length} problem(s)`);
    for (const issue of error.issues) err(`  ${formatIssue(issue)}`);
    return EXIT.config;
  }
}

async function serveOrDrive(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      conf: { type: "string", short: "c" },
      listener: { type: "string" },
      loglevel: { type: "string" },
      logfile: { type: "string" },
      journal: { type: "boolean", short: "j" },
      dbfile: { type: "string", short: "d" },
      drive: { type: "boolean" },
      hostname: { type: "string" },
      port: { type: "string" },
      request: { type: "string" },
      delay: { type: "string" },
      retries: { type: "string" },
      "retry-delay": { type: "string" },
      alias: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    out(HELP.main);
    return EXIT.ok;
  }
  if (values.version) {
    out("pdud 0.1.0");
    return EXIT.ok;
  }
  const level: LogLevel | undefined = values.loglevel ? parseLogLevel(values.loglevel) : undefined;
  if (values.loglevel && !level) {
    err(usageError(`--loglevel ${values.loglevel}: expected DEBUG, INFO, WARN or ERROR`));
    return EXIT.usage;
  }
  if (values.listener && !["http", "tcp", "both"].includes(values.listener)) {
    err(usageError(`--listener ${values.listener}: expected http, tcp or both`));
    return EXIT.usage;
  }
  const config = values.conf
    ? await readConfigFile(values.conf)
    : await loadConfig(DEMO_CONFIG, { name: "embedded demo config" });
  const write = await logWriter(values.logfile);
  const log = createLogger({
    level: level ?? parseLogLevel(config.daemon.logging_level) ?? "info",
    ...(write ? { write } : {}),
  });
  if (values.drive) {
    await dropUnneededPermissions(config);
    return await drive(config, values, log);
  }

  if (values.listener) config.daemon.listener = values.listener as Config["daemon"]["listener"];
  const confPath = values.conf;
  const dropped = new Set<DroppablePermission>();
  const daemon = await startDaemon(config, {
    log,
    ...(confPath
      ? {
        readConfig: async () => {
          const next = await readConfigFile(confPath);
          assertPermitted(next, dropped);
          return next;
        },
      }
      : {}),
  });
  log.info("pdud listening", {
    hostname: daemon.listeners.hostname,
    port: daemon.listeners.port,
    listener: config.daemon.listener,
    pdus: Object.keys(config.pdus).length,
    config: values.conf ?? "embedded demo config",
  });
  await notifySystemd(log);
  for (const p of await dropUnneededPermissions(config)) dropped.add(p);
  log.info("permissions", {
    dropped: [...dropped],
    kept: "net, read, env" + (dropped.has("run") ? "" : ", run") +
      (dropped.has("write") ? "" : ", write"),
  });
  return await new Promise<number>((resolve) => {
    const stop = async (signal: string) => {
      log.info("stopping", { signal });
      const report = await daemon.stop();
      log.info("stopped", { unfinished: report.unfinished.length });
      resolve(report.unfinished.length === 0 ? EXIT.ok : EXIT.failure);
    };
    Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
    Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
    Deno.addSignalListener("SIGHUP", async () => {
      if (!values.conf) return log.warn("SIGHUP ignored: running the embedded demo config");
      try {
        await daemon.reload();
      } catch (error) {
        log.error("reload refused; the running config stays", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    });
  });
}

/**
 * Tells systemd (Type=notify) that pdud is listening. Deno has no stable Unix datagram socket,
 * so the fixed-argv `systemd-notify` tool does it (the unit sets NotifyAccess=all).
 */
async function notifySystemd(log: ReturnType<typeof createLogger>): Promise<void> {
  if (!Deno.env.get("NOTIFY_SOCKET")) return;
  try {
    const { success } = await new Deno.Command("systemd-notify", {
      args: ["--ready", `--pid=${Deno.pid}`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (!success) log.warn("systemd-notify --ready failed");
  } catch (error) {
    log.warn("cannot run systemd-notify", { error });
  }
}

async function logWriter(path: string | undefined): Promise<((line: string) => void) | undefined> {
  if (path === undefined) return undefined;
  if (path === "-") return (line) => out(line);
  const file = await Deno.open(path, { append: true, create: true });
  return (line) => file.writeSync(encoder.encode(line + "\n"));
}

async function drive(
  config: Config,
  values: Record<string, string | boolean | undefined>,
  log: ReturnType<typeof createLogger>,
): Promise<number> {
  const request = values.request as string | undefined;
  if (!request || !["on", "off", "reboot"].includes(request)) {
    err(usageError("--drive needs --request on, off or reboot"));
    return EXIT.usage;
  }
  let pdu = values.hostname as string | undefined;
  let outlet: number | undefined;
  if (values.alias) {
    const alias = config.aliases[values.alias as string];
    if (!alias) {
      err(`no alias named "${values.alias}" in the config`);
      return EXIT.failure;
    }
    pdu = alias.hostname;
    outlet = alias.port;
  } else {
    const port = values.port as string | undefined;
    if (!port || !/^\d{1,5}$/.test(port)) {
      err(usageError("--drive needs --hostname and --port (an outlet number), or --alias"));
      return EXIT.usage;
    }
    outlet = Number(port);
  }
  if (!pdu || !config.pdus[pdu]) {
    err(`No config section for hostname: ${pdu}`);
    return EXIT.failure;
  }
  const delay = values.delay as string | undefined;
  if (delay !== undefined && !/^\d+(\.\d+)?$/.test(delay)) {
    err(usageError(`--delay ${delay}: expected seconds, a number ≥ 0`));
    return EXIT.usage;
  }
  const section = config.pdus[pdu]!;
  for (const [flag, key] of [["retries", "retries"], ["retry-delay", "retrydelay"]] as const) {
    const v = values[flag] as string | undefined;
    if (v === undefined) continue;
    if (
      !/^\d+(\.\d+)?$/.test(v) ||
      (key === "retries" && (Number(v) < 1 || !Number.isInteger(Number(v))))
    ) {
      err(
        usageError(`--${flag} ${v}: expected ${key === "retries" ? "an integer ≥ 1" : "seconds"}`),
      );
      return EXIT.usage;
    }
    section[key] = Number(v);
  }
  const only: Config = { ...config, pdus: { [pdu]: section } };
  await using supervisor = createSupervisor(only, { log });
  const result = await supervisor.submit({
    pdu,
    command: toPduCommand(request, outlet, delay === undefined ? undefined : Number(delay)),
    requester: { transport: "drive" },
  });
  if (result.status === "done") {
    out(`${request} of outlet ${outlet} on ${pdu}: done`);
    return EXIT.ok;
  }
  err(`${request} of outlet ${outlet} on ${pdu}: ${result.status}: ${result.reason}`);
  return EXIT.failure;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
