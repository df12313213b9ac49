/**
 * pdud's Redfish simulator for tests (simulators/bmc/redfish.ts), started with one system by
 * default, and the self-signed certificate its https setups use.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { RedfishSessions } from "../../simulators/bmc/redfish.ts";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "./conformance.ts";

/** Path of a file under tests/_fixtures. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../_fixtures/${name}`, import.meta.url));

/** The simulator's TLS options: the fixtures' self-signed certificate. */
export const TLS: { cert_file: string; key_file: string } = {
  "cert_file": fixture("selfsigned.crt"),
  "key_file": fixture("selfsigned.key"),
};

/** A Redfish simulator, with the sessions it handed out. */
export type RedfishSimulator = Simulator & { sessions: RedfishSessions };

/** Starts a Redfish simulator (one system unless `device.outlets` says more). */
export function startRedfish(
  device: { outlets?: number; initial?: "on" | "off" } = {},
  options: Record<string, unknown> = {},
): Promise<RedfishSimulator> {
  return startSimulator("redfish", { outlets: 1, ...device }, options) as Promise<
    RedfishSimulator
  >;
}
