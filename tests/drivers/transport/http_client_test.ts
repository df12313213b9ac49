import assert from "node:assert/strict";
import { DeviceCa, httpCall, verifyDigest } from "../../../drivers/_transport/http_client.ts";
import { driverFailure as failure } from "../../_helpers/driver_error.ts";

// The throwaway self-signed certificate of tests/_fixtures (made for these tests only).
const fixtures = new URL("../../_fixtures/", import.meta.url);
const CERT = await Deno.readTextFile(new URL("selfsigned.crt", fixtures));
const KEY = await Deno.readTextFile(new URL("selfsigned.key", fixtures));

type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** A device on 127.0.0.1:0, over TLS with the self-signed certificate when `tls`. */
function device(tls: boolean, handler: Handler) {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(tls ? { cert: CERT, key: KEY } : {}),
  }, handler);
  return {
    url: (path: string) => `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}${path}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Both engines: fetch (plain http) and node:https (https with insecure). */
const ENGINES = [
  { name: "fetch", tls: false, insecure: false },
  { name: "node:https (insecure)", tls: true, insecure: true },
] as const;

Deno.test("httpCall: insecure reaches a self-signed device with digest auth; without it the device is unreachable", async () => {
  const ports = new Set<number>();
  const seen: string[] = [];
  await using d = device(true, async (request, info) => {
    ports.add(info.remoteAddr.port);
    seen.push(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`);
    const ok = verifyDigest(request.headers.get("authorization"), {
      username: "admin",
      password: "s3cret",
      realm: "relay",
      method: request.method,
    });
    if (!ok) {
      return new Response("who?", {
        status: 401,
        headers: { "www-authenticate": 'Digest realm="relay", nonce="n1", qop="auth"' },
      });
    }
    return Response.json({ relay: "on" });
  });
  const call = {
    method: "POST",
    url: d.url("/relay"),
    json: { relay: "on" },
    auth: { scheme: "digest" as const, username: "admin", password: "s3cret" },
    device: "relay box",
    signal: AbortSignal.timeout(10_000),
  };
  for (let i = 0; i < 3; i++) {
    const answer = await httpCall({ ...call, insecure: true });
    assert.deepEqual(answer.json(), { relay: "on" });
  }
  assert.equal(seen.length, 6, "a challenge and an answer per call");
  assert.ok(seen.every((s) => s === 'POST /relay {"relay":"on"}'), seen.join("\n"));
  assert.equal(ports.size, 1, "one kept-alive connection served every request");
  const refused = await failure(httpCall(call));
  assert.equal(refused.kind, "unreachable");
  assert.match(refused.message, /^cannot reach relay box: .*certificate/i);
  assert.equal(seen.length, 6, "the refused request never reached the device");
});

Deno.test("httpCall: fetch keeps the connection alive between requests", async () => {
  const ports = new Set<number>();
  await using d = device(false, (_request, info) => {
    ports.add(info.remoteAddr.port);
    return new Response("ok");
  });
  for (let i = 0; i < 3; i++) {
    const answer = await httpCall({
      url: d.url("/x"),
      device: "d",
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.text, "ok");
  }
  assert.equal(ports.size, 1);
});

for (const engine of ENGINES) {
  Deno.test(`httpCall over ${engine.name}: one error mapping (auth, permanent 4xx, transient 5xx and 429, not JSON)`, async () => {
    await using d = device(engine.tls, (request) => {
      const status = Number(new URL(request.url).pathname.slice(1));
      return new Response(status === 200 ? "<html>" : `no ${status}`, { status });
    });
    const call = (status: number) =>
      httpCall({
        url: d.url(`/${status}`),
        device: "box",
        insecure: engine.insecure,
        signal: AbortSignal.timeout(10_000),
      });
    const cases: [number, string, boolean, RegExp][] = [
      [401, "auth", true, /^box refused the credentials \(HTTP 401\)$/],
      [403, "auth", true, /^box refused the credentials \(HTTP 403\)$/],
      [404, "device", true, /^box answered HTTP 404 to GET \/404: no 404$/],
      [429, "device", false, /^box answered HTTP 429 to GET \/429: no 429$/],
      [503, "device", false, /^box answered HTTP 503 to GET \/503: no 503$/],
    ];
    for (const [status, kind, permanent, message] of cases) {
      const error = await failure(call(status));
      assert.equal(error.kind, kind, `HTTP ${status}`);
      assert.equal(error.permanent, permanent, `HTTP ${status}`);
      assert.match(error.message, message);
    }
    const answer = await call(200);
    const notJson = await failure(Promise.resolve().then(() => answer.json()));
    assert.equal(notJson.kind, "protocol");
    assert.match(notJson.message, /^box answered GET \/200 with something that is not JSON/);
  });

  for (const stage of ["before the answer", "while the body arrives"] as const) {
    Deno.test(`httpCall over ${engine.name}: an abort ${stage} is a timeout naming the request`, async () => {
      const reached = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      await using d = device(engine.tls, async () => {
        if (stage === "before the answer") {
          reached.resolve();
          await release.promise;
          return new Response("late");
        }
        // Headers and the start of the body go out; the rest waits.
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('{"POWER1":'));
            reached.resolve();
            await release.promise;
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "application/json" } });
      });
      const controller = new AbortController();
      const pending = failure(httpCall({
        url: d.url("/cm?cmnd=Power1%20On&password=canary"),
        device: "Tasmota at x",
        what: '"Power1 On"',
        insecure: engine.insecure,
        signal: controller.signal,
      }));
      await reached.promise;
      controller.abort(new Error("operation timeout"));
      const error = await pending;
      release.resolve();
      assert.equal(error.kind, "timeout");
      // Whether fetch's answer (its headers) was in before the abort is not in the test's hands:
      // either message is a timeout; an empty answer taken for success would fail above.
      assert.match(
        error.message,
        /^Tasmota at x did not (finish answering|answer) "Power1 On" in time$/,
      );
    });
  }

  Deno.test(`httpCall over ${engine.name}: a closed port is unreachable, and the URL's secrets stay out of the message`, async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const scheme = engine.tls ? "https" : "http";
    const error = await failure(httpCall({
      url: `${scheme}://user:canary1@127.0.0.1:${port}/cm?password=canary2`,
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    }));
    assert.equal(error.kind, "unreachable");
    assert.equal(error.permanent, false);
    assert.match(error.message, /^cannot reach box: /);
    assert.doesNotMatch(error.message, /canary/);
  });
}

Deno.test("DeviceCa: the device's own CA is trusted, made once and released; an unreadable file is a permanent config error", async () => {
  await using d = device(true, () => new Response("ok"));
  const ca = new DeviceCa("box", new URL("selfsigned.crt", fixtures).pathname);
  const client = await ca.client();
  assert.ok(client);
  assert.equal(await ca.client(), client, "made once");
  const answer = await httpCall({
    url: d.url("/"),
    client,
    device: "box",
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(answer.text, "ok");
  ca.close();
  ca.close();
  assert.equal(await new DeviceCa("box", undefined).client(), undefined);
  const missing = await failure(new DeviceCa("box", "/nonexistent/ca.pem").client());
  assert.equal(missing.kind, "config");
  assert.equal(missing.permanent, true);
  assert.equal(missing.message, "box: cannot read ca_file /nonexistent/ca.pem: NotFound");
});
