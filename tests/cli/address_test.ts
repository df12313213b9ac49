/**
 * cli/address.ts: the one reader of HOST:PORT (issue 14.9), and the commands that use it.
 */
import assert from "node:assert/strict";
import { formatHostPort, parseHostPort } from "../../cli/address.ts";
import { runClient } from "../../cli/client.ts";
import { runStatus } from "../../cli/status.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

Deno.test("parseHostPort() reads HOST, HOST:PORT, [v6], [v6]:PORT and a bare v6 address", () => {
  const cases: [string, string, number][] = [
    ["127.0.0.1", "127.0.0.1", 16421],
    ["127.0.0.1:17001", "127.0.0.1", 17001],
    ["pdu-host.lab", "pdu-host.lab", 16421],
    ["pdu-host.lab:80", "pdu-host.lab", 80],
    ["[::1]", "::1", 16421],
    ["[::1]:17001", "::1", 17001],
    ["::1", "::1", 16421],
    ["fe80::1%eth0", "fe80::1%eth0", 16421],
  ];
  for (const [text, hostname, port] of cases) {
    assert.deepEqual(parseHostPort(text, 16421), { hostname, port }, text);
  }
});

Deno.test("parseHostPort() refuses what is not an address, naming what was expected", () => {
  for (
    const text of ["", ":17001", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http", "[::1", "[x]:1"]
  ) {
    assert.throws(
      () => parseHostPort(text, 16421),
      /expected HOST|not a number from 1 to 65535/,
      text,
    );
  }
  assert.throws(() => parseHostPort("h:0", 16421), /from 1 to 65535/);
  assert.deepEqual(parseHostPort("h:0", 16421, { allowPortZero: true }), {
    hostname: "h",
    port: 0,
  });
});

Deno.test("formatHostPort() brackets IPv6 hosts", () => {
  assert.equal(formatHostPort({ hostname: "::1", port: 1 }), "[::1]:1");
  assert.equal(formatHostPort({ hostname: "10.0.0.1", port: 16421 }), "10.0.0.1:16421");
});

Deno.test("pdud client and pdud status take --daemon HOST:PORT", async (t) => {
  const pdu = "addr-" + crypto.randomUUID();
  await using d = await startDaemon({ pdus: { [pdu]: { driver: "simulated", outlets: 2 } } });
  const daemon = `127.0.0.1:${d.port}`;
  const device = simulatedDevice(pdu)!;

  for (const via of [[], ["--http"], ["--api"]]) {
    await t.step(`client ${via.join(" ") || "(legacy TCP)"} --daemon ${daemon}`, async () => {
      const o = io();
      const code = await runClient(
        ["--daemon", daemon, "--hostname", pdu, "--port", "2", "--command", "on", ...via],
        o,
      );
      assert.equal(code, 0, o.lines.join("\n"));
      await control(d, "get-status", { hostname: pdu, port: 2 });
      assert.equal(device.get(2), "on");
      await control(d, "off", { hostname: pdu, port: 2 });
    });
  }

  await t.step("status --daemon HOST:PORT", async () => {
    const o = io();
    assert.equal(await runStatus(["--daemon", daemon], o), 0, o.lines.join("\n"));
    assert.match(o.lines.join("\n"), new RegExp(pdu));
  });

  await t.step("a port given twice that disagrees is a usage error", async () => {
    const o = io();
    const code = await runClient(
      ["--daemon", daemon, "--daemon-port", "1", "--hostname", pdu, "--port", "1"]
        .concat(["--command", "on"]),
      o,
    );
    assert.equal(code, 1);
    assert.match(o.lines.join("\n"), /give the port once/);
    const s = io();
    assert.equal(await runStatus(["--daemon", "127.0.0.1:99999"], s), 2);
    assert.match(s.lines.join("\n"), /not a number from 1 to 65535/);
  });
});

function io() {
  const lines: string[] = [];
  return { lines, out: (t: string) => lines.push(t), err: (t: string) => lines.push(`E: ${t}`) };
}
