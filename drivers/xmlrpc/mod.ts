/**
 * The xmlrpc driver family (devices driven by XML-RPC over HTTP): its descriptors.
 * @module
 */
import type { AnyDriverDescriptor } from "../driver.ts";
import { SERVO } from "./servo.ts";

/** Every xmlrpc driver descriptor. */
export const XMLRPC_DRIVERS: readonly AnyDriverDescriptor[] = [SERVO];

// What the simulators (simulators/xmlrpc/) share with the drivers: one codec for both ends.
export { loadXmlRpc, type XmlRpcLibrary } from "../_libraries.ts";
export { CONTROLS, controlValue, SERVO_CONTROLS, type ServoControl } from "./servo.ts";
