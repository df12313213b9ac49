/**
 * The heavy npm libraries of the driver families (net-snmp, ssh2, jsmodbus, XML-RPC), loaded
 * the first time a driver or simulator of their family runs. They are CommonJS and compiled at
 * load: importing all of them at start took ~0.34 s and most of the idle memory of a daemon
 * whose config uses none of them. Each loader imports once and hands out the same module.
 * Specifiers are static strings, so `deno compile` still bundles them.
 * @module
 */
import type Ssh2 from "ssh2";
import type * as XmlRpc from "@foxglove/xmlrpc";
import type * as JsModbus from "jsmodbus";
import type NetSnmp from "net-snmp";

let ssh2: Promise<typeof Ssh2> | undefined;
let xmlRpc: Promise<XmlRpcLibrary> | undefined;
let jsModbus: Promise<typeof JsModbus> | undefined;
let netSnmp: Promise<typeof NetSnmp> | undefined;

/** The `@foxglove/xmlrpc` module. */
export type XmlRpcLibrary = typeof XmlRpc;

/** `npm:ssh2` (client and server). */
export function loadSsh2(): Promise<typeof Ssh2> {
  return ssh2 ??= import("ssh2").then((m) => m.default);
}

/** `npm:@foxglove/xmlrpc` (the XML of XML-RPC). */
export function loadXmlRpc(): Promise<XmlRpcLibrary> {
  return xmlRpc ??= import("@foxglove/xmlrpc");
}

/** `npm:jsmodbus` (Modbus/TCP client). */
export function loadJsModbus(): Promise<typeof JsModbus> {
  return jsModbus ??= import("jsmodbus");
}

/** `npm:net-snmp` (client and agent). */
export function loadNetSnmp(): Promise<typeof NetSnmp> {
  return netSnmp ??= import("net-snmp").then((m) => m.default);
}
