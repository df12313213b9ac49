/**
 * USB HID power switches written through their hidraw node, upstream's names and key `serial`
 * (plus pdud's `path`: a hidraw node to use instead of looking the serial up in
 * /sys/class/hidraw):
 *
 * - `YKUSH` (04d8:f2f7, 3 ports), `YKUSH3` (04d8:f11b, 3), `YKUSHXS` (04d8:f0cd, 1), Yepkit:
 *   the report `[0x10 + N, 0x10 + N]` powers port N up, `[N, N]` down; the 64-byte answer
 *   starts with 0x01 on success (Yepkit's ykushcmd sources). No serial: the only such board.
 *
 * hidraw takes one report per write; a leading 0 is the "no report id" byte and is not sent,
 * as upstream's hidapi writes do. Tested against the simulators in simulators/usb/ykush.ts.
 * @module
 */
import { z } from "zod";
import { FILE_PATH } from "../_options.ts";
import type { DriverDescriptor } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { type DeviceNode, NodeLine } from "./_node.ts";
import { findHidraw } from "./_hidraw.ts";

const YKUSH_OPTIONS = z.object({
  "serial": z.string().default(""),
  "path": FILE_PATH.optional(),
}).strict();
type HidOptions = { serial?: string | number | undefined; path?: string | undefined };

/** Resolves and opens the node per operation, then runs `work` on it. */
function hidSession(
  what: string,
  options: HidOptions,
  locate: () => Promise<string>,
) {
  const lines = new Map<string, NodeLine>();
  return async <T>(signal: AbortSignal, work: (node: DeviceNode) => Promise<T>): Promise<T> => {
    const path = options.path ?? await locate();
    let line = lines.get(path);
    if (!line) lines.set(path, line = new NodeLine(path));
    const node = await line.open({ what, signal });
    try {
      return await work(node);
    } finally {
      void node.close();
    }
  };
}

function ykush(
  name: string,
  product: number,
  ports: number,
): DriverDescriptor<z.infer<typeof YKUSH_OPTIONS>> {
  return {
    names: [name],
    // the hidraw node is written.
    permissions: ["write"],
    summary: `Yepkit ${name} USB hub (${ports} switchable port${ports > 1 ? "s" : ""}) via hidraw`,
    options: YKUSH_OPTIONS,
    outletRange: () => ({ min: 1, max: ports }),
    create(_hostname, { options, log }) {
      const what = `${name}${options.serial ? ` ${options.serial}` : ""}`;
      const session = hidSession(what, options, () =>
        findHidraw(
          what,
          0x04d8,
          [product],
          (s) => options.serial === "" || s === options.serial,
        ));
      return {
        async setOutlet(outlet, state, { signal }) {
          const command = (state === "on" ? 0x10 : 0x00) + outlet;
          log.debug("ykush report", { command });
          await session(signal, async (node) => {
            await node.write(Uint8Array.of(command, command));
            const reply = await node.readExactly(64, "the 64-byte status report");
            if (reply[0] !== 0x01) {
              throw new DriverError(
                "device",
                `${what} refused to switch port ${outlet} ${state} (status byte ${reply[0]})`,
              );
            }
          });
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** Every HID switch descriptor. */
export const HID_DRIVERS: readonly DriverDescriptor<HidOptions>[] = [
  ykush("YKUSH", 0xf2f7, 3),
  ykush("YKUSH3", 0xf11b, 3),
  ykush("YKUSHXS", 0xf0cd, 1),
] as DriverDescriptor<HidOptions>[];
