/**
 * The JSON API's reads of power and of every outlet, through `app.request` around a fake
 * PowerControl: what is submitted, and how each result becomes a status and a body.
 */
import assert from "node:assert/strict";
import type { JobResult, SubmitRequest } from "../../actors/mod.ts";
import { fakeApp, FakeControl } from "../_helpers/fake_control.ts";

/** Every job done as a device that reads power and lists its outlets would answer it. */
function readingAnswer(request: SubmitRequest): JobResult {
  const base = {
    status: "done" as const,
    jobId: "j1",
    pdu: request.pdu,
    source: "device" as const,
  };
  switch (request.command.type) {
    case "power":
      return {
        ...base,
        outlet: request.command.outlet,
        state: null,
        power: { watts: 12.5, energyWh: 3400 },
      };
    case "list":
      return {
        ...base,
        outlet: "*",
        state: null,
        outlets: [
          { outlet: 1, state: "on", name: "dut-a", power: { watts: 4, volts: 230.1 } },
          { outlet: 2, state: "off" },
        ],
        exchanges: 1,
        via: "list",
      };
    default:
      return { ...base, outlet: request.command.outlet, state: "on" };
  }
}

function setup() {
  const control = new FakeControl({
    can: { getOutlet: true, readPower: true, listOutlets: true },
  });
  control.answer = readingAnswer;
  const { request, words } = fakeApp(control);
  const get = async (path: string) => {
    const response = await request(path);
    return { status: response.status, body: await response.json() };
  };
  return { control, get, words };
}

Deno.test("GET /api/v1/pdus/{name}/outlets/{n} adds the reading where the driver reads power", async () => {
  const { get, words } = setup();
  const { status, body } = await get("/api/v1/pdus/p1/outlets/3");
  assert.equal(status, 200);
  assert.deepEqual(body, {
    pdu: "p1",
    outlet: 3,
    state: "on",
    source: "device",
    watts: 12.5,
    energyWh: 3400,
  });
  assert.deepEqual(words(), ["p1:status:3", "p1:power:3"], "state read first, then power");
});

Deno.test("GET /api/v1/pdus/{name}/outlets/{n} submits no power read where the driver has none", async () => {
  const { control, get, words } = setup();
  control.can = { getOutlet: true, readPower: false, listOutlets: false };
  const { status, body } = await get("/api/v1/pdus/p1/outlets/3");
  assert.equal(status, 200);
  assert.deepEqual(body, { pdu: "p1", outlet: 3, state: "on", source: "device" });
  assert.deepEqual(words(), ["p1:status:3"]);
});

Deno.test("GET /api/v1/pdus/{name}/outlets/{n}: a failed reading leaves the state and says why", async () => {
  const { control, get } = setup();
  const normal = control.answer;
  control.answer = (request) =>
    request.command.type === "power"
      ? { status: "failed", jobId: "j2", pdu: "p1", kind: "timeout", reason: "no answer" }
      : normal(request);
  const { status, body } = await get("/api/v1/pdus/p1/outlets/3");
  assert.equal(status, 200);
  assert.deepEqual(body, {
    pdu: "p1",
    outlet: 3,
    state: "on",
    source: "device",
    powerError: "no answer",
  });
});

Deno.test("GET /api/v1/pdus/{name}/outlets lists every outlet with names and readings flattened", async () => {
  const { get, words } = setup();
  const { status, body } = await get("/api/v1/pdus/p1/outlets");
  assert.equal(status, 200);
  assert.deepEqual(body, {
    pdu: "p1",
    outlets: [
      { outlet: 1, state: "on", name: "dut-a", watts: 4, volts: 230.1 },
      { outlet: 2, state: "off" },
    ],
    source: "list",
    exchanges: 1,
  });
  assert.deepEqual(words(), ["p1:list:*"]);
});

Deno.test("GET /api/v1/pdus/{name}/outlets: not supported is 501, unknown PDU 404, timeout 504", async () => {
  const { control, get } = setup();
  const answers: [JobResult, number][] = [
    [{ status: "refused", pdu: "p1", kind: "not_supported", reason: "cannot list" }, 501],
    [{ status: "refused", pdu: "p1", kind: "unknown_pdu", reason: "no PDU" }, 404],
    [{ status: "failed", jobId: "j", pdu: "p1", kind: "timeout", reason: "slow" }, 504],
    [{ status: "refused", pdu: "p1", kind: "queue_full", reason: "full" }, 503],
  ];
  for (const [answer, expected] of answers) {
    control.answer = () => answer;
    const { status, body } = await get("/api/v1/pdus/p1/outlets");
    assert.equal(status, expected);
    assert.equal(body.kind, answer.status === "done" ? undefined : answer.kind);
  }
});

Deno.test("the OpenAPI document describes both read routes", async () => {
  const { get } = setup();
  const { body } = await get("/api/v1/openapi.json");
  const paths = body.paths as Record<string, { get?: { responses: Record<string, unknown> } }>;
  assert.ok(paths["/pdus/{name}/outlets"]?.get?.responses["501"]);
  const reading = body.components.schemas.OutletReading.allOf[1].properties;
  assert.ok(reading.watts && reading.energyWh && reading.volts && reading.amps);
});

Deno.test("GET /api/v1/pdus/{name}/outlets/{n}: no power read when the state read failed", async () => {
  const { control, get, words } = setup();
  control.answer = () => ({
    status: "failed",
    jobId: "j1",
    pdu: "p1",
    kind: "timeout",
    reason: "no answer",
  });
  const { status, body } = await get("/api/v1/pdus/p1/outlets/3");
  assert.equal(status, 504);
  assert.equal(body.kind, "timeout");
  assert.deepEqual(words(), ["p1:status:3"], "the device is not waited for twice");
});
