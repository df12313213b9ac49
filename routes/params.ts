/**
 * Validation of request input, the one place where "port" becomes "outlet". Every rejection
 * names what was wrong and what was expected.
 * @module
 */
import { z } from "zod";
import type { PduCommand } from "../actors/mod.ts";
import { parseOutlet } from "../config/mod.ts";
import type { OutletId } from "../drivers/mod.ts";

/** Upstream's reboot delay when the client gives none (seconds). */
export const DEFAULT_REBOOT_DELAY = 5;
/** The longest delay accepted (seconds): a day. */
export const MAX_DELAY = 86_400;

/**
 * Commands of the upstream routes (HTTP path word and legacy TCP third word): upstream's three,
 * pdudaemon#219's `get-port-state` (JSON `{"state": "on"}` over HTTP, `on`/`off` over TCP) and
 * pdud's own `get-status` (the bare word over both).
 */
export const UPSTREAM_COMMANDS = ["on", "off", "reboot", "get-port-state", "get-status"] as const;

/** Commands that read an outlet instead of switching it. */
export const READ_COMMANDS: readonly string[] = ["get-port-state", "get-status"];

/** An outlet number, or a name (upstream b30c332) for the drivers that can name outlets. */
const OUTLET = z.string().transform((text, ctx): OutletId => {
  const parsed = parseOutlet(text);
  if ("outlet" in parsed) return parsed.outlet;
  ctx.addIssue({ code: "custom", message: parsed.reason });
  return z.NEVER;
});
const DELAY = z.string().regex(/^\d{1,6}(\.\d{1,3})?$/, "expected seconds, a number ≥ 0")
  .transform(Number).pipe(z.number().max(MAX_DELAY, `expected at most ${MAX_DELAY} seconds`));
const NAME = z.string().min(1, "must not be empty").max(255, "longer than 255 characters")
  .regex(/^[\x21-\x7e]+$/, "expected printable ASCII without spaces");

/** Upstream takes any alias group name; spaces are allowed, control characters are not. */
const GROUP = z.string().min(1, "must not be empty").max(255, "longer than 255 characters")
  .refine((s) => !/\p{Cc}/u.test(s), "expected a group name without control characters");

/** The upstream query: hostname+port, alias or group, optional delay. */
const UPSTREAM_QUERY = z.object({
  hostname: NAME.optional(),
  port: OUTLET.optional(),
  alias: NAME.optional(),
  group: GROUP.optional(),
  delay: DELAY.optional(),
});

/** A validated upstream request: a target and a command. */
export type UpstreamRequest =
  | {
    ok: true;
    target: { pdu: string; outlet: OutletId } | { alias: string } | { group: string };
    command: string;
    delay?: number;
  }
  | { ok: false; reason: string };

/** First zod issue as "port: expected …". */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid request";
  const field = issue.path.join(".");
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** Validates `/power/control/{command}?…` input (also what the legacy TCP line becomes). */
export function parseUpstreamRequest(command: string, query: URLSearchParams): UpstreamRequest {
  if (!(UPSTREAM_COMMANDS as readonly string[]).includes(command)) {
    return {
      ok: false,
      reason: `unknown command "${clip(command)}"; expected ${UPSTREAM_COMMANDS.join(", ")}`,
    };
  }
  const extra = query.get("extra");
  if (extra !== null) {
    return {
      ok: false,
      reason: `unexpected words after the delay: "${
        clip(extra)
      }"; expected "hostname port command [delay]"`,
    };
  }
  const fields: Record<string, string> = {};
  for (const key of ["hostname", "port", "alias", "group", "delay"]) {
    const values = query.getAll(key);
    if (values.length > 1) {
      return { ok: false, reason: `${key} given ${values.length} times; expected once` };
    }
    if (values[0] !== undefined) fields[key] = values[0];
  }
  const parsed = UPSTREAM_QUERY.safeParse(fields);
  if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error) };
  const { hostname, port, alias, group, delay } = parsed.data;
  const withDelay = delay === undefined ? {} : { delay };
  if (group !== undefined) {
    // pdudaemon PR #169: a group fans out to its members, so it cannot be combined.
    if (hostname !== undefined || port !== undefined || alias !== undefined) {
      return { ok: false, reason: "give group alone, without hostname, port or alias" };
    }
    if (READ_COMMANDS.includes(command)) {
      return { ok: false, reason: `${command} reads one outlet; group works with on, off, reboot` };
    }
    return { ok: true, target: { group }, command, ...withDelay };
  }
  if (alias !== undefined) {
    if (hostname !== undefined || port !== undefined) {
      return { ok: false, reason: "give either alias or hostname and port, not both" };
    }
    return { ok: true, target: { alias }, command, ...withDelay };
  }
  if (hostname === undefined) return { ok: false, reason: "hostname: required (or give alias)" };
  if (port === undefined) {
    return { ok: false, reason: "port: required, the outlet number or name" };
  }
  return { ok: true, target: { pdu: hostname, outlet: port }, command, ...withDelay };
}

/** The PduCommand for an upstream command name, outlet and optional delay. */
export function toPduCommand(command: string, outlet: OutletId, delay?: number): PduCommand {
  switch (command) {
    case "reboot":
      return { type: "reboot", outlet, delay: delay ?? DEFAULT_REBOOT_DELAY };
    case "on":
    case "off":
      return delay ? { type: command, outlet, delayBefore: delay } : { type: command, outlet };
    default:
      return { type: "status", outlet };
  }
}

/** Shortens client text quoted back in a reason, keeping it printable. */
export function clip(text: string, max = 40): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
