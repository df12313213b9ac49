/**
 * A Modbus/TCP server (Modbus Messaging on TCP/IP V1.0b) standing for a relay board: coil N and
 * holding register N are outlet N. It is as strict as the specification lets a server be, so a
 * driver bug fails a test: a frame whose protocol id is not 0 or whose length is outside 2..254
 * ends the connection (the guide's answer to a broken stream); a wrong unit id gets exception
 * 0x0B, an unknown function 0x01, a missing address 0x02, a bad quantity, value or PDU length
 * 0x03. Requests on one connection are answered in order (pipelining allowed).
 * @module
 */
import { z } from "zod";
import {
  EXCEPTION,
  FUNCTION,
  MAX_PDU,
  MBAP_LENGTH,
  wholeNumber,
} from "../../drivers/modbus/mod.ts";
import type { Fault, SimulatedDevice, SimulatorKind } from "../kind.ts";
import { serveSimulatorTcp, simulatorOn } from "../_transport/tcp_server.ts";

const OPTIONS = z.object({ "unit": wholeNumber(0, 255).default(1) }).strict();

/** What one request frame gets: a PDU to answer, or what the device does instead. */
type Outcome = Uint8Array | "drop" | "hang" | "garbage";

const exception = (fc: number, code: number) => Uint8Array.of(fc | 0x80, code);

/** Answers one PDU (function code + data) the device accepted the framing of. */
async function answer(
  device: SimulatedDevice,
  pdu: Uint8Array,
  signal: AbortSignal,
): Promise<Outcome> {
  const fc = pdu[0]!;
  const known = Object.values(FUNCTION) as number[];
  if (!known.includes(fc)) return exception(fc, EXCEPTION.illegalFunction);
  if (pdu.length !== 5) return exception(fc, EXCEPTION.illegalDataValue);
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const address = view.getUint16(1);
  const operand = view.getUint16(3); // quantity for reads, value for writes
  const isRead = fc === FUNCTION.readCoils || fc === FUNCTION.readHoldingRegisters;
  if (isRead) {
    const max = fc === FUNCTION.readCoils ? 2000 : 125;
    if (operand < 1 || operand > max) return exception(fc, EXCEPTION.illegalDataValue);
    if (!device.has(address) || !device.has(address + operand - 1)) {
      return exception(fc, EXCEPTION.illegalDataAddress);
    }
  } else {
    const valid = fc === FUNCTION.writeSingleCoil
      ? operand === 0xff00 || operand === 0x0000
      : operand === 0 || operand === 1; // registers of a relay board hold 0 or 1
    if (!valid) return exception(fc, EXCEPTION.illegalDataValue);
    if (!device.has(address)) return exception(fc, EXCEPTION.illegalDataAddress);
  }
  const fault = await device.beginOperation(signal);
  try {
    const faulty = faultOutcome(fault, fc);
    if (faulty) return faulty;
    if (!isRead) {
      device.set(address, operand === 0 ? "off" : "on");
      return pdu.slice(); // a write is answered by echoing it
    }
    const on = (i: number) => device.get(address + i) === "on";
    if (fc === FUNCTION.readCoils) {
      const bytes = new Uint8Array(2 + Math.ceil(operand / 8));
      bytes[0] = fc;
      bytes[1] = bytes.length - 2;
      for (let i = 0; i < operand; i++) if (on(i)) bytes[2 + (i >> 3)]! |= 1 << (i & 7);
      return bytes;
    }
    const bytes = new Uint8Array(2 + operand * 2);
    bytes[0] = fc;
    bytes[1] = operand * 2;
    for (let i = 0; i < operand; i++) bytes[3 + i * 2] = on(i) ? 1 : 0;
    return bytes;
  } finally {
    device.endOperation();
  }
}

function faultOutcome(fault: Fault, fc: number): Outcome | undefined {
  switch (fault) {
    case "drop":
    case "refuse":
      return "drop";
    case "hang":
      return "hang";
    case "error":
    case "flap":
      return exception(fc, EXCEPTION.serverDeviceFailure);
    case "garbage":
      return "garbage";
    case "none":
      return undefined;
  }
}

const GARBAGE = Uint8Array.of(0, 0x13, 0xff, 0xfe, 0x41, 0x0a);

/** Wraps a PDU in the request's MBAP header (same transaction id and unit id). */
function frame(header: Uint8Array, pdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(MBAP_LENGTH + pdu.length);
  out.set(header.subarray(0, MBAP_LENGTH));
  new DataView(out.buffer).setUint16(4, pdu.length + 1);
  out.set(pdu, MBAP_LENGTH);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  try {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch { /* the client went away */ }
}

/** Serves one connection: reads frames, answers them in order. */
async function serveConnection(
  conn: Deno.TcpConn,
  device: SimulatedDevice,
  unit: number,
): Promise<void> {
  const gone = new AbortController();
  let buffer = new Uint8Array(0);
  let queue = Promise.resolve<"go" | "stop">("go");
  let stopped = false;
  const chunk = new Uint8Array(1024);
  reading: for (;;) {
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) break;
    const joined = new Uint8Array(buffer.length + n);
    joined.set(buffer);
    joined.set(chunk.subarray(0, n), buffer.length);
    buffer = joined;
    while (buffer.length >= MBAP_LENGTH) {
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const protocol = view.getUint16(2);
      const length = view.getUint16(4);
      if (protocol !== 0 || length < 2 || length > MAX_PDU + 1) {
        device.record(`bad MBAP header (protocol ${protocol}, length ${length}): closing`);
        stopped = true;
        break reading;
      }
      const total = MBAP_LENGTH - 1 + length;
      if (buffer.length < total) break;
      const header = buffer.slice(0, MBAP_LENGTH);
      const pdu = buffer.slice(MBAP_LENGTH, total);
      buffer = buffer.slice(total);
      queue = queue.then(async (state) => {
        if (state === "stop" || stopped) return "stop";
        const requestUnit = header[6]!;
        device.record(
          `unit ${requestUnit} fc ${pdu[0]} ${[...pdu.subarray(1)].map(hex).join(" ")}`,
        );
        const outcome = requestUnit !== unit
          ? exception(pdu[0]!, EXCEPTION.gatewayTargetFailed)
          : await answer(device, pdu, gone.signal);
        if (outcome === "hang") return "stop";
        if (outcome === "drop") {
          stopped = true;
          conn.close();
          return "stop";
        }
        await writeAll(conn, outcome === "garbage" ? GARBAGE : frame(header, outcome));
        return "go";
      });
    }
  }
  gone.abort();
  await queue.catch(() => {});
}

const hex = (b: number) => b.toString(16).padStart(2, "0");

/** `modbus-tcp`. */
export const MODBUS_TCP_SIMULATOR: SimulatorKind<z.infer<typeof OPTIONS>> = {
  name: "modbus-tcp",
  summary: "Modbus/TCP relay board: coils and holding registers N = outlet N, strict MBAP/unit id",
  options: OPTIONS,
  start(device, { options, hostname, port }) {
    const server = serveSimulatorTcp(
      device,
      { hostname, port },
      (conn) => serveConnection(conn, device, options.unit),
    );
    return Promise.resolve(
      simulatorOn(
        "modbus-tcp",
        device,
        server,
        (_, port) => ({ driver: "modbustcp", port, unit: options.unit }),
      ),
    );
  },
};
