/**
 * SNMP MIB names beyond APC's (issue 17.5): the table's new objects reach the OIDs their MIBs
 * define, EATON-EPDU-MIB's separate on/off command columns drive a small Eaton-like agent end
 * to end, and `mib_dirs` resolves any other name from MIB files with net-snmp's module store,
 * refusing a missing module, import or symbol by name. The MIB fixtures are written by the test
 * (made-up modules under enterprise 99999, the IANA example number range).
 */
import assert from "node:assert/strict";
import snmp from "net-snmp";
import { ConfigError, loadConfig } from "../../../config/mod.ts";
import { outletPlan } from "../../../drivers/snmp/snmp.ts";
import { startSimulator } from "../../_helpers/conformance.ts";
import { control, startDaemon } from "../../_helpers/daemon.ts";

const plan = (o: Record<string, unknown>, outlet: number) =>
  outletPlan({ snmpport: 161, ...o } as Parameters<typeof outletPlan>[0], outlet);

Deno.test("table rows: each object's SETs and state read are the ones its MIB defines", () => {
  // EATON-EPDU-MIB: outletControlOnCmd/OffCmd .4/.3 written with 0 (now), status .2 on(1) off(0).
  assert.deepEqual(
    plan(
      { mib: "EATON-EPDU-MIB", controlpoint: "outletControlOffCmd.0.*", inside_number: true },
      5,
    ),
    {
      set: {
        on: { oid: "1.3.6.1.4.1.534.6.6.7.6.6.1.4.0.5", value: 0 },
        off: { oid: "1.3.6.1.4.1.534.6.6.7.6.6.1.3.0.5", value: 0 },
      },
      get: { oid: "1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.5", on: 1, off: 0 },
    },
  );
  // LIEBERT-GP-PDU-MIB: lgpPduRcpEntryControl off(0) on(1); lgpPduRcpEntryPwrState off(1) on(2).
  assert.deepEqual(
    plan({
      mib: "LIEBERT-GP-PDU-MIB",
      controlpoint: "lgpPduRcpEntryControl.1.2.*",
      inside_number: true,
    }, 3),
    {
      set: {
        on: { oid: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.100.1.2.3", value: 1 },
        off: { oid: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.100.1.2.3", value: 0 },
      },
      get: { oid: "1.3.6.1.4.1.476.1.42.3.8.50.20.1.95.1.2.3", on: 2, off: 1 },
    },
  );
  // CPS-MIB ePDU2: immediateOn(1) immediateOff(2); ePDU2OutletSwitchedStatusState on(1) off(2).
  assert.deepEqual(plan({ mib: "CPS-MIB", controlpoint: "ePDU2OutletSwitchedControlCommand" }, 4), {
    set: {
      on: { oid: "1.3.6.1.4.1.3808.1.1.6.6.1.5.1.5.4", value: 1 },
      off: { oid: "1.3.6.1.4.1.3808.1.1.6.6.1.5.1.5.4", value: 2 },
    },
    get: { oid: "1.3.6.1.4.1.3808.1.1.6.6.1.4.1.5.4", on: 1, off: 2 },
  });
  // PDU2-MIB: off is 0 (upstream's default 2 would be cycle); outletSwitchingState on(7) off(8).
  const raritan = plan(
    { mib: "PDU2-MIB", controlpoint: "switchingOperation.1.*", inside_number: true },
    2,
  );
  assert.deepEqual(raritan.set.off, { oid: "1.3.6.1.4.1.13742.6.4.1.2.1.2.1.2", value: 0 });
  assert.deepEqual(raritan.get, { oid: "1.3.6.1.4.1.13742.6.4.1.2.1.3.1.2", on: 7, off: 8 });
  // Sentry3-MIB: outletStatus off(0) on(1).
  assert.deepEqual(
    plan({ mib: "Sentry3-MIB", controlpoint: "outletControlAction.1.1.*", inside_number: true }, 6)
      .get,
    { oid: "1.3.6.1.4.1.1718.3.2.3.1.5.1.1.6", on: 1, off: 0 },
  );
  // Explicit onsetting/offsetting still win, as upstream's keys do.
  assert.equal(
    plan({ mib: "PDU2-MIB", controlpoint: "switchingOperation", offsetting: 2 }, 1).set.off.value,
    2,
  );
  // Objects without a behaviour keep upstream's: SET and GET the same column, 1/2.
  assert.deepEqual(plan({ mib: "PowerNet-MIB", controlpoint: "sPDUOutletCtl" }, 1).get, {
    oid: "1.3.6.1.4.1.318.1.1.4.4.2.1.3.1",
    on: 1,
    off: 2,
  });
});

/**
 * An Eaton ePDU's outletControlTable (strappingIndex.outletIndex): writing 0 to the On or Off
 * command column switches the outlet; outletControlStatus reads it. Every SET is recorded.
 */
async function eatonAgent(outlets: number) {
  const sets: string[] = [];
  const status = new Map<number, number>();
  const agent = snmp.createAgent(
    { port: 0, address: "127.0.0.1", accessControlModelType: snmp.AccessControlModelType.None },
    () => {},
  );
  agent.getAuthorizer().addCommunity("private");
  const mib = agent.getMib();
  const column = (number: number, name: string, access: string) => ({
    number,
    name,
    type: snmp.ObjectType.Integer,
    maxAccess: snmp.MaxAccess[access],
  });
  mib.registerProvider({
    name: "outletControlEntry",
    type: snmp.MibProviderType.Table,
    oid: "1.3.6.1.4.1.534.6.6.7.6.6.1",
    tableColumns: [
      column(2, "outletControlStatus", "read-only"),
      column(3, "outletControlOffCmd", "read-write"),
      column(4, "outletControlOnCmd", "read-write"),
      column(90, "strappingIndex", "not-accessible"),
      column(91, "outletIndex", "not-accessible"),
    ],
    tableIndex: [{ columnName: "strappingIndex" }, { columnName: "outletIndex" }],
    // deno-lint-ignore no-explicit-any
    handler: (request: any) => {
      const arcs = String(request.oid).split(".");
      const outlet = Number(arcs.at(-1));
      const column = Number(arcs.at(-3));
      if (request.operation === snmp.PduType.SetRequest) {
        if (request.testSet) return request.done();
        sets.push(
          `${column === 4 ? "on" : "off"}Cmd.${arcs.at(-2)}.${outlet} = ${request.setValue}`,
        );
        if (request.setValue === 0) status.set(outlet, column === 4 ? 1 : 0);
      } else if (column === 2) request.instanceNode.value = status.get(outlet) ?? 0;
      request.done();
    },
  });
  for (let outlet = 1; outlet <= outlets; outlet++) {
    mib.addTableRow("outletControlEntry", [0, -1, -1, 0, outlet]);
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
  // net-snmp binds asynchronously and does not report the port it got; its socket does.
  // deno-lint-ignore no-explicit-any
  const sockets = Object.values((agent as any).listener.sockets) as any[];
  const port: number = sockets[0].address().port;
  return {
    port,
    sets,
    status,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => agent.close(() => resolve())),
  };
}

Deno.test("EATON-EPDU-MIB end to end: on and off write their own command columns; status reads outletControlStatus", async () => {
  await using eaton = await eatonAgent(8);
  await using d = await startDaemon({
    pdus: {
      epdu: {
        driver: "snmpv2c",
        address: "127.0.0.1",
        snmpport: eaton.port,
        community: "private",
        mib: "EATON-EPDU-MIB",
        controlpoint: "outletControlOnCmd.0.*",
        "inside_number": true,
        retries: 1,
      },
    },
  });
  const ok = { status: 200, body: "OK - accepted request\n" };
  assert.deepEqual(await control(d, "on", { hostname: "epdu", port: 5 }), ok);
  assert.equal(eaton.status.get(5), 1);
  const state = await fetch(`${d.url}/power/control/get-port-state?hostname=epdu&port=5`);
  assert.deepEqual(await state.json(), { state: "on" });
  assert.deepEqual(await control(d, "off", { hostname: "epdu", port: 5 }), ok);
  assert.equal(eaton.status.get(5), 0);
  assert.deepEqual(eaton.sets, ["onCmd.0.5 = 0", "offCmd.0.5 = 0"]);
});

/** A made-up MIB importing from another made-up one, as vendor MIBs import their OID roots. */
const ROOT_MIB = `PDUD-EXAMPLE-ROOT DEFINITIONS ::= BEGIN
IMPORTS enterprises FROM SNMPv2-SMI;
pdudExample OBJECT IDENTIFIER ::= { enterprises 99999 }
END
`;
const TABLE_MIB = `PDUD-EXAMPLE-PDU-MIB DEFINITIONS ::= BEGIN
IMPORTS
    OBJECT-TYPE, Integer32 FROM SNMPv2-SMI
    pdudExample FROM PDUD-EXAMPLE-ROOT;

examplePdu OBJECT IDENTIFIER ::= { pdudExample 7 }

exampleOutletTable OBJECT-TYPE
    SYNTAX SEQUENCE OF ExampleOutletEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "Outlets."
    ::= { examplePdu 3 }

exampleOutletEntry OBJECT-TYPE
    SYNTAX ExampleOutletEntry
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "One outlet."
    INDEX { exampleOutletIndex }
    ::= { exampleOutletTable 1 }

ExampleOutletEntry ::= SEQUENCE { exampleOutletIndex Integer32, exampleOutletCommand INTEGER }

exampleOutletIndex OBJECT-TYPE
    SYNTAX Integer32 (1..64)
    MAX-ACCESS not-accessible
    STATUS current
    DESCRIPTION "Outlet number."
    ::= { exampleOutletEntry 1 }

exampleOutletCommand OBJECT-TYPE
    SYNTAX INTEGER { on(1), off(2) }
    MAX-ACCESS read-write
    STATUS current
    DESCRIPTION "Switches the outlet."
    ::= { exampleOutletEntry 4 }
END
`;
const RESOLVED = "1.3.6.1.4.1.99999.7.3.1.4";

async function mibDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-mibs-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("mib_dirs: a name outside the table is resolved from MIB files and switches the outlet", async () => {
  // The root module's file name says nothing: it is found by its DEFINITIONS line.
  const dir = await mibDir({ "example-root.txt": ROOT_MIB, "PDUD-EXAMPLE-PDU-MIB": TABLE_MIB });
  try {
    await using sim = await startSimulator("snmp", { outlets: 8 }, { oid: `${RESOLVED}.*` });
    const { oid: _, ...config } = sim.pduConfig();
    const pdu = {
      ...config,
      address: sim.pduHostname,
      retries: 1,
      mib: "PDUD-EXAMPLE-PDU-MIB",
      controlpoint: "exampleOutletCommand",
      "mib_dirs": [`${dir}/absent`, dir],
    };
    const loaded = await loadConfig({ pdus: { pdu } });
    assert.equal((loaded.pdus.pdu!.options as { resolved?: string }).resolved, RESOLVED);
    await using d = await startDaemon({ pdus: { pdu } });
    const ok = { status: 200, body: "OK - accepted request\n" };
    assert.deepEqual(await control(d, "on", { hostname: "pdu", port: 3 }), ok);
    assert.deepEqual(await control(d, "off", { hostname: "pdu", port: 3 }), ok);
    assert.deepEqual(
      sim.device.received.map((r) => r.text).filter((t) => t.startsWith("SET")),
      [`SET ${RESOLVED}.3 = 1`, `SET ${RESOLVED}.3 = 2`],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mib_dirs: a missing MIB, a missing import and a missing symbol are config errors naming them", async () => {
  const dir = await mibDir({ "PDUD-EXAMPLE-PDU-MIB.txt": TABLE_MIB });
  try {
    const problem = async (mib: string, controlpoint: string) => {
      try {
        await loadConfig({
          pdus: { p: { driver: "snmpv1", mib, controlpoint, "mib_dirs": [dir] } },
        });
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.issues.length, 1);
        return `${error.issues[0]!.path}: ${error.issues[0]!.message}`;
      }
      assert.fail("the config loaded");
    };
    assert.match(
      await problem("NO-SUCH-MIB", "someObject"),
      new RegExp(
        `^pdus\\.p\\.controlpoint: unknown NO-SUCH-MIB::someObject; pdud knows .*EATON-EPDU-MIB::outletControlOnCmd.* — or give the numeric \`oid\`, or put the MIB file in mib_dirs \\(no MIB file defining NO-SUCH-MIB in mib_dirs \\(${dir}\\)\\)$`,
      ),
    );
    assert.match(
      await problem("PDUD-EXAMPLE-PDU-MIB", "exampleOutletState"),
      /\(\S+PDUD-EXAMPLE-PDU-MIB\.txt \(PDUD-EXAMPLE-PDU-MIB\) defines no exampleOutletState\)$/,
    );
    assert.equal(
      await problem("PDUD-EXAMPLE-PDU-MIB", "exampleOutletCommand"),
      `pdus.p.controlpoint: PDUD-EXAMPLE-PDU-MIB imports PDUD-EXAMPLE-ROOT, but no MIB file ` +
        `defining PDUD-EXAMPLE-ROOT is in mib_dirs (${dir})`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
