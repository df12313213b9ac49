/**
 * The logger (issue 14.6): JSON lines or human-readable text, a level that reload can change for
 * every child at once, and secret values scrubbed from every line as a second line of defence.
 */
import assert from "node:assert/strict";
import { createLogger, SCRUBBED } from "../../actors/mod.ts";

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

function capture(format?: "json" | "text") {
  const lines: string[] = [];
  const log = createLogger({
    level: "info",
    write: (l) => lines.push(l),
    now: () => T0,
    ...(format ? { format } : {}),
  });
  return { lines, log };
}

Deno.test("createLogger() writes JSON lines by default", () => {
  const { lines, log } = capture();
  log.info("pdud listening", { port: 16421 });
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.678Z",
    level: "info",
    msg: "pdud listening",
    port: 16421,
  });
});

Deno.test("format text: time, level, message, then key=value with quoted values where needed", () => {
  const { lines, log } = capture("text");
  log.warn("job refused", { pdu: "apc01", outlet: 3, reason: "queue is full", ok: false });
  assert.equal(
    lines[0],
    '2026-01-02T03:04:05.678Z WARN  job refused pdu=apc01 outlet=3 reason="queue is full" ok=false',
  );
});

Deno.test("format text shows control bytes escaped, never raw (terminal escapes)", () => {
  const { lines, log } = capture("text");
  log.info("device said \x1b[2J", { reply: "\x1b]0;owned\x07" });
  assert.ok([...lines[0]!].every((c) => c.charCodeAt(0) >= 0x20), JSON.stringify(lines[0]));
  assert.match(lines[0]!, /device said \\u001b\[2J reply="\\u001b\]0;owned\\u0007"/);
});

Deno.test("setLevel() changes the level of the logger and of children made before", () => {
  const { lines, log } = capture();
  const child = log.child({ pdu: "apc01" });
  child.debug("hidden");
  log.setLevel("debug");
  assert.equal(log.level, "debug");
  child.debug("shown");
  log.setLevel("error");
  child.warn("hidden too");
  assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["shown"]);
});

Deno.test("setSecrets() replaces each value in message and fields at any depth, in both formats", () => {
  for (const format of ["json", "text"] as const) {
    const { lines, log } = capture(format);
    log.setSecrets(["canary-community-1", 's3cr"et\\pass']);
    const child = log.child({ driver: "snmpv1 canary-community-1" });
    child.error("wrong community canary-community-1 for apc01", {
      error: new Error("snmp: community canary-community-1 refused"),
      nested: { list: ["x", 's3cr"et\\pass'], note: "ok" },
    });
    const line = lines[0]!;
    assert.ok(!line.includes("canary-community-1"), line);
    assert.ok(!line.includes("s3cr"), line);
    assert.ok(line.includes(SCRUBBED), line);
    if (format === "json") {
      const record = JSON.parse(line);
      assert.equal(record.msg, "wrong community *** for apc01");
      assert.equal(record.error, "snmp: community *** refused");
      assert.deepEqual(record.nested, { list: ["x", "***"], note: "ok" });
      assert.equal(record.driver, "snmpv1 ***");
    }
  }
});

Deno.test("setSecrets() replaces the earlier list, scrubs numbers that hold one, skips tiny values", () => {
  const { lines, log } = capture();
  log.setSecrets(["123456789", "ab"]);
  log.info("first", { pin: 123456789, word: "about", at: new Date(T0) });
  log.setSecrets([]);
  log.info("second 123456789");
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.678Z",
    level: "info",
    msg: "first",
    pin: "***",
    word: "about",
    at: "2026-01-02T03:04:05.678Z",
  });
  assert.equal(JSON.parse(lines[1]!).msg, "second 123456789");
});

Deno.test("a longer secret that contains a shorter one is replaced whole", () => {
  const { lines, log } = capture();
  log.setSecrets(["pass", "password-longer"]);
  log.info("password-longer");
  assert.equal(JSON.parse(lines[0]!).msg, "***");
});
