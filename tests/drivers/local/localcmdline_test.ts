/**
 * localcmdline and the process runner under it: a hung command is killed with its whole process
 * group and settles as a timeout; output is kept as a bounded tail; a failure names the program
 * and its exit status, never the command line.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { KEEP_BYTES, runProcess } from "../../../drivers/_transport/process.ts";
import { memoryLogger } from "../../_helpers/log.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

function localcmdline(options: Record<string, unknown>) {
  const descriptor = findDriver("localcmdline")!;
  const parsed = descriptor.options.parse(options);
  return descriptor.create("cmd", { options: parsed, log: memoryLogger() });
}

/** The process group of `pid` and its state letter, or undefined when it is gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes in process group `pgrp`. */
function liveMembers(pgrp: number): number[] {
  const members: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = procStat(Number(entry.name));
    if (stat && stat.pgrp === pgrp && stat.state !== "Z") members.push(Number(entry.name));
  }
  return members;
}

/**
 * Waits until `done()` holds, or ~2 s of looking: SIGKILL reaches a group at once, but the kernel
 * may take a moment to end its processes. The caller asserts afterwards.
 */
async function settled(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether process `pid` has ended (gone, or a zombie). */
function ended(pid: number): boolean {
  const stat = procStat(pid);
  return stat === undefined || stat.state === "Z";
}

/** Settles with `promise`, or rejects after `ms` (a real timer: the child is a real process). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a hung command (a shell waiting on its child) is killed with its whole group and settles as a timeout", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/child`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  // The shell starts a child that inherits its output pipes, tells the test the child's pid,
  // and waits: killing only the shell would leave the child holding the pipes.
  const driver = localcmdline({ "cmd_on": `sleep 30 & echo $! > ${fifo}; wait` });
  const controller = new AbortController();
  const operation = driver.setOutlet(1, "on", { signal: controller.signal });
  operation.catch(() => {});
  const childPid = Number((await Deno.readTextFile(fifo)).trim());
  const group = procStat(childPid)!.pgrp;
  assert.notEqual(group, procStat(Deno.pid)!.pgrp, "the command runs in a group of its own");
  controller.abort(new Error("timed out after 500 ms"));
  // Bounded generously: on a loaded machine the point is that it settles (without the group
  // kill it never does: the child holds the pipes for 30 s), not how fast.
  const error = await within(operation.then(() => undefined, (e) => e), 10_000, "setOutlet");
  assert.ok(error instanceof DriverError, `a DriverError, not ${error}`);
  assert.equal(error.kind, "timeout");
  assert.equal(error.permanent, false);
  await settled(() => liveMembers(group).length === 0);
  assert.deepEqual(liveMembers(group), [], "no process of the command's group is left");
  await driver.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("100 MB of output is kept as a 64 KiB tail, not buffered whole", async () => {
  // What is kept is asserted, not the process's RSS: test files run side by side in one process
  // (deno test --parallel), so RSS here measures the neighbours too.
  const result = await runProcess(
    "/bin/sh",
    ["-c", "head -c 100000000 /dev/zero; echo; echo the last line"],
    { signal: new AbortController().signal, what: "printing a lot" },
  );
  assert.equal(result.success, true);
  assert.equal(result.bytes, 100_000_000 + "\nthe last line\n".length);
  assert.ok(result.stdout.length <= KEEP_BYTES, `kept ${result.stdout.length} bytes`);
  assert.match(result.stdout, /the last line\n$/);
});

Deno.test("a command that exits while a background child keeps its pipes open still settles", async () => {
  const result = await within(
    runProcess("/bin/sh", ["-c", "sleep 5 & echo started"], {
      signal: new AbortController().signal,
      what: "a command with a background child",
    }),
    2000,
    "runProcess",
  );
  assert.equal(result.success, true);
  assert.equal(result.stdout, "started\n");
});

Deno.test("runProcess adds env variables to the inherited environment, outside the argv", async () => {
  const result = await runProcess(
    "/bin/sh",
    ["-c", 'printf "%s|%s" "$PDUD_TEST_SECRET" "$PATH"'],
    {
      signal: new AbortController().signal,
      what: "a command reading its environment",
      env: { PDUD_TEST_SECRET: "from-env-3f2a" },
    },
  );
  assert.equal(result.success, true);
  assert.equal(result.stdout, `from-env-3f2a|${Deno.env.get("PATH") ?? ""}`);
});

Deno.test("a failed command is named by its key, program and exit status, never its command line", async () => {
  const canary = "canary-cmd-password-8d1f";
  const driver = localcmdline({
    "cmd_on":
      `/usr/bin/env curl-does-not-matter=1 sh -c 'echo "login as admin:${canary} refused" >&2; exit 3' --password ${canary}`,
    "cmd_off": `printf '\\033[31mred\\033]0;title\\007 \\001done\\n' >&2; exit 4`,
  });
  const failure = await driver.setOutlet(2, "on", { signal: new AbortController().signal }).then(
    () => assert.fail("must fail"),
    (e) => e as DriverError,
  );
  assert.equal(failure.kind, "device");
  // What the command printed is shown, but none of the command's own words (the canary).
  assert.match(failure.message, /^cmd_on \(env\) exited with status 3: \*\*\* as \*\*\*/);
  assert.ok(!failure.message.includes(canary), failure.message);
  const escapes = await driver.setOutlet(2, "off", { signal: new AbortController().signal })
    .then(() => assert.fail("must fail"), (e) => e as DriverError);
  assert.equal(escapes.message, "cmd_off (printf) exited with status 4: red \\x01done");
});

Deno.test("a shell that does not exist is a config error naming it", async () => {
  const driver = localcmdline({ "cmd_on": "true", shell: "/nonexistent/sh" });
  const error = await driver.setOutlet(1, "on", { signal: new AbortController().signal }).then(
    () => assert.fail("must fail"),
    (e) => e as DriverError,
  );
  assert.equal(error.kind, "config");
  assert.match(error.message, /cannot run \/nonexistent\/sh/);
});

Deno.test("through the daemon: a hung command is a timeout, retried as configured, not a crash; nothing is left running", async () => {
  const dir = await Deno.makeTempDir();
  const pids = `${dir}/pids`;
  await using d = await startDaemon({
    pdus: {
      hung: {
        driver: "localcmdline",
        "cmd_on": `sleep 30 & echo $! >> ${pids}; wait`,
        "cmd_off": "true",
        timeout: 0.3,
        retries: 2,
        retrydelay: 0,
      },
    },
  });
  const first = await control(d, "on", { hostname: "hung", port: 1 });
  assert.equal(first.status, 503);
  assert.match(first.body, /no answer within 300 ms/);
  assert.match(first.body, /attempt 2 of 2/);
  assert.doesNotMatch(first.body, /did not settle|crash|internal/i);
  // The PDU still works: the next job runs rather than meeting a failed PDU.
  const off = await control(d, "off", { hostname: "hung", port: 1 });
  assert.equal(off.status, 200, off.body);
  const started2 = (await Deno.readTextFile(pids)).trim().split("\n").map(Number);
  assert.equal(started2.length, 2, "one child per attempt");
  await settled(() => started2.every(ended));
  for (const pid of started2) assert.ok(ended(pid), `sleep ${pid} is still running`);
  await Deno.remove(dir, { recursive: true });
});
