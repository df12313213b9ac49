/**
 * What the SNMP drivers read besides one outlet's state: every outlet at once (a walk of the
 * state column, with the name column where the table has one, as fence_apc_snmp's list-status
 * walks), and one outlet's power readings (one GET of the table's metering columns).
 * @module
 */
import type { OutletState, OutletStatus, PowerReading } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import type { SnmpClient } from "./client.ts";
import type { OutletIndex, PowerColumn } from "./presets.ts";

/** The longest outlet name taken from an agent (a longer one is cut, ending in "…"). */
const MAX_NAME = 64;

/** The columns an all-outlet read walks. */
export interface OutletTable {
  index: OutletIndex;
  state: { column: string; on: number; off: number };
  name?: string | undefined;
}

/**
 * Every outlet the agent has under the table's fixed index, from one walk of the state column
 * (and the name column beside it), in outlet order. An outlet whose state is neither value is
 * a protocol error, as for a single read.
 */
export async function listOutletsOf(
  client: SnmpClient,
  table: OutletTable,
  device: string,
  signal: AbortSignal,
): Promise<OutletStatus[]> {
  const { index, state } = table;
  const stateBase = state.column + index.fixed;
  const bases = table.name === undefined ? [stateBase] : [stateBase, table.name + index.fixed];
  const [states, names] = await client.walk(bases, signal);
  const outlets: OutletStatus[] = [];
  for (const [rest, value] of states!) {
    const outlet = index.outletOf(rest);
    if (outlet === undefined) continue;
    const oid = `${stateBase}.${rest}`;
    if (typeof value !== "number") {
      throw new DriverError("protocol", `${device} reports ${oid} = "${value}", not an integer`);
    }
    const name = names?.get(rest);
    outlets.push({
      outlet,
      state: stateOf(value, state.on, state.off, device, oid),
      // The agent's own text: made printable and bounded like every device string pdud shows.
      ...(typeof name === "string" && name !== "" ? { name: printable(name, MAX_NAME) } : {}),
    });
  }
  return outlets.sort((a, b) => a.outlet - b.outlet);
}

/** An outlet's state from the integer its agent reports at `oid`. */
export function stateOf(
  value: number,
  on: number,
  off: number,
  device: string,
  oid: string,
): OutletState {
  if (value === on) return "on" as const;
  if (value === off) return "off" as const;
  throw new DriverError(
    "protocol",
    `${device} reports ${oid} = ${value}, neither on (${on}) nor off (${off})`,
  );
}

/**
 * One outlet's readings: one GET of every column (and, for sensor tables, their decimal
 * digits), each scaled to its unit. A column the agent does not have for this outlet is left
 * out; none at all is a device error (the outlet is not metered).
 */
export async function readPowerOf(
  client: SnmpClient,
  columns: readonly PowerColumn[],
  index: string,
  device: string,
  signal: AbortSignal,
): Promise<PowerReading> {
  const oidOf = (column: string, c: PowerColumn) =>
    `${column}${index}${c.sensor === undefined ? "" : `.${c.sensor}`}`;
  const oids = columns.flatMap((c) => [
    oidOf(c.oid, c),
    ...(c.digits === undefined ? [] : [oidOf(c.digits, c)]),
  ]);
  const values = await client.getValues(oids, signal);
  const reading: PowerReading = {};
  let at = 0;
  for (const c of columns) {
    const oid = oids[at]!;
    const value = values[at++];
    const digits = c.digits === undefined ? 0 : values[at++];
    // A reading without its decimal digits cannot be scaled: left out as a missing one.
    if (value === undefined || digits === undefined) continue;
    if (typeof value !== "number" || typeof digits !== "number") {
      throw new DriverError("protocol", `${device} reports ${oid} = "${value}", not a number`);
    }
    if (c.min !== undefined && value < c.min) continue;
    // Rounded to the reading's own precision: 0.1 * 3 is 0.30000000000000004.
    reading[c.field] = round(value * (c.scale ?? 1) / 10 ** digits);
  }
  if (Object.keys(reading).length === 0) {
    throw new DriverError(
      "device",
      `${device} reports no power readings for this outlet (${oids.join(", ")})`,
      { permanent: true },
    );
  }
  return reading;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
