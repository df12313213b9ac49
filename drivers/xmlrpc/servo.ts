/**
 * ChromeOS servo boards through servod: `SERVO` (upstream's). Protocol: servod's XML-RPC
 * interface (hdctools `servo/servod.py`: `set(name, value)` returns true, `get(name)` returns
 * the value; errors are faults with code 1). As upstream, the outlet number is ignored: every
 * request sets each control in `ctrls` — `power_state` is active high (on → "on"), `warm_reset`
 * and `cold_reset` are active low (on → "off", releasing the reset). Keys: `ip` (localhost, not
 * the PDU name, as upstream), `port` (9999), `ctrls` (a name or a list, default cold_reset).
 * Tested against the simulator in simulators/xmlrpc/servo.ts only.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { xmlRpcCall } from "./_rpc.ts";

/** The controls upstream supports, with the level that powers the DUT. */
export const SERVO_CONTROLS = {
  "power_state": "active_high",
  "warm_reset": "active_low",
  "cold_reset": "active_low",
} as const;

/** A supported control's name. */
export type ServoControl = keyof typeof SERVO_CONTROLS;

const CONTROL = z.enum(Object.keys(SERVO_CONTROLS) as [ServoControl, ...ServoControl[]]);

/** `ctrls`: one control name or a list of them (upstream accepts both). */
export const CONTROLS = z.union([CONTROL.transform((c) => [c]), z.array(CONTROL).min(1)])
  .default(["cold_reset"]);

const OPTIONS = z.object({
  "ip": z.string().min(1).default("localhost"),
  "port": portNumber(9999),
  "ctrls": CONTROLS,
}).strict();

/** The value that puts `control` in the position where the DUT is `state`. */
export function controlValue(control: ServoControl, state: OutletState): "on" | "off" {
  if (SERVO_CONTROLS[control] === "active_high") return state;
  return state === "on" ? "off" : "on";
}

/** `SERVO`. */
export const SERVO: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["SERVO"],
  summary: "ChromeOS servo via servod's XML-RPC set(ctrl, on|off) (power_state, *_reset)",
  options: OPTIONS,
  create(_hostname, { options, log }) {
    const url = `http://${options.ip}:${options.port}/RPC2`; // Python's ServerProxy default path
    const device = `servod at ${options.ip}:${options.port}`;
    return {
      async setOutlet(outlet, state, { signal }) {
        for (const control of options.ctrls) {
          const value = controlValue(control, state);
          log.debug("servod set", { outlet, control, value });
          await xmlRpcCall({ url, method: "set", params: [control, value], signal, device });
        }
      },
      async getOutlet(_outlet, { signal }): Promise<OutletState> {
        let state: OutletState = "on";
        for (const control of options.ctrls) {
          const value = await xmlRpcCall({ url, method: "get", params: [control], signal, device });
          if (value !== "on" && value !== "off") {
            throw new DriverError(
              "protocol",
              `${device} reports ${control} as ${JSON.stringify(value)}, not on or off`,
            );
          }
          // The DUT is on only when no control holds it off.
          if (value !== controlValue(control, "on")) state = "off";
        }
        return state;
      },
      close: () => Promise.resolve(),
    };
  },
};
