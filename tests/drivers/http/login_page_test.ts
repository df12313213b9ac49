/**
 * The web-page drivers facing a device that answers its login page (200) to everything, as a
 * web interface with form login does to a client without its session cookie: a switch is an
 * authentication failure, never done, and a read says so too.
 */
import assert from "node:assert/strict";
import { DriverError, findDriver } from "../../../drivers/mod.ts";
import { memoryLogger } from "../../_helpers/log.ts";

const LOGIN_PAGE = `<html><head><title>Login</title></head><body>
<form method="post" action="/login.tgi"><input type="text" name="Username">
<input type=password name="Password"><input type="submit" value="Log In"></form></body></html>`;

const DRIVERS: { name: string; options?: Record<string, unknown> }[] = [
  { name: "gude" },
  { name: "gude24" },
  { name: "gude8316" },
  { name: "gude8031" },
  { name: "gude8225" },
  { name: "digitalloggers_http" },
  { name: "digitalloggers_restapi" },
  { name: "tinycontrol" },
  { name: "tinycontrol_tcpdu" },
  { name: "pe6216", options: { password: "x" } },
  { name: "LindyIPowerClassic8" },
  { name: "digipower" },
];

for (const d of DRIVERS) {
  Deno.test(`${d.name}: a login page answered to a switch or a read is refused credentials`, async () => {
    const requests: string[] = [];
    await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (r) => {
      requests.push(`${r.method} ${new URL(r.url).pathname}`);
      return new Response(LOGIN_PAGE, { headers: { "content-type": "text/html" } });
    });
    const descriptor = findDriver(d.name)!;
    const driver = descriptor.create("127.0.0.1", {
      options: descriptor.options.parse({ port: server.addr.port, ...d.options }),
      log: memoryLogger(),
    });
    const refused = (error: unknown) => {
      assert.ok(error instanceof DriverError, String(error));
      assert.equal(error.kind, "auth");
      assert.equal(error.permanent, true);
      assert.match(error.message, /login page/);
      return true;
    };
    await assert.rejects(driver.setOutlet(1, "on", { signal: AbortSignal.timeout(5000) }), refused);
    await assert.rejects(driver.getOutlet!(1, { signal: AbortSignal.timeout(5000) }), refused);
    assert.ok(requests.length >= 2);
    await driver.close();
  });
}
