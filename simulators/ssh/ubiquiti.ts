/**
 * Simulator of the Ubiquiti mFi mPower strips over SSH: `echo 1|0 > /proc/power/relayN` and
 * `cat /proc/power/relayN`, password authentication.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { type Interpreter, type Outcome, serveSsh } from "./ssh.ts";

const UBNT_OPTIONS = z.object({
  "username": z.string().min(1).default("ubnt"),
  "password": z.string().default("ubnt"),
}).strict();

function ubntInterpreter(device: SimulatedDevice): Interpreter {
  const exists = (n: number) => n >= device.first && n < device.first + device.count;
  const missing = (n: number, verb: string): Outcome => ({
    code: 1,
    stderr: `sh: can't ${verb} /proc/power/relay${n}: nonexistent directory\n`,
  });
  return (command) => {
    // Upstream wraps the echo in sh -c '…'; the strip's shell runs both forms.
    const line = command.replace(/^sh -c '(.*)'$/, "$1");
    let m = /^echo ([01]) > \/proc\/power\/relay(\d+)$/.exec(line);
    if (m) {
      const [value, n] = [m[1]!, Number(m[2])];
      return () => {
        if (!exists(n)) return missing(n, "create");
        device.set(n, value === "1" ? "on" : "off");
        return { code: 0 };
      };
    }
    m = /^cat \/proc\/power\/relay(\d+)$/.exec(line);
    if (m) {
      const n = Number(m[1]);
      return () =>
        exists(n)
          ? { code: 0, stdout: device.get(n) === "on" ? "1\n" : "0\n" }
          : missing(n, "open");
    }
    return undefined;
  };
}

/** `ubnt-mfi`: Ubiquiti mFi mPower strip (3, 6 or 8 relays). */
export const UBNT_MFI: SimulatorKind<z.infer<typeof UBNT_OPTIONS>> = {
  name: "ubnt-mfi",
  summary: "Ubiquiti mFi mPower strip over SSH (echo 1|0 > /proc/power/relayN), password auth",
  options: UBNT_OPTIONS,
  async start(device, { options, hostname, port }) {
    const model = [3, 6, 8].find((n) => n >= device.first + device.count - 1);
    if (device.first !== 1 || model === undefined) {
      throw new TypeError("ubnt-mfi simulates mPower strips: outlets 1…3, 1…6 or 1…8");
    }
    const sim = await serveSsh(
      "ubnt-mfi",
      device,
      { hostname, port },
      options,
      ubntInterpreter(device),
      "# ",
    );
    return {
      ...sim,
      pduConfig: () => ({
        driver: `ubntmfi${model}port`,
        ...sim.pduConfig(),
        username: options.username,
        password: options.password,
      }),
    };
  },
};
