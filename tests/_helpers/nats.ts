/**
 * A loopback NATS cluster for tests: `count` nats-server processes (JetStream on, each with its
 * own store under a temporary directory) routed to each other, on free ports. Each server can
 * be stopped (a partition of that server: its clients fail over) and started again on the
 * same ports and store.
 */

/** Where Debian's nats-server package installs the server, or PATH. */
export async function natsServerPath(): Promise<string | undefined> {
  for (const path of ["/usr/bin/nats-server", "/usr/sbin/nats-server"]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not there
    }
  }
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", "command -v nats-server"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const path = new TextDecoder().decode(out.stdout).trim();
    return out.success && path ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A port nobody listens on right now (bound and released; the caller binds it next). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** One server of the cluster. */
export interface NatsServer {
  name: string;
  url: string;
  /** Whether its process runs. */
  readonly running: boolean;
  /** Stops it (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and store. */
  start(): Promise<void>;
}

/** A running loopback cluster. */
export interface NatsCluster extends AsyncDisposable {
  servers: NatsServer[];
  urls: string[];
}

/** Starts `count` routed nats-servers with JetStream and waits until each accepts clients. */
export async function startNatsCluster(binary: string, count = 3): Promise<NatsCluster> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-nats-" });
  const ports = Array.from({ length: count }, () => ({ client: freePort(), route: freePort() }));
  const servers: NatsServer[] = [];
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const conf = `${dir}/${name}.conf`;
    const routes = ports.filter((_, j) => j !== i).map((p) =>
      `"nats-route://127.0.0.1:${p.route}"`
    );
    await Deno.writeTextFile(
      conf,
      [
        `server_name: ${name}`,
        `listen: "127.0.0.1:${ports[i]!.client}"`,
        `jetstream { store_dir: "${dir}/${name}", max_mem: 64M, max_file: 256M }`,
        // no_advertise: a client knows only the servers it was given, so stopping them cuts it
        // off (a partition), instead of its moving to servers it learnt of.
        `cluster { name: pdudtest, no_advertise: true, listen: "127.0.0.1:${
          ports[i]!.route
        }", routes: [${routes.join(", ")}] }`,
      ].join("\n"),
    );
    let child: Deno.ChildProcess | undefined;
    const url = `nats://127.0.0.1:${ports[i]!.client}`;
    const server: NatsServer = {
      name,
      url,
      get running() {
        return child !== undefined;
      },
      async start() {
        if (child) return;
        child = new Deno.Command(binary, {
          args: ["-c", conf],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitForPort(ports[i]!.client);
      },
      async stop() {
        const running = child;
        if (!running) return;
        child = undefined;
        running.kill("SIGTERM");
        const timer = setTimeout(() => {
          try {
            running.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 3000);
        await running.status;
        clearTimeout(timer);
      },
    };
    servers.push(server);
  }
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((s) => s.stop()));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Resolves once something accepts connections on 127.0.0.1:port (at most 10 s). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A single nats-server (no routes) on a config of the caller's, and the folder it lives in. */
export interface SingleNatsServer extends AsyncDisposable {
  url: string;
  port: number;
  /** The server's temporary folder (its store is under it). */
  dir: string;
  /**
   * Rewrites the server's config with `lines` instead of the first ones and makes it reload
   * (SIGHUP): e.g. a changed password, after which the server closes its clients' connections.
   */
  reload(lines: string[]): void;
}

/**
 * Starts one nats-server with JetStream on a free port, `lines` added to its config (an
 * `authorization` block, operator mode: what a test of authentication needs), and waits until
 * it accepts connections.
 */
export async function startNatsServer(binary: string, lines: string[]): Promise<SingleNatsServer> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-nats-" });
  const port = freePort();
  const conf = `${dir}/server.conf`;
  const write = (extra: string[]) =>
    Deno.writeTextFileSync(
      conf,
      [
        `listen: "127.0.0.1:${port}"`,
        `jetstream { store_dir: "${dir}/store", max_mem: 64M, max_file: 256M }`,
        ...extra,
      ].join("\n"),
    );
  write(lines);
  const child = new Deno.Command(binary, {
    args: ["-c", conf],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const dispose = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPort(port);
  } catch (error) {
    await dispose();
    throw error;
  }
  const reload = (extra: string[]) => {
    write(extra);
    child.kill("SIGHUP");
  };
  return { url: `nats://127.0.0.1:${port}`, port, dir, reload, [Symbol.asyncDispose]: dispose };
}
