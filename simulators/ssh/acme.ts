/**
 * Simulator of the BayLibre ACME cape over SSH: `dut-switch-on|off N`, key authentication as
 * root by default (it makes a client key pair unless a password is set).
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, SimulatorKind } from "../kind.ts";
import { ed25519Pair, type Interpreter, serveSsh } from "./ssh.ts";

const ACME_OPTIONS = z.object({
  "username": z.string().min(1).default("root"),
  /** Without one, the simulator makes a client key pair and accepts only that key. */
  "password": z.string().optional(),
}).strict();

function acmeInterpreter(device: SimulatedDevice): Interpreter {
  const exists = (n: number) => n >= device.first && n < device.first + device.count;
  return (command) => {
    const m = /^(dut-switch-on|dut-switch-off|dut-hard-reset) (\d+)$/.exec(command);
    if (!m) return undefined;
    const n = Number(m[2]);
    return () => {
      if (!exists(n)) return { code: 1, stderr: `Invalid probe ${n}\n` };
      if (m[1] === "dut-switch-on") device.set(n, "on");
      else if (m[1] === "dut-switch-off") device.set(n, "off");
      else {
        device.set(n, "off");
        device.set(n, "on");
      }
      return { code: 0 };
    };
  };
}

/** `acme`: BayLibre ACME cape, key authentication as root by default. */
export const ACME_SSH: SimulatorKind<z.infer<typeof ACME_OPTIONS>> = {
  name: "acme",
  summary: "BayLibre ACME cape over SSH (dut-switch-on/off N); makes a client key unless a " +
    "password is set",
  options: ACME_OPTIONS,
  async start(device, { options, hostname, port }) {
    let identityFile: string | undefined;
    let publicKey: string | undefined;
    if (options.password === undefined) {
      const pair = await ed25519Pair();
      identityFile = await Deno.makeTempFile({ prefix: "pdud-acme-sim-", suffix: ".key" });
      await Deno.writeTextFile(identityFile, pair.private, { mode: 0o600 });
      publicKey = pair.public;
    }
    const sim = await serveSsh(
      "acme",
      device,
      { hostname, port },
      { username: options.username, password: options.password, publicKey },
      acmeInterpreter(device),
      "root@baylibre-acme:~# ",
    );
    // The key file outlives close() (a test may check what a driver does once the device is
    // gone) and goes with the process.
    if (identityFile) {
      const file = identityFile;
      globalThis.addEventListener("unload", () => {
        try {
          Deno.removeSync(file);
        } catch { /* already gone */ }
      });
    }
    return {
      ...sim,
      pduConfig: () => ({
        driver: "acme",
        ...sim.pduConfig(),
        username: options.username,
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(identityFile ? { "identity_file": identityFile } : {}),
      }),
    };
  },
};
