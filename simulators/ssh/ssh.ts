/**
 * The SSH server the device simulators share (ubiquiti.ts, acme.ts, telnet/apc_ssh.ts), on
 * `npm:ssh2`'s server: a generated ed25519 host key (its fingerprint is in the printed pdud
 * config, so host-key verification stays on), password and public-key authentication, `exec`
 * and an interactive `shell`, and a small interpreter for exactly the commands the device
 * understands — anything else fails as the device's shell would.
 * @module
 */
import { Buffer } from "node:buffer";
import type { SimulatedDevice, Simulator } from "../kind.ts";
import { fingerprint, loadSsh2 } from "../../drivers/ssh/mod.ts";

/** The end of one command: its exit code and output. */
export interface Outcome {
  code: number;
  stdout?: string;
  stderr?: string;
}

/** What the device does with a command line; undefined means "not a command it knows". */
export type Interpreter = (command: string) => (() => Outcome) | undefined;

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * ssh2's key generator under Deno drops a leading zero byte of the public key (about one key in
 * 256: Deno's export trims it), and ssh2 then refuses its own key as malformed. Such a pair is
 * thrown away and another made, so a simulator never fails to start on an unlucky key.
 */
export async function ed25519Pair(): Promise<{ private: string; public: string }> {
  const ssh2 = await loadSsh2();
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519");
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

/** A listening ssh2 server of a simulator. */
export interface SshListener {
  /** The bound port. */
  port: number;
  /** The host key's SHA256 fingerprint, as `ssh-keygen -lf` prints it. */
  hostkey: string;
  /** The host key as a known_hosts entry without the host: `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
  /** Stops listening and drops every connection; safe twice. */
  close(): Promise<void>;
}

/**
 * Listens with a fresh ed25519 host key and hands each connection (an ssh2 server `Connection`)
 * to `onClient`; under the device's `refuse` fault a connection is dropped before the SSH banner.
 */
export async function listenSsh(
  device: SimulatedDevice,
  settings: { hostname: string; port: number },
  onClient: (client: Any) => void,
): Promise<SshListener> {
  const ssh2 = await loadSsh2();
  const hostKey = await ed25519Pair();
  const hostPublicKey = hostKey.public.split(" ").slice(0, 2).join(" ");
  const hostkey = fingerprint(Buffer.from(hostKey.public.split(" ")[1]!, "base64"));
  const clients = new Set<Any>();
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client: Any) => {
    if (device.fault === "refuse") {
      client._sock?.destroy();
      return;
    }
    clients.add(client);
    client.on("close", () => clients.delete(client));
    client.on("error", () => {});
    onClient(client);
  });
  server.on("error", () => {});
  // Nagle off, as pdud's client does: a handshake of small writes otherwise waits out delayed
  // ACKs (ssh2 offers no option; its net.Server is reachable only as _srv).
  server._srv?.on("connection", (sock: Any) => sock.setNoDelay?.(true));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.hostname, () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      for (const client of clients) client._sock?.destroy();
      server.close(() => resolve());
    });
    return closed;
  };
  return { port, hostkey, hostPublicKey, close };
}

/**
 * A device simulator on an ssh2 server: `auth` is what it accepts, `interpret` the commands it
 * knows, `prompt` its interactive shell's prompt.
 */
export async function serveSsh(
  kind: string,
  device: SimulatedDevice,
  settings: { hostname: string; port: number },
  auth: { username: string; password?: string | undefined; publicKey?: string | undefined },
  interpret: Interpreter,
  prompt: string,
): Promise<Simulator & { hostkey: string }> {
  const ssh2 = await loadSsh2();
  const allowed = auth.publicKey ? ssh2.utils.parseKey(auth.publicKey) : undefined;

  // Runs one command line with the device's fault applied; `reply` undefined = no answer.
  const run = async (line: string, client: Any): Promise<Outcome | undefined> => {
    device.record(`$ ${line}`);
    const action = interpret(line.trim());
    if (!action) return { code: 127, stderr: `sh: ${line.split(" ")[0]}: not found\n` };
    const fault = await device.beginOperation();
    try {
      switch (fault) {
        case "drop":
        case "refuse":
          client.end();
          return undefined;
        case "hang":
          return undefined;
        case "garbage":
          // Bytes that are not SSH packets, on the connection itself.
          client._sock?.write(Buffer.from("\x00\x00\x00\x05garbage\xff\xfe", "latin1"));
          client._sock?.destroy();
          return undefined;
        case "error":
          return { code: 1, stderr: "sh: write error: Resource busy\n" };
        default:
          return action();
      }
    } finally {
      device.endOperation();
    }
  };

  const { port, hostkey, close } = await listenSsh(device, settings, (client: Any) => {
    client.on("authentication", (ctx: Any) => {
      const userOk = ctx.username === auth.username;
      if (ctx.method === "password" && auth.password !== undefined) {
        if (userOk && ctx.password === auth.password) return ctx.accept();
        device.record(`password refused for ${JSON.stringify(ctx.username)}`);
      } else if (ctx.method === "publickey" && allowed && userOk) {
        const same = ctx.key.algo === allowed.type &&
          Buffer.compare(ctx.key.data, allowed.getPublicSSH()) === 0;
        if (same && !ctx.signature) return ctx.accept(); // the "would you take this key" probe
        if (same && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
          return ctx.accept();
        }
        device.record(`key refused for ${JSON.stringify(ctx.username)}`);
      }
      ctx.reject([
        ...(auth.password !== undefined ? ["password"] : []),
        ...(allowed ? ["publickey"] : []),
      ]);
    });
    client.on("ready", () => {
      client.on("session", (accept: Any) => {
        const session = accept();
        session.on("pty", (ok: Any) => ok?.());
        session.on("exec", async (ok: Any, _reject: Any, info: { command: string }) => {
          const stream = ok();
          const outcome = await run(info.command, client);
          if (!outcome) return;
          if (outcome.stdout) stream.write(outcome.stdout);
          if (outcome.stderr) stream.stderr.write(outcome.stderr);
          stream.exit(outcome.code);
          stream.end();
        });
        session.on("shell", (ok: Any) => {
          const stream = ok();
          stream.write(prompt);
          let line = "";
          stream.on("data", async (data: Buffer) => {
            for (const ch of data.toString("latin1")) {
              if (ch !== "\r" && ch !== "\n") {
                line += ch;
                continue;
              }
              const command = line.trim();
              line = "";
              if (command === "") {
                stream.write(`\r\n${prompt}`);
              } else if (command === "exit") {
                stream.exit(0);
                stream.end();
                return;
              } else {
                const outcome = await run(command, client);
                if (!outcome) return;
                stream.write(`\r\n${(outcome.stdout ?? "") + (outcome.stderr ?? "")}${prompt}`);
              }
            }
          });
        });
      });
    });
  });
  return {
    kind,
    device,
    hostkey,
    address: { hostname: settings.hostname, port, transport: "tcp" },
    pduHostname: settings.hostname,
    pduConfig: () => ({ sshport: port, hostkey }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
