/**
 * Relative paths in a config, taken from the config file's folder: the one rule for every key
 * whose value is a path (`daemon.tls`, `daemon.audit_log`, `cluster.credentials`, a driver's
 * `ca_file`, `mib_dirs`, `password_file`, …), as for plugins and `<secret>_file` keys. Under
 * systemd the working directory is `/`, so a path taken from it would silently name another file.
 *
 * Which keys are paths is read from the schemas themselves (drivers/_options.ts `FILE_PATH` and
 * `PROGRAM`, registered in `PATH_KEYS`): a driver declares a path key by its type, and this walk
 * rewrites the values before the schema runs, so the schema's own checks (an SNMP MIB looked up
 * in `mib_dirs`), the driver, the pre-flight and check-config all see the absolute path.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { isRecord, isWrapper, unwrap, zodDef } from "./_zod_def.ts";
import { PATH_KEYS, type PathKind } from "../drivers/mod.ts";

/** A URL (`rfc2217://…`, `file:…`) is not a path; a one-letter scheme would be a drive letter. */
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]+:/;

/** `value` (a section as written) with each relative path `schema` marks resolved against `base`. */
export function resolvePaths(value: unknown, schema: z.ZodType, base: string): unknown {
  const kind = PATH_KEYS.get(schema)?.path;
  if (kind !== undefined) return typeof value === "string" ? resolvePath(value, kind, base) : value;
  const def = zodDef(schema);
  if (!def) return value;
  if (isWrapper(def)) {
    const inner = unwrap(def);
    return inner ? resolvePaths(value, inner, base) : value;
  }
  switch (def.type) {
    case "object": {
      if (!isRecord(value) || !def.shape) return value;
      const out: Record<string, unknown> = { ...value };
      for (const [key, inner] of Object.entries(def.shape)) {
        if (key in out) out[key] = resolvePaths(out[key], inner, base);
      }
      return out;
    }
    case "array":
      return Array.isArray(value) && def.element
        ? value.map((item) => resolvePaths(item, def.element!, base))
        : value;
    case "union":
      // Each option rewrites only what it marks, and an absolute path is left alone: applying
      // them in turn is the same as applying the one that matches.
      return (def.options ?? []).reduce((v, option) => resolvePaths(v, option, base), value);
    default:
      return value;
  }
}

/** One value: relative paths (and programs given with a `/`) from `base`; the rest as written. */
export function resolvePath(value: string, kind: PathKind, base: string): string {
  if (value === "" || isAbsolute(value) || URL_LIKE.test(value)) return value;
  // A bare program name is looked up in PATH when it runs, as a shell would.
  if (kind === "program" && !value.includes("/")) return value;
  return resolve(base, value);
}
