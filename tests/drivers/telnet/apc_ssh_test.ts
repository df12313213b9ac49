/**
 * The APC consoles on SSH (`transport: ssh`), driven by ssh2's client so they are checked where
 * OpenSSH and fence-agents are not installed (tests/e2e/fence_agents_test.ts runs the real
 * `fence_apc --ssh`): SSH's password login, the same menus and command line as on telnet, the
 * fault knobs, the known_hosts file and the pdud config `pdud simulate` prints.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import type { Simulator } from "../../../simulators/mod.ts";
import { startSimulator } from "../../_helpers/conformance.ts";

type SshSimulator = Simulator & { hostkey: string; knownHostsFile: string };

async function startSsh(
  kind: "apc-telnet" | "apc-cli",
  options: Record<string, unknown> = {},
): Promise<SshSimulator> {
  const sim = await startSimulator(kind, { outlets: 4 }, { ...options, transport: "ssh" });
  return sim as SshSimulator;
}

function fingerprint(key: Uint8Array): string {
  return "SHA256:" + crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** An interactive shell on the simulator, read as Latin-1 text. */
interface Shell {
  /** Resolves with what arrived since the last expect, once it matches `pattern`. */
  expect(pattern: RegExp): Promise<string>;
  send(text: string): void;
  /** Resolves when the connection has ended, with whatever arrived meanwhile. */
  closed: Promise<string>;
  end(): void;
}

/** Logs in (checking the host key the simulator reports) and opens a shell, with a pty or not. */
async function shell(
  sim: SshSimulator,
  login: { username?: string; password?: string; pty?: boolean } = {},
): Promise<Shell> {
  const { default: ssh2 } = await import("ssh2");
  const client = new ssh2.Client();
  let text = "";
  let waiter: (() => void) | undefined;
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => ended = resolve);
  client.on("close", () => {
    ended();
    waiter?.();
  });
  client.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    client.once("ready", resolve);
    client.once("close", () => reject(new Error("the connection ended before login")));
    client.connect({
      host: "127.0.0.1",
      port: sim.address.port,
      username: login.username ?? "apc",
      password: login.password ?? "apc",
      hostVerifier: (key: Buffer) => fingerprint(key) === sim.hostkey,
    });
  });
  const stream = await new Promise<{ write(b: Buffer): void; on: typeof client.on }>(
    (resolve, reject) =>
      client.shell(
        login.pty === false ? false : {},
        (error: Error | undefined, s: never) => error ? reject(error) : resolve(s),
      ),
  );
  stream.on("data", (data: Buffer) => {
    text += data.toString("latin1");
    waiter?.();
  });
  let isClosed = false;
  void closed.then(() => isClosed = true);
  return {
    async expect(pattern) {
      const signal = AbortSignal.timeout(5000);
      while (!pattern.test(text)) {
        if (isClosed) throw new Error(`closed before ${pattern}; got ${JSON.stringify(text)}`);
        if (signal.aborted) throw new Error(`no ${pattern} in ${JSON.stringify(text)}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
      const seen = text;
      text = "";
      return seen;
    },
    send: (t) => stream.write(Buffer.from(t, "latin1")),
    closed: closed.then(() => text),
    end: () => client.end(),
  };
}

const PROMPT = /\r\n> $/;

Deno.test("apc-telnet on SSH: the password login leads straight to the menus, which switch an outlet", async () => {
  await using sim = await startSsh("apc-telnet", { model: "apc7952", password: "s3cret pass" });
  const term = await shell(sim, { password: "s3cret pass" });
  assert.match(await term.expect(PROMPT), /American Power Conversion[\s\S]*4- Logout/);
  assert.equal(sim.device.received[0]?.text, "login apc");
  // Device Manager, Outlet Management, Outlet Control/Configuration, Outlet 3, Control Outlet.
  for (const choice of ["1", "2", "1", "3", "1"]) {
    term.send(`${choice}\r\n`);
    await term.expect(PROMPT);
  }
  term.send("1\r\n");
  assert.match(await term.expect(/cancel : $/), /immediately turn on outlet 3/);
  term.send("YES\r\n");
  await term.expect(/Command successfully issued/);
  assert.equal(sim.device.get(3), "on");
  assert.deepEqual(sim.device.history, [[3, "on"]]);
  // CTRL-C goes back to the Control Console; its Logout ends the SSH connection.
  term.send("\r\n\x03");
  assert.match(await term.expect(/4- Logout[\s\S]*> $/), /Control Console/);
  term.send("4\r\n");
  assert.match(await term.closed, /Connection Closed - Bye/);
});

Deno.test("apc-cli on SSH: raw bytes in, and the fault knobs act on the command they hit", async (t) => {
  await using sim = await startSsh("apc-cli");
  const open = async () => {
    const term = await shell(sim, { pty: false });
    await term.expect(/v6\.8\.2[\s\S]*apc>$/);
    return term;
  };

  await t.step("error: the console's error reply, the outlet untouched", async () => {
    const term = await open();
    sim.device.fault = "error";
    term.send("olOn 1\r\n");
    assert.match(await term.expect(/apc>$/), /E200: Input Error/);
    assert.equal(sim.device.get(1), "off");
    term.end();
    await term.closed;
  });

  await t.step("garbage: bytes that are no term reply", async () => {
    const term = await open();
    sim.device.fault = "garbage";
    term.send("olOn 1\r\n");
    assert.equal(await term.expect(/garbage\r\n$/), "\x00\x13\xfe\x7f garbage\r\n");
    term.end();
    await term.closed;
  });

  await t.step(
    "hang: no answer to the command, the term still reads the next line",
    async () => {
      const term = await open();
      sim.device.fault = "hang";
      term.send("olOn 1\r\n\r\n");
      assert.equal(await term.expect(/apc>$/), "\r\napc>");
      assert.equal(sim.device.get(1), "off");
      term.end();
      await term.closed;
    },
  );

  await t.step("drop: the connection ends without an answer", async () => {
    const term = await open();
    sim.device.fault = "drop";
    term.send("olOn 1\r\n");
    assert.equal(await term.closed, "");
    assert.equal(sim.device.get(1), "off");
  });

  await t.step("refuse: the connection ends before the SSH banner, nobody logs in", async () => {
    sim.device.fault = "refuse";
    const before = sim.device.received.length;
    await assert.rejects(shell(sim), /the connection ended before login/);
    assert.equal(sim.device.received.length, before);
  });

  await t.step("none: a 0xff byte is a character, not telnet's IAC", async () => {
    sim.device.fault = "none";
    const term = await open();
    term.send("olOn \xff1\r\n");
    assert.match(await term.expect(/apc>$/), /E102: Parameter Error/);
    assert.equal(sim.device.received.at(-1)?.text, "< olOn \xff1");
    term.end();
    await term.closed;
  });

  await t.step("none again: the command is carried out", async () => {
    sim.device.fault = "none";
    const term = await open();
    term.send("olOn 1,3\r\nolStatus all\r\n");
    assert.match(await term.expect(/ 4: Outlet 4: Off\r\n\r\napc>$/), / 3: Outlet 3: On\r\n/);
    assert.deepEqual(sim.device.history, [[1, "on"], [3, "on"]]);
    term.end();
    await term.closed;
  });
});

Deno.test("apc consoles on SSH: a wrong password is refused, and the third ends the connection", async () => {
  await using sim = await startSsh("apc-cli");
  const { default: ssh2 } = await import("ssh2");
  const client = new ssh2.Client();
  const wrong = { type: "password", username: "apc", password: "nope" };
  const outcome = new Promise<string>((resolve) => {
    client.on("ready", () => resolve("logged in"));
    client.on("error", (error: Error) => resolve(error.message));
    client.on("close", () => resolve("closed"));
  });
  client.connect({
    host: "127.0.0.1",
    port: sim.address.port,
    username: "apc",
    // A fourth attempt the simulator must never see.
    authHandler: [wrong, wrong, wrong, wrong],
    hostVerifier: () => true,
  });
  assert.notEqual(await outcome, "logged in");
  client.end();
  assert.deepEqual(
    sim.device.received.map((r) => r.text),
    Array(3).fill('login refused for "apc"'),
  );
});

Deno.test("apc consoles on SSH: a command is refused as exec, the cards have only the shell", async () => {
  await using sim = await startSsh("apc-cli");
  const { default: ssh2 } = await import("ssh2");
  const client = new ssh2.Client();
  client.on("error", () => {});
  await new Promise<void>((resolve) => {
    client.once("ready", resolve);
    client.connect({
      host: "127.0.0.1",
      port: sim.address.port,
      username: "apc",
      password: "apc",
      hostVerifier: (key: Buffer) => fingerprint(key) === sim.hostkey,
    });
  });
  try {
    const refused = await new Promise<Error | undefined>((resolve) =>
      client.exec("olOn 1", (error: Error | undefined) => resolve(error))
    );
    assert.ok(refused instanceof Error, "exec is refused");
    assert.equal(sim.device.get(1), "off");
    assert.deepEqual(sim.device.received.map((r) => r.text), ["login apc"]);
  } finally {
    client.end();
  }
});

Deno.test("apc consoles on SSH: a known_hosts file for OpenSSH, and a pdud config running fence_apc --ssh", async () => {
  const sim = await startSsh("apc-cli", { username: "lab user", password: "it's 100%" });
  try {
    const [host, type, key, ...rest] = (await Deno.readTextFile(sim.knownHostsFile)).split(/\s+/);
    assert.equal(host, `[127.0.0.1]:${sim.address.port}`);
    assert.equal(type, "ssh-ed25519");
    assert.equal(fingerprint(Buffer.from(key!, "base64")), sim.hostkey);
    assert.deepEqual(rest, [""]);

    const config = sim.pduConfig() as Record<string, string>;
    assert.equal(config.driver, "localcmdline");
    const common = `/usr/sbin/fence_apc --ssh --ip='127.0.0.1' --ipport=${sim.address.port} ` +
      `--username='lab user' --password='it'\\''s 100%%' --ssh-options='-F /dev/null ` +
      `-o UserKnownHostsFile=${sim.knownHostsFile} -o GlobalKnownHostsFile=/dev/null ` +
      `-o StrictHostKeyChecking=yes' --plug=%d`;
    assert.equal(config["cmd_on"], `${common} --action=on`);
    assert.equal(config["cmd_off"], `${common} --action=off`);
  } finally {
    await sim.close();
  }
  await assert.rejects(Deno.stat(sim.knownHostsFile), Deno.errors.NotFound);
});

Deno.test("apc consoles: telnet stays the default transport, with pdud's own driver in the config", async () => {
  await using sim = await startSimulator("apc-cli", { outlets: 4 });
  assert.equal(sim.pduConfig().driver, "apc8959");
  assert.equal(sim.pduConfig().telnetport, sim.address.port);
  assert.equal("knownHostsFile" in sim, false);
});
