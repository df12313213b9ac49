/**
 * The xmlrpc driver family (devices driven by XML-RPC over HTTP): its descriptors and
 * simulator kinds.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import type { AnySimulatorKind } from "../simulator/mod.ts";
import { SERVO } from "./servo.ts";
import { SERVOD_SIMULATOR } from "./simulator.ts";

/** Every xmlrpc driver descriptor. */
export const XMLRPC_DRIVERS: readonly AnyDriverDescriptor[] = [SERVO];

/** Every xmlrpc simulator kind. */
export const XMLRPC_SIMULATORS: readonly AnySimulatorKind[] = [SERVOD_SIMULATOR];
