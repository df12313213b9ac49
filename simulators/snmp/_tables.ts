/**
 * Vendor MIB tables on the simulated agent: a table is its entry OID, its index (one row per
 * outlet, or per outlet and sensor), and columns whose values are read from the device when a
 * manager reads them (GET, GETNEXT, GETBULK) and whose SETs switch it. Index columns are
 * not-accessible, as in the MIBs, so a walk sees only the data columns.
 *
 * Also the simulated load: what a metered outlet draws, the same for every vendor so a test can
 * compare each driver's readings with one expectation.
 * @module
 */
import type { AgentContext } from "./snmp.ts";
import type { SimulatedDevice } from "../kind.ts";

/** One row: the outlet it belongs to, its index arcs, and the sensor for per-sensor tables. */
export interface Row {
  outlet: number;
  index: number[];
  sensor?: number;
}

/** One data column. */
export interface Column {
  number: number;
  type: "Integer" | "OctetString" | "Gauge";
  /** The value a read finds now. */
  read(row: Row): number | string;
  /** A writable column: whether it takes `value` (else wrongValue), and what a SET does. */
  write?: { accepts(value: number): boolean; apply(row: Row, value: number): void };
}

/** One table of the device. */
export interface Table {
  name: string;
  /** The entry's OID (the table's OID + ".1"). */
  entry: string;
  /** How many arcs the index has. */
  indexArcs: number;
  /** The table's rows for the device's outlets. */
  rows(device: SimulatedDevice): Row[];
  columns: Column[];
}

/** Registers `tables` on the agent of `context`. */
export function registerTables(context: AgentContext, tables: readonly Table[]): void {
  const { snmp, mib, device } = context;
  for (const table of tables) {
    const rows = new Map(table.rows(device).map((r) => [r.index.join("."), r]));
    const columnOf = new Map(table.columns.map((c) => [c.number, c]));
    // Index columns get numbers past the data columns: not-accessible, so never on the wire.
    const indexColumns = Array.from({ length: table.indexArcs }, (_, i) => ({
      number: 1000 + i,
      name: `${table.name}Index${i}`,
      type: snmp.ObjectType.Integer,
      maxAccess: snmp.MaxAccess["not-accessible"],
    }));
    mib.registerProvider({
      name: table.name,
      type: snmp.MibProviderType.Table,
      oid: table.entry,
      maxAccess: snmp.MaxAccess["not-accessible"],
      tableColumns: [
        ...table.columns.map((c) => ({
          number: c.number,
          name: `${table.name}${c.number}`,
          type: snmp.ObjectType[c.type],
          maxAccess: snmp.MaxAccess[c.write ? "read-write" : "read-only"],
        })),
        ...indexColumns,
      ],
      tableIndex: indexColumns.map((c) => ({ columnName: c.name })),
      // deno-lint-ignore no-explicit-any
      handler: (request: any) => {
        const arcs = String(request.oid).slice(table.entry.length + 1).split(".");
        const column = columnOf.get(Number(arcs[0]));
        const row = rows.get(arcs.slice(1).join("."));
        if (!column || !row || !device.has(row.outlet)) return request.done();
        const isSet = request.operation === snmp.PduType.SetRequest;
        if (isSet && request.testSet) {
          // The test pass: refuse values the device does not know before anything changes.
          if (!column.write?.accepts(request.setValue)) {
            device.record(`SET ${request.oid} = ${request.setValue} (refused: wrongValue)`);
            return request.done({ errorStatus: snmp.ErrorStatus.WrongValue });
          }
          return request.done();
        }
        context.serve(request, () => {
          if (isSet) column.write!.apply(row, request.setValue);
          else request.instanceNode.value = column.read(row);
        });
      },
    });
    for (const row of rows.values()) {
      mib.addTableRow(table.name, [...table.columns.map((c) => c.read(row)), ...row.index]);
    }
  }
}

/** One row per outlet, indexed `prefix`.outlet. */
export function outletRows(prefix: number[]): (device: SimulatedDevice) => Row[] {
  return (device) => device.outlets().map((outlet) => ({ outlet, index: [...prefix, outlet] }));
}

/** A read-only integer column showing the outlet's state as `on`/`off`. */
export function stateOf(
  device: SimulatedDevice,
  number: number,
  values: { on: number; off: number },
): Column {
  return {
    number,
    type: "Integer",
    read: (row) => device.get(row.outlet) === "on" ? values.on : values.off,
  };
}

/** A read-only string column. */
export function text(number: number, value: (row: Row) => string): Column {
  return { number, type: "OctetString", read: value };
}

/** A read-only integer (or Gauge32, `gauge`) column. */
export function integer(number: number, value: (row: Row) => number, gauge = false): Column {
  return { number, type: gauge ? "Gauge" : "Integer", read: value };
}

/** What a metered outlet draws in the simulation: nothing when off. */
export interface Load {
  volts: number;
  amps: number;
  watts: number;
  energyWh: number;
}

/**
 * The simulated load of `outlet`: 230 V at the outlet; when on, 0.25 A per outlet number
 * (outlet 3 draws 0.75 A) at unity power factor; an energy counter of 1500 Wh per outlet number,
 * as if each had run before the simulator started.
 */
export function loadOf(device: SimulatedDevice, outlet: number): Load {
  const on = device.get(outlet) === "on";
  const amps = on ? 0.25 * outlet : 0;
  return { volts: 230, amps, watts: 230 * amps, energyWh: 1500 * outlet };
}
