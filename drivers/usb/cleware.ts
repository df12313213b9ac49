/**
 * Cleware USB switches written through their hidraw node, upstream's names and key `serial` (the
 * switch's serial number, an integer as upstream's int() reads it; required), plus pdud's
 * `sysroot` (the directory holding `sys/class/hidraw` and `dev`; default "/", e.g. a container's
 * mount of the host's):
 *
 * - `ClewareUsbSwitch4` (USB-Switch4, 0d50:0008, ports 1-4): report `[0, 0, 0x10 + N - 1, 1|0]`.
 * - `ClewareUsbSwitch8` ("contact00", 0d50:0030, ports 1-8): report
 *   `[0, 3, value >> 8, value & 0xff, mask >> 8, mask & 0xff]`, mask = 1 << (N - 1), value =
 *   mask to switch on, 0 to switch off.
 *
 * The leading 0 is the report number hidraw(4) expects of a device without numbered reports;
 * the kernel drops it before the report goes out. A switch is the one whose USB serial (HID_UNIQ)
 * read as hexadecimal equals `serial`. Newer switches all report 0x63813 there and keep their
 * own serial as 7 hexadecimal digits at EEPROM addresses 8-14: `[0, 2, address]` is answered by
 * an input report whose byte 4 is the address and byte 5 the digit in ASCII, possibly after other
 * reports. Protocol as upstream's pdudaemon/drivers/cleware.py drives it.
 *
 * A switch never acknowledges a switch report, so an operation is done once the write to its
 * node succeeded (a hidraw write returns when the USB transfer is complete), as upstream; there
 * is no status read. Tested against the simulator in simulators/usb/cleware.ts.
 * @module
 */
import { z } from "zod";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { FILE_PATH, wholeNumber } from "../_options.ts";
import { type DeviceNode, NodeLine } from "./_node.ts";
import { type HidrawEntry, listHidraw } from "./_hidraw.ts";

const VENDOR = 0x0d50;
/** What every newer switch reports as its USB serial. */
const NEW_SWITCH_SERIAL = 0x63813n;
/** EEPROM addresses of a newer switch's serial digits, most significant first. */
const SERIAL_ADDRESSES = [8, 9, 10, 11, 12, 13, 14] as const;
/**
 * Reports read for one serial digit before giving up: more than hidraw's queue of 64 unread
 * reports, so reports the switch sent before the request cannot use the bound up.
 */
export const REPORTS_PER_DIGIT = 80;

const OPTIONS = z.object({
  "serial": wholeNumber(0, Number.MAX_SAFE_INTEGER),
  "sysroot": FILE_PATH.default("/"),
}).strict();

/** ClewareUsbSwitch4/8's keys. */
export type ClewareOptions = z.infer<typeof OPTIONS>;

/** What reading a newer switch's serial needs of its node (a DeviceNode; a fake in tests). */
export interface ReportPort {
  /** Writes one output report (report number first). */
  write(bytes: Uint8Array): Promise<void>;
  /** Reads one input report. */
  readReport(expected: string): Promise<Uint8Array>;
}

/**
 * Reads the serial a newer switch keeps in its EEPROM. A switch that answers with something else
 * for REPORTS_PER_DIGIT reports fails with "protocol"; one that answers nothing is ended by the
 * node's signal, reported as not answering.
 */
export async function readSwitchSerial(port: ReportPort, what: string): Promise<number> {
  let digits = "";
  for (const address of SERIAL_ADDRESSES) {
    try {
      await port.write(Uint8Array.of(0, 2, address));
      digits += await readDigit(port, address, what);
    } catch (error) {
      // Not marked aborted: it says what the switch never answered, for the timeout's reason.
      if (error instanceof DriverError && error.kind === "timeout") {
        throw new DriverError(
          "timeout",
          `${what} did not answer the read of its serial (EEPROM address ${address})`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  return parseInt(digits, 16);
}

async function readDigit(port: ReportPort, address: number, what: string): Promise<string> {
  for (let n = 0; n < REPORTS_PER_DIGIT; n++) {
    const report = await port.readReport(`the serial digit at address ${address}`);
    // Reports about anything else (a switch also sends its status) are passed over.
    if (report.length < 6 || report[4] !== address) continue;
    const byte = report[5]!;
    const digit = String.fromCharCode(byte);
    if (!/^[0-9A-Fa-f]$/.test(digit)) {
      throw new DriverError(
        "protocol",
        `${what} answered the read of its serial (EEPROM address ${address}) with byte ` +
          `0x${byte.toString(16).padStart(2, "0")}, not a hexadecimal digit`,
      );
    }
    return digit;
  }
  throw new DriverError(
    "protocol",
    `${what} sent ${REPORTS_PER_DIGIT} reports without answering the read of its serial ` +
      `(EEPROM address ${address})`,
  );
}

/** The USB serial as upstream reads it (hexadecimal), or undefined when it is not hex. */
function usbSerial(entry: HidrawEntry): bigint | undefined {
  return /^[0-9A-Fa-f]+$/.test(entry.serial) ? BigInt(`0x${entry.serial}`) : undefined;
}

interface Model {
  name: string;
  product: number;
  ports: number;
  title: string;
  report(outlet: number, state: OutletState): Uint8Array;
}

const SWITCH4: Model = {
  name: "ClewareUsbSwitch4",
  product: 0x0008,
  ports: 4,
  title: "Cleware USB-Switch4 (0d50:0008)",
  report: (outlet, state) => Uint8Array.of(0, 0, 0x10 + outlet - 1, state === "on" ? 1 : 0),
};

const SWITCH8: Model = {
  name: "ClewareUsbSwitch8",
  product: 0x0030,
  ports: 8,
  title: 'Cleware USB-Switch8 "contact00" (0d50:0030)',
  report(outlet, state) {
    const mask = 1 << (outlet - 1);
    const value = state === "on" ? mask : 0;
    return Uint8Array.of(0, 3, value >> 8, value & 0xff, mask >> 8, mask & 0xff);
  },
};

function cleware(model: Model): DriverDescriptor<ClewareOptions> {
  return {
    names: [model.name],
    // the hidraw node is written.
    permissions: ["write"],
    summary: `${model.title} via hidraw, found by serial; the switch never acknowledges, so ` +
      `an operation is done once its report is written (as upstream)`,
    options: OPTIONS,
    outletRange: () => ({ min: 1, max: model.ports }),
    create(_hostname, { options, log }) {
      const what = `${model.name} with serial ${options.serial}`;
      const root = options.sysroot.replace(/\/+$/, "");
      const sysfs = `${root}/sys/class/hidraw`;
      const wanted = BigInt(options.serial);
      const lines = new Map<string, NodeLine>();

      const open = (path: string, signal: AbortSignal): Promise<DeviceNode> => {
        let line = lines.get(path);
        if (!line) lines.set(path, line = new NodeLine(path));
        return line.open({ what: `${model.name} at ${path}`, signal });
      };

      /** Runs `work` on the node of the wanted switch, reading newer switches' serials. */
      const withSwitch = async (
        signal: AbortSignal,
        work: (node: DeviceNode, path: string) => Promise<void>,
      ): Promise<void> => {
        const entries = (await listHidraw(sysfs, `${root}/dev`)).filter((e) =>
          e.vendor === VENDOR && e.product === model.product
        );
        const direct = entries.filter((e) => usbSerial(e) === wanted);
        if (direct.length > 1) {
          throw new DriverError(
            "unreachable",
            `${what}: several devices report that serial (${direct.map((e) => e.node).join(", ")})`,
          );
        }
        const candidates = direct.length === 1
          ? direct
          : entries.filter((e) => usbSerial(e) === NEW_SWITCH_SERIAL);
        const seen = entries.filter((e) => !candidates.includes(e)).map((e) => {
          const serial = usbSerial(e);
          return `${e.node} (serial ${serial ?? "unreadable"}, USB "${e.serial}")`;
        });
        let failure: DriverError | undefined;
        for (const entry of candidates) {
          let node: DeviceNode | undefined;
          try {
            node = await open(entry.node, signal);
            if (entry !== direct[0]) {
              const serial = await readSwitchSerial(node, `${model.name} at ${entry.node}`);
              log.debug("cleware serial read", { node: entry.node, serial });
              if (BigInt(serial) !== wanted) {
                seen.push(`${entry.node} (serial ${serial}, read from the switch)`);
                continue;
              }
            }
            return await work(node, entry.node);
          } catch (error) {
            // Once the operation is over, or when it was the only switch to ask, its failure is
            // the answer; otherwise the next switch may still be the one.
            if (!(error instanceof DriverError) || signal.aborted || candidates.length === 1) {
              throw error;
            }
            failure = error;
            seen.push(`${entry.node} (serial unreadable: ${error.message})`);
          } finally {
            void node?.close();
          }
        }
        throw new DriverError(
          failure?.kind ?? "unreachable",
          `${what} is not attached (${model.title} devices in ${sysfs}: ` +
            `${seen.join(", ") || "none"})`,
        );
      };

      return {
        async setOutlet(outlet, state, { signal }) {
          const report = model.report(outlet, state);
          await withSwitch(signal, async (node, path) => {
            log.debug("cleware report", { node: path, report: [...report] });
            await node.write(report);
          });
        },
        close: () => Promise.resolve(),
      };
    },
  };
}

/** `ClewareUsbSwitch4`, `ClewareUsbSwitch8`. */
export const CLEWARE_DRIVERS: readonly DriverDescriptor<ClewareOptions>[] = [
  cleware(SWITCH4),
  cleware(SWITCH8),
];
