import assert from "node:assert/strict";
import {
  DeviceCa,
  httpCall,
  MAX_ANSWER_BYTES,
  MAX_REDIRECTS,
  verifyDigest,
} from "../../../drivers/_transport/http_client.ts";
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

for (const engine of ENGINES) {
  Deno.test(`httpCall over ${engine.name}: basic credentials outside Latin-1 go as UTF-8 (RFC 7617)`, async () => {
    const seen: string[] = [];
    await using d = device(engine.tls, (request) => {
      const header = request.headers.get("authorization") ?? "";
      const m = /^Basic (.*)$/.exec(header);
      const bytes = Uint8Array.from(atob(m?.[1] ?? ""), (c) => c.charCodeAt(0));
      seen.push(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      return new Response("ok");
    });
    const answer = await httpCall({
      url: d.url("/relay"),
      auth: { scheme: "basic", username: "Jürgen", password: "p€ss é:✓" },
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.text, "ok");
    assert.deepEqual(seen, ["Jürgen:p€ss é:✓"]);
  });
}

for (const engine of ENGINES) {
  Deno.test(`httpCall over ${engine.name}: an endless answer is cut off at MAX_ANSWER_BYTES with a protocol error`, async () => {
    const cancelled = Promise.withResolvers<void>();
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    await using d = device(engine.tls, () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            sent += chunk.length;
            controller.enqueue(chunk);
          },
          cancel() {
            cancelled.resolve();
          },
        }),
      ));
    const error = await failure(httpCall({
      url: d.url("/status?password=canary"),
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(30_000),
    }));
    assert.equal(error.kind, "protocol");
    assert.equal(error.permanent, false);
    assert.equal(
      error.message,
      `box answered GET /status with more than ${MAX_ANSWER_BYTES} bytes (4 MiB, the most pdud reads of an answer); the rest was not read`,
    );
    // The connection was closed: the device stops being asked for more.
    await cancelled.promise;
    assert.ok(sent < 64 * MAX_ANSWER_BYTES, `sent ${sent}`);
  });

  Deno.test(`httpCall over ${engine.name}: an answer of exactly MAX_ANSWER_BYTES is read whole`, async () => {
    await using d = device(engine.tls, () => new Response("b".repeat(MAX_ANSWER_BYTES)));
    const answer = await httpCall({
      url: d.url("/big"),
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(answer.text.length, MAX_ANSWER_BYTES);
  });

  Deno.test(`httpCall over ${engine.name}: an answer that declares one byte more than MAX_ANSWER_BYTES is refused`, async () => {
    await using d = device(engine.tls, () => new Response("c".repeat(MAX_ANSWER_BYTES + 1)));
    const error = await failure(httpCall({
      url: d.url("/big"),
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(30_000),
    }));
    assert.equal(error.kind, "protocol");
    assert.match(error.message, /more than 4194304 bytes/);
  });

  Deno.test(`httpCall over ${engine.name}: a chunked answer is read whole, characters split across chunks included`, async () => {
    // "€" is three bytes; the chunks cut it, and more chunks than one read buffer holds follow.
    const text = "€".repeat(20_000);
    const bytes = new TextEncoder().encode(text);
    const cuts = [0, 1, 5, 16_385, 40_000, bytes.length];
    await using d = device(engine.tls, () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 1; i < cuts.length; i++) {
              controller.enqueue(bytes.slice(cuts[i - 1], cuts[i]));
            }
            controller.close();
          },
        }),
      ));
    const answer = await httpCall({
      url: d.url("/chunked"),
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(answer.text, text);
  });
}

for (const engine of ENGINES) {
  Deno.test(`httpCall over ${engine.name}: redirects within the origin are followed with the request's headers and credentials, as fetch changes methods`, async () => {
    const seen: string[] = [];
    await using d = device(engine.tls, async (request) => {
      const url = new URL(request.url);
      const body = await request.text();
      seen.push(
        `${request.method} ${url.pathname}${url.search} token=${
          request.headers.get("x-auth-token")
        } ` +
          `auth=${request.headers.get("authorization")} type=${
            request.headers.get("content-type")
          } ${body}`,
      );
      const status = Number(url.searchParams.get("status") ?? 0);
      if (url.pathname === "/start") {
        // Relative, absolute with the same origin: both are the same device.
        const next = status === 307 ? `${url.origin}/final` : "/final?x=1";
        return new Response("moved", { status, headers: { location: next } });
      }
      return Response.json({ at: url.pathname });
    });
    for (const [status, method] of [[302, "GET"], [303, "GET"], [307, "POST"]] as const) {
      seen.length = 0;
      const answer = await httpCall({
        method: "POST",
        url: d.url(`/start?status=${status}`),
        form: { relay: "1" },
        headers: { "X-Auth-Token": "t0k" },
        auth: { scheme: "basic", username: "u", password: "p" },
        device: "box",
        insecure: engine.insecure,
        signal: AbortSignal.timeout(10_000),
      });
      assert.deepEqual(answer.json(), { at: "/final" });
      const basic = `Basic ${btoa("u:p")}`;
      const form = "application/x-www-form-urlencoded";
      assert.deepEqual(seen, [
        `POST /start?status=${status} token=t0k auth=${basic} type=${form} relay=1`,
        method === "GET"
          ? `GET /final?x=1 token=t0k auth=${basic} type=null `
          : `POST /final token=t0k auth=${basic} type=${form} relay=1`,
      ], `HTTP ${status}`);
    }
  });

  Deno.test(`httpCall over ${engine.name}: a digest call redirected within the origin answers the new URL's challenge`, async () => {
    const seen: string[] = [];
    await using d = device(engine.tls, (request) => {
      const path = new URL(request.url).pathname;
      const header = request.headers.get("authorization");
      const ok = verifyDigest(header, {
        username: "admin",
        password: "s3cret",
        realm: "dli",
        method: request.method,
      });
      const uri = header ? /uri="([^"]*)"/.exec(header)?.[1] : undefined;
      seen.push(`${request.method} ${path} ${ok ? `ok uri=${uri}` : "challenge"}`);
      if (!ok || uri !== path) {
        return new Response("who?", {
          status: 401,
          headers: { "www-authenticate": 'Digest realm="dli", nonce="n2", qop="auth"' },
        });
      }
      if (path === "/restapi/relay/outlets/0/state") {
        return new Response(null, { status: 308, headers: { location: `${path}/` } });
      }
      return Response.json(true);
    });
    const answer = await httpCall({
      method: "PUT",
      url: d.url("/restapi/relay/outlets/0/state"),
      form: { value: "true" },
      auth: { scheme: "digest", username: "admin", password: "s3cret" },
      device: "DLI",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.json(), true);
    assert.deepEqual(seen, [
      "PUT /restapi/relay/outlets/0/state challenge",
      "PUT /restapi/relay/outlets/0/state ok uri=/restapi/relay/outlets/0/state",
      "PUT /restapi/relay/outlets/0/state/ challenge",
      "PUT /restapi/relay/outlets/0/state/ ok uri=/restapi/relay/outlets/0/state/",
    ]);
  });

  Deno.test(`httpCall over ${engine.name}: a redirect to another host is refused, permanent, and nothing reaches that host`, async () => {
    const collected: string[] = [];
    await using other = device(engine.tls, (request) => {
      collected.push(`${request.url} ${request.headers.get("x-auth-token")}`);
      return new Response("thanks");
    });
    const target = other.url("/collect?token=canary");
    const otherHost = new URL(target).host;
    await using d = device(
      engine.tls,
      () => new Response(null, { status: 307, headers: { location: target } }),
    );
    const error = await failure(httpCall({
      url: d.url("/redfish/v1/Systems"),
      headers: { "X-Auth-Token": "session-secret" },
      device: "BMC",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    }));
    assert.equal(error.kind, "protocol");
    assert.equal(error.permanent, true);
    const scheme = engine.tls ? "https" : "http";
    assert.equal(
      error.message,
      `BMC redirected GET /redfish/v1/Systems (HTTP 307) to ${scheme}://${otherHost}, not ${
        new URL(d.url("/")).origin
      }: not followed (the request's credentials and headers would go there)`,
    );
    assert.doesNotMatch(error.message, /canary|collect|session-secret/);
    assert.deepEqual(collected, [], "the other host was never asked");
  });

  Deno.test(`httpCall over ${engine.name}: a redirect loop ends after MAX_REDIRECTS; a redirect status the caller accepts is an answer`, async () => {
    let requests = 0;
    await using d = device(engine.tls, (request) => {
      requests++;
      const url = new URL(request.url);
      return new Response("again", {
        status: url.pathname === "/state" ? 302 : 301,
        headers: { location: url.pathname },
      });
    });
    const loop = await failure(httpCall({
      url: d.url("/loop"),
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    }));
    assert.equal(loop.kind, "protocol");
    assert.equal(
      loop.message,
      `box redirected GET /loop more than ${MAX_REDIRECTS} times; not followed further`,
    );
    assert.equal(requests, MAX_REDIRECTS + 1);
    const accepted = await httpCall({
      url: d.url("/state"),
      acceptStatus: [302],
      device: "box",
      insecure: engine.insecure,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(accepted.status, 302);
    assert.equal(accepted.headers.get("location"), "/state");
    assert.equal(requests, MAX_REDIRECTS + 2);
  });
}
