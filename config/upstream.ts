/**
 * What pdud keeps of upstream PDUDaemon's behaviour and names: its defaults, its daemon keys and
 * every driver name it has, so that an existing pdudaemon.conf loads unchanged.
 * @module
 */

/** Upstream's defaults. */
export const UPSTREAM_DEFAULTS = {
  /** Listening port of both listeners. */
  port: 16421,
  /** Seconds between off and on in a reboot when the client gives no delay. */
  rebootDelay: 5,
  /** Attempts per operation ("retries: 1" is a single attempt). */
  retries: 5,
  /** Seconds between attempts. */
  retryDelay: 5,
} as const;

/**
 * Every driver name upstream accepts. A config naming one that pdud lacks still loads; that
 * PDU refuses its requests with "driver not available" instead of failing the whole config.
 */
export const UPSTREAM_DRIVER_NAMES: readonly string[] = [
  "localcmdline",
  "snmpv1",
  "snmpv3",
  "cyberpower81001",
  "cyberpower41001",
  "ip9258",
  "apc7900",
  "apc7920",
  "apc7921",
  "apc7932",
  "apc7952",
  "apc9210",
  "apc9218",
  "ap9218",
  "apc9606",
  "ap9606",
  "apc8959",
  "gude1202",
  "netio4",
  "synnetbooter",
  "ubntmfi3port",
  "ubntmfi6port",
  "ubntmfi8port",
  "acme",
  "tasmota",
  "sonoff_s20_tasmota",
  "brennenstuhl_wspl01_tasmota",
  "shelly_gen2",
  "esphome-http",
  "home-assistant-http",
  "anel_netpwrctrlhome",
  "anel_netpwrctrladv",
  "anel_netpwrctrlio",
  "anel_netpwrctrlpro",
  "intellinet",
  "ip9850",
  "LindyIPowerClassic8",
  "netiojson",
  "sainsmart",
  "servertechpro2",
  "ubus",
  "devantech_eth002",
  "devantech_eth0621",
  "devantech_eth484",
  "devantech_eth008",
  "devantech_eth8020",
  "devantech_ds2824",
  "devantech_ds378",
  "egpms",
  "EG-PMS",
  "EG-PM2",
  "tplink",
  "modbustcp",
  "SERVO",
  "NumatoUSB1",
  "NumatoUSB2",
  "NumatoUSB4",
  "NumatoUSB8",
  "NumatoUSB16",
  "NumatoUSB32",
  "NumatoUSB64",
  "conrad197720",
  "ClewareUsbSwitch4",
  "ClewareUsbSwitch8",
  "YKUSH",
  "YKUSHXS",
  "YKUSH3",
  "vusbhid",
  "uhubctl",
  "bcu",
  "devantech_USB-RLY02",
  "devantech_USB-RLY82",
  "devantech_USB-RLY04",
  "devantech_USB-RLY06",
  "devantech_USB-RLY08B",
  "devantech_USB-RLY16",
  "devantech_USB-RLY16L",
  "devantech_USB-OPTO-RLY88",
  "devantech_USB-OPTO-RLY816",
];
