/**
 * The one config loader: YAML or JSON text (upstream's pdudaemon.conf unchanged) or an object,
 * validated whole — every problem listed by path and line, never a half-loaded config.
 *
 * Imports only `drivers/` (to assemble each driver's schema). The YAML parser (~9 MiB resident
 * and 40–80 ms to import) loads only for text that is not plain JSON: an upstream JSON config
 * that is valid never loads it.
 * @module
 */
import type { Document, LineCounter } from "yaml";
import type { z } from "zod";
import { dirname } from "node:path";
import { abstractUpstreamDriver, type AnyDriverDescriptor, driverNames } from "../drivers/mod.ts";
import { didYouMean } from "./_suggest.ts";
import { type EnvLookup, resolveSecrets, type SecretSources } from "./_secret_env.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { resolvePaths } from "./_paths.ts";
import { isRecord, isWrapper, unwrap, zodDef } from "./_zod_def.ts";
import {
  ALIAS_SCHEMA,
  CLUSTER_SCHEMA,
  type Config,
  DAEMON_SCHEMA,
  GROUP_SCHEMA,
  PDU_COMMON_KEYS,
  PDU_COMMON_SCHEMA,
  type PduConfig,
} from "./schema.ts";
import { UPSTREAM_DRIVER_NAMES } from "./upstream.ts";
import {
  DRIVERS_SCHEMA,
  type LoadedPlugin,
  loadPlugins,
  type PluginLoad,
  pluginLookup,
} from "./plugins.ts";

export { ConfigError, type ConfigIssue, formatIssue, issueLines } from "./errors.ts";
export {
  type ClusterConfig,
  type Config,
  type DaemonConfig,
  isCidr,
  type PduConfig,
} from "./schema.ts";
export { UPSTREAM_DEFAULTS } from "./upstream.ts";
export { type DriversConfig, type LoadedPlugin, pluginChanges, pluginLookup } from "./plugins.ts";
export { parseLogLevel } from "./_log_level.ts";
export { DEMO_CONFIG } from "./demo.ts";
export {
  assertPermitted,
  type DroppablePermission,
  dropUnneededPermissions,
  permissionsNeeded,
} from "./permissions.ts";

/** Options of loadConfig. */
export interface LoadOptions {
  /** The file name, for messages. */
  name?: string;
  /**
   * The folder every relative path of the config is resolved against — plugins, `<secret>_file`
   * keys and every key whose schema marks it a path (config/_paths.ts) — (default: the working
   * directory); readConfigFile passes the config file's.
   */
  base?: string;
  /**
   * Where a PDU's `<secret>_env: VARNAME` keys are read (default Deno.env.get). The daemon's
   * reload passes its own lookup, so a reload resolves them as the start did.
   */
  env?: EnvLookup;
}

export type { EnvLookup } from "./_secret_env.ts";

type Locate = (path: (string | number)[]) => number | undefined;

/**
 * Parses and validates a config.
 * @param source YAML/JSON text, or an already parsed object
 * @throws ConfigError listing every problem
 */
export async function loadConfig(
  source: string | unknown,
  options: LoadOptions = {},
): Promise<Config> {
  const name = options.name ?? "config";
  const base = options.base ?? ".";
  const env = options.env ?? ((variable: string) => Deno.env.get(variable));
  let data: unknown = source;
  let locate: Locate = () => undefined;
  if (typeof source === "string") {
    const json = plainJson(source, name);
    if (json !== undefined) {
      try {
        return await checked(json, name, () => undefined, base, env);
      } catch (error) {
        // Refused: the YAML path below finds the same problems and adds their lines.
        if (!(error instanceof ConfigError)) throw error;
      }
    }
    const { isMap, isScalar, LineCounter, parseDocument, visit } = await import("yaml");
    const lines = new LineCounter();
    // yaml's own unique-key check compares every key with every other (a 10,000-PDU config took
    // 1.6 s to parse); duplicateKeys does the same job in one pass.
    const doc = parseDocument(source, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: false,
    });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        doc.errors.map((e) => ({
          path: "",
          message: `not valid YAML or JSON: ${e.message.split("\n")[0]}`,
          line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line,
        })),
        name,
      );
    }
    const duplicates = duplicateKeys(doc, lines, { isScalar, visit });
    if (duplicates.length > 0) throw new ConfigError(duplicates, name);
    data = doc.toJS();
    locate = (path) => {
      // Walk as deep as the document goes: a missing key points at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] };
        if (isScalar(node) || isMap(node) || (node && node.range)) {
          const range = (node as { range?: [number, number, number] }).range;
          if (range) return lines.linePos(range[0]).line;
        }
      }
      return undefined;
    };
  }
  return await checked(data, name, locate, base, env);
}

/** Loads the config's plugins (async: they are imported), then validates the whole config. */
async function checked(
  data: unknown,
  name: string,
  locate: Locate,
  base: string,
  env: EnvLookup,
): Promise<Config> {
  const section = isRecord(data) ? DRIVERS_SCHEMA.safeParse(data.drivers ?? {}) : undefined;
  const loaded: PluginLoad = section?.success
    ? await loadPlugins(section.data, base)
    : { plugins: [], issues: [] };
  return await validate(data, name, locate, { section, ...loaded }, { env, base });
}

/**
 * A JSON config (upstream's format) parsed by JSON.parse, ~100× faster than the YAML parser on
 * a big one; undefined when the text is not JSON or repeats a key. JSON.parse keeps the last of
 * two equal keys without a word, but each member of a JSON object has exactly one colon outside
 * strings, so fewer members than such colons means a key was given twice — and the YAML path
 * then names it with its lines.
 *
 * Text starting with `{` is meant as JSON: when it is not valid JSON it is refused as such, with
 * line and column, as upstream would refuse it — read as YAML it could load as something else.
 */
function plainJson(text: string, name: string): unknown {
  if (!text.trimStart().startsWith("{")) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([jsonIssue(text, error)], name);
  }
  let colons = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) colons++;
  }
  return colons === members(data) ? data : undefined;
}

/** A JSON.parse error as an issue with line and column (V8 gives the offset in its message). */
function jsonIssue(text: string, error: unknown): ConfigIssue {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : text.length;
  const before = text.slice(0, offset).split("\n");
  const line = before.length;
  const column = before[before.length - 1]!.length + 1;
  // V8 appends its own "(line L column C)"; ours is in the issue, once.
  const reason = message.replace(/\s*\(line \d+ column \d+\)/, "").replace(
    /\s*(in JSON )?at position \d+/,
    "",
  );
  return {
    path: "",
    message: `not valid JSON: ${reason} (a config starting with "{" is read as JSON)`,
    line,
    column,
  };
}

function members(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + members(v), 0);
  if (isRecord(value)) {
    let n = 0;
    for (const v of Object.values(value)) n += 1 + members(v);
    return n;
  }
  return 0;
}

/**
 * Keys given twice in one mapping: YAML and JSON parsers keep the last one silently, so a PDU
 * pasted twice under one name would replace the first without a word.
 */
function duplicateKeys(
  doc: Document.Parsed,
  lines: LineCounter,
  { isScalar, visit }: Pick<typeof import("yaml"), "isScalar" | "visit">,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Map(_, map) {
      const first = new Map<string, number | undefined>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const line = pair.key.range ? lines.linePos(pair.key.range[0]).line : undefined;
        if (!first.has(key)) {
          first.set(key, line);
          continue;
        }
        const earlier = first.get(key);
        issues.push({
          path: "",
          message: `key "${key}" is given twice${
            earlier === undefined ? "" : ` (first on line ${earlier})`
          }; each key may appear once in a mapping`,
          ...(line === undefined ? {} : { line }),
        });
      }
    },
  });
  return issues;
}

/** Reads and validates a config file; `options.env` as loadConfig's. */
export async function readConfigFile(
  path: string,
  options: Pick<LoadOptions, "env"> = {},
): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError([{
      path: "",
      // Deno's text ends in "(os error 2): readfile '…'", which repeats what the line says.
      message: `cannot read ${path}: ${
        (error instanceof Error ? error.message : String(error)).replace(/ \(os error \d+\).*$/, "")
      }`,
    }], path);
  }
  return await loadConfig(text, {
    name: path,
    base: dirname(path),
    ...(options.env ? { env: options.env } : {}),
  });
}

const SECTIONS = ["daemon", "pdus", "aliases", "groups", "drivers", "cluster"];

type ZodIssues = (
  prefix: (string | number)[],
  error: Pick<z.ZodError, "issues">,
  schema: z.ZodType,
  extraKeys?: readonly string[],
) => void;

/**
 * The keys an object schema accepts at `path` inside `schema`, for suggestions; [] where the
 * schema is not an object there. Reads zod's definition (`_zod.def`), which zod documents for
 * library authors.
 */
function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const walk = (s: z.ZodType | undefined, i: number): string[] => {
    const def = zodDef(s);
    if (!def) return [];
    if (isWrapper(def)) return walk(unwrap(def), i);
    switch (def.type) {
      case "object":
        if (i === path.length) return Object.keys(def.shape ?? {});
        return walk(def.shape?.[String(path[i])], i + 1);
      case "array":
        return typeof path[i] === "number" ? walk(def.element, i + 1) : [];
      case "union":
        return (def.options ?? []).flatMap((o) => walk(o, i));
      default:
        return [];
    }
  };
  return walk(schema, 0);
}

/** The `drivers:` section as parsed, and its plugins as loaded. */
interface PluginSection extends PluginLoad {
  section: ReturnType<typeof DRIVERS_SCHEMA.safeParse> | undefined;
}

async function validate(
  data: unknown,
  name: string,
  locate: Locate,
  drivers: PluginSection,
  sources: SecretSources,
): Promise<Config> {
  const issues: ConfigIssue[] = [];
  const add = (path: (string | number)[], message: string) => {
    const line = locate(path);
    issues.push({ path: path.join("."), message, ...(line ? { line } : {}) });
  };
  const zodIssues: ZodIssues = (prefix, error, schema, extraKeys = []) => {
    for (const issue of error.issues) {
      const relative = issue.path.map((p) => typeof p === "symbol" ? String(p) : p);
      const path = [...prefix, ...relative];
      if (issue.code === "unrecognized_keys") {
        const known = [...keysAt(schema, relative), ...(relative.length === 0 ? extraKeys : [])];
        for (const key of issue.keys) {
          add([...path, key], `unknown key${didYouMean(key, known)}`);
        }
      } else add(path, issue.message);
    }
  };

  if (!isRecord(data)) {
    throw new ConfigError(
      [{ path: "", message: "expected a mapping with daemon, pdus, aliases" }],
      name,
    );
  }
  for (const key of Object.keys(data)) {
    if (!SECTIONS.includes(key)) {
      add(
        [key],
        `unknown section${
          didYouMean(key, SECTIONS)
        }; expected daemon, pdus, aliases, groups, drivers or cluster`,
      );
    }
  }
  if (drivers.section && !drivers.section.success) {
    zodIssues(["drivers"], drivers.section.error, DRIVERS_SCHEMA);
  }
  for (const issue of drivers.issues) add(issue.path, issue.message);
  const plugins: LoadedPlugin[] = drivers.plugins;
  const lookup: Lookup = {
    find: pluginLookup(plugins),
    pluginNames: plugins.flatMap((p) => p.descriptors.flatMap((d) => d.names)),
    pluginFailed: drivers.issues.length > 0 || drivers.section?.success === false,
  };
  const daemon = DAEMON_SCHEMA.safeParse(
    resolvePaths(data.daemon ?? {}, DAEMON_SCHEMA, sources.base),
  );
  if (!daemon.success) zodIssues(["daemon"], daemon.error, DAEMON_SCHEMA);

  const cluster = data.cluster === undefined
    ? undefined
    : CLUSTER_SCHEMA.safeParse(resolvePaths(data.cluster, CLUSTER_SCHEMA, sources.base));
  if (cluster && !cluster.success) zodIssues(["cluster"], cluster.error, CLUSTER_SCHEMA);

  const pdus: Record<string, PduConfig> = {};
  const rawPdus = data.pdus ?? {};
  if (!isRecord(rawPdus)) add(["pdus"], "expected a mapping of PDU name to its settings");
  else {
    for (const [pduName, raw] of Object.entries(rawPdus)) {
      const pdu = await validatePdu(pduName, raw, add, zodIssues, lookup, sources);
      if (pdu) pdus[pduName] = pdu;
    }
  }

  const aliases: Config["aliases"] = {};
  const rawAliases = data.aliases ?? {};
  if (!isRecord(rawAliases)) {
    add(["aliases"], "expected a mapping of alias name to hostname and port");
  } else {
    for (const [alias, raw] of Object.entries(rawAliases)) {
      const parsed = ALIAS_SCHEMA.safeParse(raw);
      if (!parsed.success) {
        zodIssues(["aliases", alias], parsed.error, ALIAS_SCHEMA);
        continue;
      }
      if (isRecord(rawPdus) && !(parsed.data.hostname in rawPdus)) {
        add(
          ["aliases", alias, "hostname"],
          `names PDU "${parsed.data.hostname}", which is not in pdus`,
        );
        continue;
      }
      aliases[alias] = parsed.data;
    }
  }

  const groups: Config["groups"] = {};
  const rawGroups = data.groups ?? {};
  if (!isRecord(rawGroups)) {
    add(["groups"], "expected a mapping of group name to hostname and ports");
  } else {
    for (const [group, raw] of Object.entries(rawGroups)) {
      const parsed = GROUP_SCHEMA.safeParse(raw);
      if (!parsed.success) zodIssues(["groups", group], parsed.error, GROUP_SCHEMA);
      else if (isRecord(rawPdus) && !(parsed.data.hostname in rawPdus)) {
        add(
          ["groups", group, "hostname"],
          `names PDU "${parsed.data.hostname}", which is not in pdus`,
        );
      } else groups[group] = parsed.data;
    }
  }

  if (issues.length > 0 || !daemon.success) throw new ConfigError(issues, name);
  return {
    daemon: daemon.data,
    pdus,
    aliases,
    groups,
    ...(cluster?.success ? { cluster: cluster.data } : {}),
    ...(plugins.length > 0 ? { plugins } : {}),
  };
}

/** How validatePdu finds drivers: built-in ones, then the config's plugins. */
interface Lookup {
  find: (name: string) => AnyDriverDescriptor | undefined;
  pluginNames: string[];
  /** Whether a plugin failed to load (an unknown driver may be one of its names). */
  pluginFailed: boolean;
}

async function validatePdu(
  name: string,
  raw: unknown,
  add: (path: (string | number)[], message: string) => void,
  zodIssues: ZodIssues,
  lookup: Lookup,
  sources: SecretSources,
): Promise<PduConfig | undefined> {
  if (!isRecord(raw)) {
    add(["pdus", name], "expected a mapping with at least a driver");
    return undefined;
  }
  const common: Record<string, unknown> = {};
  const written: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) (PDU_COMMON_KEYS.includes(k) ? common : written)[k] = v;
  const parsed = PDU_COMMON_SCHEMA.safeParse(common);
  if (!parsed.success) {
    zodIssues(["pdus", name], parsed.error, PDU_COMMON_SCHEMA);
    return undefined;
  }
  const driverName = parsed.data.driver;
  const descriptor = lookup.find(driverName);
  const known = descriptor ? keysAt(descriptor.options, []) : [];
  let refused = false;
  const report = (path: (string | number)[], message: string) => {
    refused = true;
    add(["pdus", name, ...path], message);
  };
  const top = resolveSecrets(
    written,
    sources,
    descriptor ? { keys: known } : {},
    (key, m) => report([key], m),
  );
  const { options: own, unresolved } = top;
  // The generic HTTP driver's Authorization or Cookie header, from the environment or a file.
  const headers = known.includes("headers") && isRecord(own.headers)
    ? resolveSecrets(
      own.headers,
      sources,
      { caseless: true },
      (key, m) => report(["headers", key], m),
    )
    : undefined;
  if (headers) own.headers = headers.options;
  let options: unknown = own;
  let available = true;
  if (descriptor === undefined) {
    const meant = abstractUpstreamDriver(driverName);
    if (meant !== undefined) {
      add(
        ["pdus", name, "driver"],
        `"${driverName}" is an abstract base class in upstream PDUDaemon (no outlets, every ` +
          `request fails there); use ${meant}`,
      );
      return undefined;
    }
    if (!UPSTREAM_DRIVER_NAMES.includes(driverName)) {
      // Suggestions only: the whole list is ~90 names, printed once per PDU.
      add(
        ["pdus", name, "driver"],
        `unknown driver "${driverName}"${
          didYouMean(driverName, [
            ...driverNames(),
            ...UPSTREAM_DRIVER_NAMES,
            ...lookup.pluginNames,
          ])
        } (docs/drivers.md lists every name${
          lookup.pluginFailed ? "; a plugin in drivers.plugins failed to load" : ""
        })`,
      );
      return undefined;
    }
    available = false;
  } else {
    // Asynchronous for the schemas that need it (an SNMP MIB name resolved from MIB files).
    // Relative paths from the config file's folder, before the schema reads them (mib_dirs).
    const result = await descriptor.options.safeParseAsync(
      resolvePaths(own, descriptor.options, sources.base),
    );
    if (!result.success) {
      // A secret whose `_env` or `_file` key was refused is reported once, not again as "required".
      const issues = result.error.issues.filter((i) => !unresolved.has(String(i.path[0])));
      zodIssues(["pdus", name], { issues }, descriptor.options, PDU_COMMON_KEYS);
      return undefined;
    }
    options = result.data;
  }
  if (refused) return undefined;
  // Resolved values in place of their `_env` and `_file` keys: a reload that finds a variable or
  // file changed restarts the PDU's driver with the new value, and the scrubbing collects it by
  // its key.
  const resolved = top.resolved || headers?.resolved === true;
  return { name, ...parsed.data, available, options, raw: resolved ? { ...common, ...own } : raw };
}
export { OUTLET_EXPECTED, parseOutlet, parseOutletList } from "./outlets.ts";
export { configGroups, type GroupMember } from "./groups.ts";
export {
  collectSecrets,
  type CollectSecretsOptions,
  type SecretEnv,
  type Secrets,
} from "./secrets.ts";
