/**
 * `pdud client`: pduclient's flags, output lines and exit codes, over legacy TCP or HTTP.
 * Accepts outlet ranges ("1-4,7"), sending one request per outlet in order and printing each
 * outcome as it completes, and outlet names (`--port board-a`, for drivers that name outlets).
 * `--command get-port-state` prints `Port state: on` as pdudaemon PR #219's pduclient does.
 * @module
 */
import { parseArgs } from "node:util";
import { parseOutlet, parseOutletList } from "../config/outlets.ts";
import { daemonAddress, formatHostPort } from "./address.ts";
import { HELP } from "./help.ts";
import { OUTLET_NAME_RULE } from "../drivers/mod.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** pduclient's commands, with get-port-state of pdudaemon PR #219. */
const COMMANDS = ["reboot", "on", "off", "get-port-state"];

/** Runs the client; returns pduclient's exit code. */
export async function runClient(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      daemon: { type: "string" },
      "daemon-port": { type: "string" },
      hostname: { type: "string" },
      port: { type: "string" },
      command: { type: "string" },
      delay: { type: "string" },
      http: { type: "boolean", short: "H" },
      api: { type: "boolean" },
      token: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP.client);
    return 0;
  }
  if (!values.daemon || !values.hostname || !values.port || !values.command) {
    io.out("Missing option, try -h for help");
    return 1;
  }
  if (!COMMANDS.includes(values.command)) {
    io.out(`Unknown pdu command: ${values.command}`);
    return 1;
  }
  if (values.delay !== undefined && !/^\d+$/.test(values.delay)) {
    io.out(`option --delay: invalid integer value: '${values.delay}'`);
    return 1;
  }
  const named = parseOutlet(values.port);
  const outlets: (number | string)[] | undefined = parseOutletList(values.port) ??
    ("outlet" in named ? [named.outlet] : undefined);
  if (!outlets) {
    io.out(
      `Invalid --port ${values.port}: expected an outlet number, a range like 1-4,7 or an ` +
        `outlet name (${OUTLET_NAME_RULE})`,
    );
    return 1;
  }
  const address = daemonAddress(values.daemon, values["daemon-port"]);
  if (typeof address === "string") {
    io.out(address);
    return 1;
  }
  const daemonHost = address.hostname;
  const daemonPort = address.port;
  if (values.api && values.command === "get-port-state") {
    return await readViaApi({
      daemon: daemonHost,
      daemonPort,
      hostname: values.hostname,
      outlets,
      token: values.token ?? Deno.env.get("PDUD_TOKEN"),
    }, io);
  }
  if (values.api) {
    return await viaApi({
      daemon: daemonHost,
      daemonPort,
      hostname: values.hostname,
      outlets: values.port,
      command: values.command,
      delay: values.delay,
      token: values.token ?? Deno.env.get("PDUD_TOKEN"),
    }, io);
  }
  let worst = 0;
  for (const outlet of outlets) {
    const request = {
      daemon: daemonHost,
      daemonPort,
      hostname: values.hostname,
      outlet,
      command: values.command,
      delay: values.delay,
    };
    let reply: Reply;
    try {
      reply = values.http ? await viaHttp(request) : await viaTcp(request);
    } catch {
      io.out("Error sending command, wrong daemon hostname?");
      return 1;
    }
    const prefix = outlets.length > 1 ? `[${outlet}] ` : "";
    if (values.command === "get-port-state") {
      // PR #219 prints the TCP reply as it came ("Port state: nack" too); pdud exits 127 then.
      if (reply.ok || !values.http) io.out(`${prefix}Port state: ${reply.state ?? reply.text}`);
      else io.out(`${prefix}Error sending command! ${values.daemon} replied: ${reply.text}`);
      if (!reply.ok) worst = 127;
    } else if (reply.ok) io.out(`${prefix}Command sent successfully.`);
    else {
      io.out(`${prefix}Error sending command! ${values.daemon} replied: ${reply.text}`);
      worst = 127;
    }
  }
  return worst;
}

/** A daemon's answer: whether it succeeded, its text, and for get-port-state the state. */
interface Reply {
  ok: boolean;
  text: string;
  state?: string;
}

interface ClientRequest {
  daemon: string;
  daemonPort: number;
  hostname: string;
  outlet: number | string;
  command: string;
  delay: string | undefined;
}

async function viaTcp(r: ClientRequest): Promise<Reply> {
  const conn = await Deno.connect({ hostname: r.daemon, port: r.daemonPort });
  try {
    const line = [r.hostname, r.outlet, r.command, ...(r.delay ? [r.delay] : [])].join(" ");
    await conn.write(new TextEncoder().encode(line));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(16384);
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      if (buffer.subarray(0, n).includes(10)) break;
    }
    const text = new TextDecoder().decode(concat(chunks)).trim();
    if (r.command === "get-port-state") return { ok: text === "on" || text === "off", text };
    return { ok: text === "ack", text };
  } finally {
    conn.close();
  }
}

async function viaHttp(r: ClientRequest): Promise<Reply> {
  const query = new URLSearchParams({ hostname: r.hostname, port: String(r.outlet) });
  if (r.delay) query.set("delay", r.delay);
  const where = formatHostPort({ hostname: r.daemon, port: r.daemonPort });
  const response = await fetch(`http://${where}/power/control/${r.command}?${query}`);
  const text = (await response.text()).trim();
  const reply = { ok: response.ok, text: `<Response [${response.status}]> ${text}` };
  if (!response.ok || r.command !== "get-port-state") return reply;
  // PR #219: `reply.json().get("state")`; a body that is not that JSON is not a state.
  try {
    const state = (JSON.parse(text) as { state?: unknown }).state;
    if (typeof state === "string") return { ...reply, state };
  } catch { /* reported below */ }
  return { ok: false, text: `${reply.text} (expected {"state": "on"} or {"state": "off"})` };
}

/** `--api`: one JSON API request for every outlet; each outcome on its own line. */
async function viaApi(
  r: {
    daemon: string;
    daemonPort: number;
    hostname: string;
    outlets: string;
    command: string;
    delay: string | undefined;
    token: string | undefined;
  },
  io: Io,
): Promise<number> {
  const where = formatHostPort({ hostname: r.daemon, port: r.daemonPort });
  const url = `http://${where}/api/v1/pdus/${encodeURIComponent(r.hostname)}/outlets/${
    encodeURIComponent(r.outlets)
  }/${r.command}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
      },
      body: JSON.stringify(r.delay ? { delay: Number(r.delay) } : {}),
    });
  } catch {
    io.out("Error sending command, wrong daemon hostname?");
    return 1;
  }
  const body = await response.json() as {
    error?: string;
    results?: { outlet?: number; status: string; state?: string; reason?: string }[];
  };
  if (!body.results) {
    io.out(`Error sending command! ${r.daemon} replied: ${response.status} ${body.error ?? ""}`);
    return 127;
  }
  const outlets = parseOutletList(r.outlets) ?? [];
  body.results.forEach((result, i) => {
    const outlet = result.outlet ?? outlets[i];
    io.out(
      result.status === "done"
        ? `outlet ${outlet}: done, ${result.state ?? "state unknown"}`
        : `outlet ${outlet}: ${result.status}: ${result.reason}`,
    );
  });
  return response.ok ? 0 : 127;
}

/** `--api --command get-port-state`: reads each outlet; "outlet 3: on (device)". */
async function readViaApi(
  r: {
    daemon: string;
    daemonPort: number;
    hostname: string;
    outlets: (number | string)[];
    token: string | undefined;
  },
  io: Io,
): Promise<number> {
  const where = formatHostPort({ hostname: r.daemon, port: r.daemonPort });
  let worst = 0;
  for (const outlet of r.outlets) {
    let response: Response;
    try {
      response = await fetch(
        `http://${where}/api/v1/pdus/${encodeURIComponent(r.hostname)}/outlets/${
          encodeURIComponent(String(outlet))
        }`,
        { headers: r.token ? { authorization: `Bearer ${r.token}` } : {} },
      );
    } catch {
      io.out("Error sending command, wrong daemon hostname?");
      return 1;
    }
    const body = await response.json() as {
      state?: string | null;
      source?: string;
      error?: string;
    };
    if (response.ok && body.state) io.out(`outlet ${outlet}: ${body.state} (${body.source})`);
    else {
      io.out(`outlet ${outlet}: ${response.status} ${body.error ?? "state unknown"}`);
      worst = 127;
    }
  }
  return worst;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
