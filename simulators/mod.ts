/**
 * Every simulator kind pdud has, in one static array, and the simulator framework. Simulators
 * stand apart from the daemon: only `pdud simulate` (loaded lazily by main.ts), tests and
 * benchmarks import this tree, so a daemon's module graph carries no simulator code. Each
 * `simulators/<family>/` speaks its family's protocol with the codec it imports from that
 * family's face in `drivers/` — never the reverse (tests/architecture_test.ts checks both).
 * @module
 */
import type { AnySimulatorKind } from "./kind.ts";
import { TASMOTA_SIMULATOR } from "./http/tasmota.ts";
import { SHELLY_GEN1_SIMULATOR, SHELLY_GEN2_SIMULATOR } from "./http/shelly.ts";
import { ESPHOME_SIMULATOR } from "./http/esphome.ts";
import { HOME_ASSISTANT_SIMULATOR } from "./http/home_assistant.ts";
import { NETIO_JSON_SIMULATOR } from "./http/netio_json.ts";
import { ANEL_SIMULATOR } from "./http/anel.ts";
import { INTELLINET_SIMULATOR } from "./http/intellinet.ts";
import { IP9850_SIMULATOR } from "./http/ip9850.ts";
import { LINDY_SIMULATOR } from "./http/lindy.ts";
import { SAINSMART_SIMULATOR } from "./http/sainsmart.ts";
import { SERVERTECH_SIMULATOR } from "./http/servertech.ts";
import { UBUS_SIMULATOR } from "./http/ubus.ts";
import { HTTP_GENERIC_SIMULATOR } from "./http/generic.ts";
import { GUDE_HTTP_SIMULATOR } from "./http/gude.ts";
import { DLI_HTTP_SIMULATOR, DLI_RESTAPI_SIMULATOR } from "./http/digitalloggers.ts";
import { TINYCONTROL_SIMULATOR, TINYCONTROL_TCPDU_SIMULATOR } from "./http/tinycontrol.ts";
import { ATEN_SIMULATOR } from "./http/aten.ts";
import { EGPMS2_WEB_SIMULATOR } from "./http/egpms2_web.ts";
import { NETIO_CGI_SIMULATOR } from "./http/netio_cgi.ts";
import { MODBUS_TCP_SIMULATOR } from "./modbus/modbustcp.ts";
import { GENERIC_SNMP } from "./snmp/snmp.ts";
import { APC_SNMP } from "./snmp/apc.ts";
import { CYBERPOWER_SNMP } from "./snmp/cyberpower.ts";
import { IP9258_SNMP } from "./snmp/ip9258.ts";
import { EATON_SNMP } from "./snmp/eaton.ts";
import { RARITAN_SNMP } from "./snmp/raritan.ts";
import { SENTRY3_SNMP } from "./snmp/sentry3.ts";
import { POE_SNMP } from "./snmp/poe.ts";
import { UBNT_MFI } from "./ssh/ubiquiti.ts";
import { ACME_SSH } from "./ssh/acme.ts";
import { DEVANTECH_DS, DEVANTECH_ETH } from "./tcp/devantech.ts";
import { EGPMS_SIMULATOR } from "./tcp/egpms.ts";
import { KASA_SIMULATOR } from "./tcp/tplink.ts";
import { APC_CLI, APC_TELNET } from "./telnet/apc.ts";
import { NETIO_KSHELL } from "./telnet/netio.ts";
import { GUDE_TELNET } from "./telnet/gude.ts";
import { SYNACCESS_TELNET } from "./telnet/synaccess.ts";
import { NUMATO_SIMULATOR } from "./usb/numato.ts";
import { DEVANTECH_USB_SIMULATOR } from "./usb/devantech_usb.ts";
import { CONRAD_SIMULATOR } from "./usb/conrad197720.ts";
import { UHUBCTL_SIMULATOR } from "./usb/uhubctl.ts";
import { BCU_SIMULATOR } from "./usb/bcu.ts";
import { SISPMCTL_SIMULATOR } from "./usb/sispmctl.ts";
import { USBRELAY_SIMULATOR } from "./usb/usbrelay.ts";
import { YKUSH_SIMULATOR } from "./usb/ykush.ts";
import { CLEWARE_SIMULATOR } from "./usb/cleware.ts";
import { SERVOD_SIMULATOR } from "./xmlrpc/servo.ts";
import { REDFISH_SIMULATOR } from "./bmc/redfish.ts";

export * from "./kind.ts";
export {
  SIMULATED_DEVICES,
  simulatedDevice,
  type SimulatedDevices,
  simulatedDriver,
} from "../drivers/mod.ts";

/** Every simulator kind, for `pdud simulate`, grouped by driver family. */
export const SIMULATORS: readonly AnySimulatorKind[] = [
  // snmp
  APC_SNMP,
  GENERIC_SNMP,
  CYBERPOWER_SNMP,
  IP9258_SNMP,
  EATON_SNMP,
  RARITAN_SNMP,
  SENTRY3_SNMP,
  POE_SNMP,
  // telnet
  APC_TELNET,
  APC_CLI,
  NETIO_KSHELL,
  GUDE_TELNET,
  SYNACCESS_TELNET,
  // ssh
  UBNT_MFI,
  ACME_SSH,
  // http
  TASMOTA_SIMULATOR,
  SHELLY_GEN1_SIMULATOR,
  SHELLY_GEN2_SIMULATOR,
  ESPHOME_SIMULATOR,
  HOME_ASSISTANT_SIMULATOR,
  NETIO_JSON_SIMULATOR,
  ANEL_SIMULATOR,
  INTELLINET_SIMULATOR,
  IP9850_SIMULATOR,
  LINDY_SIMULATOR,
  SAINSMART_SIMULATOR,
  SERVERTECH_SIMULATOR,
  UBUS_SIMULATOR,
  HTTP_GENERIC_SIMULATOR,
  GUDE_HTTP_SIMULATOR,
  DLI_HTTP_SIMULATOR,
  DLI_RESTAPI_SIMULATOR,
  TINYCONTROL_SIMULATOR,
  TINYCONTROL_TCPDU_SIMULATOR,
  ATEN_SIMULATOR,
  EGPMS2_WEB_SIMULATOR,
  NETIO_CGI_SIMULATOR,
  // tcp
  DEVANTECH_ETH,
  DEVANTECH_DS,
  EGPMS_SIMULATOR,
  KASA_SIMULATOR,
  // modbus
  MODBUS_TCP_SIMULATOR,
  // xmlrpc
  SERVOD_SIMULATOR,
  // usb
  NUMATO_SIMULATOR,
  DEVANTECH_USB_SIMULATOR,
  CONRAD_SIMULATOR,
  UHUBCTL_SIMULATOR,
  BCU_SIMULATOR,
  SISPMCTL_SIMULATOR,
  USBRELAY_SIMULATOR,
  YKUSH_SIMULATOR,
  CLEWARE_SIMULATOR,
  // bmc
  REDFISH_SIMULATOR,
];

/** The simulator kind with this name, or undefined. */
export function findSimulator(name: string): AnySimulatorKind | undefined {
  return SIMULATORS.find((s) => s.name === name);
}
