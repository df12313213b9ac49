/**
 * `pdud status`: a table of a running daemon's PDUs from its JSON API; with `--pdu NAME`, every
 * outlet of that PDU (state, name and power where the device reports them), read in one device
 * exchange where its protocol allows.
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
      pdu: { type: "string" },
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
  if (values.pdu !== undefined) {
    return await outletsOf(values.pdu, { where, token, json: values.json ?? false }, io);
  }
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
    table(rows, io);
  }
  return pdus.some((p) => p.state === "failed") ? 1 : 0;
}

interface OutletList {
  pdu: string;
  outlets: {
    outlet: number;
    state?: string;
    name?: string;
    watts?: number;
    energyWh?: number;
    volts?: number;
    amps?: number;
  }[];
  source: string;
  exchanges: number;
}

/**
 * `pdud status --pdu NAME`: exit 0 when read, 1 when the PDU could not be read (failed, refused,
 * not supported), 2 when pdud is unreachable or the PDU unknown or not allowed.
 */
async function outletsOf(
  pdu: string,
  options: { where: string; token: string | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const { where, token } = options;
  let list: OutletList;
  try {
    const response = await fetch(
      `http://${where}/api/v1/pdus/${encodeURIComponent(pdu)}/outlets`,
      { headers: token ? { authorization: `Bearer ${token}` } : {} },
    );
    const body = await response.json();
    if (!response.ok) {
      io.err(`pdud status: ${pdu}: ${response.status}: ${body.error ?? "error"}`);
      return response.status >= 500 ? 1 : 2;
    }
    list = body;
  } catch (error) {
    io.err(
      `pdud status: cannot reach ${where}: ${error instanceof Error ? error.message : error}`,
    );
    return 2;
  }
  if (options.json) {
    io.out(JSON.stringify(list, null, 2));
    return 0;
  }
  // Only the columns the device reports: a plain relay board has no power columns.
  const has = (key: "name" | "watts" | "energyWh" | "volts" | "amps") =>
    list.outlets.some((o) => o[key] !== undefined);
  const columns: [string, (o: OutletList["outlets"][number]) => string][] = [
    ["OUTLET", (o) => String(o.outlet)],
    ["STATE", (o) => o.state ?? "-"],
  ];
  if (has("name")) columns.push(["NAME", (o) => o.name ?? ""]);
  if (has("watts")) columns.push(["WATTS", (o) => o.watts === undefined ? "" : String(o.watts)]);
  if (has("energyWh")) {
    columns.push(["ENERGY_WH", (o) => o.energyWh === undefined ? "" : String(o.energyWh)]);
  }
  if (has("volts")) columns.push(["VOLTS", (o) => o.volts === undefined ? "" : String(o.volts)]);
  if (has("amps")) columns.push(["AMPS", (o) => o.amps === undefined ? "" : String(o.amps)]);
  table(
    [columns.map(([title]) => title), ...list.outlets.map((o) => columns.map(([, f]) => f(o)))],
    io,
  );
  const exchanges = `${list.exchanges} device exchange${list.exchanges === 1 ? "" : "s"}`;
  const how = list.source === "list" ? "listed at once" : "read outlet by outlet";
  io.out(`${list.pdu}: ${list.outlets.length} outlets, ${how} (${exchanges})`);
  return 0;
}

function table(rows: string[][], io: Io): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) {
    io.out(
      r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ")
        .trimEnd(),
    );
  }
}
