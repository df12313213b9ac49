/**
 * The embedded demo config: what `pdud` runs without `--conf`. Its PDUs are in-process
 * simulated devices, so a new user can try every interface without hardware. A constant in
 * code so that `deno compile` embeds it.
 * @module
 */

/** The demo config, YAML. */
export const DEMO_CONFIG = `# pdud demo: simulated PDUs, nothing real is switched.
daemon:
  hostname: 127.0.0.1
  port: 16421
  listener: both
  logging_level: INFO
pdus:
  demo-rack-a:
    driver: simulated
    outlets: 8
    latency_ms: 50
  demo-rack-b:
    driver: simulated
    outlets: 16
    latency_ms: 20
    command_gap: 0.5
  demo-flaky:
    driver: simulated
    outlets: 4
    fault: flap
    retries: 3
    retrydelay: 1
aliases:
  board-1:
    hostname: demo-rack-a
    port: 1
  board-2:
    hostname: demo-rack-b
    port: 2
`;
