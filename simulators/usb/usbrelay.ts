/**
 * Simulator of a V-USB HID relay board switched with `usbrelay`.
 *
 * It runs as the stand-in tool of tools.ts: a script that forwards its argv to the simulator, which
 * checks it exactly, changes the outlets and records the run.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { startTool, usage } from "./tools.ts";

/** `usbrelay`. */
export const USBRELAY_SIMULATOR: SimulatorKind<{ serial: string; invert: boolean }> = {
  name: "usbrelay",
  summary: "V-USB HID relay board (16c0:05df) behind a stand-in usbrelay 1.0 (lists " +
    "SERIAL_N=1|0; -q SERIAL_N=1|0 sets a relay)",
  options: z.object({
    "serial": z.string().regex(/^[0-9A-Z]{5}$/).default("QAAMZ"),
    // The load hangs on the relay's normally closed contact: the outlet is on while the relay
    // is released, and the PDU config needs `invert`.
    "invert": z.boolean().default(false),
  }).strict(),
  start(device, { options }) {
    // Relay 0 is usbrelay's "rename the board"; a board's relays count from 1.
    if (device.first !== 1) throw new RangeError("a USB relay board has relays from 1");
    const energised = (relay: number) => (device.get(relay) === "on") !== options.invert;
    return startTool("usbrelay", device, {
      // Listing switches nothing, as bcu's init: faults are left to the runs that switch.
      setup(args) {
        if (args.length > 0) return undefined;
        const lines = device.outlets().map((r) => `${options.serial}_${r}=${energised(r) ? 1 : 0}`);
        return { code: 0, output: lines.map((l) => `${l}\n`).join("") };
      },
      run(args) {
        const [quiet, action, ...rest] = args;
        const m = /^([^_=]+)_(\d+)=([01])$/.exec(action ?? "");
        if (quiet !== "-q" || rest.length > 0 || !m) return usage("usbrelay");
        // usbrelay 1.0, given one action for a board it does not have, exits 0 without a word.
        if (m[1] !== options.serial) return { code: 0, output: "" };
        const relay = Number(m[2]);
        // ... and fails a relay number past the board's, silently with -q.
        if (!device.has(relay)) return { code: 1, output: "" };
        device.set(relay, (m[3] === "1") !== options.invert ? "on" : "off");
        return { code: 0, output: "" };
      },
      error: {
        code: 1,
        output: "operate_relay() Unable to write or unknown relay\nError: Broken pipe\n",
      },
      garbage: { code: 0, output: "\x00\x13\xfe garbage\n" },
    }, (executable) => ({
      driver: "vusbhid",
      serial: options.serial,
      ...(options.invert ? { invert: true } : {}),
      usbrelay: executable,
    }));
  },
};
