/**
 * httpCall's `insecure`: an https device with a self-signed certificate (a BMC's) is refused by
 * default and reached with `insecure`, with method, headers, body, answer headers, errors and
 * abort as for any call.
 */
import assert from "node:assert/strict";
import { DriverError } from "../../../drivers/mod.ts";
import { httpCall } from "../../../drivers/_transport/http_client.ts";

const CERT = Deno.readTextFileSync(new URL("../../_fixtures/selfsigned.crt", import.meta.url));
const KEY = Deno.readTextFileSync(new URL("../../_fixtures/selfsigned.key", import.meta.url));

function serve(handler: (request: Request) => Response | Promise<Response>) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, onListen() {} },
    handler,
  );
}

Deno.test("httpCall refuses a self-signed certificate unless the call is insecure", async () => {
  const seen: string[] = [];
  await using server = serve(async (request) => {
    seen.push(
      `${request.method} ${new URL(request.url).pathname} ${
        request.headers.get("x-auth-token")
      } ${await request
        .text()}`,
    );
    return Response.json({ ok: true }, {
      status: 201,
      headers: { location: "/s/1", "x-auth-token": "t0k" },
    });
  });
  const url = `https://127.0.0.1:${server.addr.port}/login`;
  const signal = AbortSignal.timeout(5000);
  await assert.rejects(
    httpCall({ url, signal, device: "BMC" }),
    (error: unknown) => error instanceof DriverError && error.kind === "unreachable",
  );
  const answer = await httpCall({
    method: "POST",
    url,
    json: { UserName: "u" },
    headers: { "X-Auth-Token": "abc" },
    insecure: true,
    signal,
    device: "BMC",
  });
  assert.equal(answer.status, 201);
  assert.deepEqual(answer.json(), { ok: true });
  assert.equal(answer.headers.get("x-auth-token"), "t0k");
  assert.equal(answer.headers.get("location"), "/s/1");
  assert.deepEqual(seen, [`POST /login abc {"UserName":"u"}`]);
});

Deno.test("an insecure call maps statuses, empty answers and refused credentials as fetch does", async () => {
  await using server = serve((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/gone") return new Response(null, { status: 204 });
    if (path === "/auth") return new Response("no", { status: 401 });
    return Response.json({ error: { message: "nope" } }, { status: 400 });
  });
  const base = `https://127.0.0.1:${server.addr.port}`;
  const call = { insecure: true, signal: AbortSignal.timeout(5000), device: "BMC" };
  const gone = await httpCall({ ...call, method: "DELETE", url: `${base}/gone` });
  assert.equal(gone.status, 204);
  assert.equal(gone.text, "");
  await assert.rejects(
    httpCall({ ...call, url: `${base}/auth` }),
    (error: unknown) => error instanceof DriverError && error.kind === "auth",
  );
  await assert.rejects(
    httpCall({ ...call, url: `${base}/bad` }),
    (error: unknown) =>
      error instanceof DriverError && error.kind === "device" && error.permanent &&
      /HTTP 400/.test(error.message),
  );
  const accepted = await httpCall({ ...call, url: `${base}/bad`, acceptStatus: [400] });
  assert.equal(accepted.status, 400);
});

Deno.test("an insecure call honours its signal: a silent server is a timeout", async () => {
  const { promise: hung, resolve } = Promise.withResolvers<void>();
  const reached = Promise.withResolvers<void>();
  await using server = serve(async () => {
    reached.resolve();
    await hung;
    return new Response("late");
  });
  const controller = new AbortController();
  const pending = httpCall({
    url: `https://127.0.0.1:${server.addr.port}/`,
    insecure: true,
    signal: controller.signal,
    device: "BMC",
  });
  pending.catch(() => {});
  await reached.promise;
  controller.abort(new Error("test abort"));
  await assert.rejects(
    pending,
    (error: unknown) => error instanceof DriverError && error.kind === "timeout",
  );
  resolve();
});
