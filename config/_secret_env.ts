/**
 * `<key>_env: VARNAME` and `<key>_file: PATH` in a PDU's options: a secret read from the daemon's
 * environment or from a file when the config is loaded, so configs kept in git hold no password,
 * community or passphrase.
 * @module
 */
import { resolve } from "node:path";
import { type FileReader, secretFromFile } from "./_secret_file.ts";
import { isSecretKey } from "./secrets.ts";

/** Reads an environment variable (Deno.env.get, or a test's record). */
export type EnvLookup = (name: string) => string | undefined;

/** Where `_env` and `_file` keys are read. */
export interface SecretSources {
  env: EnvLookup;
  /** The folder a relative `_file` path is taken from: the config file's. */
  base: string;
  /** Reads a `_file` key's file (default: the file system, at most 64 KiB). */
  readFile?: FileReader;
}

/** The options with every secret's `_env` and `_file` key resolved, and the keys that could not be. */
export interface ResolvedOptions {
  options: Record<string, unknown>;
  /** Secrets whose source key was refused: the driver's "required" for them would only repeat it. */
  unresolved: Set<string>;
  /** Whether any key was replaced by its value. */
  resolved: boolean;
}

const SUFFIXES = ["_env", "_file"] as const;
type Suffix = typeof SUFFIXES[number];

/** How `_env` and `_file` keys are matched to the keys they stand for. */
export interface ResolveMode {
  /**
   * Every key of the driver's schema, when known. A key it declares itself (ipmi's
   * `password_file`) is left to it; so is a `password_env` for a driver without a `password`,
   * so that the schema names the key the admin wrote as unknown (not a `password` nobody wrote).
   */
  keys?: readonly string[];
  /** Header names: `Authorization` and `authorization_file` are one header. */
  caseless?: boolean;
}

/**
 * Replaces each `<key>_env: VARNAME` and `<key>_file: PATH`, where `<key>` is a secret's name
 * (config/secrets.ts), by `<key>: <value>` in place: the driver's schema, its code and the
 * scrubbing (which collects values by key name) see it exactly as if it had been written in the
 * file.
 *
 * Left for the driver's schema: keys it declares itself, `_env`/`_file` keys of secrets it does
 * not have (both per `mode.keys`), and those of keys that are not secrets (`port_env`), which its
 * strict schema refuses as unknown, as before.
 * Messages name the key, the variable or the file, never a value.
 */
export function resolveSecrets(
  own: Record<string, unknown>,
  sources: SecretSources,
  mode: ResolveMode,
  report: (key: string, message: string) => void,
): ResolvedOptions {
  const fold = (key: string) => mode.caseless ? key.toLowerCase() : key;
  const written = new Map(Object.keys(own).map((key) => [fold(key), key]));
  const options: Record<string, unknown> = {};
  const unresolved = new Set<string>();
  let resolved = false;
  for (const [key, value] of Object.entries(own)) {
    const suffix = SUFFIXES.find((s) => fold(key).endsWith(s));
    const secret = suffix ? key.slice(0, -suffix.length) : "";
    if (
      !suffix || secret === "" || !isSecretKey(secret) ||
      (mode.keys !== undefined && (mode.keys.includes(key) || !mode.keys.includes(secret)))
    ) {
      options[key] = value;
      continue;
    }
    const twice = givenTwice(secret, suffix, fold, written);
    const found: Found | undefined = twice === undefined
      ? (suffix === "_env"
        ? fromEnv(secret, key, value, sources.env)
        : fromFile(secret, key, value, sources))
      : twice.here
      ? { problem: `give either ${twice.other} or ${key}, not both` }
      : undefined;
    if (found === undefined || "problem" in found) {
      if (found) report(key, found.problem);
      unresolved.add(secret);
    } else {
      options[secret] = found.value;
      resolved = true;
    }
  }
  return { options, unresolved, resolved };
}

type Found = { value: string } | { problem: string };

/** The key given beside `<secret><suffix>` for the same secret, and whether to report it here. */
function givenTwice(
  secret: string,
  suffix: Suffix,
  fold: (key: string) => string,
  written: ReadonlyMap<string, string>,
): { other: string; here: boolean } | undefined {
  const plain = written.get(fold(secret));
  if (plain !== undefined) return { other: plain, here: true };
  const sibling = written.get(fold(secret + (suffix === "_env" ? "_file" : "_env")));
  // `_env` beside `_file`: reported once, at the `_file` key.
  return sibling === undefined ? undefined : { other: sibling, here: suffix === "_file" };
}

function fromEnv(secret: string, key: string, value: unknown, env: EnvLookup): Found {
  if (typeof value !== "string" || value === "") {
    return { problem: `expected the name of the environment variable that holds ${secret}` };
  }
  let found: string | undefined;
  try {
    found = env(value);
  } catch (error) {
    // Deno without --allow-env: its message names the variable and the flag, nothing more.
    return {
      problem: `cannot read environment variable ${value}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    };
  }
  if (found === undefined) {
    return { problem: `environment variable ${value} is not set (${key} reads ${secret} from it)` };
  }
  if (found === "") {
    return { problem: `environment variable ${value} is empty (${key} reads ${secret} from it)` };
  }
  return { value: found };
}

function fromFile(secret: string, key: string, value: unknown, sources: SecretSources): Found {
  if (typeof value !== "string" || value === "") {
    return { problem: `expected the path of the file that holds ${secret}` };
  }
  const found = secretFromFile(resolve(sources.base, value), sources.readFile);
  return "problem" in found
    ? { problem: `${found.problem} (${key} reads ${secret} from it)` }
    : found;
}
