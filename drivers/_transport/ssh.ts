/**
 * Running one command on a device over SSH (`npm:ssh2`), for the SSH drivers: connect, verify
 * the host key, authenticate with a password or a private key, exec, collect exit status and
 * output, bounded by the operation's AbortSignal.
 *
 * Host keys are verified by default, as upstream's paramiko RejectPolicy does: against `hostkey`
 * (an `ssh-keygen -lf` SHA256 fingerprint) when given, else against OpenSSH known_hosts files
 * (plain and hashed `|1|` entries, `[host]:port` for other ports). `verify_hostkey: false` is the
 * explicit opt-out.
 * @module
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import net from "node:net";
import type ssh2 from "ssh2";
import { z } from "zod";
import { FILE_PATH, portNumber } from "../_options.ts";
import { abortError, DriverError, printable } from "../errors.ts";
import { loadSsh2 } from "../_libraries.ts";

/** The connection keys every SSH driver accepts (upstream's plus pdud's host-key keys). */
export const SSH_KEYS = {
  "sshport": portNumber(22),
  "verify_hostkey": z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
    .default(true),
  "hostkey": z.string().regex(
    /^SHA256:[A-Za-z0-9+/]{43}=?$/,
    "expected a SHA256 fingerprint as `ssh-keygen -lf` prints it (SHA256:…)",
  ).optional(),
  "known_hosts": z.array(FILE_PATH).optional(),
  "identity_file": FILE_PATH.optional(),
};

/** Where and how to log in. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string | undefined;
  /** Private key files tried in order; missing files are skipped. */
  identityFiles?: string[] | undefined;
  verifyHostkey: boolean;
  hostkey?: string | undefined;
  knownHosts?: string[] | undefined;
  /** "Ubiquiti mFi at 10.0.0.7:22", for messages. */
  device: string;
}

/** What a command did. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ssh-keygen -lf` style fingerprint of a wire-format public key. */
export function fingerprint(key: Uint8Array): string {
  return "SHA256:" + crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

function home(): string | undefined {
  try {
    return Deno.env.get("HOME");
  } catch {
    return undefined;
  }
}

function defaultKnownHosts(): string[] {
  const h = home();
  return [...(h ? [`${h}/.ssh/known_hosts`] : []), "/etc/ssh/ssh_known_hosts"];
}

/** Default private keys, as ssh(1) tries them. */
export function defaultIdentityFiles(): string[] {
  const h = home();
  return h ? [`${h}/.ssh/id_ed25519`, `${h}/.ssh/id_ecdsa`, `${h}/.ssh/id_rsa`] : [];
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Whether a known_hosts host field matches `name` (plain patterns or `|1|salt|hash`). */
function hostMatches(field: string, name: string): boolean {
  return field.split(",").some((entry) => {
    if (entry.startsWith("|1|")) {
      const [, , salt, hash] = entry.split("|");
      if (!salt || !hash) return false;
      const mac = crypto.createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest(
        "base64",
      );
      return mac === hash;
    }
    return entry === name;
  });
}

/** The keys known_hosts files list for host:port. */
export function knownKeys(files: string[], host: string, port: number): Buffer[] {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const keys: Buffer[] = [];
  for (const file of files) {
    for (const line of (readText(file) ?? "").split("\n")) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 3 || fields[0]!.startsWith("#")) continue;
      const marker = fields[0]!.startsWith("@") ? fields.shift() : undefined;
      if (marker === "@revoked") continue;
      if (hostMatches(fields[0]!, name)) keys.push(Buffer.from(fields[2]!, "base64"));
    }
  }
  return keys;
}

/** Runs `command` and resolves with its exit status and output. */
export async function sshExec(
  target: SshTarget,
  command: string,
  signal: AbortSignal,
): Promise<ExecResult> {
  if (signal.aborted) return Promise.reject(abortError(signal, `SSH to ${target.device}`));
  const device = target.device;
  let privateKey: string | undefined;
  for (const file of target.identityFiles ?? []) {
    privateKey = readText(file);
    if (privateKey !== undefined) break;
  }
  if (target.password === undefined && privateKey === undefined) {
    return Promise.reject(
      new DriverError(
        "config",
        `${device}: no password and no readable private key (tried ${
          (target.identityFiles ?? []).join(", ") || "none"
        })`,
      ),
    );
  }
  let hostProblem: string | undefined;
  const verify = (key: Uint8Array): boolean => {
    if (!target.verifyHostkey) return true;
    const seen = fingerprint(key);
    if (target.hostkey) {
      if (seen === target.hostkey.replace(/=$/, "")) return true;
      hostProblem = `${device} presented host key ${seen}, not the configured hostkey ` +
        `${target.hostkey} — a different device or a man in the middle`;
      return false;
    }
    const files = target.knownHosts ?? defaultKnownHosts();
    const known = knownKeys(files, target.host, target.port);
    if (known.some((k) => Buffer.compare(k, Buffer.from(key)) === 0)) return true;
    hostProblem = known.length > 0
      ? `${device} presented host key ${seen}, which does not match known_hosts (${
        files.join(", ")
      }) — a changed device or a man in the middle`
      : `${device}'s host key ${seen} is not in ${files.join(", ")}; add it (ssh-keyscan) ` +
        `or set hostkey: ${seen} (or verify_hostkey: false to skip the check)`;
    return false;
  };

  const lib = await loadSsh2();
  if (signal.aborted) throw abortError(signal, `SSH to ${target.device}`);
  return await new Promise<ExecResult>((resolve, reject) => {
    const client = new lib.Client();
    let settled = false;
    const finish = (error: DriverError | undefined, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      client.end();
      client.destroy?.();
      if (error) reject(error);
      else resolve(result!);
    };
    const onAbort = () =>
      finish(new DriverError("timeout", `${device} did not finish "${command}" in time`));
    signal.addEventListener("abort", onAbort, { once: true });

    client.on("error", (error: Error & { level?: string; code?: string }) => {
      if (hostProblem) return finish(new DriverError("auth", hostProblem));
      if (error.level === "client-authentication") {
        return finish(
          new DriverError("auth", `${device} refused the login of user "${target.username}"`),
        );
      }
      if (error.code === "ECONNREFUSED" || error.code === "EHOSTUNREACH") {
        return finish(
          new DriverError("unreachable", `${device} is unreachable: ${printable(error.message)}`),
        );
      }
      finish(new DriverError("protocol", `${device}: SSH failed: ${printable(error.message)}`));
    });
    client.on("close", () => {
      finish(new DriverError("protocol", `${device} closed the SSH connection before answering`));
    });
    client.on("ready", () => {
      client.exec(command, (error: Error | undefined, stream: ssh2.ClientChannel) => {
        if (error) {
          return finish(
            new DriverError(
              "device",
              `${device} refused to run "${command}": ${printable(error.message)}`,
            ),
          );
        }
        let stdout = "", stderr = "";
        let code: number | null = null;
        stream.on("data", (d: Buffer) => stdout = (stdout + d.toString("utf8")).slice(-8192));
        stream.stderr.on(
          "data",
          (d: Buffer) => stderr = (stderr + d.toString("utf8")).slice(-8192),
        );
        stream.on("exit", (c: number | null) => code = c);
        stream.on("close", () => finish(undefined, { code, stdout, stderr }));
      });
    });
    try {
      // A socket of our own with Nagle off: ssh2's handshake is many small writes, and under
      // Deno the socket it opens itself waits out delayed ACKs (~370 ms a session on loopback,
      // 7 ms with this).
      const sock = net.connect({ host: target.host, port: target.port, noDelay: true });
      client.connect({
        sock,
        host: target.host,
        port: target.port,
        username: target.username,
        ...(target.password !== undefined ? { password: target.password } : {}),
        ...(privateKey !== undefined ? { privateKey } : {}),
        hostVerifier: verify,
        readyTimeout: 60_000,
        tryKeyboard: false,
      });
    } catch (error) {
      finish(new DriverError("config", `${device}: ${(error as Error).message}`));
    }
  });
}

/** Runs `command` and requires exit status 0; returns stdout. */
export async function sshRun(
  target: SshTarget,
  command: string,
  signal: AbortSignal,
): Promise<string> {
  const result = await sshExec(target, command, signal);
  if (result.code !== 0) {
    const detail = printable((result.stderr || result.stdout).trim().slice(-300)) || "no output";
    throw new DriverError(
      "device",
      `${target.device}: "${command}" failed (exit status ${result.code ?? "none"}): ${detail}`,
    );
  }
  return result.stdout;
}
