/**
 * Finding a USB HID device's hidraw node by vendor, product and serial, the way hidapi does on
 * Linux, from /sys/class/hidraw/NAME/device/uevent (HID_ID=BUS:VENDOR:PRODUCT, HID_UNIQ=serial).
 * @module
 */
import { DriverError } from "../errors.ts";

/** One hidraw node and what its uevent says. */
export interface HidrawEntry {
  node: string;
  vendor: number;
  product: number;
  serial: string;
}

/** Every hidraw node under `sysfs` (default /sys/class/hidraw), nodes under `dev`. */
export async function listHidraw(
  sysfs = "/sys/class/hidraw",
  dev = "/dev",
): Promise<HidrawEntry[]> {
  const out: HidrawEntry[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(sysfs));
  } catch {
    return out;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    let uevent: string;
    try {
      uevent = await Deno.readTextFile(`${sysfs}/${entry.name}/device/uevent`);
    } catch {
      continue;
    }
    const id = /^HID_ID=([0-9A-Fa-f]+):([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/m.exec(uevent);
    if (!id) continue;
    out.push({
      node: `${dev}/${entry.name}`,
      vendor: parseInt(id[2]!, 16),
      product: parseInt(id[3]!, 16),
      serial: /^HID_UNIQ=(.*)$/m.exec(uevent)?.[1]?.trim() ?? "",
    });
  }
  return out;
}

/**
 * The node of the one device with `vendor` and one of `products` whose serial `matches`;
 * a DriverError naming what was found otherwise.
 */
export async function findHidraw(
  what: string,
  vendor: number,
  products: readonly number[],
  matches: (serial: string) => boolean,
  roots: { sysfs?: string; dev?: string } = {},
): Promise<string> {
  const all = (await listHidraw(roots.sysfs, roots.dev)).filter((e) =>
    e.vendor === vendor && products.includes(e.product)
  );
  const found = all.filter((e) => matches(e.serial));
  if (found.length === 1) return found[0]!.node;
  const seen = all.map((e) => `${e.node} (serial "${e.serial}")`).join(", ") || "none";
  throw new DriverError(
    "unreachable",
    found.length === 0
      ? `${what} is not attached (matching hidraw devices: ${seen})`
      : `${what} matches several devices (${seen}); set its serial`,
  );
}
