/**
 * The http driver family: its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { BRENNENSTUHL_WSPL01_TASMOTA, SONOFF_S20_TASMOTA, TASMOTA } from "./tasmota.ts";
import { SHELLY_GEN1, SHELLY_GEN2 } from "./shelly.ts";
import { ESPHOME_HTTP } from "./esphome.ts";
import { HOME_ASSISTANT_HTTP } from "./home_assistant.ts";
import { NETIO_JSON } from "./netio_json.ts";
import { GENERIC_HTTP_DRIVERS } from "./generic.ts";
import { ANEL_ADV, ANEL_HOME, ANEL_IO, ANEL_PRO } from "./anel.ts";
import { INTELLINET } from "./intellinet.ts";
import { IP9850 } from "./ip9850.ts";
import { DIGIPOWER, LINDY_IPOWER_CLASSIC8 } from "./lindy.ts";
import { SAINSMART } from "./sainsmart.ts";
import { SERVERTECH_PRO2 } from "./servertech.ts";
import { UBUS } from "./ubus.ts";
import { GUDE_HTTP_DRIVERS } from "./gude.ts";
import { DLI_HTTP, DLI_RESTAPI } from "./digitalloggers.ts";
import { TINYCONTROL, TINYCONTROL_TCPDU } from "./tinycontrol.ts";
import { ATEN_PE6216 } from "./aten.ts";
import { EG_PMS2_NETWORK } from "./egpms2_web.ts";
import { NETIO_CGI } from "./netio_cgi.ts";

/** Every http driver descriptor. */
export const HTTP_DRIVERS: readonly AnyDriverDescriptor[] = [
  TASMOTA,
  SONOFF_S20_TASMOTA,
  BRENNENSTUHL_WSPL01_TASMOTA,
  SHELLY_GEN1,
  SHELLY_GEN2,
  ESPHOME_HTTP,
  HOME_ASSISTANT_HTTP,
  NETIO_JSON,
  ANEL_HOME,
  ANEL_ADV,
  ANEL_IO,
  ANEL_PRO,
  INTELLINET,
  IP9850,
  LINDY_IPOWER_CLASSIC8,
  DIGIPOWER,
  SAINSMART,
  SERVERTECH_PRO2,
  UBUS,
  ...GUDE_HTTP_DRIVERS,
  DLI_HTTP,
  DLI_RESTAPI,
  TINYCONTROL,
  TINYCONTROL_TCPDU,
  ATEN_PE6216,
  EG_PMS2_NETWORK,
  NETIO_CGI,
  ...GENERIC_HTTP_DRIVERS,
];

// What the simulators (simulators/http/) share with the drivers: one codec for both ends.
export { verifyDigest } from "../_transport/http_client.ts";
export { UBUS_ANONYMOUS_SESSION } from "./ubus.ts";
