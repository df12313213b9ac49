/**
 * pdud's command line: parse argv, pick serve | drive | client | simulate | check-config, and
 * map errors to exit codes. Upstream's flags are accepted so a pdudaemon unit file works by
 * changing the binary name.
 * @module
 */
import { parseArgs } from "node:util";
import {
  createLogger,
  createSupervisor,
  type LogFormat,
  type LogLevel,
  type RootLogger,
} from "./actors/mod.ts";
import {
  assertPermitted,
  collectSecrets,
  type Config,
  ConfigError,
  DEMO_CONFIG,
  type DroppablePermission,
  dropUnneededPermissions,
  formatIssue,
  issueLines,
  loadConfig,
  parseLogLevel,
  parseOutlet,
  pluginLookup,
  readConfigFile,
  type Secrets,
} from "./config/mod.ts";
import { ListenError, type ListenOverrides, preflight, startDaemon } from "./daemon/mod.ts";
import { toPduCommand } from "./routes/mod.ts";
import type { OutletId } from "./drivers/mod.ts";
import { parseHostPort, parsePort } from "./cli/address.ts";
import { HELP, usageError } from "./cli/help.ts";

/**
 * Exit codes: 1 a failure at run time (a drive job failed, a shutdown left work unfinished, an
 * unexpected error at start); 3 the config, or a file or variable it names, cannot be used;
 * 4 the listen address cannot be bound (in use, not this host's, privileged port).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, listen: 4 } as const;

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
      // One line per problem, each naming the file, the path and the line.
      for (const line of issueLines(error)) err(`pdud: ${line}`);
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
    // What would stop a start: the same pre-flight start and reload run, plus a trial bind.
    const checked = await preflight(config, { probeListen: true });
    if (checked.problems.length > 0) throw new ConfigError(checked.problems, path);
    const unavailable = Object.values(config.pdus).filter((p) => !p.available);
    out(
      `${path}: OK, ${Object.keys(config.pdus).length} PDUs, ${
        Object.keys(config.aliases).length
      } aliases`,
    );
    for (const p of unavailable) {
      out(`  note: pdus.${p.name}: driver "${p.driver}" is not available in this pdud`);
    }
    for (const plugin of config.plugins ?? []) {
      const names = plugin.descriptors.flatMap((d) => d.names).join(", ");
      out(`  note: drivers.plugins: ${plugin.source} registers ${names}`);
    }
    for (const note of checked.notes) out(`  note: ${note}`);
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
      listen: { type: "string" },
      "log-format": { type: "string" },
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
  const format = values["log-format"];
  if (format !== undefined && format !== "text" && format !== "json") {
    err(usageError(`--log-format ${format}: expected text or json`));
    return EXIT.usage;
  }
  const listen = values.drive ? {} : listenOverrides(values);
  if (typeof listen === "string") {
    err(usageError(listen));
    return EXIT.usage;
  }
  if (values.listener) listen.listener = values.listener as Config["daemon"]["listener"];
  const source = values.conf ?? "embedded demo config";
  const config = values.conf
    ? await readConfigFile(values.conf)
    : await loadConfig(DEMO_CONFIG, { name: source });
  let sink: LogSink;
  try {
    sink = await logSink(values.logfile);
  } catch (error) {
    const why = (error as Error).message.replace(/ \(os error \d+\).*$/, "");
    err(`pdud: --logfile ${values.logfile}: cannot open: ${why}`);
    return EXIT.config;
  }
  const log = createLogger({
    level: level ?? parseLogLevel(config.daemon.logging_level) ?? "info",
    format: (format as LogFormat | undefined) ?? (sink.terminal ? "text" : "json"),
    ...(sink.write ? { write: sink.write } : {}),
  });
  // Collected once per config: the root logger and the supervisor scrub the same values.
  const secrets = collectSecrets(config, (name) => Deno.env.get(name));
  applyConfigToLogger(log, config, level, secrets);
  if (values.drive) {
    await dropUnneededPermissions(config);
    return await drive(config, values, log, secrets);
  }

  const confPath = values.conf;
  const dropped = new Set<DroppablePermission>();
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(config, {
      log,
      listen,
      source,
      secrets,
      onReload: (next, nextSecrets) => applyConfigToLogger(log, next, level, nextSecrets),
      ...(confPath
        ? {
          readConfig: async (env) => {
            const next = await readConfigFile(confPath, { env });
            assertPermitted(next, dropped);
            return next;
          },
        }
        : {}),
    });
  } catch (error) {
    return startFailed(error, log, values.logfile);
  }
  // Signals are handled from here on, before pdud says it listens: a SIGHUP sent as soon as it
  // does (by a test, or systemd after READY) must reload, not kill the process.
  const exited = new Promise<number>((resolve) => {
    let shuttingDown = false;
    const stop = async (signal: string) => {
      if (shuttingDown) return log.info("already stopping", { signal });
      shuttingDown = true;
      log.info("stopping", { signal });
      const report = await daemon.stop();
      log.info("stopped", { unfinished: report.unfinished.length });
      resolve(report.unfinished.length === 0 ? EXIT.ok : EXIT.failure);
    };
    Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
    Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
    Deno.addSignalListener("SIGHUP", async () => {
      // A reload during shutdown would hand stopping PDUs new actors (issue 16).
      if (shuttingDown) return log.warn("SIGHUP ignored: pdud is shutting down");
      if (!values.conf) return log.warn("SIGHUP ignored: running the embedded demo config");
      try {
        await daemon.reload();
      } catch (error) {
        log.error("reload refused; the running config stays", {
          error: error instanceof ConfigError
            ? issueLines(error).join("; ")
            : error instanceof Error
            ? error.message
            : String(error),
        });
      }
    });
  });
  log.info("pdud listening", {
    hostname: daemon.listeners.hostname,
    port: daemon.listeners.port,
    listener: listen.listener ?? config.daemon.listener,
    acceptors: daemon.listeners.acceptors,
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
  return await exited;
}

/**
 * Tells systemd (Type=notify) that pdud is listening. Deno has no stable Unix datagram socket,
 * so the fixed-argv `systemd-notify` tool does it (the unit sets NotifyAccess=all).
 */
async function notifySystemd(log: RootLogger): Promise<void> {
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

/** Where log lines go, and whether a person is reading them there (then text is the default). */
interface LogSink {
  write?: (line: string) => void;
  terminal: boolean;
}

async function logSink(path: string | undefined): Promise<LogSink> {
  if (path === undefined) return { terminal: Deno.stderr.isTerminal() };
  if (path === "-") return { write: (line) => out(line), terminal: Deno.stdout.isTerminal() };
  const file = await Deno.open(path, { append: true, create: true });
  return { write: (line) => file.writeSync(encoder.encode(line + "\n")), terminal: false };
}

/**
 * Secret values of every config this process has loaded: a PDU removed by reload finishes its
 * queued jobs with its old settings, and a revoked token is still a secret.
 */
const loadedSecrets = new Set<string>();

/**
 * The logger settings a config carries: its level (unless --loglevel fixed one) and the secret
 * values it scrubs (docs/configuration.md#secrets).
 */
function applyConfigToLogger(
  log: RootLogger,
  config: Config,
  fixed: LogLevel | undefined,
  secrets: Secrets,
): void {
  log.setLevel(fixed ?? parseLogLevel(config.daemon.logging_level) ?? "info");
  for (const value of secrets.all) {
    loadedSecrets.add(value);
  }
  log.setSecrets([...loadedSecrets]);
}

/** `--listen HOST:PORT`, or `--hostname`/`--port`: where the daemon listens, over the config. */
function listenOverrides(values: {
  listen?: string | undefined;
  hostname?: string | undefined;
  port?: string | undefined;
}): ListenOverrides | string {
  const overrides: ListenOverrides = {};
  if (values.listen !== undefined) {
    if (values.hostname !== undefined || values.port !== undefined) {
      return "--listen HOST:PORT replaces --hostname and --port; give one or the other";
    }
    try {
      // Without a port, --listen keeps the config's.
      const { hostname, port } = parseHostPort(values.listen, -1, { allowPortZero: true });
      overrides.hostname = hostname;
      if (port >= 0) overrides.port = port;
    } catch (error) {
      return `--listen ${(error as Error).message}`;
    }
    return overrides;
  }
  if (values.hostname !== undefined) {
    if (values.hostname === "" || /[\s/]/.test(values.hostname)) {
      return `--hostname ${values.hostname}: expected an address or host name to listen on`;
    }
    overrides.hostname = values.hostname.replace(/^\[(.*)\]$/, "$1");
  }
  if (values.port !== undefined) {
    const port = parsePort(values.port, { allowPortZero: true });
    if (port === undefined) return `--port ${values.port}: expected a port from 0 to 65535`;
    overrides.port = port;
  }
  return overrides;
}

/** One line per problem on stderr (and in a log file, if one was named), and the exit code. */
function startFailed(error: unknown, log: RootLogger, logfile: string | undefined): number {
  let lines: string[];
  let code: number;
  if (error instanceof ConfigError) {
    lines = issueLines(error);
    code = EXIT.config;
  } else if (error instanceof ListenError) {
    lines = [error.message];
    code = EXIT.listen;
  } else {
    lines = [`cannot start: ${error instanceof Error ? error.message : String(error)}`];
    code = EXIT.failure;
  }
  for (const line of lines) {
    err(`pdud: ${line}`);
    if (logfile !== undefined && logfile !== "-") log.error(line);
  }
  return code;
}

async function drive(
  config: Config,
  values: Record<string, string | boolean | undefined>,
  log: RootLogger,
  secrets: Secrets,
): Promise<number> {
  if (config.cluster) {
    // The PDU's owner node drives it; a second driver here could run beside the owner's.
    err(
      usageError(
        "--drive cannot be used with a cluster config: the PDU's owner node drives it; send " +
          "the request to any node instead (pdud client --daemon HOST …)",
      ),
    );
    return EXIT.usage;
  }
  const request = values.request as string | undefined;
  if (!request || !["on", "off", "reboot", "get-port-state"].includes(request)) {
    err(usageError("--drive needs --request on, off, reboot or get-port-state"));
    return EXIT.usage;
  }
  let pdu = values.hostname as string | undefined;
  let outlet: OutletId;
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
    if (!port) {
      err(usageError("--drive needs --hostname and --port (an outlet number or name), or --alias"));
      return EXIT.usage;
    }
    const parsed = parseOutlet(port);
    if ("reason" in parsed) {
      err(usageError(`--port ${JSON.stringify(port.slice(0, 70))}: ${parsed.reason}`));
      return EXIT.usage;
    }
    outlet = parsed.outlet;
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
  await using supervisor = createSupervisor(only, {
    log,
    findDriver: pluginLookup(only.plugins),
    secrets,
  });
  const result = await supervisor.submit({
    pdu,
    command: toPduCommand(request, outlet, delay === undefined ? undefined : Number(delay)),
    requester: { transport: "drive" },
  });
  if (result.status === "done" && request === "get-port-state") {
    // pdudaemon PR #219's --drive logs "Port %s state: %s".
    if (result.state !== null) {
      const commanded = result.source === "commanded"
        ? " (the state pdud last set; this driver cannot read the outlet)"
        : "";
      out(`Port ${outlet} state: ${result.state}${commanded}`);
      return EXIT.ok;
    }
    err(`get-port-state of outlet ${outlet} on ${pdu}: unknown: the driver cannot read it`);
    return EXIT.failure;
  }
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
