import assert from "node:assert/strict";
import { findDriver, type Simulator } from "../../../drivers/mod.ts";
import { conformance, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

interface Row {
  driver: string;
  kind: string;
  options?: Record<string, unknown>;
  bad?: (sim: Simulator) => Record<string, unknown>;
  /** The 503 reason of a device error. */
  error: RegExp;
  /** The 503 reason of `bad`. */
  badReason?: RegExp;
}

const ROWS: Row[] = [
  {
    driver: "netio4",
    kind: "netio-kshell",
    options: { username: "netio", password: "kshell-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    error: /NETIO at 127\.0\.0\.1:\d+ refused "port 1 1": 550 PORT BUSY/,
    badReason: /refused the login of user "netio": 503 INVALID LOGIN/,
  },
  {
    driver: "gude1202",
    kind: "gude-telnet",
    error: /Gude 1202 at 127\.0\.0\.1:\d+ refused "port 1 state set 1": Error: port locked/,
  },
  {
    driver: "synnetbooter",
    kind: "synaccess-telnet",
    options: { username: "lab", password: "np08b-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    error: /netBooter at 127\.0\.0\.1:\d+ refused "pset 1 1": Error: outlet is locked/,
    badReason: /refused the login of user "lab": Invalid Login/,
  },
];

for (const row of ROWS) {
  const start = () => startSimulator(row.kind, { outlets: 8 }, row.options);
  conformance({
    name: row.driver,
    descriptor: findDriver(row.driver)!,
    start,
    ...(row.bad ? { badCredentials: row.bad } : {}),
  });

  Deno.test(`${row.driver}: on, off and reboot through the daemon's HTTP API`, async () => {
    await using sim = await start();
    assert.equal(sim.pduConfig().driver, row.driver);
    await assertDrivesOverHttp(sim);
    await assertDrivesOverHttp(sim, { outlet: 8 });
  });

  Deno.test(`${row.driver}: a device error${row.bad ? " and a wrong password are" : " is"} answered 503 with the reason`, async () => {
    await using sim = await start();
    sim.device.fault = "error";
    await using d = await startDaemon({
      pdus: {
        dev: { ...sim.pduConfig(), address: "127.0.0.1", retries: 1 },
        ...(row.bad ? { bad: { ...row.bad(sim), address: "127.0.0.1", retries: 1 } } : {}),
      },
    });
    const r = await control(d, "on", { hostname: "dev", port: 1 });
    assert.equal(r.status, 503);
    assert.match(r.body, row.error);
    sim.device.fault = "none";
    if (row.bad) {
      const wrong = await control(d, "on", { hostname: "bad", port: 1 });
      assert.equal(wrong.status, 503);
      assert.match(wrong.body, row.badReason!);
    }
    assert.equal(sim.device.get(1), "off");
  });
}
