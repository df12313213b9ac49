/**
 * The http driver family: its descriptors and simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { BRENNENSTUHL_WSPL01_TASMOTA, SONOFF_S20_TASMOTA, TASMOTA } from "./tasmota.ts";
import { TASMOTA_SIMULATOR } from "./tasmota_simulator.ts";
import { SHELLY_GEN1, SHELLY_GEN2 } from "./shelly.ts";
import { ESPHOME_HTTP } from "./esphome.ts";
import { HOME_ASSISTANT_HTTP } from "./home_assistant.ts";
import { NETIO_JSON } from "./netio_json.ts";
import {
  ESPHOME_SIMULATOR,
  HOME_ASSISTANT_SIMULATOR,
  NETIO_JSON_SIMULATOR,
  SHELLY_GEN1_SIMULATOR,
  SHELLY_GEN2_SIMULATOR,
} from "./simulators.ts";
import {
  ANEL_ADV,
  ANEL_HOME,
  ANEL_IO,
  ANEL_PRO,
  INTELLINET,
  IP9850,
  LINDY_IPOWER_CLASSIC8,
  SAINSMART,
  SERVERTECH_PRO2,
  UBUS,
} from "./web_relays.ts";
import {
  ANEL_SIMULATOR,
  INTELLINET_SIMULATOR,
  IP9850_SIMULATOR,
  LINDY_SIMULATOR,
  SAINSMART_SIMULATOR,
  SERVERTECH_SIMULATOR,
  UBUS_SIMULATOR,
} from "./web_relay_simulators.ts";

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
  SAINSMART,
  SERVERTECH_PRO2,
  UBUS,
];

/** Every http simulator kind. */
export const HTTP_SIMULATORS: readonly AnySimulatorKind[] = [
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
];
