/**
 * `pdud status`: a table of a running daemon's PDUs from its JSON API.
 * @module
 */
import { parseArgs } from "node:util";
import { daemonAddress, formatHostPort } from "./address.ts";
import { HELP } from "./help.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface Pdu {
  name: string;
  driver: string;
  state: string;
  queueDepth: number;
  restarts: number;
  lastError: string | null;
  outlets: Record<string, { state: string }>;
  /** Cluster mode: the node that owns the PDU (null while none does). */
  owner?: string | null;
}

/** Runs `pdud status`; exit 0 when every PDU is usable, 1 when one failed, 2 when unreachable. */
export async function runStatus(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      daemon: { type: "string", default: "127.0.0.1" },
      "daemon-port": { type: "string" },
      token: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP.status);
    return 0;
  }
  const address = daemonAddress(values.daemon, values["daemon-port"]);
  if (typeof address === "string") {
    io.err(`pdud status: ${address}`);
    return 2;
  }
  const where = formatHostPort(address);
  const token = values.token ?? Deno.env.get("PDUD_TOKEN");
  let pdus: Pdu[];
  try {
    const response = await fetch(`http://${where}/api/v1/pdus`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const body = await response.json();
    if (!response.ok) {
      io.err(`pdud status: ${response.status}: ${body.error ?? "error"}`);
      return 2;
    }
    pdus = body.pdus;
  } catch (error) {
    io.err(
      `pdud status: cannot reach ${where}: ${error instanceof Error ? error.message : error}`,
    );
    return 2;
  }
  if (values.json) {
    io.out(JSON.stringify(pdus, null, 2));
  } else {
    // Cluster mode: each PDU's owner node (a PDU owned elsewhere shows its queue and outlets
    // on its owner).
    const cluster = pdus.some((p) => "owner" in p);
    const rows = [[
      "PDU",
      ...(cluster ? ["OWNER"] : []),
      "DRIVER",
      "STATE",
      "QUEUE",
      "RESTARTS",
      "OUTLETS ON",
      "LAST ERROR",
    ]];
    for (const p of pdus) {
      const on = Object.entries(p.outlets).filter(([, o]) => o.state === "on").map(([n]) => n).join(
        ",",
      );
      rows.push([
        p.name,
        ...(cluster ? [p.owner ?? "(none)"] : []),
        p.driver,
        p.state,
        String(p.queueDepth),
        String(p.restarts),
        on || "-",
        p.lastError ?? "",
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) {
      io.out(
        r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ")
          .trimEnd(),
      );
    }
  }
  return pdus.some((p) => p.state === "failed") ? 1 : 0;
}
