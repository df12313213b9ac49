/**
 * listOutlets against devices that answer more than they have: outlets beyond the model's
 * range are not listed (the config cannot switch them), and names taken from the device are
 * printable and bounded.
 */
import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { memoryLogger } from "../../_helpers/log.ts";

async function listFrom(
  driver: string,
  options: Record<string, unknown>,
  answer: (path: string) => Response,
) {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => answer(new URL(r.url).pathname),
  );
  const descriptor = findDriver(driver)!;
  const created = descriptor.create("127.0.0.1", {
    options: descriptor.options.parse({ port: server.addr.port, ...options }),
    log: memoryLogger(),
  });
  try {
    return await created.listOutlets!({ signal: AbortSignal.timeout(5000) });
  } finally {
    await created.close();
  }
}

Deno.test("digitalloggers_restapi lists outlets 1–8 when the controller answers 100 relays", async () => {
  const list = await listFrom(
    "digitalloggers_restapi",
    {},
    () => Response.json(Array(100).fill(true)),
  );
  assert.deepEqual(list.map((o) => o.outlet), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("pe6216 lists outlets 1–16 once each, whatever else the OutletRelay holds", async () => {
  const list = await listFrom(
    "pe6216",
    { password: "x" },
    () =>
      new Response(
        "<OutletRelay><01>ON</01><99>OFF</99><01>OFF</01><00>ON</00><16>OFF</16></OutletRelay>",
      ),
  );
  assert.deepEqual(list, [{ outlet: 1, state: "on" }, { outlet: 16, state: "off" }]);
});

Deno.test("gude8031 outlet names from the device are printable and at most 64 characters", async () => {
  const name = `\x1b[31mred\x07${"A".repeat(1000)}`;
  const list = await listFrom(
    "gude8031",
    {},
    () => Response.json({ outputs: [{ state: 1, name }, { state: 0, name: "Port 2" }] }),
  );
  assert.equal(list.length, 2);
  assert.equal(list[1]!.name, "Port 2");
  const first = list[0]!.name!;
  assert.ok(first.length <= 64, `${first.length} characters`);
  assert.ok(first.startsWith("red\\x07AAA"), first);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x00-\x1f]/.test(first));
});
