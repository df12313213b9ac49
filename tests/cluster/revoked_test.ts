/**
 * A running node that the NATS server starts refusing (its password changed and the server
 * reloaded): nats.js keeps reconnecting and is refused each time, and the server's reset of each
 * refused socket reaches Deno's node:net after nats.js has let go of it. The daemon, a real
 * process (a crash is an exit), must stay up, give up its PDU, answer 503 for it, and never log
 * the password.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_helpers/nats.ts";
import { spawnPdud } from "../_helpers/process.ts";
import { NATS_SERVER, SKIPPED } from "./_cluster.ts";

const PASSWORD = "s3cret-pdud-pass";
const CHANGED = "n3w-server-pass";
const users = (password: string) => [
  `authorization { users: [ { user: pdud, password: "${password}" } ] }`,
];

/** Refusals the node must survive before the test looks at it. */
const REFUSALS = 12;

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

Deno.test({
  name: "cluster: a node the NATS server refuses on reconnect (password changed) stays up, " +
    "gives up its PDU, answers 503 for it, and logs the refusal without the password" + SKIPPED,
  ignore: NATS_SERVER === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using nats = await startNatsServer(NATS_SERVER!, users(PASSWORD));
    const dir = await Deno.makeTempDir({ prefix: "pdud-revoked-" });
    try {
      const conf = `${dir}/pdud.json`;
      await Deno.writeTextFile(
        conf,
        JSON.stringify({
          // DEBUG: each refusal after the first is logged at debug, with its count.
          daemon: { hostname: "127.0.0.1", port: 0, shutdown_grace: 1, logging_level: "DEBUG" },
          cluster: {
            nats: [`nats://pdud:${PASSWORD}@127.0.0.1:${nats.port}`],
            name: `rv${crypto.randomUUID().slice(0, 6)}`,
            node: "a",
            lease_seconds: 3,
          },
          pdus: { s: { driver: "simulated", outlets: 4 } },
        }),
      );
      await using pdud = await spawnPdud(["--conf", conf]);
      let exited: Deno.CommandStatus | undefined;
      pdud.child.status.then((status) => (exited = status));
      await within(30_000, "PDU s owned", pdud.waitForLog((r) => r.msg === "PDU owned"));
      const power = async (command: string) => {
        const response = await fetch(
          `http://127.0.0.1:${pdud.port}/power/control/${command}?hostname=s&port=2`,
        );
        return { status: response.status, text: await response.text() };
      };
      assert.equal((await power("on")).status, 200);

      // The server drops the node's connection (its credentials no longer match) and refuses
      // every reconnect from now on.
      nats.reload(users(CHANGED));
      const lost = pdud.waitForLog((r) => r.msg === "PDU no longer owned" && r.pdu === "s");
      const refusals = pdud.waitForLog((r) =>
        r.msg === "the NATS server refused this node on reconnect" &&
        Number(r.refusals) >= REFUSALS
      );
      await within(
        30_000,
        `${REFUSALS} refusals and the lease given up (exit: ${JSON.stringify(exited)}; log: ${
          JSON.stringify(pdud.logs.slice(-8))
        })`,
        Promise.race([
          // Their output ends with the process: say how it ended.
          Promise.all([lost, refusals]).catch(async () => {
            throw new Error(`pdud ended while refused: ${JSON.stringify(await pdud.child.status)}`);
          }),
          pdud.child.status.then((status) => {
            throw new Error(`pdud ended while refused: ${JSON.stringify(status)}`);
          }),
        ]),
      );
      const first = pdud.logs.find((r) =>
        r.msg === "the NATS server refused this node on reconnect"
      )!;
      assert.equal(first.level, "warn", JSON.stringify(first));
      assert.match(String(first.error), /Authorization Violation/);

      // A definite refusal, at once, rather than a wait for the silence to run out.
      const started = performance.now();
      const answer = await power("off");
      assert.equal(answer.status, 503, answer.text);
      assert.match(answer.text, /lost its connection to NATS.*refuses it/);
      assert.ok(performance.now() - started < 3000, "the refusal took the silence's time");
      assert.equal(exited, undefined, "pdud ended");

      for (const record of pdud.logs) {
        assert.doesNotMatch(JSON.stringify(record), new RegExp(`${PASSWORD}|${CHANGED}`));
      }
      // The server's resets of refused sockets (stray errors, swallowed), once per 10 s at most.
      const stray = pdud.logs.filter((r) => String(r.msg).startsWith("NATS server closed"));
      assert.ok(stray.length <= 1, JSON.stringify(stray));
      for (const record of stray) assert.equal(record.level, "warn");
      assert.equal((await pdud.stop()).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
