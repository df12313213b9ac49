/**
 * pdud against a NATS server that requires TLS, as docs/cluster.md asks admins to run it between
 * hosts, with a lab's private CA (tests/_fixtures/nats-tls/README.md): a node given the CA joins
 * and switches; one without it is refused with a certificate error, and the process goes on; a
 * server that verifies clients refuses a node without a client certificate and admits one with.
 */
import assert from "node:assert/strict";
import { startNatsServer } from "../_helpers/nats.ts";
import { NATS_SERVER, natsTest, refused, startNode, switches } from "./_cluster.ts";

/** The test CA, the server's certificate (127.0.0.1, localhost) and a client certificate. */
const FIXTURES = new URL("../_fixtures/nats-tls/", import.meta.url).pathname;

/** A nats-server block serving the fixture certificate; `verify` requires client certificates. */
function tlsBlock(verify: boolean): string[] {
  return [
    "tls {",
    `  cert_file: "${FIXTURES}server.pem"`,
    `  key_file: "${FIXTURES}server-key.pem"`,
    `  ca_file: "${FIXTURES}ca.pem"`,
    `  verify: ${verify}`,
    "  timeout: 2",
    "}",
  ];
}

natsTest(
  "cluster tls: a node with cluster.tls.ca_file (relative to its config) joins a TLS server and switches; one without the CA is refused with a certificate error",
  async () => {
    await using nats = await startNatsServer(NATS_SERVER!, tlsBlock(false));
    const url = `tls://127.0.0.1:${nats.port}`;
    const name = `tls${crypto.randomUUID().slice(0, 6)}`;
    const dir = await Deno.makeTempDir({ prefix: "pdud-tls-" });
    try {
      await Deno.mkdir(`${dir}/pki`);
      await Deno.copyFile(`${FIXTURES}ca.pem`, `${dir}/pki/ca.pem`);
      await using good = await startNode(
        { nats: [url], name, node: "good", tls: { ca_file: "pki/ca.pem" } },
        dir,
      );
      await switches(good);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // Several times, with a tls:// URL and with a nats:// one and the section: a refused
    // handshake must be an error of the start, never an uncaught one ending the process.
    for (let i = 0; i < 3; i++) {
      assert.match(
        (await refused({ nats: [url], name, node: "nocafile" })).error.message,
        /cannot join cluster ".*": TLS: .*the NATS server's certificate could not be verified with the system's CAs \(set cluster\.tls\.ca_file\)/,
      );
    }
    assert.match(
      (await refused({
        nats: [nats.url],
        name,
        node: "wrongca",
        tls: { ca_file: `${FIXTURES}server.pem` },
      })).error.message,
      /TLS: .*could not be verified with cluster\.tls\.ca_file \(.*server\.pem\)/,
    );
  },
);

natsTest(
  "cluster tls: a server without TLS is refused when cluster.tls is given (nothing in the clear)",
  async () => {
    await using nats = await startNatsServer(NATS_SERVER!, []);
    assert.match(
      (await refused({ nats: [nats.url], node: "a", tls: { ca_file: `${FIXTURES}ca.pem` } }))
        .error.message,
      /cannot join cluster ".*": .*tls/i,
    );
  },
);

natsTest(
  "cluster tls: a server with verify: true refuses a node without a client certificate and admits one with cert_file and key_file",
  async () => {
    await using nats = await startNatsServer(NATS_SERVER!, tlsBlock(true));
    const url = `tls://127.0.0.1:${nats.port}`;
    const name = `mtls${crypto.randomUUID().slice(0, 6)}`;
    const caFile = `${FIXTURES}ca.pem`;
    // Several times: the server's alert comes after the client's side of the handshake (TLS 1.3),
    // to nobody or to nats.js's own listener, which would wait for its 20 s connect timeout;
    // either way it must fail the start at once, with the alert, and never end the process.
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      assert.match(
        (await refused({ nats: [url], name, node: "nocert", tls: { ca_file: caFile } })).error
          .message,
        /cannot join cluster ".*": TLS: .*: the NATS server (refused this node's client certificate \(none was given: |ended the connection after the TLS handshake; if it verifies clients \(tls \{ verify: true \}\), )set cluster\.tls\.cert_file and key_file/,
      );
      assert.ok(performance.now() - started < 10_000, "refused before nats.js's connect timeout");
    }
    await using good = await startNode({
      nats: [url],
      name,
      node: "cert",
      tls: {
        ca_file: caFile,
        cert_file: `${FIXTURES}client.pem`,
        key_file: `${FIXTURES}client-key.pem`,
      },
    });
    await switches(good);
  },
);

natsTest(
  "cluster tls: over TLS a wrong NATS password is still refused as such (not as a TLS failure)",
  async () => {
    await using nats = await startNatsServer(NATS_SERVER!, [
      ...tlsBlock(false),
      'authorization { users: [ { user: pdud, password: "right-Pa55word" } ] }',
    ]);
    const at = (password: string) => `tls://pdud:${password}@127.0.0.1:${nats.port}`;
    const tls = { "ca_file": `${FIXTURES}ca.pem` };
    const name = `tlsauth${crypto.randomUUID().slice(0, 6)}`;
    for (let i = 0; i < 3; i++) {
      assert.match(
        (await refused({ nats: [at("wrong-Pa55word")], name, node: "bad", tls })).error.message,
        /cannot join cluster ".*": Authorization Violation: the NATS server refused the user and password/,
      );
    }
    await using good = await startNode({ nats: [at("right-Pa55word")], name, node: "good", tls });
    await switches(good);
  },
);
