/**
 * Property-based tests (fast-check) over the three inputs pdud takes from outside: HTTP query
 * strings, legacy TCP payloads and config files. Whatever the input: a definite, well-formed
 * answer (or a ConfigError with paths), never a crash, never a half-loaded config.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { JobResult, PowerControl, SubmitRequest } from "../../actors/mod.ts";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { ConfigError, loadConfig } from "../../config/mod.ts";
import { createApp, legacyFrame, legacyLineToRequest } from "../../routes/mod.ts";

const RUNS = Number(Deno.env.get("PDUD_FUZZ_RUNS") ?? 300);

function fakeControl(submitted: SubmitRequest[]): PowerControl {
  return {
    submit(request) {
      submitted.push(request);
      const ok = request.pdu === "pdu1";
      return Promise.resolve<JobResult>(
        ok
          ? {
            status: "done",
            jobId: "j",
            pdu: request.pdu,
            outlet: request.command.outlet,
            state: "on",
            source: "commanded",
          }
          : {
            status: "refused",
            pdu: request.pdu,
            kind: "unknown_pdu",
            reason: `no PDU named "${request.pdu}"`,
          },
      );
    },
    resolveAlias: (a) => a === "alias1" ? { pdu: "pdu1", outlet: 1 } : undefined,
    resolveGroup: () => undefined,
    resolveGroupMembers: (g) => g === "group1" ? [{ pdu: "pdu1", outlet: 1 }] : undefined,
    listGroups: () => [],
    listAliases: () => [],
    snapshot: () => [],
    reload: () => ({ added: [], removed: [], changed: [] }),
    shutdown: () => Promise.resolve({ unfinished: [] }),
    stopping: false,
  };
}

const env = { transport: "http" as const, remote: { address: "127.0.0.1", port: 1 } };
const word = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "pdu1",
    "alias1",
    "group1",
    "1",
    "0",
    "-1",
    "65536",
    "99999999999",
    "1;touch x",
    "1e3",
    " 1",
    "%00",
    "on",
  ),
);

Deno.test(`fuzz: ${RUNS} random upstream queries get 200 or a one-line 503, never a crash`, async () => {
  const submitted: SubmitRequest[] = [];
  const app = createApp(fakeControl(submitted), { log: SILENT_LOGGER });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("on", "off", "reboot", "get-status", "get-port-state", "ON", "cycle", ""),
      fc.dictionary(
        fc.constantFrom("hostname", "port", "delay", "alias", "group", "extra", "x"),
        word,
        {
          maxKeys: 5,
        },
      ),
      async (command, query) => {
        const url = `http://h/power/control/${encodeURIComponent(command)}?${new URLSearchParams(
          query,
        )}`;
        const before = submitted.length;
        const response = await app.fetch(new Request(url), env);
        const body = await response.text();
        assert.ok([200, 404, 503].includes(response.status), `${url} → ${response.status}`);
        assert.ok(
          body.endsWith("\n") && body.indexOf("\n") === body.length - 1,
          `one line: ${JSON.stringify(body)}`,
        );
        if (response.status === 200) {
          const r = submitted[submitted.length - 1]!;
          assert.equal(submitted.length, before + 1);
          assert.ok(validOutlet(r.command.outlet), String(r.command.outlet));
        }
        // Nothing but an integer in range or a well-formed outlet name reaches the supervisor.
        for (const r of submitted.slice(before)) {
          assert.ok(validOutlet(r.command.outlet), String(r.command.outlet));
        }
      },
    ),
    { numRuns: RUNS },
  );
});

/** An outlet number 0-65535, or a name of [A-Za-z0-9._:-] beginning with a letter or digit. */
function validOutlet(outlet: number | string): boolean {
  return typeof outlet === "number"
    ? Number.isInteger(outlet) && outlet >= 0 && outlet <= 65535
    : /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(outlet) && !/^\d+$/.test(outlet);
}

Deno.test(`fuzz: ${RUNS} random legacy payloads become ack or nack, never a crash`, async () => {
  const submitted: SubmitRequest[] = [];
  const app = createApp(fakeControl(submitted), { log: SILENT_LOGGER });
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => new TextDecoder().decode(b)),
        fc.array(word, { maxLength: 6 }).map((w) => w.join(" ")),
        fc.string({ maxLength: 200 }),
      ),
      async (line) => {
        legacyFrame(line); // must not throw on anything
        legacyFrame(line, true);
        const response = await app.fetch(legacyLineToRequest(line), {
          ...env,
          transport: "legacy-tcp",
        });
        assert.ok(
          [200, 404, 503].includes(response.status),
          `${JSON.stringify(line)} → ${response.status}`,
        );
        await response.body?.cancel();
      },
    ),
    { numRuns: RUNS },
  );
});

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    new URL("../_fixtures/upstream-pdudaemon.conf", import.meta.url),
  ),
);

/** A random edit of a JSON value at a random path. */
const mutation = fc.record({
  path: fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }),
  value: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer({ min: -5, max: 100000 }),
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant({}),
    fc.constant([]),
  ),
});

function mutate(root: unknown, path: number[], value: unknown): unknown {
  const copy = structuredClone(root);
  let node = copy as Record<string, unknown>;
  for (let i = 0; i < path.length; i++) {
    if (typeof node !== "object" || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[path[i]! % keys.length]!;
    if (i === path.length - 1 || typeof node[key] !== "object" || node[key] === null) {
      if (value === undefined) delete node[key];
      else node[key] = value;
      break;
    }
    node = node[key] as Record<string, unknown>;
  }
  return copy;
}

Deno.test(`fuzz: ${RUNS} mutated upstream configs load whole or are refused with paths`, async () => {
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      async (edits, asText) => {
        let config: unknown = FIXTURE;
        for (const e of edits) config = mutate(config, e.path, e.value);
        const source = asText ? JSON.stringify(config, null, 2).slice(0, 100000) : config;
        try {
          const loaded = await loadConfig(source);
          // Loaded means whole: every PDU of the input is there, every alias points at a PDU.
          const input = (config as { pdus?: Record<string, unknown> }).pdus ?? {};
          assert.deepEqual(Object.keys(loaded.pdus).sort(), Object.keys(input).sort());
          for (const a of Object.values(loaded.aliases)) assert.ok(a.hostname in loaded.pdus);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          refused++;
          assert.ok(error.issues.length > 0);
          for (const issue of error.issues) assert.ok(issue.message.length > 0);
        }
      },
    ),
    { numRuns: RUNS },
  );
  assert.ok(refused > 0, "the mutations produced invalid configs too");
});
