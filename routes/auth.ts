/**
 * Access control: allowed networks for both protocols, bearer tokens with a read or control
 * scope for HTTP, and trusted networks for legacy TCP (pduclient cannot send a token).
 * Secrets are compared in constant time and never logged.
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { DaemonConfig } from "../config/mod.ts";

/** A resolved token. */
export interface Token {
  name: string;
  scope: "read" | "control";
  digest: Uint8Array;
}

/** What a request may do. */
export type Access =
  | { ok: true; token?: string; scope: "read" | "control" }
  | { ok: false; status: 401 | 403; reason: string };

/** Parses "10.0.0.0/8" or an address into a matcher. */
export function networkMatcher(cidr: string): (address: string) => boolean {
  const [addr = "", prefixText] = cidr.split("/");
  const bytes = addressBytes(addr);
  if (!bytes) throw new TypeError(`not an address: ${cidr}`);
  const prefix = prefixText === undefined ? bytes.length * 8 : Number(prefixText);
  return (candidate) => {
    let other = addressBytes(candidate);
    // IPv4 clients may appear as IPv4-mapped IPv6 (::ffff:10.0.0.1).
    if (
      other && other.length === 16 && bytes.length === 4 &&
      other.slice(0, 12).every((b, i) => b === (i >= 10 ? 255 : 0))
    ) {
      other = other.slice(12);
    }
    if (!other || other.length !== bytes.length) return false;
    for (let bit = 0; bit < prefix; bit++) {
      const mask = 0x80 >> (bit % 8);
      if ((bytes[bit >> 3]! & mask) !== (other[bit >> 3]! & mask)) return false;
    }
    return true;
  };
}

function addressBytes(address: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? b : undefined;
  }
  if (!address.includes(":")) return undefined;
  let text = address.replace(/^\[|\]$/g, "").split("%")[0]!;
  const tail4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  let tail: number[] = [];
  if (tail4) {
    tail = addressBytes(tail4[1]!) ?? [];
    text = text.slice(0, -tail4[1]!.length) + "0:0";
  }
  const [head = "", rest] = text.split("::");
  const h = head ? head.split(":") : [];
  const r = rest !== undefined && rest !== "" ? rest.split(":") : [];
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array(fill).fill("0"), ...r];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Access rules of one daemon. */
export class AccessControl {
  #tokens: Token[];
  #allowed: ((a: string) => boolean)[];
  #trustedLegacy: ((a: string) => boolean)[];

  private constructor(tokens: Token[], allowed: string[], trusted: string[]) {
    this.#tokens = tokens;
    this.#allowed = allowed.map(networkMatcher);
    this.#trustedLegacy = trusted.map(networkMatcher);
  }

  /** Builds the rules, reading `secret_env` secrets from the environment. */
  static async create(
    daemon: DaemonConfig,
    env: (name: string) => string | undefined = Deno.env.get,
  ): Promise<AccessControl> {
    const tokens: Token[] = [];
    for (const t of daemon.tokens) {
      const secret = t.secret ?? env(t.secret_env ?? "");
      if (!secret || secret.length < 16) {
        throw new TypeError(
          `token "${t.name}": environment variable ${t.secret_env} is unset or shorter than 16 characters`,
        );
      }
      tokens.push({ name: t.name, scope: t.scope, digest: await digest(secret) });
    }
    return new AccessControl(tokens, daemon.allowed_networks, daemon.legacy_trusted_networks);
  }

  /** Whether any token is configured. */
  get tokensRequired(): boolean {
    return this.#tokens.length > 0;
  }

  /**
   * Decides a request.
   * @param request transport, peer address and Authorization header
   * @param need the scope the route needs
   */
  async check(
    request: { transport: string; address: string; authorization?: string | undefined },
    need: "read" | "control" | "open",
  ): Promise<Access> {
    if (this.#allowed.length > 0 && !this.#allowed.some((m) => m(request.address))) {
      return {
        ok: false,
        status: 403,
        reason: `client ${request.address} is not in allowed_networks`,
      };
    }
    if (need === "open" || this.#tokens.length === 0) return { ok: true, scope: "control" };
    if (request.transport === "legacy-tcp") {
      if (this.#trustedLegacy.some((m) => m(request.address))) {
        return { ok: true, scope: "control" };
      }
      return {
        ok: false,
        status: 403,
        reason: `legacy TCP clients must be in legacy_trusted_networks when tokens are required`,
      };
    }
    const m = /^Bearer\s+(\S+)$/i.exec(request.authorization ?? "");
    if (!m) {
      return {
        ok: false,
        status: 401,
        reason: "a bearer token is required (Authorization: Bearer …)",
      };
    }
    const presented = await digest(m[1]!);
    // Every token is compared, so the time taken does not tell which one (or whether any) matched.
    let found: Token | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, presented) && !found) found = t;
    if (!found) return { ok: false, status: 401, reason: "the bearer token is not valid" };
    if (need === "control" && found.scope !== "control") {
      return {
        ok: false,
        status: 403,
        reason: `token "${found.name}" has read scope; this needs control`,
      };
    }
    return { ok: true, token: found.name, scope: found.scope };
  }
}
