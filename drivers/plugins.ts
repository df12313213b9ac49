/**
 * The contract of an out-of-tree driver (a plugin), as upstream's `pdudaemon.driver` entry points
 * allow (pdudaemon issue #79): a module whose default export is a descriptor, a list of them, or a
 * function that receives pdud's toolkit and returns either. The descriptor is the built-in one
 * (`DriverDescriptor`), checked here field by field, since a plugin is not type-checked with pdud.
 *
 * The factory form exists so that a plugin needs no import at all: it gets pdud's own zod (for
 * its options schema) and `DriverError` (so that the actor tells permanent failures from transient
 * ones), which a file under /etc could not resolve by bare name.
 * @module
 */
import { z } from "zod";
import type { AnyDriverDescriptor } from "./driver.ts";
import { DriverError } from "./errors.ts";
import { FILE_PATH } from "./_options.ts";

/** What a plugin's default-export function receives. */
export interface PluginHost {
  /** The contract version; bumped only if the descriptor changes incompatibly. */
  readonly version: 1;
  /** pdud's zod, for the `options` schema. */
  readonly z: typeof z;
  /** pdud's driver error: throw it with `kind` and `permanent` as built-in drivers do. */
  readonly DriverError: typeof DriverError;
  /**
   * The schema of a key that holds a file path (`FILE_PATH.optional()`, `.default(…)`): pdud
   * takes a relative value from the config file's folder, as for its own drivers' path keys.
   * Added within version 1 (a plugin that does not use it is unaffected).
   */
  readonly FILE_PATH: typeof FILE_PATH;
}

/** The toolkit handed to every plugin factory. */
export const PLUGIN_HOST: PluginHost = Object.freeze({ version: 1, z, DriverError, FILE_PATH });

/** A plugin driver name: what a config's `driver:` can hold and a log line can show. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The descriptors a plugin module exports, or the problems that make it unusable (each a
 * sentence without the file name, which the caller adds).
 */
export function pluginDescriptors(
  namespace: Record<string, unknown>,
): { descriptors: AnyDriverDescriptor[]; problems: string[] } {
  if (!("default" in namespace)) {
    return {
      descriptors: [],
      problems: [
        `has no default export; expected \`export default\` a driver descriptor, a list of ` +
        `them, or a function (pdud) => descriptor(s)${
          Object.keys(namespace).length > 0
            ? ` (it exports ${Object.keys(namespace).join(", ")})`
            : ""
        }`,
      ],
    };
  }
  let exported = namespace.default;
  if (typeof exported === "function") {
    try {
      exported = exported(PLUGIN_HOST);
    } catch (error) {
      return {
        descriptors: [],
        problems: [`its default export threw: ${error instanceof Error ? error.message : error}`],
      };
    }
  }
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) {
    return { descriptors: [], problems: ["exports an empty list of drivers"] };
  }
  const descriptors: AnyDriverDescriptor[] = [];
  const problems: string[] = [];
  list.forEach((candidate, i) => {
    const where = list.length > 1 ? `driver ${i + 1} of ${list.length}` : "its driver";
    const found = descriptorProblems(candidate);
    if (found.length === 0) descriptors.push(candidate as AnyDriverDescriptor);
    else for (const p of found) problems.push(`${where}: ${p}`);
  });
  return { descriptors, problems };
}

/** What keeps `value` from being a DriverDescriptor; [] when it is one. */
function descriptorProblems(value: unknown): string[] {
  if (typeof value !== "object" || value === null) {
    return [`expected a driver descriptor object, got ${value === null ? "null" : typeof value}`];
  }
  const d = value as Record<string, unknown>;
  const problems: string[] = [];
  if (!Array.isArray(d.names) || d.names.length === 0) {
    problems.push("`names` must be a non-empty list of driver names");
  } else {
    for (const name of d.names) {
      if (typeof name !== "string" || !NAME.test(name)) {
        problems.push(
          `driver name ${JSON.stringify(name)} is not valid; expected letters, digits, "_", ` +
            `"." or "-", at most 64, starting with a letter or digit`,
        );
      }
    }
  }
  if (typeof d.summary !== "string" || d.summary.trim() === "") {
    problems.push("`summary` must be a one-line description of the device and protocol");
  }
  const options = d.options as { safeParse?: unknown } | undefined;
  if (typeof options !== "object" || options === null || typeof options.safeParse !== "function") {
    problems.push(
      "`options` must be a zod schema of the driver's config keys (the factory's `pdud.z`)",
    );
  }
  if (typeof d.create !== "function") {
    problems.push("`create(hostname, { options, log })` must be a function returning the driver");
  }
  if (d.outletRange !== undefined && typeof d.outletRange !== "function") {
    problems.push("`outletRange` must be a function (options) => { min, max } when given");
  }
  if (
    d.permissions !== undefined &&
    (!Array.isArray(d.permissions) ||
      d.permissions.some((p) => p !== "run" && p !== "write"))
  ) {
    problems.push('`permissions` must be a list of "run" and/or "write" when given');
  }
  return problems;
}
