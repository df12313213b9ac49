/**
 * `<key>_env: VARNAME` in a PDU's options: a secret read from the daemon's environment when the
 * config is loaded, so configs kept in git hold no password, community or passphrase.
 * @module
 */
import { isSecretKey } from "./secrets.ts";

/** Reads an environment variable (Deno.env.get, or a test's record). */
export type EnvLookup = (name: string) => string | undefined;

const SUFFIX = "_env";

/** The options with every secret's `_env` key resolved, and the keys that could not be. */
export interface ResolvedOptions {
  options: Record<string, unknown>;
  /** Secrets whose `_env` key was refused: the driver's "required" for them would only repeat it. */
  unresolved: Set<string>;
}

/**
 * Replaces each `<key>_env: VARNAME`, where `<key>` is a secret's name (config/secrets.ts), by
 * `<key>: <value of VARNAME>` in place: the driver's schema, its code and the scrubbing (which
 * collects values by key name) see it exactly as if it had been written in the file.
 *
 * Left for the driver's schema: `_env` keys it declares itself (`known`), and those of keys that
 * are not secrets (`port_env`), which its strict schema refuses as unknown, as before.
 * Messages name the key and the variable, never a value.
 */
export function resolveSecretEnv(
  own: Record<string, unknown>,
  env: EnvLookup,
  known: readonly string[],
  report: (key: string, message: string) => void,
): ResolvedOptions {
  const options: Record<string, unknown> = {};
  const unresolved = new Set<string>();
  for (const [key, value] of Object.entries(own)) {
    const secret = key.endsWith(SUFFIX) ? key.slice(0, -SUFFIX.length) : "";
    if (secret === "" || known.includes(key) || !isSecretKey(secret)) {
      options[key] = value;
      continue;
    }
    const problem = refusal(secret, key, value, own, env);
    if (problem !== undefined) {
      report(key, problem);
      unresolved.add(secret);
    } else options[secret] = env(value as string);
  }
  return { options, unresolved };
}

/** Why `key: value` cannot stand for `secret`, or undefined when it can. */
function refusal(
  secret: string,
  key: string,
  value: unknown,
  own: Record<string, unknown>,
  env: EnvLookup,
): string | undefined {
  if (secret in own) return `give either ${secret} or ${key}, not both`;
  if (typeof value !== "string" || value === "") {
    return `expected the name of the environment variable that holds ${secret}`;
  }
  let found: string | undefined;
  try {
    found = env(value);
  } catch (error) {
    // Deno without --allow-env: its message names the variable and the flag, nothing more.
    return `cannot read environment variable ${value}: ${
      error instanceof Error ? error.message : String(error)
    }`;
  }
  if (found === undefined) {
    return `environment variable ${value} is not set (${key} reads ${secret} from it)`;
  }
  if (found === "") {
    return `environment variable ${value} is empty (${key} reads ${secret} from it)`;
  }
  return undefined;
}
