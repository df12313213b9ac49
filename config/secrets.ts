/**
 * Every secret value a config holds, for scrubbing by value: the second line of defence behind
 * messages that name keys, never values. The loader's config knows every secret; this finds
 * them by key name (community, passphrases, passwords, tokens, API keys), in URLs (a password
 * in the user part or the query), behind `secret_env`, and in the TLS key file.
 * @module
 */
import type { Config } from "./schema.ts";

/** The secret values of a config. */
export interface Secrets {
  /** Every secret of the daemon and of every PDU. */
  readonly all: readonly string[];
  /**
   * What PDU `name`'s driver must never say: `all`, plus the words of its own commands
   * (localcmdline's cmd_on/cmd_off, where admins put passwords inline).
   */
  forPdu(name: string): readonly string[];
}

/** Where `secret_env` values come from: a lookup function, `Deno.env`, or a plain record. */
export type SecretEnv =
  | ((name: string) => string | undefined)
  | { get(name: string): string | undefined }
  | Record<string, string | undefined>;

/** Options of collectSecrets. */
export interface CollectSecretsOptions {
  /** Reads the TLS key file (default Deno.readTextFileSync; an unreadable file adds nothing). */
  readFile?: (path: string) => string;
}

/** Keys whose values are secrets, in any driver's options. */
const SECRET_KEY =
  /pass(word|phrase|wd)?$|^pass|community|secret(?!_env)|token|api[-_]?key|auth_?key|priv_?key|credential|^authorization$|^cookie$/i;
/** Keys that name a secret's kind or place, not the secret. */
const NOT_SECRET = /_(protocol|env|file|path)$|^(hostkey|username|user)$/i;
/**
 * Whether a driver option named `key` holds a secret: collected for scrubbing by its name, and
 * one that may be given as `<key>_env` (read from the daemon's environment when loaded).
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET.test(key);
}

/** Query parameters that carry a password (Tasmota's `password`, ANEL's `pw`, tokens). */
const SECRET_PARAM = /^(pass(word)?|pw|pwd|token|key|api_?key|secret|auth)$/i;
/** Command words shorter than this stay (program names, flags such as -u). */
const MIN_COMMAND_WORD = 4;

/** Collects every secret value of `config`; `env` resolves token `secret_env` names. */
export function collectSecrets(
  config: Config,
  env: SecretEnv,
  options: CollectSecretsOptions = {},
): Secrets {
  const lookup = (name: string): string | undefined => {
    if (typeof env === "function") return env(name);
    if (typeof env.get === "function") {
      return (env as { get(name: string): string | undefined }).get(name);
    }
    return (env as Record<string, string | undefined>)[name];
  };
  const all = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string" && value !== "") all.add(value);
  };
  for (const token of config.daemon.tokens) {
    add(token.secret);
    if (token.secret_env) add(lookup(token.secret_env));
  }
  if (config.daemon.tls) {
    const read = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
    try {
      // Each base64 line of the PEM: a fragment of the key is as bad as all of it.
      for (const line of read(config.daemon.tls.key).split(/\r?\n/)) {
        if (line.length >= 16 && !line.startsWith("-----")) add(line.trim());
      }
    } catch { /* unreadable: the pre-flight reports that; nothing here can leak it */ }
  }
  if (config.cluster) {
    // A password in a NATS URL, and the JWT and nkey seed of a credentials file.
    walk(config.cluster.nats, add);
    if (config.cluster.tls?.key_file) {
      const read = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
      try {
        // The client certificate's key, as the daemon's own (above).
        for (const line of read(config.cluster.tls.key_file).split(/\r?\n/)) {
          if (line.length >= 16 && !line.startsWith("-----")) add(line.trim());
        }
      } catch { /* unreadable: the pre-flight reports that; nothing here can leak it */ }
    }
    if (config.cluster.credentials) {
      const read = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
      try {
        for (const line of read(config.cluster.credentials).split(/\r?\n/)) {
          const text = line.trim();
          if (text.length >= 16 && !text.startsWith("---") && !text.startsWith("*")) add(text);
        }
      } catch { /* unreadable: joining the cluster fails and says so; nothing can leak */ }
    }
  }
  const commandWords = new Map<string, string[]>();
  for (const [name, pdu] of Object.entries(config.pdus)) {
    walk(pdu.options, add);
    walk(pdu.raw, add);
    const words: string[] = [];
    for (const key of ["cmd_on", "cmd_off"]) {
      const command = (pdu.raw as Record<string, unknown>)[key];
      if (typeof command !== "string") continue;
      words.push(
        ...command.split(/[\s"'`;&|<>()=,]+/).slice(1).filter((w) => w.length >= MIN_COMMAND_WORD),
      );
    }
    commandWords.set(name, words);
  }
  const everything = [...all];
  return {
    all: everything,
    forPdu: (name) => [...everything, ...(commandWords.get(name) ?? [])],
  };
}

/** Visits every value under a secret-looking key and every secret in a URL, at any depth. */
function walk(value: unknown, add: (secret: unknown) => void, key = ""): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, add, key);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) walk(v, add, k);
  } else if (typeof value === "string") {
    if (key !== "" && isSecretKey(key)) {
      add(value);
      // "Bearer abc…", "Basic dXNl…": the credential alone may be quoted without its scheme.
      if (/^authorization$/i.test(key) && /^\S+ \S/.test(value)) {
        add(value.slice(value.indexOf(" ") + 1));
      }
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) urlSecrets(value, add);
  }
}

function urlSecrets(text: string, add: (secret: unknown) => void): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return;
  }
  if (url.password) {
    add(url.password);
    add(decodeURIComponent(url.password));
  }
  for (const [name, value] of url.searchParams) if (SECRET_PARAM.test(name)) add(value);
}
