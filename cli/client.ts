/**
 * `pdud client`: pduclient's flags, output lines and exit codes, over legacy TCP or HTTP.
 * Accepts outlet ranges ("1-4,7"), sending one request per outlet in order and printing each
 * outcome as it completes.
 * @module
 */
import { parseArgs } from "node:util";
import { HELP } from "./help.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const COMMANDS = ["reboot", "on", "off"];

/** Expands "1-4,7" into [1, 2, 3, 4, 7]; undefined when malformed. */
export function parseOutlets(spec: string): number[] | undefined {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 1000) return undefined;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** Runs the client; returns pduclient's exit code. */
export async function runClient(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      daemon: { type: "string" },
      "daemon-port": { type: "string", default: "16421" },
      hostname: { type: "string" },
      port: { type: "string" },
      command: { type: "string" },
      delay: { type: "string" },
      http: { type: "boolean", short: "H" },
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
  const outlets = parseOutlets(values.port);
  const daemonPort = Number(values["daemon-port"]);
  if (!outlets || !Number.isInteger(daemonPort) || daemonPort < 1 || daemonPort > 65535) {
    io.out(`Invalid --port ${values.port}: expected an outlet number or a range like 1-4,7`);
    return 1;
  }
  let worst = 0;
  for (const outlet of outlets) {
    const request = {
      daemon: values.daemon,
      daemonPort,
      hostname: values.hostname,
      outlet,
      command: values.command,
      delay: values.delay,
    };
    let reply: { ok: boolean; text: string };
    try {
      reply = values.http ? await viaHttp(request) : await viaTcp(request);
    } catch {
      io.out("Error sending command, wrong daemon hostname?");
      return 1;
    }
    const prefix = outlets.length > 1 ? `[${outlet}] ` : "";
    if (reply.ok) io.out(`${prefix}Command sent successfully.`);
    else {
      io.out(`${prefix}Error sending command! ${values.daemon} replied: ${reply.text}`);
      worst = 127;
    }
  }
  return worst;
}

interface ClientRequest {
  daemon: string;
  daemonPort: number;
  hostname: string;
  outlet: number;
  command: string;
  delay: string | undefined;
}

async function viaTcp(r: ClientRequest): Promise<{ ok: boolean; text: string }> {
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
    return { ok: text === "ack", text };
  } finally {
    conn.close();
  }
}

async function viaHttp(r: ClientRequest): Promise<{ ok: boolean; text: string }> {
  const query = new URLSearchParams({ hostname: r.hostname, port: String(r.outlet) });
  if (r.delay) query.set("delay", r.delay);
  const host = r.daemon.includes(":") ? `[${r.daemon}]` : r.daemon;
  const response = await fetch(
    `http://${host}:${r.daemonPort}/power/control/${r.command}?${query}`,
  );
  const text = (await response.text()).trim();
  return { ok: response.ok, text: `<Response [${response.status}]> ${text}` };
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
