/**
 * The SSH front end of the APC console simulators, as a network management card with SSH
 * enabled behaves: password authentication is the login (no `User Name :` follows it; a third
 * wrong password and the card hangs up, as its telnet console does), then the console runs on
 * the session's shell channel, with or without a pty. The cards run no `exec` commands, so
 * ssh2 refuses those requests. Bytes go both ways unchanged: no IAC, no echo (the telnet
 * console does not echo either).
 * @module
 */
import { Buffer } from "node:buffer";
import type { SimulatedDevice } from "../kind.ts";
import { listenSsh } from "../ssh/ssh.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** A console listening on SSH. */
export interface SshConsoleServer {
  /** The bound port. */
  port: number;
  /** The host key's SHA256 fingerprint. */
  hostkey: string;
  /** An OpenSSH known_hosts file with the host key for this address, removed by close(). */
  knownHostsFile: string;
  /** Stops listening, drops every connection; safe twice. */
  close(): Promise<void>;
}

/**
 * Serves a console on SSH: after login, `banner` is written and `open` gives the function
 * that receives the client's bytes (in order, one call at a time).
 */
export async function serveConsoleOverSsh(
  device: SimulatedDevice,
  settings: { hostname: string; port: number },
  options: {
    username: string;
    password: string;
    banner: string;
    open(
      write: (text: string) => Promise<void>,
      hangUp: () => void,
    ): (bytes: Uint8Array) => Promise<void>;
  },
): Promise<SshConsoleServer> {
  const listener = await listenSsh(device, settings, (client: Any) => {
    let failures = 0;
    client.on("authentication", (ctx: Any) => {
      if (ctx.method !== "password") return ctx.reject(["password"]);
      if (ctx.username === options.username && ctx.password === options.password) {
        device.record(`login ${ctx.username}`);
        return ctx.accept();
      }
      device.record(`login refused for ${JSON.stringify(ctx.username)}`);
      ctx.reject(["password"]);
      if (++failures >= 3) client.end();
    });
    client.on("ready", () => {
      client.on("session", (accept: Any) => {
        const session = accept();
        session.on("pty", (ok: Any) => ok?.());
        session.on("window-change", (ok: Any) => ok?.());
        session.on("shell", (ok: Any) => {
          const stream = ok();
          let open = true;
          stream.on("close", () => open = false);
          const write = (text: string) => {
            if (open) stream.write(Buffer.from(text, "latin1"));
            return Promise.resolve();
          };
          const hangUp = () => {
            if (!open) return;
            open = false;
            stream.exit(0);
            stream.end();
            client.end();
          };
          void write(options.banner);
          const feed = options.open(write, hangUp);
          // ssh2 emits data while an earlier chunk is still being answered (a device latency,
          // a hang); the console must see its input in order, one line at a time.
          let queue = Promise.resolve();
          stream.on("data", (data: Buffer) => {
            queue = queue.then(() => open ? feed(new Uint8Array(data)) : undefined)
              .catch(hangUp);
          });
        });
      });
    });
  });

  let knownHostsFile: string;
  try {
    knownHostsFile = await Deno.makeTempFile({ prefix: "pdud-apc-ssh-", suffix: ".known_hosts" });
    // OpenSSH names a host on another port than 22 as [host]:port.
    const host = listener.port === 22
      ? settings.hostname
      : `[${settings.hostname}]:${listener.port}`;
    await Deno.writeTextFile(knownHostsFile, `${host} ${listener.hostPublicKey}\n`);
  } catch (error) {
    await listener.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  const file = knownHostsFile;
  const close = () =>
    closed ??= (async () => {
      await listener.close();
      await Deno.remove(file).catch(() => {});
    })();
  return { port: listener.port, hostkey: listener.hostkey, knownHostsFile, close };
}
