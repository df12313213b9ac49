/**
 * The HTTP surface alone: `createApp` around a fake PowerControl, driven with `app.request`
 * (no socket, no actor, no driver). Checks that each route turns a request into the right
 * submissions, in order, and each result into upstream's bytes or the JSON API's status.
 */
import assert from "node:assert/strict";
import { type JobResult, SILENT_LOGGER, type SubmitRequest } from "../../actors/mod.ts";
import { createApp, JobStore, legacyReply, UPSTREAM_OK } from "../../routes/mod.ts";
import { ManualClock } from "../_helpers/clock.ts";
import { FAKE_ENV, fakeApp, FakeControl } from "../_helpers/fake_control.ts";

function setup() {
  const control = new FakeControl({
    aliases: [{ name: "dut1", pdu: "pdu1", outlet: 5 }],
    groups: [{ name: "rack", members: [{ pdu: "pdu1", outlet: 2 }, { pdu: "pdu2", outlet: 1 }] }],
  });
  const { request, words } = fakeApp(control);
  const post = (path: string, body?: unknown) =>
    request(path, {
      method: "POST",
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
  return { control, request, post, words };
}

Deno.test("upstream on/off/reboot: one submission each, answered with upstream's exact body", async () => {
  const { control, request, words } = setup();
  for (const command of ["on", "off", "reboot"]) {
    const r = await request(`/power/control/${command}?hostname=pdu1&port=3`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), UPSTREAM_OK);
  }
  assert.deepEqual(words(), ["pdu1:on:3", "pdu1:off:3", "pdu1:reboot:3"]);
  const reboot = control.submitted[2]!.command;
  assert.ok(reboot.type === "reboot" && reboot.delay > 0, "a reboot carries its default delay");
  assert.equal(control.submitted[0]!.requester?.transport, "http");
});

Deno.test("upstream: delay, alias and group are resolved before submitting", async () => {
  const { control, request, words } = setup();
  assert.equal((await request("/power/control/reboot?hostname=pdu1&port=1&delay=7")).status, 200);
  const reboot = control.submitted[0]!.command;
  assert.ok(reboot.type === "reboot" && reboot.delay === 7, JSON.stringify(reboot));
  assert.equal((await request("/power/control/on?alias=dut1")).status, 200);
  assert.equal((await request("/power/control/off?group=rack")).status, 200);
  assert.deepEqual(words().slice(1), ["pdu1:on:5", "pdu1:off:2", "pdu2:off:1"]);
});

Deno.test("upstream: a failed job is a one-line 503 with its reason; queue_full adds Retry-After", async () => {
  const { control, request } = setup();
  control.answer = (r) => ({
    status: "failed",
    jobId: "j",
    pdu: r.pdu,
    kind: "device",
    reason: "APC at 10.0.0.5 refused\nthe command",
  });
  const failed = await request("/power/control/on?hostname=pdu1&port=1");
  assert.equal(failed.status, 503);
  const body = await failed.text();
  assert.match(body, /APC at 10\.0\.0\.5 refused/);
  assert.equal(body.indexOf("\n"), body.length - 1, `one line: ${JSON.stringify(body)}`);

  control.answer = (r) => ({
    status: "refused",
    pdu: r.pdu,
    kind: "queue_full",
    reason: `queue of "${r.pdu}" is full`,
  });
  const full = await request("/power/control/on?hostname=pdu1&port=1");
  assert.equal(full.status, 503);
  assert.equal(full.headers.get("retry-after"), "5");
  await full.body?.cancel();
});

Deno.test("cluster_unavailable: 503 with Retry-After on upstream, get-status and the JSON API; legacy nack", async () => {
  const { control, request, post } = setup();
  const reason = "cannot record the job in the cluster journal, not run: no responders";
  control.answer = (r) => ({ status: "refused", pdu: r.pdu, kind: "cluster_unavailable", reason });
  for (
    const path of [
      "/power/control/on?hostname=pdu1&port=1",
      "/power/control/get-status?hostname=pdu1&port=1",
      "/power/control/get-port-state?hostname=pdu1&port=1",
    ]
  ) {
    const r = await request(path);
    assert.equal(r.status, 503, path);
    assert.equal(r.headers.get("retry-after"), "5", path);
    assert.equal(await legacyReply(r), "nack\n", path);
  }
  const api = await post("/api/v1/pdus/pdu1/outlets/1/on", { wait: true });
  assert.equal(api.status, 503);
  assert.equal(api.headers.get("retry-after"), "5");
  const { results } = await api.json() as { results: JobResult[] };
  assert.deepEqual(results.map((x) => x.status === "refused" && x.kind), ["cluster_unavailable"]);
  for (const path of ["/api/v1/pdus/pdu1/outlets/1", "/api/v1/pdus/pdu1/outlets"]) {
    const r = await request(path);
    assert.equal(r.status, 503, path);
    assert.equal(r.headers.get("retry-after"), "5", path);
    assert.deepEqual(await r.json(), { error: reason, kind: "cluster_unavailable" }, path);
  }
  // Other refusals and failures say nothing of retrying.
  control.answer = (r) => ({ status: "refused", pdu: r.pdu, kind: "pdu_failed", reason: "failed" });
  const failed = await request("/api/v1/pdus/pdu1/outlets/1");
  assert.equal(failed.status, 503);
  assert.equal(failed.headers.get("retry-after"), null);
  await failed.body?.cancel();
});

/** Answers by PDU: each PDU's refusal or failure kind, "done" for success. */
function answerByPdu(
  kinds: Record<string, "done" | "queue_full" | "cluster_unavailable" | "device">,
) {
  return (r: SubmitRequest): JobResult => {
    const kind = kinds[r.pdu] ?? "done";
    if (kind === "done") {
      return {
        status: "done",
        jobId: "j",
        pdu: r.pdu,
        outlet: r.command.outlet,
        state: "on",
        source: "commanded",
      };
    }
    return kind === "device"
      ? { status: "failed", jobId: "j", pdu: r.pdu, kind, reason: `"${r.pdu}" refused the command` }
      : { status: "refused", pdu: r.pdu, kind, reason: `${kind} on "${r.pdu}"` };
  };
}

Deno.test("upstream ?group=: Retry-After only when every failed member was refused for a passing reason", async () => {
  const { control, request } = setup();
  const group = async () => {
    const r = await request("/power/control/on?group=rack");
    return { status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.text() };
  };
  control.answer = answerByPdu({ pdu1: "queue_full", pdu2: "queue_full" });
  const full = await group();
  assert.equal(full.status, 503);
  assert.equal(full.retryAfter, "5");
  assert.match(full.body, /^group "rack": 2 of 2 outlets failed: /);

  control.answer = answerByPdu({ pdu1: "queue_full", pdu2: "cluster_unavailable" });
  assert.equal((await group()).retryAfter, "5", "two passing kinds");
  control.answer = answerByPdu({ pdu1: "done", pdu2: "queue_full" });
  const one = await group();
  assert.deepEqual([one.status, one.retryAfter], [503, "5"], "the failed member alone decides");

  // A device error is not fixed by retrying soon, whatever the other members' refusals.
  control.answer = answerByPdu({ pdu1: "queue_full", pdu2: "device" });
  const mixed = await group();
  assert.equal(mixed.status, 503);
  assert.equal(mixed.retryAfter, null);
  assert.match(mixed.body, /"pdu2" refused the command/);

  control.answer = answerByPdu({});
  assert.deepEqual(await group(), { status: 200, retryAfter: null, body: UPSTREAM_OK });
});

Deno.test("API group and outlet list: Retry-After only when every failure is a passing refusal", async () => {
  const { control, post } = setup();
  const call = async (path: string) => {
    const r = await post(path, { wait: true });
    const { results } = await r.json() as { results: JobResult[] };
    return { status: r.status, retryAfter: r.headers.get("retry-after"), results };
  };
  for (const path of ["/api/v1/groups/rack/on", "/api/v1/pdus/pdu1/outlets/1-2/on"]) {
    // The outlet list is one PDU's: its two outlets are told apart by outlet number.
    const byOutlet = (
      kinds: ["done" | "queue_full" | "device", "done" | "queue_full" | "device"],
    ) =>
      path.startsWith("/api/v1/groups")
        ? answerByPdu({ pdu1: kinds[0], pdu2: kinds[1] })
        : (r: SubmitRequest) => answerByPdu({ pdu1: kinds[r.command.outlet === 1 ? 0 : 1] })(r);

    control.answer = byOutlet(["queue_full", "queue_full"]);
    const full = await call(path);
    assert.equal(full.status, 503, path);
    assert.equal(full.retryAfter, "5", path);

    // The first failure (a full queue) sets the status; the device error withholds Retry-After.
    control.answer = byOutlet(["queue_full", "device"]);
    const mixed = await call(path);
    assert.equal(mixed.status, 503, path);
    assert.equal(mixed.retryAfter, null, path);
    assert.deepEqual(mixed.results.map((x) => x.status), ["refused", "failed"], path);

    control.answer = byOutlet(["done", "done"]);
    const ok = await call(path);
    assert.equal(ok.status, 200, path);
    assert.equal(ok.retryAfter, null, path);
    assert.deepEqual(ok.results.map((x) => x.status), ["done", "done"], path);
  }
});

Deno.test("OpenAPI: every 503 that answers a job's refusal documents Retry-After", async () => {
  const { request } = setup();
  const doc = await (await request("/api/v1/openapi.json")).json() as {
    paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
  };
  for (
    const [path, method] of [
      ["/pdus/{name}/outlets", "get"],
      ["/pdus/{name}/outlets/{outlet}", "get"],
      ["/pdus/{name}/outlets/{outlets}/{command}", "post"],
      ["/groups/{group}/{command}", "post"],
    ] as const
  ) {
    const headers = doc.paths[path]?.[method]?.responses["503"]?.headers;
    assert.ok(headers && "Retry-After" in headers, `${method} ${path}: ${JSON.stringify(headers)}`);
  }
});

Deno.test("upstream: invalid requests are refused before anything is submitted", async () => {
  const { control, request } = setup();
  for (
    const [path, reason] of [
      ["/power/control/on?port=1", /hostname/],
      // "x" alone is an outlet name now (upstream b30c332); a name cannot start with "-".
      ["/power/control/on?hostname=pdu1&port=-x", /port/],
      ["/power/control/on?alias=nobody", /no alias named "nobody"/],
      ["/power/control/on?group=nothing", /no group named "nothing"/],
    ] as const
  ) {
    const r = await request(path);
    assert.equal(r.status, 503, path);
    assert.match(await r.text(), reason, path);
  }
  assert.equal(control.submitted.length, 0);
});

Deno.test("upstream get-port-state and get-status: the state from the result", async () => {
  const { request, words } = setup();
  const json = await request("/power/control/get-port-state?hostname=pdu1&port=4");
  assert.equal(json.status, 200);
  assert.equal(await json.text(), '{"state": "on"}\n');
  const word = await request("/power/control/get-status?hostname=pdu1&port=4");
  assert.equal(word.status, 200);
  assert.equal(await word.text(), "on\n");
  assert.deepEqual(words(), ["pdu1:status:4", "pdu1:status:4"]);
});

Deno.test("API: an outlet list is submitted in order and waited for", async () => {
  const { post, words } = setup();
  const r = await post("/api/v1/pdus/pdu1/outlets/1-3,7/off", { wait: true });
  assert.equal(r.status, 200);
  const { results } = await r.json() as { results: JobResult[] };
  assert.deepEqual(results.map((x) => x.status), ["done", "done", "done", "done"]);
  assert.deepEqual(words(), ["pdu1:off:1", "pdu1:off:2", "pdu1:off:3", "pdu1:off:7"]);
});

Deno.test("API: without wait the jobs are accepted (202) and can be polled", async () => {
  const { post, request } = setup();
  const r = await post("/api/v1/groups/rack/on", { wait: false });
  assert.equal(r.status, 202);
  const { jobs } = await r.json() as { jobs: { id: string; pdu: string }[] };
  assert.deepEqual(jobs.map((j) => j.pdu), ["pdu1", "pdu2"]);
  const polled = await request(`/api/v1/jobs/${jobs[0]!.id}`);
  assert.equal(polled.status, 200);
  assert.equal((await polled.json() as { status: string }).status, "done");
});

Deno.test("API: the first failure decides the status; bad input is 400/404 naming what was wrong", async () => {
  const { control, post } = setup();
  control.answer = (r) => ({ status: "refused", pdu: r.pdu, kind: "unknown_pdu", reason: "no" });
  assert.equal((await post("/api/v1/pdus/ghost/outlets/1/on", { wait: true })).status, 404);
  const before = control.submitted.length;
  for (
    const [path, status, error] of [
      ["/api/v1/pdus/pdu1/outlets/1,,/on", 400, /outlets: expected a number, a list/],
      ["/api/v1/pdus/pdu1/outlets/1/cycle", 400, /command/],
      ["/api/v1/groups/nothing/on", 404, /no group named "nothing"/],
    ] as const
  ) {
    const r = await post(path, { wait: true });
    assert.equal(r.status, status, path);
    assert.match((await r.json() as { error: string }).error, error, path);
  }
  const badBody = await post("/api/v1/pdus/pdu1/outlets/1/on", { wait: "yes" });
  assert.equal(badBody.status, 400);
  await badBody.body?.cancel();
  assert.equal(control.submitted.length, before, "nothing invalid was submitted");
});

Deno.test("API: GET /pdus and /groups show what PowerControl reports", async () => {
  const { request } = setup();
  assert.deepEqual(await (await request("/api/v1/pdus")).json(), { pdus: [] });
  const groups = await (await request("/api/v1/groups")).json() as {
    groups: { name: string; members: unknown[] }[];
  };
  assert.deepEqual(groups.groups.map((g) => [g.name, g.members.length]), [["rack", 2]]);
});

Deno.test("API: a reload refused because pdud shuts down is 409, not 500", async () => {
  const control = new FakeControl();
  const app = createApp(control, {
    log: SILENT_LOGGER,
    jobs: new JobStore(new ManualClock(), 60_000),
    reload: () => Promise.resolve(control.reload()),
  });
  const r = await app.request("http://pdud/api/v1/reload", { method: "POST" }, FAKE_ENV);
  assert.equal(r.status, 409);
  assert.match((await r.json() as { error: string }).error, /shut/);
  assert.equal(control.reloads, 1);
});

Deno.test("API: an asynchronous command refused because the job store is full is 503 jobs_full with Retry-After", async () => {
  const control = new FakeControl();
  // Jobs that never finish: the store (room for one) stays full.
  control.submit = (request: SubmitRequest) => {
    control.submitted.push(request);
    return new Promise<JobResult>(() => {});
  };
  const app = createApp(control, {
    log: SILENT_LOGGER,
    jobs: new JobStore(new ManualClock(), 60_000, 1),
  });
  const post = () =>
    app.request("http://pdud/api/v1/pdus/rack/outlets/1/on", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wait: false }),
    }, FAKE_ENV);
  assert.equal((await post()).status, 202);
  const refused = await post();
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  const body = await refused.json() as { kind: string; error: string };
  assert.equal(body.kind, "jobs_full");
  assert.match(body.error, /the store holds 1/);
  assert.equal(control.submitted.length, 1, "the refused command was not submitted");
});
