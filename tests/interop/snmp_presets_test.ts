/**
 * The SNMP presets against software nobody here wrote. (1) Net-SNMP's snmpd, serving the
 * vendor's tables from a `pass_persist` (or `pass`) script that keeps them in a JSON file
 * (tests/_fixtures/snmp_pass.py): the daemon switches outlets over HTTP and the file shows the
 * outlet's state column changed; get-port-state, listOutlets and readPower read what snmpd
 * answers. (2) Net-SNMP's snmpwalk, snmpget and snmpset against pdud's simulator of the same
 * preset: the objects are where the MIB puts them, a SET switches the simulated outlet.
 * Skipped, saying so, where snmpd, the tools or /usr/bin/python3 are missing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { findDriver, type PowerReading } from "../../drivers/mod.ts";
import { createDriver, startSimulator } from "../_helpers/conformance.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";
import { startSnmpd } from "./_snmpd.ts";
import { run, skipUnless } from "./_tools.ts";

const PYTHON = "/usr/bin/python3";
const PASS = fileURLToPath(new URL("../_fixtures/snmp_pass.py", import.meta.url));
const HAVE_PYTHON = (() => {
  try {
    return Deno.statSync(PYTHON).isFile;
  } catch {
    return false;
  }
})();
const SNMPD_SKIP = skipUnless(["snmpd"], "snmpd") ||
  (HAVE_PYTHON ? "" : " (skipped: /usr/bin/python3 not installed; apt-get install python3)");
const TOOLS_SKIP = skipUnless(["snmpset", "snmpget", "snmpwalk"], "snmp");

type Entry = [string, number | string];
/** A pass script's file: objects by OID, and what each writable object's values change. */
interface PassState {
  objects: Record<string, Entry>;
  writable: Record<string, Record<string, Record<string, number>>>;
}

interface Preset {
  name: string;
  /** The subtree snmpd passes to the script. */
  root: string;
  /** `pass_persist` (one long-lived script) or `pass` (one run per varbind). */
  directive: "pass_persist" | "pass";
  /** The pdud PDU keys besides driver, community and port. */
  pdu: Record<string, unknown>;
  outlets: number;
  /** The outlet the HTTP test switches. */
  outlet: number;
  /** The file's objects and SET effects for `outlets` outlets, all off. */
  state(outlets: number): PassState;
  /** The state column's OID of `outlet`, and its values. */
  stateOid(outlet: number): string;
  values: { on: number; off: number };
  names: boolean;
  power?: { on: PowerReading };
  /** The simulator kind and options of the same preset, and what to ask Net-SNMP's tools. */
  simulator: {
    kind: string;
    options?: Record<string, unknown>;
    /** A subtree snmpwalk shows, and lines it must contain for outlets 1 (off) and 2 (on). */
    walk: string;
    lines: RegExp[];
    /** The SET that switches `outlet` on, with the type letter snmpset takes. */
    set(outlet: number): [string, string, string];
  };
}

/** The simulated load of a switched-on outlet: 0.25 A per outlet number at 230 V. */
const amps = (outlet: number) => 0.25 * outlet;

const EATON = "1.3.6.1.4.1.534.6.6.7.6";
const RARITAN = "1.3.6.1.4.1.13742.6";
/** PowerNet-MIB rPDU2Outlet. */
const RPDU2 = "1.3.6.1.4.1.318.1.1.26.9";
/** POWER-ETHERNET-MIB pethPsePortEntry. */
const POE = "1.3.6.1.2.1.105.1.1.1";
/** Sentry3-MIB outletEntry. */
const SENTRY = "1.3.6.1.4.1.1718.3.2.3.1";
/** Tower 1's infeed and outlet of outlet `n`, `perInfeed` outlets to an infeed. */
const sentryIndex = (n: number, perInfeed: number) =>
  `1.${Math.floor((n - 1) / perInfeed) + 1}.${((n - 1) % perInfeed) + 1}`;

const PRESETS: Preset[] = [
  {
    name: "EATON-EPDU-MIB",
    root: "1.3.6.1.4.1.534",
    directive: "pass_persist",
    pdu: { mib: "EATON-EPDU-MIB", controlpoint: "outletControlOnCmd" },
    outlets: 4,
    outlet: 3,
    state(outlets) {
      const s: PassState = { objects: {}, writable: {} };
      for (let n = 1; n <= outlets; n++) {
        const i = `0.${n}`;
        s.objects[`${EATON}.1.1.3.${i}`] = ["string", `Outlet ${n}`];
        s.objects[`${EATON}.3.1.2.${i}`] = ["integer", 230_000];
        s.objects[`${EATON}.4.1.3.${i}`] = ["integer", 0];
        s.objects[`${EATON}.5.1.3.${i}`] = ["integer", 0];
        s.objects[`${EATON}.5.1.4.${i}`] = ["gauge", 1500 * n];
        s.objects[`${EATON}.6.1.2.${i}`] = ["integer", 0];
        s.objects[`${EATON}.6.1.3.${i}`] = ["integer", -1];
        s.objects[`${EATON}.6.1.4.${i}`] = ["integer", -1];
        const switched = (on: boolean) => ({
          [`${EATON}.6.1.2.${i}`]: on ? 1 : 0,
          [`${EATON}.4.1.3.${i}`]: on ? amps(n) * 1000 : 0,
          [`${EATON}.5.1.3.${i}`]: on ? Math.round(amps(n) * 230) : 0,
        });
        s.writable[`${EATON}.6.1.4.${i}`] = { "0": switched(true), "-1": {} };
        s.writable[`${EATON}.6.1.3.${i}`] = { "0": switched(false), "-1": {} };
      }
      return s;
    },
    stateOid: (outlet) => `${EATON}.6.1.2.0.${outlet}`,
    values: { on: 1, off: 0 },
    names: true,
    power: { on: { watts: 173, energyWh: 4500, volts: 230, amps: 0.75 } },
    simulator: {
      kind: "eaton-snmp",
      walk: `${EATON}.6.1.2`,
      lines: [
        /\.1\.3\.6\.1\.4\.1\.534\.6\.6\.7\.6\.6\.1\.2\.0\.1 = INTEGER: 0/,
        /\.1\.3\.6\.1\.4\.1\.534\.6\.6\.7\.6\.6\.1\.2\.0\.2 = INTEGER: 1/,
      ],
      set: (outlet) => [`${EATON}.6.1.4.0.${outlet}`, "i", "0"],
    },
  },
  {
    name: "PDU2-MIB",
    root: "1.3.6.1.4.1.13742",
    directive: "pass_persist",
    pdu: { mib: "PDU2-MIB", controlpoint: "switchingOperation" },
    outlets: 4,
    outlet: 2,
    state(outlets) {
      const s: PassState = { objects: {}, writable: {} };
      // Sensor type: [digits, value when off, value when on] for outlet n.
      const sensors = (n: number): Record<number, [number, number, number]> => ({
        1: [3, 0, amps(n) * 1000],
        4: [0, 230, 230],
        5: [1, 0, amps(n) * 2300],
        8: [0, 1500 * n, 1500 * n],
      });
      for (let n = 1; n <= outlets; n++) {
        s.objects[`${RARITAN}.3.5.3.1.3.1.${n}`] = ["string", `Outlet ${n}`];
        s.objects[`${RARITAN}.4.1.2.1.2.1.${n}`] = ["integer", 0];
        s.objects[`${RARITAN}.4.1.2.1.3.1.${n}`] = ["integer", 8];
        for (const [type, [digits, off]] of Object.entries(sensors(n))) {
          s.objects[`${RARITAN}.3.5.4.1.7.1.${n}.${type}`] = ["gauge", digits];
          s.objects[`${RARITAN}.5.4.3.1.4.1.${n}.${type}`] = ["gauge", off];
        }
        const switched = (on: boolean) => ({
          [`${RARITAN}.4.1.2.1.2.1.${n}`]: on ? 1 : 0,
          [`${RARITAN}.4.1.2.1.3.1.${n}`]: on ? 7 : 8,
          ...Object.fromEntries(
            Object.entries(sensors(n)).map((
              [type, [, off, on_]],
            ) => [`${RARITAN}.5.4.3.1.4.1.${n}.${type}`, on ? on_ : off]),
          ),
        });
        // off(0), on(1), cycle(2): a cycle ends on.
        s.writable[`${RARITAN}.4.1.2.1.2.1.${n}`] = {
          "0": switched(false),
          "1": switched(true),
          "2": switched(true),
        };
      }
      return s;
    },
    stateOid: (outlet) => `${RARITAN}.4.1.2.1.3.1.${outlet}`,
    values: { on: 7, off: 8 },
    names: true,
    power: { on: { watts: 115, energyWh: 3000, volts: 230, amps: 0.5 } },
    simulator: {
      kind: "raritan-snmp",
      walk: `${RARITAN}.4.1.2.1.3`,
      lines: [
        /\.1\.3\.6\.1\.4\.1\.13742\.6\.4\.1\.2\.1\.3\.1\.1 = INTEGER: 8/,
        /\.1\.3\.6\.1\.4\.1\.13742\.6\.4\.1\.2\.1\.3\.1\.2 = INTEGER: 7/,
      ],
      set: (outlet) => [`${RARITAN}.4.1.2.1.2.1.${outlet}`, "i", "1"],
    },
  },
  {
    name: "Sentry3-MIB",
    root: "1.3.6.1.4.1.1718",
    directive: "pass_persist",
    pdu: { mib: "Sentry3-MIB", controlpoint: "outletControlAction", "outlets_per_infeed": 4 },
    outlets: 6,
    // The first outlet of infeed B: 1.2.1.
    outlet: 5,
    state(outlets) {
      const s: PassState = { objects: {}, writable: {} };
      for (let n = 1; n <= outlets; n++) {
        const i = sentryIndex(n, 4);
        s.objects[`${SENTRY}.3.${i}`] = ["string", `Outlet ${n}`];
        s.objects[`${SENTRY}.5.${i}`] = ["integer", 0];
        s.objects[`${SENTRY}.11.${i}`] = ["integer", 0];
        // on(1), off(2), reboot(3): outletStatus on(1) off(0).
        s.writable[`${SENTRY}.11.${i}`] = {
          "1": { [`${SENTRY}.5.${i}`]: 1 },
          "2": { [`${SENTRY}.5.${i}`]: 0 },
          "3": { [`${SENTRY}.5.${i}`]: 1 },
        };
      }
      return s;
    },
    stateOid: (outlet) => `${SENTRY}.5.${sentryIndex(outlet, 4)}`,
    values: { on: 1, off: 0 },
    names: true,
    simulator: {
      kind: "sentry3-snmp",
      options: { "outlets_per_infeed": 4 },
      walk: `${SENTRY}.5`,
      lines: [
        /\.1\.3\.6\.1\.4\.1\.1718\.3\.2\.3\.1\.5\.1\.1\.1 = INTEGER: 0/,
        /\.1\.3\.6\.1\.4\.1\.1718\.3\.2\.3\.1\.5\.1\.1\.2 = INTEGER: 1/,
      ],
      set: (outlet) => [`${SENTRY}.11.${sentryIndex(outlet, 4)}`, "i", "1"],
    },
  },
  {
    name: "POWER-ETHERNET-MIB",
    root: "1.3.6.1.2.1.105",
    directive: "pass",
    pdu: { mib: "POWER-ETHERNET-MIB", controlpoint: "pethPsePortAdminEnable" },
    outlets: 4,
    outlet: 3,
    state(outlets) {
      const s: PassState = { objects: {}, writable: {} };
      for (let n = 1; n <= outlets; n++) {
        const admin = `${POE}.3.1.${n}`;
        s.objects[admin] = ["integer", 2];
        s.writable[admin] = { "1": { [admin]: 1 }, "2": { [admin]: 2 } };
      }
      return s;
    },
    stateOid: (outlet) => `${POE}.3.1.${outlet}`,
    values: { on: 1, off: 2 },
    names: false,
    simulator: {
      kind: "poe-snmp",
      walk: POE,
      lines: [
        /\.1\.3\.6\.1\.2\.1\.105\.1\.1\.1\.3\.1\.1 = INTEGER: 2/,
        /\.1\.3\.6\.1\.2\.1\.105\.1\.1\.1\.3\.1\.2 = INTEGER: 1/,
        // pethPsePortDetectionStatus: deliveringPower(3) where enabled.
        /\.1\.3\.6\.1\.2\.1\.105\.1\.1\.1\.6\.1\.2 = INTEGER: 3/,
      ],
      set: (outlet) => [`${POE}.3.1.${outlet}`, "i", "1"],
    },
  },
  {
    name: "PowerNet-MIB rPDU2",
    root: "1.3.6.1.4.1.318",
    directive: "pass_persist",
    pdu: { mib: "PowerNet-MIB", controlpoint: "rPDU2OutletSwitchedControlCommand" },
    outlets: 4,
    outlet: 4,
    state(outlets) {
      const s: PassState = { objects: {}, writable: {} };
      for (let n = 1; n <= outlets; n++) {
        const command = `${RPDU2}.2.4.1.5.${n}`;
        s.objects[`${RPDU2}.2.4.1.3.${n}`] = ["string", `Outlet ${n}`];
        s.objects[command] = ["integer", 2];
        s.objects[`${RPDU2}.4.3.1.6.${n}`] = ["integer", 0];
        s.objects[`${RPDU2}.4.3.1.7.${n}`] = ["integer", 0];
        s.objects[`${RPDU2}.4.3.1.11.${n}`] = ["integer", 15 * n];
        const switched = (on: boolean) => ({
          [command]: on ? 1 : 2,
          [`${RPDU2}.4.3.1.6.${n}`]: on ? Math.round(amps(n) * 10) : 0,
          [`${RPDU2}.4.3.1.7.${n}`]: on ? Math.round(amps(n) * 230) : 0,
        });
        // immediateOn(1), immediateOff(2), immediateReboot(3): reading answers 1 or 2.
        s.writable[command] = { "1": switched(true), "2": switched(false), "3": switched(true) };
      }
      return s;
    },
    stateOid: (outlet) => `${RPDU2}.2.4.1.5.${outlet}`,
    values: { on: 1, off: 2 },
    names: true,
    power: { on: { watts: 230, energyWh: 6000, amps: 1 } },
    simulator: {
      kind: "apc-snmp",
      options: { controlpoint: "rPDU2OutletSwitchedControlCommand" },
      walk: `${RPDU2}.2.3.1.5`,
      lines: [
        // rPDU2OutletSwitchedStatusState off(1) on(2).
        /\.1\.3\.6\.1\.4\.1\.318\.1\.1\.26\.9\.2\.3\.1\.5\.1 = INTEGER: 1/,
        /\.1\.3\.6\.1\.4\.1\.318\.1\.1\.26\.9\.2\.3\.1\.5\.2 = INTEGER: 2/,
      ],
      set: (outlet) => [`${RPDU2}.2.4.1.5.${outlet}`, "i", "1"],
    },
  },
];

async function readState(path: string): Promise<PassState> {
  return JSON.parse(await Deno.readTextFile(path));
}

for (const preset of PRESETS) {
  for (const version of ["1", "2c"] as const) {
    Deno.test({
      name: `${preset.name} against Net-SNMP's snmpd (${preset.directive} script, v${version}): ` +
        `switched over HTTP, listed, read${SNMPD_SKIP}`,
      ignore: SNMPD_SKIP !== "",
      async fn() {
        const dir = await Deno.makeTempDir({ prefix: "pdud-snmpd-" });
        const file = `${dir}/state.json`;
        await Deno.writeTextFile(file, JSON.stringify(preset.state(preset.outlets)));
        await using agent = await startSnmpd([
          "rwcommunity lab-community 127.0.0.1",
          `${preset.directive} .${preset.root} ${PYTHON} ${PASS} ${file}`,
        ], dir);
        const pdu = {
          driver: version === "1" ? "snmpv1" : "snmpv2c",
          community: "lab-community",
          snmpport: agent.port,
          ...preset.pdu,
        };
        const stateIn = async (outlet: number) =>
          (await readState(file)).objects[preset.stateOid(outlet)]![1];
        {
          await using d = await startDaemon({
            pdus: { pdu: { ...pdu, address: "127.0.0.1", retries: 1, timeout: 20 } },
          });
          const target = { hostname: "pdu", port: preset.outlet };
          const ok = { status: 200, body: "OK - accepted request\n" };
          assert.deepEqual(await control(d, "on", target), ok, agent.output());
          assert.equal(await stateIn(preset.outlet), preset.values.on);
          const state = await fetch(
            `${d.url}/power/control/get-port-state?hostname=pdu&port=${preset.outlet}`,
          );
          // A failed read answers a one-line reason instead: shown when it is not the JSON.
          const body = await state.text();
          assert.equal(body, `{"state": "on"}\n`);
          assert.deepEqual(await control(d, "off", target), ok);
          assert.equal(await stateIn(preset.outlet), preset.values.off);
          assert.deepEqual(await control(d, "reboot", { ...target, delay: 0 }), ok);
          assert.equal(await stateIn(preset.outlet), preset.values.on);
          // Nothing else moved.
          for (let n = 1; n <= preset.outlets; n++) {
            if (n !== preset.outlet) assert.equal(await stateIn(n), preset.values.off);
          }
        }
        const driver = createDriver(findDriver(pdu.driver)!, "127.0.0.1", pdu);
        try {
          const signal = AbortSignal.timeout(20_000);
          assert.deepEqual(
            await driver.listOutlets!({ signal }),
            Array.from({ length: preset.outlets }, (_, i) => ({
              outlet: i + 1,
              state: i + 1 === preset.outlet ? "on" : "off",
              ...(preset.names ? { name: `Outlet ${i + 1}` } : {}),
            })),
          );
          if (preset.power) {
            assert.deepEqual(await driver.readPower!(preset.outlet, { signal }), preset.power.on);
          }
        } finally {
          await driver.close();
        }
      },
    });
  }

  Deno.test({
    name: `Net-SNMP's snmpwalk, snmpget and snmpset accept the ${preset.simulator.kind} ` +
      `simulator${TOOLS_SKIP}`,
    ignore: TOOLS_SKIP !== "",
    async fn() {
      const { simulator } = preset;
      await using sim = await startSimulator(simulator.kind, { outlets: preset.outlets }, {
        version: "2c",
        ...simulator.options,
      });
      const target = ["-v2c", "-c", "private", "-t", "2", "-r", "0", "-On"];
      const at = `udp:127.0.0.1:${sim.address.port}`;
      sim.device.set(2, "on");
      const walk = await run("snmpwalk", [...target, at, `.${simulator.walk}`]);
      assert.equal(walk.code, 0, walk.out);
      for (const line of simulator.lines) assert.match(walk.out, line);
      assert.doesNotMatch(walk.out, /No Such|Timeout/);

      const [oid, type, value] = simulator.set(preset.outlet);
      const set = await run("snmpset", [...target, at, `.${oid}`, type, value]);
      assert.equal(set.code, 0, set.out);
      assert.equal(sim.device.get(preset.outlet), "on");
      const get = await run("snmpget", [...target, at, `.${preset.stateOid(preset.outlet)}`]);
      assert.equal(get.code, 0, get.out);
      assert.match(get.out, new RegExp(`= INTEGER: ${preset.values.on}\\b`));
    },
  });
}
