/**
 * Driver names are matched exactly as upstream PDUDaemon's `accepts()` class methods match them
 * (pdudaemon main, 2026-06: pdudaemon/drivers/*.py), no looser and no stricter. The reference
 * below is a transcription of every reachable class's `accepts()`; it was checked once against
 * upstream's own `PDUDriver.select()` candidate list run under Python over the same variants.
 */
import assert from "node:assert/strict";
import { abstractUpstreamDriver, findDriver } from "../../drivers/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { UPSTREAM_DRIVER_NAMES } from "../../config/upstream.ts";

type Rule =
  /** `drivername == "x"` or `drivername in [...]` */
  | { exact: string[] }
  /** apc9218.py: `drivername.lower() in models` */
  | { lowerIn: string[] }
  /** cleware.py: `drivername.lower() == cls.__name__.lower()` */
  | { lowerEqualsClass: string }
  /** ykush.py, servo.py: `drivername == cls.__name__.upper()` */
  | { upperOfClass: string }
  /** modbustcp.py: `drivername == cls.__name__.lower()` */
  | { lowerOfClass: string };

/** Upstream's classes (every one select() can reach) with their accepts() rule. */
const UPSTREAM_ACCEPTS: { cls: string; rule: Rule; abstract?: true }[] = [
  { cls: "ACME", rule: { exact: ["acme"] } },
  { cls: "AnelNETPwrCtrlHOME", rule: { exact: ["anel_netpwrctrlhome"] } },
  { cls: "AnelNETPwrCtrlADV", rule: { exact: ["anel_netpwrctrladv"] } },
  { cls: "AnelNETPwrCtrlIO", rule: { exact: ["anel_netpwrctrlio"] } },
  { cls: "AnelNETPwrCtrlPRO", rule: { exact: ["anel_netpwrctrlpro"] } },
  { cls: "APC7900", rule: { exact: ["apc7900"] } },
  { cls: "APC7920", rule: { exact: ["apc7920"] } },
  { cls: "APC7921", rule: { exact: ["apc7921"] } },
  { cls: "APC7932", rule: { exact: ["apc7932"] } },
  { cls: "APC7952", rule: { exact: ["apc7952"] } },
  { cls: "APC8959", rule: { exact: ["apc8959"] } },
  { cls: "APC9210", rule: { exact: ["apc9210"] } },
  { cls: "APC9218", rule: { lowerIn: ["ap9606", "apc9606", "ap9218", "apc9218"] } },
  { cls: "BCU", rule: { exact: ["bcu"] } },
  { cls: "ClewareBase", rule: { lowerEqualsClass: "ClewareBase" }, abstract: true },
  { cls: "ClewareSwitch1Base", rule: { lowerEqualsClass: "ClewareSwitch1Base" }, abstract: true },
  {
    cls: "ClewareContact00Base",
    rule: { lowerEqualsClass: "ClewareContact00Base" },
    abstract: true,
  },
  { cls: "ClewareUsbSwitch4", rule: { lowerEqualsClass: "ClewareUsbSwitch4" } },
  { cls: "ClewareUsbSwitch8", rule: { lowerEqualsClass: "ClewareUsbSwitch8" } },
  { cls: "Conrad197720", rule: { exact: ["conrad197720"] } },
  { cls: "Cyberpower81001", rule: { exact: ["cyberpower81001", "cyberpower41001"] } },
  { cls: "DevantechETH002", rule: { exact: ["devantech_eth002"] } },
  { cls: "DevantechETH0621", rule: { exact: ["devantech_eth0621"] } },
  { cls: "DevantechETH484", rule: { exact: ["devantech_eth484"] } },
  { cls: "DevantechETH008", rule: { exact: ["devantech_eth008"] } },
  { cls: "DevantechETH8020", rule: { exact: ["devantech_eth8020"] } },
  { cls: "DevantechDS2824", rule: { exact: ["devantech_ds378", "devantech_ds2824"] } },
  { cls: "DevantechUSB2", rule: { exact: ["devantech_USB-RLY02", "devantech_USB-RLY82"] } },
  { cls: "DevantechUSB4", rule: { exact: ["devantech_USB-RLY04"] } },
  { cls: "DevantechUSB6", rule: { exact: ["devantech_USB-RLY06"] } },
  {
    cls: "DevantechUSB8",
    rule: {
      exact: [
        "devantech_USB-RLY08B",
        "devantech_USB-RLY16",
        "devantech_USB-RLY16L",
        "devantech_USB-OPTO-RLY88",
        "devantech_USB-OPTO-RLY816",
      ],
    },
  },
  { cls: "EgPMS", rule: { exact: ["egpms"] } },
  { cls: "EnerGenieUSB", rule: { exact: ["EG-PMS", "EG-PM2"] } },
  { cls: "ESPHomeHTTP", rule: { exact: ["esphome-http"] } },
  { cls: "Gude1202", rule: { exact: ["gude1202"] } },
  { cls: "HomeAssistantHTTP", rule: { exact: ["home-assistant-http"] } },
  { cls: "Intellinet", rule: { exact: ["intellinet"] } },
  { cls: "IP9258", rule: { exact: ["ip9258"] } },
  { cls: "ip9850", rule: { exact: ["ip9850"] } },
  { cls: "LindyIPowerClassic8", rule: { exact: ["LindyIPowerClassic8"] } },
  { cls: "LocalCmdline", rule: { exact: ["localcmdline"] } },
  { cls: "ModBusTCP", rule: { lowerOfClass: "ModBusTCP" } },
  { cls: "Netio4", rule: { exact: ["netio4"] } },
  { cls: "NetioJson", rule: { exact: ["netiojson"] } },
  ...[1, 2, 4, 8, 16, 32, 64].map((n) => ({
    cls: `NumatoUSB${n}`,
    rule: { exact: [`NumatoUSB${n}`] },
  })),
  { cls: "Sainsmart", rule: { exact: ["sainsmart"] } },
  { cls: "ServerTechPro2", rule: { exact: ["servertechpro2"] } },
  { cls: "Servo", rule: { upperOfClass: "Servo" } },
  { cls: "ShellyGen2", rule: { exact: ["shelly_gen2"] } },
  { cls: "SNMP", rule: { exact: ["snmpv3", "snmpv1"] } },
  { cls: "SynNetBooter", rule: { exact: ["synnetbooter"] } },
  { cls: "SonoffS20Tasmota", rule: { exact: ["sonoff_s20_tasmota"] } },
  { cls: "BrennenstuhlWSPL01Tasmota", rule: { exact: ["brennenstuhl_wspl01_tasmota"] } },
  { cls: "GenericTasmota", rule: { exact: ["tasmota"] } },
  { cls: "TPLink", rule: { exact: ["tplink"] } },
  { cls: "Ubiquity3Port", rule: { exact: ["ubntmfi3port"] } },
  { cls: "Ubiquity6Port", rule: { exact: ["ubntmfi6port"] } },
  { cls: "Ubiquity8Port", rule: { exact: ["ubntmfi8port"] } },
  { cls: "Ubus", rule: { exact: ["ubus"] } },
  { cls: "UHubCtl", rule: { exact: ["uhubctl"] } },
  { cls: "VUSBHID", rule: { exact: ["vusbhid"] } },
  { cls: "YkushBase", rule: { upperOfClass: "YkushBase" }, abstract: true },
  { cls: "YkushXS", rule: { upperOfClass: "YkushXS" } },
  { cls: "Ykush", rule: { upperOfClass: "Ykush" } },
  { cls: "Ykush3", rule: { upperOfClass: "Ykush3" } },
];

function accepts(rule: Rule, name: string): boolean {
  if ("exact" in rule) return rule.exact.includes(name);
  if ("lowerIn" in rule) return rule.lowerIn.includes(name.toLowerCase());
  if ("lowerEqualsClass" in rule) return name.toLowerCase() === rule.lowerEqualsClass.toLowerCase();
  if ("upperOfClass" in rule) return name === rule.upperOfClass.toUpperCase();
  return name === rule.lowerOfClass.toLowerCase();
}

/** The class upstream's select() picks for a name (its first willing candidate), or undefined. */
function upstreamSelect(name: string): (typeof UPSTREAM_ACCEPTS)[number] | undefined {
  return UPSTREAM_ACCEPTS.find((c) => accepts(c.rule, name));
}

/** The names a class was written for: its list, or the class name in the case it compares. */
function spelledNames(rule: Rule): string[] {
  if ("exact" in rule) return rule.exact;
  if ("lowerIn" in rule) return rule.lowerIn;
  if ("lowerEqualsClass" in rule) return [rule.lowerEqualsClass];
  if ("upperOfClass" in rule) return [rule.upperOfClass.toUpperCase()];
  return [rule.lowerOfClass.toLowerCase()];
}

/** Letter-case and spacing variants of a name: what a hand-written config may contain. */
function variants(name: string): string[] {
  const swap = [...name].map((c) => c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())
    .join("");
  const capital = name.charAt(0).toUpperCase() + name.slice(1).toLowerCase();
  return [
    ...new Set([
      name,
      name.toLowerCase(),
      name.toUpperCase(),
      swap,
      capital,
      ` ${name}`,
      `${name} `,
      `${name}x`,
      name.replaceAll("_", "-"),
      name.replaceAll("-", "_"),
    ]),
  ];
}

const ROWS = UPSTREAM_ACCEPTS.flatMap((c) => spelledNames(c.rule)).flatMap(variants);

Deno.test("the reference covers every upstream driver name pdud lists", () => {
  for (const name of UPSTREAM_DRIVER_NAMES) {
    assert.ok(upstreamSelect(name), `no upstream class accepts "${name}" in the reference`);
  }
});

for (const name of ROWS) {
  const upstream = upstreamSelect(name);
  const expect = upstream === undefined ? "refused" : upstream.abstract ? "abstract" : "accepted";
  Deno.test(`findDriver(${JSON.stringify(name)}) matches upstream: ${expect}`, () => {
    const found = findDriver(name);
    if (upstream === undefined || upstream.abstract) {
      assert.equal(found, undefined, `upstream refuses "${name}" (or it names an abstract base)`);
      assert.equal(abstractUpstreamDriver(name) !== undefined, upstream?.abstract === true);
      return;
    }
    assert.ok(found, `upstream's ${upstream.cls} accepts "${name}", pdud does not`);
    // The same driver as the spelling the class was written for.
    const rule = upstream.rule;
    const written = "exact" in rule
      ? name
      : "lowerIn" in rule
      ? name.toLowerCase()
      : spelledNames(rule)[0]!;
    assert.equal(found, findDriver(written));
  });
}

Deno.test("loadConfig accepts APC9218, Ap9606 and clewareusbswitch4 as upstream does", async () => {
  const config = await loadConfig({
    pdus: {
      a: { driver: "APC9218" },
      b: { driver: "Ap9606" },
      c: { driver: "clewareusbswitch4", serial: 1234 },
      d: { driver: "CLEWAREUSBSWITCH8", serial: 99 },
    },
  });
  assert.equal(config.pdus.a?.available, true);
  assert.equal(config.pdus.c?.available, true);
  assert.equal(config.pdus.d?.available, true);
});

Deno.test("loadConfig refuses apc7952 in capitals and an abstract base with a clear reason", async () => {
  const issues = async (driver: string) => {
    try {
      await loadConfig({ pdus: { p: { driver } } });
    } catch (error) {
      return (error as { issues: { path: string; message: string }[] }).issues;
    }
    throw new Error(`${driver} loaded`);
  };
  assert.match((await issues("APC7952"))[0]!.message, /unknown driver "APC7952"/);
  assert.match((await issues("ykush"))[0]!.message, /unknown driver "ykush"/);
  const base = (await issues("ClewareBase"))[0]!;
  assert.equal(base.path, "pdus.p.driver");
  assert.match(base.message, /abstract base class.*use ClewareUsbSwitch4 or ClewareUsbSwitch8/);
  assert.match((await issues("YKUSHBASE"))[0]!.message, /use YKUSH, YKUSHXS or YKUSH3/);
});
