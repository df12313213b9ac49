/**
 * `mib` + `controlpoint` for more PDU MIBs than APC's (issue 17.5): each row's object, with the
 * extra table indices given in `controlpoint` (`inside_number`), reaches the outlet OID the
 * device's MIB defines. OIDs from the MIBs (and NUT's subdrivers that use them).
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const ROWS = [
  {
    mib: "PDU2-MIB",
    controlpoint: "switchingOperation.1.*",
    oid: "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.*",
    on: 1,
    off: 0,
  },
  {
    mib: "Sentry3-MIB",
    controlpoint: "outletControlAction.1.1.*",
    oid: "1.3.6.1.4.1.1718.3.2.3.1.11.1.1.*",
    on: 1,
    off: 2,
  },
  {
    mib: "POWER-ETHERNET-MIB",
    controlpoint: "pethPsePortAdminEnable.1.*",
    oid: "1.3.6.1.2.1.105.1.1.1.3.1.*",
    on: 1,
    off: 2,
  },
];

for (const row of ROWS) {
  Deno.test(`${row.mib}::${row.controlpoint} switches the outlet its MIB names`, async () => {
    await using sim = await startSimulator("snmp", { outlets: 8 }, {
      oid: row.oid,
      onsetting: row.on,
      offsetting: row.off,
    });
    const { oid: _, ...config } = sim.pduConfig();
    await using d = await startDaemon({
      pdus: {
        pdu: {
          ...config,
          address: sim.pduHostname,
          retries: 1,
          mib: row.mib,
          controlpoint: row.controlpoint,
          "inside_number": true,
        },
      },
    });
    const ok = { status: 200, body: "OK - accepted request\n" };
    assert.deepEqual(await control(d, "on", { hostname: "pdu", port: 5 }), ok);
    assert.deepEqual(await control(d, "off", { hostname: "pdu", port: 5 }), ok);
    const at = row.oid.replace("*", "5");
    assert.deepEqual(
      sim.device.received.map((r) => r.text).filter((t) => t.startsWith("SET")),
      [`SET ${at} = ${row.on}`, `SET ${at} = ${row.off}`],
    );
  });
}
