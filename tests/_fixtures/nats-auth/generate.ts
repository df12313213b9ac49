/**
 * Writes this folder's fixtures once: an operator, a system account, an account "PDUD" with
 * JetStream, and its user "pdud" limited to what docs/cluster.md says a node needs (cluster
 * "authjwt"). No JWT expires. Not run by tests (they read the files); run again only to replace
 * the keys:
 *
 *   deno run --no-lock --allow-write=. tests/_fixtures/nats-auth/generate.ts tests/_fixtures/nats-auth
 */
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "npm:@nats-io/jwt@0.0.11";
import { createAccount, createOperator, createUser } from "npm:@nats-io/nkeys@2.0.3";

const out = Deno.args[0] ?? ".";
const CLUSTER = "authjwt";

const operator = createOperator();
const system = createAccount();
const account = createAccount();
const user = createUser();

const unlimited = { subs: -1, data: -1, payload: -1 };
const accountLimits = { imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

const operatorJwt = await encodeOperator("pdud-test-operator", operator, {
  system_account: system.getPublicKey(),
});
const systemJwt = await encodeAccount("SYS", system, {
  limits: { ...unlimited, ...accountLimits },
}, { signer: operator });
const accountJwt = await encodeAccount("PDUD", account, {
  limits: {
    ...unlimited,
    ...accountLimits,
    mem_storage: -1,
    disk_storage: -1,
    streams: -1,
    consumer: -1,
  },
}, { signer: operator });
// Only the subjects docs/cluster.md lists: the test proves the list is enough.
const allow = [`pdud.${CLUSTER}.>`, "$JS.API.>", `$KV.pdud_${CLUSTER}_leases.>`, "_INBOX.>"];
const userJwt = await encodeUser("pdud", user, account, {
  pub: { allow, deny: [] },
  sub: { allow, deny: [] },
});

await Deno.writeTextFile(
  `${out}/server.conf`,
  [
    "# Operator mode for tests/cluster/auth_test.ts (written by generate.ts; see README.md).",
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    "resolver: MEMORY",
    "resolver_preload: {",
    `  ${system.getPublicKey()}: ${systemJwt}`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    "}",
    "",
  ].join("\n"),
);
await Deno.writeFile(`${out}/pdud.creds`, fmtCreds(userJwt, user));
