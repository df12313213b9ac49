/**
 * Net-SNMP's snmpd as a test's child process: in the foreground (`-f -Lo -C -c <conf>`), bound to
 * 127.0.0.1 on a free UDP port, its persistent files in a temporary folder, stopped (and its
 * pass_persist children with it, which end on their closed stdin) when disposed.
 */
import dgram from "node:dgram";
import { which } from "./_tools.ts";

/** A running snmpd. */
export interface Snmpd extends AsyncDisposable {
  port: number;
  /** The temporary folder holding its config (and whatever the test put there). */
  dir: string;
  /** What it printed so far (for failure messages). */
  output(): string;
}

function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Starts snmpd with `config` (snmpd.conf lines) in `dir` (a new temporary folder unless given);
 * resolves once it listens.
 */
export async function startSnmpd(config: string[], dir?: string): Promise<Snmpd> {
  const snmpd = which("snmpd");
  if (!snmpd) throw new Error("snmpd is not installed");
  const folder = dir ?? await Deno.makeTempDir({ prefix: "pdud-snmpd-" });
  const port = await freeUdpPort();
  await Deno.writeTextFile(`${folder}/snmpd.conf`, [...config, ""].join("\n"));
  const child = new Deno.Command(snmpd, {
    args: [
      "-f",
      "-Lo",
      "-C",
      "-c",
      `${folder}/snmpd.conf`,
      // No MIB files: snmpd needs none to serve, and the host's set would only add warnings.
      "-M",
      "/nonexistent",
      `udp:127.0.0.1:${port}`,
    ],
    env: { SNMP_PERSISTENT_DIR: folder, MIBS: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = new Response(child.stderr).text();
  let seen = "";
  // snmpd says "NET-SNMP version …" once it listens.
  while (!seen.includes("NET-SNMP version")) {
    const { done, value } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`snmpd did not start: ${seen}${await errors}`);
    }
    seen += value;
  }
  const drain = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value;
    }
  })();
  return {
    port,
    dir: folder,
    output: () => seen,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
      await errors;
      await Deno.remove(folder, { recursive: true });
    },
  };
}
