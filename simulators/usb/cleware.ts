/**
 * Simulator of the Cleware USB switches' HID interface: reads the exact reports the device takes
 * and answers with its input report.
 *
 * A fake hidraw node: a pty made by socat, see _pty.ts; the simulator sets it to return from reads
 * every 0.1 s, which a real hidraw node does not. A pty is a byte stream where hidraw keeps one
 * report per read, so the simulator sends at most one input report per request: the driver then
 * reads it whole.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { ByteReader, PtyEndpoint } from "./_pty.ts";
import { nodeOperation, type NodeSimulator, nodeSimulator, simulatorDirectory } from "./_node.ts";

/** A Cleware simulator. */
export interface ClewareSimulator extends NodeSimulator {
  /** Switch reports received so far: applied, passed over as malformed, or lost to a fault. */
  readonly switchReports: number;
  /**
   * Resolves once `count` switch reports have arrived. A switch never acknowledges one, so the
   * driver's answer comes before the simulator has it; tests wait here before looking.
   */
  receivedSwitchReports(count: number, signal: AbortSignal): Promise<void>;
}

const CLEWARE_MODELS = {
  ClewareUsbSwitch4: { product: 0x0008, ports: 4, command: 0, length: 2 },
  ClewareUsbSwitch8: { product: 0x0030, ports: 8, command: 3, length: 4 },
} as const;

type ClewareModel = keyof typeof CLEWARE_MODELS;

/** The first EEPROM address of a newer switch's serial; the driver reads 8-14 in turn. */
const FIRST_SERIAL_ADDRESS = 8;

/** The options of `cleware`. */
export interface ClewareSimulatorOptions {
  model: ClewareModel;
  serial: number;
  "new_serial": boolean;
}

function hex(bytes: Iterable<number>): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Writes the uevent hidapi reads of one hidraw node into a fake sysfs tree under `root`. */
async function fakeHidrawEntry(
  root: string,
  name: string,
  id: { vendor: number; product: number; title: string; serial: string },
): Promise<void> {
  const directory = `${root}/sys/class/hidraw/${name}/device`;
  await Deno.mkdir(directory, { recursive: true });
  const word = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
  await Deno.writeTextFile(
    `${directory}/uevent`,
    `DRIVER=hid-generic\nHID_ID=0003:${word(id.vendor)}:${word(id.product)}\n` +
      `HID_NAME=${id.title}\nHID_UNIQ=${id.serial}\n`,
  );
}

/** `cleware`. */
export const CLEWARE_SIMULATOR: SimulatorKind<ClewareSimulatorOptions> = {
  name: "cleware",
  summary: "Cleware USB-Switch4/8 on a fake hidraw node in a fake sysfs tree (found by serial; " +
    "a newer switch's serial read from its EEPROM); needs socat",
  options: z.object({
    "model": z.enum(["ClewareUsbSwitch4", "ClewareUsbSwitch8"]).default("ClewareUsbSwitch4"),
    // No default: the serial is the switch's identity, written into the PDU config. It also keeps
    // this kind out of the generic fault suite (tests/reliability), which looks at an outlet as
    // soon as pdud answers: a switch that never acknowledges takes its report a moment after
    // the driver's write, so that look would race.
    "serial": z.number().int().min(0).max(0xfffffff),
    // Newer switches all report USB serial 0x63813 and keep their own in their EEPROM.
    "new_serial": z.boolean().default(true),
  }).strict(),
  async start(device, { options }) {
    const spec = CLEWARE_MODELS[options.model];
    // Outlets past the switch's ports may exist on the device; the switch never switches them.
    if (device.first !== 1) throw new RangeError(`${options.model} has ports from 1`);
    const digits = options.serial.toString(16).toUpperCase().padStart(7, "0");
    const eeprom = (address: number) =>
      address >= FIRST_SERIAL_ADDRESS && address < FIRST_SERIAL_ADDRESS + 7
        ? digits.charCodeAt(address - FIRST_SERIAL_ADDRESS)
        : 0xff;
    const answer = (address: number, byte: number) => {
      const report = new Uint8Array(16);
      report[4] = address;
      report[5] = byte;
      return report;
    };
    /** The outlet and state a well-formed switch report asks for. */
    const decode = (body: Uint8Array): [number, "on" | "off"] | undefined => {
      if (options.model === "ClewareUsbSwitch4") {
        const [port, on] = [body[0]!, body[1]!];
        const outlet = port - 0x10 + 1;
        if (outlet < 1 || outlet > spec.ports || on > 1 || !device.has(outlet)) return undefined;
        return [outlet, on === 1 ? "on" : "off"];
      }
      const value = body[0]! << 8 | body[1]!;
      const mask = body[2]! << 8 | body[3]!;
      const outlet = Math.log2(mask) + 1;
      if (!Number.isInteger(outlet) || outlet > spec.ports || !device.has(outlet)) return undefined;
      if (value !== 0 && value !== mask) return undefined;
      return [outlet, value === mask ? "on" : "off"];
    };

    let switchReports = 0;
    const waiters = new Set<{ count: number; resolve: () => void }>();
    const received = () => {
      switchReports++;
      for (const w of waiters) if (switchReports >= w.count) w.resolve();
    };

    const directory = await simulatorDirectory("cleware");
    try {
      await Deno.mkdir(`${directory}/dev`);
      const usb = options.new_serial
        ? "00063813"
        : options.serial.toString(16).toUpperCase().padStart(8, "0");
      await fakeHidrawEntry(directory, "hidraw0", {
        vendor: 0x0d50,
        product: spec.product,
        title: "Cleware USB-Switch",
        serial: usb,
      });
      // Another switch of the same model (its node is not there: it must never be opened) and a
      // hub of another vendor, which the lookup must pass over.
      await fakeHidrawEntry(directory, "hidraw1", {
        vendor: 0x0d50,
        product: spec.product,
        title: "Cleware USB-Switch",
        serial: (options.serial + 1).toString(16).toUpperCase().padStart(8, "0"),
      });
      await fakeHidrawEntry(directory, "hidraw2", {
        vendor: 0x04d8,
        product: 0xf2f7,
        title: "Yepkit YKUSH",
        serial: "YK00001",
      });
      const endpoint = await PtyEndpoint.create(`${directory}/dev/hidraw0`, async (io) => {
        const reader = new ByteReader(io);
        for (;;) {
          const head = await reader.bytes(2);
          if (head === null) return;
          if (head[0] === 0 && head[1] === 2) {
            const address = await reader.byte();
            if (address === null) return;
            device.record(`< ${hex([0, 2, address])}`);
            // Each driver operation on a newer switch starts with this read: the device's fault
            // applies to it, where the driver can see it.
            if (!options.new_serial || address !== FIRST_SERIAL_ADDRESS) {
              await io.write(answer(address, eeprom(address)));
              continue;
            }
            const live = await nodeOperation(device, io, reader, async (fault) => {
              if (fault === "hang") return;
              if (fault === "garbage") return await io.write(new Uint8Array(16).fill(0xfe));
              await io.write(answer(address, fault === "error" ? 0x00 : eeprom(address)));
            });
            if (!live) return;
            continue;
          }
          if (head[0] !== 0 || head[1] !== spec.command) {
            device.record(`< ${hex(head)}: not a report this switch knows`);
            continue;
          }
          const body = await reader.bytes(spec.length);
          if (body === null) return;
          device.record(`< ${hex([...head, ...body])}`);
          const target = decode(body);
          if (!target) device.record("  malformed: nothing switched");
          if (options.new_serial) {
            if (target) device.set(...target);
            received();
            continue;
          }
          // An older switch is never read, so its fault can only lose the report unseen.
          const live = await nodeOperation(device, io, reader, (fault) => {
            if (fault === "none" && target) device.set(...target);
            return Promise.resolve();
          });
          received();
          if (!live) return;
        }
      }, ["min", "0", "time", "1"]);
      const simulator = nodeSimulator(
        "cleware",
        device,
        endpoint,
        directory,
        () => ({ driver: options.model, serial: options.serial, sysroot: directory }),
      );
      const cleware: ClewareSimulator = {
        ...simulator,
        get switchReports() {
          return switchReports;
        },
        receivedSwitchReports(count, signal) {
          if (switchReports >= count) return Promise.resolve();
          return new Promise((resolve, reject) => {
            const waiter = {
              count,
              resolve: () => {
                waiters.delete(waiter);
                signal.removeEventListener("abort", onAbort);
                resolve();
              },
            };
            const onAbort = () => {
              waiters.delete(waiter);
              reject(signal.reason);
            };
            signal.addEventListener("abort", onAbort, { once: true });
            waiters.add(waiter);
          });
        },
      };
      return cleware;
    } catch (error) {
      await Deno.remove(directory, { recursive: true }).catch(() => {});
      throw error;
    }
  },
};
