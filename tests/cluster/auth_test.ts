/**
 * pdud against a NATS server that requires authentication, as docs/cluster.md asks admins to run
 * it: a node with the right user and password (in the URL) joins, owns its PDU and switches it;
 * one with a wrong password does not start, and neither its error nor its log shows the password.
 */
import assert from "node:assert/strict";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { natsServers } from "../../cluster/node.ts";
import { startNatsServer } from "../_helpers/nats.ts";
import { NATS_SERVER, natsTest, refused, startNode, switches, until } from "./_cluster.ts";

const PASSWORD = "s3cret-pdud-pass";

/** The operator-mode server config and the user's .creds (tests/_fixtures/nats-auth/README.md). */
const FIXTURES = new URL("../_fixtures/nats-auth/", import.meta.url).pathname;

/** The cluster name the fixture user may use (its permissions name it). */
const JWT_CLUSTER = "authjwt";

natsTest(
  "cluster auth: a node with the NATS user and password in its URL joins and switches; a wrong password is refused as such, without the password",
  async () => {
    await using nats = await startNatsServer(NATS_SERVER!, [
      `authorization { users: [ { user: pdud, password: "${PASSWORD}" } ] }`,
    ]);
    const at = (password: string) => `nats://pdud:${password}@127.0.0.1:${nats.port}`;
    const name = `auth${crypto.randomUUID().slice(0, 6)}`;

    await using good = await startNode({ nats: [at(PASSWORD)], name, node: "good" });
    await switches(good);

    const wrong = "wrong-Pa55word";
    // Several times: the server's reset of a refused socket, unguarded, ends the process only
    // now and then (nats.js lets go of the socket before Deno reports the reset).
    for (let i = 0; i < 5; i++) {
      const { error, lines } = await refused({ nats: [at(wrong)], name, node: "bad" });
      assert.match(
        error.message,
        /cluster\.nats: cannot join cluster ".*": Authorization Violation: the NATS server refused the user and password/,
      );
      for (const text of [error.message, ...lines.map((l) => JSON.stringify(l))]) {
        assert.doesNotMatch(text, new RegExp(`${wrong}|${PASSWORD}`));
      }
    }
    // No password at all: refused the same way.
    const none = await refused({ nats: [nats.url], name, node: "none" });
    assert.match(none.error.message, /Authorization Violation: .* a client without credentials/);
  },
);

Deno.test("cluster auth: user information is taken out of the NATS URLs, decoded, and must be the same in each", () => {
  assert.deepEqual(
    natsServers(["nats://pdud:p%40ss%3Aw@a:4222", "tls://pdud:p%40ss%3Aw@b:4222", "nats://c:4222"]),
    {
      servers: ["nats://a:4222", "tls://b:4222", "nats://c:4222"],
      auth: { user: "pdud", pass: "p@ss:w" },
    },
  );
  assert.deepEqual(natsServers(["nats://s3cr3t-token@a:4222"]), {
    servers: ["nats://a:4222"],
    auth: { token: "s3cr3t-token" },
  });
  assert.deepEqual(natsServers(["nats://a:4222"]), { servers: ["nats://a:4222"], auth: {} });
  assert.throws(
    () => natsServers(["nats://pdud:one-secret@a:4222", "nats://pdud:two-secret@b:4222"]),
    (error: Error) => {
      assert.match(
        error.message,
        /nats:\/\/b:4222 and nats:\/\/a:4222 carry different user information/,
      );
      assert.doesNotMatch(error.message, /secret/);
      return true;
    },
  );
});

natsTest(
  "cluster auth: in operator mode, a node with a .creds file (a path relative to its config) joins and switches with only the permissions docs/cluster.md lists; one without is refused",
  async () => {
    const conf = await Deno.readTextFile(`${FIXTURES}server.conf`);
    await using nats = await startNatsServer(NATS_SERVER!, conf.split("\n"));
    const dir = await Deno.makeTempDir({ prefix: "pdud-auth-" });
    try {
      await Deno.mkdir(`${dir}/secrets`);
      await Deno.copyFile(`${FIXTURES}pdud.creds`, `${dir}/secrets/pdud.creds`);
      const cluster = { nats: [nats.url], name: JWT_CLUSTER };
      await using node = await startNode(
        { ...cluster, node: "creds", credentials: "secrets/pdud.creds" },
        dir,
      );
      await switches(node);
      // A second node forwards to the owner: request/reply on the cluster's subjects works too.
      await using other = await startNode(
        { ...cluster, node: "other", credentials: `${dir}/secrets/pdud.creds` },
      );
      await until(30_000, () => Promise.resolve(other.cluster!.ownerOf("s") === "creds"));
      const response = await fetch(
        `http://127.0.0.1:${other.listeners.port}/power/control/on?hostname=s&port=3`,
      );
      assert.equal(response.status, 200, await response.text());
      assert.equal(node.cluster!.snapshot().find((p) => p.name === "s")?.outlets["3"]?.state, "on");
      // The permissions hold: the user may not subscribe outside them (another cluster's name).
      const nc = await connect({
        servers: [nats.url],
        authenticator: credsAuthenticator(await Deno.readFile(`${FIXTURES}pdud.creds`)),
      });
      try {
        const denied = await nc.subscribe("pdud.another.>").closed;
        assert.match(
          String(denied),
          /Permissions Violation for Subscription to "pdud\.another\.>"/,
        );
      } finally {
        await nc.close();
      }

      const seed = (await Deno.readTextFile(`${FIXTURES}pdud.creds`)).match(/SU[A-Z0-9]{56}/)?.[0];
      assert.ok(seed, "the fixture holds a user seed");
      const { error, lines } = await refused({ ...cluster, node: "anonymous" }, dir);
      assert.match(
        error.message,
        /cannot join cluster "authjwt": Authorization Violation: .* a client without credentials/,
      );
      for (const text of [error.message, ...lines.map((l) => JSON.stringify(l))]) {
        assert.doesNotMatch(text, new RegExp(seed));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
