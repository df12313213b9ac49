/**
 * GET /api/v1/events: what the stream says about jobs, outlets and PDUs, Last-Event-ID resume
 * from the ring, bounded subscribers, and access control — through app.request with a fake
 * driver and a manual clock, and once through a real daemon on 127.0.0.1:0.
 */
import assert from "node:assert/strict";
import {
  createSupervisor,
  EventHub,
  type EventHubOptions,
  SILENT_LOGGER,
  type Supervisor,
} from "../../actors/mod.ts";
import { loadConfig, type PduConfig } from "../../config/mod.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { AccessControl, createApp } from "../../routes/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { fakeConfig, FakeDevice, fakePdu } from "../_helpers/fake_driver.ts";
import { startDaemon } from "../_helpers/daemon.ts";
import { startDaemon as startRaw } from "../../daemon/mod.ts";

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads SSE events from a response body, one at a time. */
class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #text = "";
  /** Everything read, comments included. */
  raw = "";

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  /** The next event, or null at the end of the stream. */
  async next(): Promise<SseEvent | null> {
    while (true) {
      const end = this.#text.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        const lines = block.split("\n").filter((l) => !l.startsWith(":"));
        if (lines.length === 0) continue;
        const field = (name: string) =>
          lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const id = field("id");
        return {
          ...(id ? { id } : {}),
          event: field("event") ?? "message",
          data: JSON.parse(field("data") ?? "{}"),
        };
      }
      const { done, value } = await this.#reader.read();
      if (done) return null;
      const chunk = this.#decoder.decode(value, { stream: true });
      this.raw += chunk;
      this.#text += chunk;
    }
  }

  /** The next `n` events. */
  async take(n: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = await this.next();
      if (!e) throw new Error(`stream ended after ${out.length} of ${n} events`);
      out.push(e);
    }
    return out;
  }

  /** Events up to and including the first of `type`. */
  async until(type: string): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    while (true) {
      const e = await this.next();
      if (!e) throw new Error(`stream ended before "${type}": ${JSON.stringify(out)}`);
      out.push(e);
      if (e.event === type) return out;
    }
  }

  /** Every event until the stream ends. */
  async rest(): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (let e = await this.next(); e; e = await this.next()) out.push(e);
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

function setup(
  pdus: PduConfig[] = [fakePdu("p")],
  hubOptions: EventHubOptions = {},
  access?: AccessControl,
) {
  const clock = new ManualClock();
  const device = new FakeDevice();
  const events = new EventHub({ clock, boot: "t1", wallClock: () => 0, ...hubOptions });
  const config = fakeConfig(pdus);
  const supervisor = createSupervisor(config, {
    clock,
    log: SILENT_LOGGER,
    findDriver: () => device.descriptor(),
    abortGraceMs: 1000,
    backoff: { initialMs: 30_000, maxMs: 600_000 },
    random: () => 0.5,
    events,
  });
  const app = createApp(supervisor, { log: SILENT_LOGGER, events, ...(access ? { access } : {}) });
  const env = (address = "127.0.0.1") => ({
    transport: "http" as const,
    remote: { address, port: 40000 },
  });
  const subscribe = async (headers: Record<string, string> = {}, address?: string) => {
    const response = await app.request("/api/v1/events", { headers }, env(address));
    return response;
  };
  return { clock, device, events, supervisor, app, env, subscribe, config };
}

async function stop(supervisor: Supervisor, clock: ManualClock) {
  const done = supervisor.shutdown({ graceMs: 0 });
  await clock.advance(5000);
  await done;
}

const types = (events: SseEvent[]) => events.map((e) => e.event);

Deno.test("the event stream reports a job from accepted to done, with outlet and PDU states", async () => {
  const { clock, app, env, subscribe, supervisor } = setup();
  const response = await subscribe();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const sse = new SseReader(response);
  const [ready] = await sse.take(1);
  assert.equal(ready!.event, "ready");
  assert.equal(ready!.id, undefined, "stream control events carry no id");

  const switched = await app.request("/power/control/on?hostname=p&port=3", {}, env());
  assert.equal(switched.status, 200);
  const seen = await sse.until("pdu.state");
  const more = await sse.until("pdu.state");
  const all = [...seen, ...more];
  assert.deepEqual(types(all), [
    "job.accepted",
    "pdu.state",
    "job.started",
    "outlet.state",
    "job.done",
    "pdu.state",
  ]);
  assert.deepEqual(all.map((e) => e.id), ["t1-1", "t1-2", "t1-3", "t1-4", "t1-5", "t1-6"]);
  const [accepted, busy, started, outlet, done, idle] = all.map((e) => e.data);
  assert.equal(accepted!.pdu, "p");
  assert.equal(accepted!.outlet, 3);
  assert.equal(accepted!.command, "on");
  assert.equal(accepted!.principal, "anonymous");
  assert.equal(accepted!.transport, "http");
  assert.match(String(accepted!.job), /^j/);
  assert.equal(started!.job, accepted!.job);
  assert.deepEqual(
    [busy!.state, busy!.slot, idle!.state, idle!.slot],
    ["busy", "running", "idle", "running"],
  );
  assert.deepEqual(
    [outlet!.outlet, outlet!.state, outlet!.source, outlet!.previous],
    [3, "on", "commanded", null],
  );
  assert.equal(done!.state, "on");
  assert.equal(done!.time, "1970-01-01T00:00:00.000Z");
  await sse.cancel();
  await stop(supervisor, clock);
});

Deno.test("the event stream reports failed and refused jobs with their reasons", async () => {
  const { clock, device, app, env, subscribe, supervisor } = setup([
    fakePdu("p"),
    fakePdu("q", { "queue_limit": 1 }),
  ]);
  const sse = new SseReader(await subscribe());
  await sse.take(1);
  device.script = ["device-error"];
  await app.request("/power/control/off?hostname=p&port=2", {}, env());
  const failed = (await sse.until("job.failed")).at(-1)!.data;
  assert.equal(failed.kind, "device");
  assert.match(String(failed.reason), /Cannot switch outlet 2 of "p" off: fake device said no/);
  await sse.until("pdu.state");

  await app.request("/power/control/on?hostname=nope&port=2", {}, env());
  const unknown = (await sse.until("job.refused")).at(-1)!.data;
  assert.deepEqual([unknown.pdu, unknown.kind], ["nope", "unknown_pdu"]);

  device.script = ["gate"];
  const first = app.request("/power/control/on?hostname=q&port=1", {}, env());
  await clock.flush();
  await app.request("/power/control/on?hostname=q&port=2", {}, env());
  const full = (await sse.until("job.refused")).at(-1)!.data;
  assert.deepEqual([full.pdu, full.outlet, full.kind], ["q", 2, "queue_full"]);
  device.release();
  await first;
  await sse.cancel();
  await stop(supervisor, clock);
});

Deno.test("the event stream reports slot changes: failed after too many crashes, removed by reload", async () => {
  const { clock, device, subscribe, supervisor, config } = setup([
    fakePdu("p", { "max_restarts": 0 }),
    fakePdu("gone"),
  ]);
  const sse = new SseReader(await subscribe());
  await sse.take(1);
  device.script = ["type-error"];
  const crashed = supervisor.submit({ pdu: "p", command: { type: "on", outlet: 1 } });
  await clock.flush();
  let failed: Record<string, unknown> | undefined;
  while (!failed) {
    const e = (await sse.until("pdu.state")).at(-1)!;
    if (e.data.state === "failed") failed = e.data;
  }
  assert.deepEqual([failed.slot, failed.from, failed.via], ["failed", "running", "crashed"]);
  assert.match(String(failed.lastError), /fake driver bug/);
  assert.equal((await crashed).status, "failed");

  const { gone: _, ...rest } = config.pdus;
  supervisor.reload({ ...config, pdus: rest });
  const gone: string[] = [];
  while (!gone.at(-1)?.startsWith("removed")) {
    const e = (await sse.until("pdu.state")).at(-1)!.data;
    if (e.pdu === "gone") gone.push(`${e.state}/${e.slot ?? "-"}/${e.via}`);
  }
  assert.deepEqual(gone, [
    "stopping/draining/remove",
    "stopping/stopped/incarnationEnded",
    "removed/-/remove",
  ]);
  await sse.cancel();
  await stop(supervisor, clock);
});

Deno.test("Last-Event-ID resumes from the ring; an id older than the ring gets a reset first", async (t) => {
  const { clock, events, subscribe, supervisor } = setup([fakePdu("p")], { ringSize: 4 });
  const first = new SseReader(await subscribe());
  await first.take(1);
  for (let i = 1; i <= 3; i++) events.publish("job.accepted", { n: i });
  const got = await first.take(3);
  assert.deepEqual(got.map((e) => e.id), ["t1-1", "t1-2", "t1-3"]);
  await first.cancel();
  assert.equal(events.subscribers, 0, "a client that went away is unsubscribed");

  await t.step("from an id the ring holds: exactly what came after", async () => {
    for (let i = 4; i <= 5; i++) events.publish("job.accepted", { n: i });
    const sse = new SseReader(await subscribe({ "last-event-id": "t1-3" }));
    const [ready, ...resumed] = await sse.take(3);
    assert.equal(ready!.data.resumed, true);
    assert.deepEqual(resumed.map((e) => [e.id, e.data.n]), [["t1-4", 4], ["t1-5", 5]]);
    await sse.cancel();
  });

  await t.step(
    "from an id older than the ring: a reset saying what was missed, then the ring",
    async () => {
      for (let i = 6; i <= 9; i++) events.publish("job.accepted", { n: i });
      // The ring holds 6..9; 2 was seen, so 3, 4 and 5 are lost.
      const sse = new SseReader(await subscribe({ "last-event-id": "t1-2" }));
      const [, reset, ...ring] = await sse.take(6);
      assert.equal(reset!.event, "reset");
      assert.equal(reset!.data.missed, 3);
      assert.equal(reset!.data.oldest, "t1-6");
      assert.match(String(reset!.data.reason), /dropped from the ring \(it keeps 4\)/);
      assert.deepEqual(ring.map((e) => e.id), ["t1-6", "t1-7", "t1-8", "t1-9"]);
      await sse.cancel();
    },
  );

  await t.step("from another run of pdud: a reset, then the ring", async () => {
    const sse = new SseReader(await subscribe({ "last-event-id": "t0-500" }));
    const [, reset, next] = await sse.take(3);
    assert.equal(reset!.event, "reset");
    assert.match(String(reset!.data.reason), /another run of pdud/);
    assert.equal(reset!.data.missed, null);
    assert.equal(next!.id, "t1-6");
    await sse.cancel();
  });

  await t.step("a malformed id is refused with 400 and a reason", async () => {
    const response = await subscribe({ "last-event-id": "yesterday" });
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /Last-Event-ID: expected an id this stream sent/);
  });
  await stop(supervisor, clock);
});

Deno.test("a subscriber that never reads is dropped at its buffer's limit and never slows a PDU", async () => {
  const { clock, events, subscribe, supervisor } = setup([fakePdu("p")], {
    bufferSize: 5,
    dropGraceMs: 1000,
  });
  const slow = await subscribe();
  const dead = await subscribe();
  assert.equal(events.subscribers, 2);
  // 30 jobs, about 150 events: far more than either buffer holds, and nobody reads.
  const results = await Promise.all(
    Array.from(
      { length: 30 },
      (_, i) => supervisor.submit({ pdu: "p", command: { type: "on", outlet: i + 1 } }),
    ),
  );
  assert.ok(results.every((r) => r.status === "done"), "every job ran regardless");
  assert.ok(events.published > 100);
  assert.equal(events.subscribers, 0, "both were dropped");

  // A slow reader that comes back within the grace period gets what was written, then `dropped`.
  const sse = new SseReader(slow);
  const rest = await sse.rest();
  assert.equal(rest.at(-1)!.event, "dropped");
  assert.match(String(rest.at(-1)!.data.reason), /fell 5 events behind/);
  assert.ok(rest.length <= 5 + 3, `at most a buffer's worth before the end, got ${rest.length}`);

  // A dead one is abandoned once the grace period is over: its stream ends.
  await clock.advance(1000);
  const gone = await new SseReader(dead).rest();
  assert.ok(gone.length <= 3, `the stream ended with what was in flight, got ${gone.length}`);
  await stop(supervisor, clock);
});

Deno.test("nothing is recorded until someone subscribes", async () => {
  const { clock, events, supervisor, app, env } = setup();
  for (let i = 1; i <= 5; i++) {
    await app.request(`/power/control/reboot?hostname=p&port=${i}&delay=0`, {}, env());
  }
  assert.equal(events.wanted, false);
  assert.equal(events.published, 0);
  const head = await app.request("/api/v1/events", { method: "HEAD" }, env());
  assert.equal(head.status, 200);
  assert.equal(events.wanted, false, "a HEAD does not subscribe");
  await stop(supervisor, clock);
});

Deno.test("the event stream needs read scope and an allowed network; principals are token names", async () => {
  const { daemon } = await loadConfig({
    daemon: {
      tokens: [
        { name: "ci", secret: "control-secret-0123456789", scope: "control" },
        { name: "dashboard", secret: "read-secret-0123456789", scope: "read" },
      ],
      "allowed_networks": ["127.0.0.0/8"],
    },
    pdus: {},
  });
  const access = await AccessControl.create(daemon);
  const { clock, app, env, subscribe, supervisor, events } = setup([fakePdu("p")], {}, access);
  assert.equal((await subscribe()).status, 401);
  const bad = await subscribe({ authorization: "Bearer nope" });
  assert.equal(bad.status, 401);
  await bad.body?.cancel();
  const outside = await subscribe({ authorization: "Bearer read-secret-0123456789" }, "10.1.2.3");
  assert.equal(outside.status, 403);
  assert.equal(events.subscribers, 0);

  const response = await subscribe({ authorization: "Bearer read-secret-0123456789" });
  assert.equal(response.status, 200);
  const sse = new SseReader(response);
  await sse.take(1);
  const switched = await app.request("/power/control/on?hostname=p&port=1", {
    headers: { authorization: "Bearer control-secret-0123456789" },
  }, env());
  assert.equal(switched.status, 200);
  const seen = await sse.until("job.done");
  assert.ok(seen.every((e) => e.data.principal === undefined || e.data.principal === "ci"));
  assert.equal(seen.at(-1)!.data.principal, "ci");
  assert.doesNotMatch(sse.raw, /secret-0123456789/);
  await sse.cancel();
  await stop(supervisor, clock);
});

Deno.test("the OpenAPI document describes the event stream as text/event-stream", async () => {
  const { clock, app, env, supervisor } = setup();
  const doc = await (await app.request("/api/v1/openapi.json", {}, env())).json();
  const get = doc.paths["/events"].get;
  assert.ok(get.responses["200"].content["text/event-stream"]);
  assert.match(get.description, /read scope/);
  assert.deepEqual(
    get.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`).sort(),
    ["header last-event-id", "query pdu"],
  );
  await stop(supervisor, clock);
});

Deno.test("a real daemon streams events over HTTP and ends the stream at shutdown", async () => {
  const pdu = `events-${Date.now().toString(36)}`;
  const d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 4 } } });
  try {
    const response = await fetch(`${d.url}/api/v1/events`);
    assert.equal(response.status, 200);
    const sse = new SseReader(response);
    await sse.take(1);
    const on = await fetch(`${d.url}/power/control/on?hostname=${pdu}&port=2`);
    assert.equal(await on.text(), "OK - accepted request\n");
    const seen = await sse.until("job.done");
    const done = seen.at(-1)!;
    assert.deepEqual([done.data.pdu, done.data.outlet, done.data.state], [pdu, 2, "on"]);
    assert.ok(seen.some((e) => e.event === "outlet.state" && e.data.state === "on"));

    // Resume over HTTP: the last id seen, nothing new since → only `ready`.
    const again = await fetch(`${d.url}/api/v1/events`, {
      headers: { "last-event-id": done.id! },
    });
    const resumed = new SseReader(again);
    assert.equal((await resumed.take(1))[0]!.event, "ready");

    await d.close();
    const closed = (await sse.rest()).at(-1);
    assert.equal(closed?.event, "closed");
    assert.match(String(closed?.data.reason), /shutting down/);
    assert.equal((await resumed.rest()).at(-1)?.event, "closed");
  } finally {
    await d.close();
  }
});

Deno.test("over real HTTP, a client that never reads is dropped and the daemon keeps serving", async () => {
  const pdu = `events-dead-${Date.now().toString(36)}`;
  const daemon = await startRaw(
    await loadConfig({ pdus: { [pdu]: { driver: "simulated", outlets: 4 } } }),
    {
      log: SILENT_LOGGER,
      listen: { hostname: "127.0.0.1", port: 0, listener: "both" },
      events: { bufferSize: 8, dropGraceMs: 0 },
    },
  );
  const port = daemon.listeners.port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`),
    );
    const { events } = daemon;
    // Wait (by turns of the event loop, not time) for the subscription to exist.
    while (events.subscribers === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    // 64 KiB events, a turn of the event loop apart so the stream writes whatever the socket
    // takes: once the kernel's buffers are full the subscriber's buffer fills and it is dropped.
    const big = "x".repeat(64 * 1024);
    let sent = 0;
    while (events.subscribers > 0) {
      assert.ok(sent < 2000, "a client that never reads is dropped within 2000 events (125 MiB)");
      events.publish("job.accepted", { big });
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // Dropped by the full socket, not by a burst: far more than one buffer's worth went out.
    assert.ok(sent > 8 * 4, `the stream kept up until the socket was full (${sent} events)`);
    // The daemon is not held up: a job runs and is answered while the dead client is connected.
    const on = await fetch(`http://127.0.0.1:${port}/power/control/on?hostname=${pdu}&port=1`);
    assert.equal(await on.text(), "OK - accepted request\n");
    assert.equal(events.subscribers, 0);
  } finally {
    conn.close();
    await daemon.stop(1000);
  }
});

Deno.test("the event stream refuses subscribers beyond its limit (503) and pings idle ones", async () => {
  const { clock, subscribe, supervisor } = setup([fakePdu("p")], {
    maxSubscribers: 1,
    heartbeatMs: 1000,
  });
  const sse = new SseReader(await subscribe());
  await sse.take(1);
  const second = await subscribe();
  assert.equal(second.status, 503);
  assert.match((await second.json()).error, /1 subscribers, its limit/);
  await clock.advance(1000);
  const pending = sse.next();
  await clock.advance(1000);
  // The ping is a comment: no event, but bytes on the wire.
  assert.match(sse.raw, /: ping\n\n/);
  await sse.cancel();
  assert.equal(await pending.catch(() => null), null);
  await stop(supervisor, clock);
});

Deno.test("a real daemon: a device read reports a change made behind pdud's back; a token reload ends streams", async () => {
  const pdu = `events-read-${Date.now().toString(36)}`;
  let tokens = [{ name: "dash", secret: "read-secret-0123456789", scope: "read" }];
  const configOf = () =>
    loadConfig({ daemon: { tokens }, pdus: { [pdu]: { driver: "simulated" } } });
  const daemon = await startRaw(await configOf(), {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: 0, listener: "both" },
    readConfig: configOf,
  });
  const url = `http://127.0.0.1:${daemon.listeners.port}`;
  const headers = { authorization: "Bearer read-secret-0123456789" };
  try {
    const sse = new SseReader(await fetch(`${url}/api/v1/events`, { headers }));
    await sse.take(1);
    simulatedDevice(pdu).set(3, "on");
    const read = await fetch(`${url}/api/v1/pdus/${pdu}/outlets/3`, { headers });
    assert.equal((await read.json()).state, "on");
    const seen = await sse.until("job.done");
    // The simulated driver reads power too: that reading is a job of its own on the stream.
    const status = seen.filter((e) => e.event.startsWith("job.") && e.data.command === "status");
    assert.deepEqual(types(status), ["job.accepted", "job.started", "job.done"]);
    assert.equal(seen[0]!.data.command, "status");
    assert.equal(seen[0]!.data.principal, "dash");
    const change = seen.find((e) => e.event === "outlet.state")!;
    assert.deepEqual([change.data.outlet, change.data.state, change.data.source], [
      3,
      "on",
      "device",
    ]);

    tokens = [{ name: "dash2", secret: "other-secret-0123456789", scope: "read" }];
    const report = await daemon.reload();
    assert.deepEqual(report.daemon, ["tokens"]);
    const closed = (await sse.rest()).at(-1)!;
    assert.equal(closed.event, "closed");
    assert.match(String(closed.data.reason), /access rules changed/);
    const old = await fetch(`${url}/api/v1/events`, { headers });
    assert.equal(old.status, 401, "the revoked token cannot reconnect");
    await old.body?.cancel();
  } finally {
    await daemon.stop(1000);
  }
});

Deno.test("?pdu= keeps only the named PDUs' events, in a resume too; an unknown PDU is a 404 naming it", async (t) => {
  const { clock, app, env, events, supervisor } = setup([fakePdu("p"), fakePdu("q"), fakePdu("r")]);
  const open = (query: string, headers: Record<string, string> = {}) =>
    app.request(`/api/v1/events${query}`, { headers }, env());
  const all = new SseReader(await open(""));
  assert.equal((await all.take(1))[0]!.data.pdus, null, "no filter");
  const onlyQ = new SseReader(await open("?pdu=q"));
  assert.deepEqual((await onlyQ.take(1))[0]!.data.pdus, ["q"]);
  for (const pdu of ["p", "q", "r"]) {
    const r = await app.request(`/power/control/on?hostname=${pdu}&port=1`, {}, env());
    assert.equal(r.status, 200);
  }
  // Six events per job: job.accepted, pdu.state, job.started, outlet.state, job.done, pdu.state.
  const everything = await all.take(18);
  const of = (...pdus: string[]) =>
    everything.filter((e) => pdus.includes(String(e.data.pdu))).map((e) => `${e.id} ${e.event}`);
  /** The subscriber's next events are exactly `expected`, then a marker published for `pdu`. */
  const exactly = async (sse: SseReader, expected: string[], pdu: string) => {
    const got = await sse.take(expected.length);
    assert.deepEqual(got.map((e) => `${e.id} ${e.event}`), expected);
    events.publish("pdu.state", { pdu, marker: true });
    assert.equal((await sse.next())?.data.marker, true, "nothing else came between");
  };
  assert.equal(of("q").length, 6);
  assert.deepEqual(
    new Set(of("q").map((e) => e.split(" ")[1])),
    new Set(["job.accepted", "job.started", "job.done", "outlet.state", "pdu.state"]),
  );
  await exactly(onlyQ, of("q"), "q");

  await t.step(
    "comma-separated or repeated, replayed from Last-Event-ID through the filter",
    async () => {
      for (const query of ["?pdu=p,r", "?pdu=p&pdu=r", "?pdu=r&pdu=p,p"]) {
        const sse = new SseReader(await open(query, { "last-event-id": "t1-0" }));
        const [ready] = await sse.take(1);
        assert.deepEqual(new Set(ready!.data.pdus as string[]), new Set(["p", "r"]), query);
        await exactly(sse, of("p", "r"), "r");
        await sse.cancel();
      }
    },
  );

  await t.step("a reset still comes first; the ring after it is filtered", async () => {
    const sse = new SseReader(await open("?pdu=q", { "last-event-id": "t0-5" }));
    const [, reset, ...ring] = await sse.take(2 + 7);
    assert.equal(reset!.event, "reset");
    // q's job, then the marker published for q above.
    assert.deepEqual(ring.slice(0, 6).map((e) => `${e.id} ${e.event}`), of("q"));
    assert.equal(ring[6]!.data.marker, true);
    await exactly(sse, [], "q");
    await sse.cancel();
  });

  await t.step("an unknown or empty name is refused, naming it", async () => {
    const unknown = await open("?pdu=q,nope");
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, 'pdu: no PDU named "nope"');
    const hostile = await open(`?pdu=${encodeURIComponent('<x>"')}`);
    assert.equal(hostile.status, 404);
    assert.equal((await hostile.json()).error, 'pdu: no PDU named "<x>\\""');
    for (const query of ["?pdu=", "?pdu=q&pdu=", "?pdu=q,,r"]) {
      const empty = await open(query);
      assert.equal(empty.status, 400, query);
      assert.match((await empty.json()).error, /^pdu: expected PDU names/);
    }
    assert.equal(events.subscribers, 2, "a refused request did not subscribe");
  });
  await all.cancel();
  await onlyQ.cancel();
  await stop(supervisor, clock);
});

Deno.test("a real daemon: event_ring and event_buffer size the hub; ?pdu= over HTTP with a resume", async () => {
  const d = await startDaemon({
    daemon: { "event_ring": 3, "event_buffer": 7 },
    pdus: { a: { driver: "simulated", outlets: 4 }, b: { driver: "simulated", outlets: 4 } },
  });
  try {
    const sse = new SseReader(await fetch(`${d.url}/api/v1/events`));
    const ready = (await sse.take(1))[0]!.data;
    assert.deepEqual([ready.ring, ready.buffer], [3, 7]);
    for (const pdu of ["a", "b"]) {
      const r = await fetch(`${d.url}/power/control/on?hostname=${pdu}&port=1`);
      assert.equal(await r.text(), "OK - accepted request\n");
    }
    const seen: SseEvent[] = [];
    for (const _ of ["a", "b"]) {
      seen.push(...await sse.until("job.done"));
      seen.push(...await sse.until("pdu.state"));
    }
    assert.deepEqual(seen.at(-1)?.data.pdu, "b");
    // The ring keeps the last 3 events, all about b: a resume from the start is reset to them.
    const resumed = new SseReader(
      await fetch(`${d.url}/api/v1/events?pdu=b`, {
        headers: { "last-event-id": `${ready.boot}-0` },
      }),
    );
    const [again, reset, ...ring] = await resumed.take(5);
    assert.deepEqual(again!.data.pdus, ["b"]);
    assert.equal(reset!.event, "reset");
    assert.match(String(reset!.data.reason), /it keeps 3\)/);
    assert.deepEqual(
      ring.map((e) => `${e.id} ${e.event} ${e.data.pdu}`),
      seen.slice(-3).map((e) => `${e.id} ${e.event} b`),
    );
    const unknown = await fetch(`${d.url}/api/v1/events?pdu=c`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, 'pdu: no PDU named "c"');
    await sse.cancel();
    await resumed.cancel();
  } finally {
    await d.close();
  }
});
