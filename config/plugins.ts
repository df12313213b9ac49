/**
 * Out-of-tree drivers: the config's `drivers.plugins` list of module files (or, where
 * `drivers.allow_urls` says so, URLs), imported at load and checked against the built-in driver
 * contract. Built-in drivers are static imports (a compiled binary needs them so); plugins are the
 * one runtime `import()`, of a file URL, under the daemon's own permissions — nothing extra.
 *
 * A plugin is imported once per process: the module cache keeps it, so a reload that would need a
 * different plugin list, or a plugin file changed on disk, is refused with "restart pdud"
 * (`pluginChanges`) rather than silently running the old code.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import {
  type AnyDriverDescriptor,
  builtinNameClash,
  driverLookup,
  pluginDescriptors,
} from "../drivers/mod.ts";
import type { ConfigIssue } from "./errors.ts";

/** The `drivers:` section. */
export const DRIVERS_SCHEMA = z.object({
  /** Module files (relative to the config file's folder) or URLs, each exporting drivers. */
  "plugins": z.array(z.string().min(1, "expected a module path or URL")).default([]),
  /** Whether `plugins` may name http(s) URLs: code fetched from there runs inside pdud. */
  "allow_urls": z.boolean().default(false),
}).strict();

/** The `drivers:` section, parsed. */
export type DriversConfig = z.infer<typeof DRIVERS_SCHEMA>;

/** One plugin module as loaded. */
export interface LoadedPlugin {
  /** The entry as written in the config. */
  spec: string;
  /** The absolute path (files) or URL that was imported. */
  source: string;
  /** SHA-256 of a file plugin's text when it was read, to tell a changed file at reload. */
  digest?: string;
  /** The drivers it registers. */
  descriptors: readonly AnyDriverDescriptor[];
}

/** The plugins of a config, or the issues that keep them from loading. */
export interface PluginLoad {
  plugins: LoadedPlugin[];
  issues: { path: (string | number)[]; message: string }[];
}

/**
 * Imports every plugin of the `drivers:` section and checks its exports and names.
 * @param base the folder relative paths are resolved against (the config file's)
 */
export async function loadPlugins(section: DriversConfig, base: string): Promise<PluginLoad> {
  const plugins: LoadedPlugin[] = [];
  const issues: PluginLoad["issues"] = [];
  const owner = new Map<string, string>(); // lower-case driver name → source registering it
  const sources = new Set<string>();
  for (const [i, spec] of section.plugins.entries()) {
    const at = ["drivers", "plugins", i];
    const located = locate(spec, base, section.allow_urls);
    if ("problem" in located) {
      issues.push({ path: at, message: located.problem });
      continue;
    }
    const { source, url } = located;
    if (sources.has(source)) {
      issues.push({ path: at, message: `plugin ${source} is listed twice` });
      continue;
    }
    sources.add(source);
    let digest: string | undefined;
    if (url.startsWith("file:")) {
      try {
        digest = await sha256(await Deno.readFile(source));
      } catch (error) {
        issues.push({ path: at, message: `cannot read plugin ${source}: ${reason(error)}` });
        continue;
      }
    }
    let namespace: Record<string, unknown>;
    try {
      namespace = await import(url);
    } catch (error) {
      issues.push({ path: at, message: `cannot import plugin ${source}: ${importReason(error)}` });
      continue;
    }
    const { descriptors, problems } = pluginDescriptors(namespace);
    for (const p of problems) issues.push({ path: at, message: `plugin ${source} ${p}` });
    if (problems.length > 0) continue;
    let clashes = false;
    for (const d of descriptors) {
      for (const name of d.names) {
        const builtin = builtinNameClash(name);
        const other = owner.get(name.toLowerCase());
        if (builtin !== undefined) {
          issues.push({
            path: at,
            message: `plugin ${source} registers driver "${name}", which is pdud's built-in ` +
              `driver "${builtin}"; a plugin cannot replace a built-in driver: rename it`,
          });
          clashes = true;
        } else if (other !== undefined) {
          issues.push({
            path: at,
            message: `plugin ${source} registers driver "${name}", which ${
              other === source ? "it registers twice" : `plugin ${other} registers too`
            }; each driver name may be registered once`,
          });
          clashes = true;
        } else owner.set(name.toLowerCase(), source);
      }
    }
    if (!clashes) plugins.push({ spec, source, ...(digest ? { digest } : {}), descriptors });
  }
  return { plugins, issues };
}

/** Where a plugin entry points: a file (absolute path) or an allowed URL. */
function locate(
  spec: string,
  base: string,
  allowUrls: boolean,
): { source: string; url: string } | { problem: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined || spec.length > 1 && /^[A-Za-z]:[\\/]/.test(spec)) {
    const path = isAbsolute(spec) ? spec : resolve(base, spec);
    return { source: path, url: pathToFileURL(path).href };
  }
  if (scheme === "file") {
    try {
      return { source: fileURLToPath(spec), url: spec };
    } catch (error) {
      return { problem: `${spec} is not a valid file URL: ${reason(error)}` };
    }
  }
  if (scheme === "http" || scheme === "https") {
    if (!allowUrls) {
      return {
        problem: `plugin ${spec} is a URL; loading a driver from a URL needs ` +
          `drivers.allow_urls: true (its code runs inside pdud with pdud's permissions)`,
      };
    }
    return { source: spec, url: spec };
  }
  return {
    problem: `plugin ${spec}: expected a file path, a file: URL or (with drivers.allow_urls) ` +
      `an http(s) URL, not a ${scheme}: URL`,
  };
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error))
    .replace(/ \(os error \d+\).*$/s, "");
}

/** The first line of an import failure, with a hint for the case a compiled binary hits. */
function importReason(error: unknown): string {
  const text = reason(error).split("\n")[0]!;
  if (/Module not found/i.test(text) && Deno.build.standalone) {
    return `${text} (a binary built by deno compile can import only modules embedded when it ` +
      `was built: rebuild it with --include for this file, or run pdud with deno run)`;
  }
  if (/Requires import access/.test(text)) {
    return `${text} (pdud's tasks and binaries grant no import permission: add ` +
      `--allow-import=HOST to pdud's deno run flags for a plugin URL)`;
  }
  return text;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The driver lookup of a config: built-in drivers, then its plugins' drivers. */
export function pluginLookup(
  plugins: readonly LoadedPlugin[] | undefined,
): (name: string) => AnyDriverDescriptor | undefined {
  return driverLookup((plugins ?? []).flatMap((p) => p.descriptors));
}

/**
 * Why a reload from `running` to `next` needs a restart because of plugins: a module is imported
 * once per process, so a different list or a file changed on disk would not take effect.
 */
export function pluginChanges(
  running: readonly LoadedPlugin[] | undefined,
  next: readonly LoadedPlugin[] | undefined,
): ConfigIssue[] {
  const before = (running ?? []).map((p) => p.source);
  const after = (next ?? []).map((p) => p.source);
  if (before.join("\n") !== after.join("\n")) {
    return [{
      path: "drivers.plugins",
      message: `changed from [${before.join(", ")}] to [${after.join(", ")}]; plugins are ` +
        `imported once, at start: this takes effect only when pdud restarts`,
    }];
  }
  const issues: ConfigIssue[] = [];
  for (const [i, p] of (next ?? []).entries()) {
    const old = running?.[i];
    if (old?.digest !== undefined && p.digest !== undefined && old.digest !== p.digest) {
      issues.push({
        path: `drivers.plugins.${i}`,
        message: `plugin ${p.source} changed on disk since pdud started; a plugin is imported ` +
          `once, at start: the new code takes effect only when pdud restarts`,
      });
    }
  }
  return issues;
}
