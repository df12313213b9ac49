/**
 * Fault injection through the simulators' knobs, through a real daemon, for one simulator kind
 * per transport family: refuse, error, drop, garbage, hang, slow (10x the timeout) and flap. For
 * each: a definite answer, other PDUs unaffected, the PDU serves normally once the fault clears.
 * Every driver meets the same faults at driver level in the shared conformance suite
 * (tests/_helpers/conformance.ts); this suite proves the actor's side (timeouts, retries,
 * restarts, isolation) once per family.
 *
 * The suite waits on real timeouts (hang and slow cases), so it is split into shards, one test
 * file each (faults_<n>_test.ts), that `deno test --parallel` runs side by side.
 */
import assert from "node:assert/strict";
import { type Fault, SimulatedDevice, simulatedDevice } from "../../drivers/mod.ts";
import { type AnySimulatorKind, SIMULATORS } from "../../simulators/mod.ts";
import { control, startDaemon } from "../_helpers/daemon.ts";

const TIMEOUT = 0.5;
/**
 * Tool-driven kinds start a process per operation, which on a loaded 2-core machine (tests run
 * in parallel) can take more than 0.5 s: they get 1.5 s.
 */
const TIMEOUT_FOR: Record<string, number> = {
  "uhubctl": 1.5,
};

/** One simulator kind per transport family (and per kind of USB access: node and tool). */
const FAMILY_KINDS = [
  "apc-snmp", // snmp (UDP)
  "apc-telnet", // telnet consoles
  "acme", // ssh
  "tasmota", // http
  "devantech-eth", // raw tcp
  "modbus-tcp", // modbus
  "servod", // xml-rpc
  "devantech-usb", // a local serial node
  "uhubctl", // a local tool
  "redfish", // a BMC (Redfish: a session log-in, then a read before each reset)
];
const RETRIES = 2;
const RETRYDELAY = 0.05;

type Case = { fault: Fault | "slow"; expect: 200 | 503 };
const CASES: Case[] = [
  { fault: "refuse", expect: 503 },
  { fault: "error", expect: 503 },
  { fault: "drop", expect: 503 },
  { fault: "garbage", expect: 503 },
  { fault: "hang", expect: 503 },
  { fault: "slow", expect: 503 },
  { fault: "flap", expect: 200 },
];

/** The outcome table printed for docs/reliability.md. */
const table: string[] = [];

/** Kinds this suite cannot judge, and why (their own tests cover their failures). */
const NOT_HERE: Record<string, string> = {
  cleware: "the switch never acknowledges a report, so a report lost to a fault cannot be " +
    "told from a switched outlet; tests/drivers/usb/cleware_test.ts covers its failures",
};

function skipReason(kind: AnySimulatorKind): string | undefined {
  if (NOT_HERE[kind.name]) return NOT_HERE[kind.name];
  return kind.options.safeParse({}).success ? undefined : "needs options without defaults";
}

/** How many shard files there are. */
export const SHARDS = 4;

/** Registers the fault tests of every simulator kind whose index falls in `shard`. */
export function registerFaultTests(shard: number): void {
  const kinds = FAMILY_KINDS.map((name) => {
    const kind = SIMULATORS.find((k) => k.name === name);
    if (!kind) throw new TypeError(`no simulator kind "${name}"`);
    return kind;
  });
  kinds.forEach((kind, index) => {
    if (index % SHARDS === shard) registerKind(kind);
  });
  globalThis.addEventListener("unload", () => writeTable(shard));
}

function registerKind(kind: AnySimulatorKind): void {
  Deno.test({
    name: `faults: ${kind.name}${skipReason(kind) ? ` (skipped: ${skipReason(kind)})` : ""}`,
    ignore: skipReason(kind) !== undefined,
    async fn(t) {
      for (const c of CASES) {
        await t.step(`${c.fault} → ${c.expect}`, async () => {
          const device = new SimulatedDevice(`fault-${kind.name}`, { outlets: 4 });
          const timeout = TIMEOUT_FOR[kind.name] ?? TIMEOUT;
          await using sim = await kind.start(device, {
            options: kind.options.parse({}),
            hostname: "127.0.0.1",
            port: 0,
          });
          const bystander = `bystander-${kind.name}-${c.fault}`;
          await using d = await startDaemon({
            pdus: {
              faulty: {
                ...sim.pduConfig(),
                address: sim.pduHostname,
                timeout,
                retries: RETRIES,
                retrydelay: RETRYDELAY,
              },
              [bystander]: { driver: "simulated", outlets: 4 },
            },
          });
          const outlet = device.first;
          if (c.fault === "slow") device.latencyMs = timeout * 1000 * 10;
          else device.fault = c.fault;
          const started = performance.now();
          const [faulty, other] = await Promise.all([
            control(d, "on", { hostname: "faulty", port: outlet }),
            control(d, "on", { hostname: bystander, port: 1 }),
          ]);
          const ms = performance.now() - started;
          assert.equal(faulty.status, c.expect, `${kind.name} ${c.fault}: ${faulty.body}`);
          assert.ok(
            faulty.body.endsWith("\n") && !faulty.body.slice(0, -1).includes("\n"),
            "one line",
          );
          if (c.expect === 503) assert.match(faulty.body, /Cannot switch outlet/);
          assert.equal(other.status, 200, "another PDU is unaffected");
          assert.equal(simulatedDevice(bystander).get(1), "on");
          table.push(
            `| ${kind.name} | ${c.fault} | ${faulty.status} | ${Math.round(ms)} ms | ${
              faulty.body.trim().slice(0, 90)
            } |`,
          );
          // The fault clears: the same PDU (actor survived or was restarted) serves again.
          device.fault = "none";
          device.latencyMs = 0;
          const again = await control(d, "off", { hostname: "faulty", port: outlet });
          assert.equal(again.status, 200, `after ${c.fault}: ${again.body}`);
          assert.equal(device.get(outlet), "off");
        });
      }
    },
  });
}

/**
 * PDUD_FAULT_TABLE=DIR writes each shard's observed outcomes as Markdown table rows
 * (DIR/fault-table-<shard>.md), for the reliability page.
 */
function writeTable(shard: number): void {
  const dir = Deno.env.get("PDUD_FAULT_TABLE");
  if (table.length === 0 || !dir) return;
  try {
    Deno.writeTextFileSync(`${dir}/fault-table-${shard}.md`, table.join("\n") + "\n");
  } catch { /* read-only checkout: the table is only a report */ }
}
