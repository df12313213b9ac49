/**
 * Modbus facts the driver and the simulator share, from the Modbus Application Protocol
 * Specification V1.1b3 (function codes, §7 exception codes) and the Modbus Messaging on TCP/IP
 * Implementation Guide V1.0b (the MBAP header).
 * @module
 */

/** Function codes pdud's Modbus devices speak. */
export const FUNCTION = {
  readCoils: 0x01,
  readHoldingRegisters: 0x03,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
} as const;

/** Exception codes (spec §7), as the device answers them. */
export const EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
  gatewayTargetFailed: 0x0b,
} as const;

const EXCEPTION_NAMES: Record<number, string> = {
  0x01: "ILLEGAL FUNCTION",
  0x02: "ILLEGAL DATA ADDRESS",
  0x03: "ILLEGAL DATA VALUE",
  0x04: "SERVER DEVICE FAILURE",
  0x05: "ACKNOWLEDGE",
  0x06: "SERVER DEVICE BUSY",
  0x08: "MEMORY PARITY ERROR",
  0x0a: "GATEWAY PATH UNAVAILABLE",
  0x0b: "GATEWAY TARGET DEVICE FAILED TO RESPOND",
};

/** "2 (ILLEGAL DATA ADDRESS)" for messages. */
export function exceptionText(code: number): string {
  return `${code} (${EXCEPTION_NAMES[code] ?? "unknown exception"})`;
}

/** MBAP header length: transaction id, protocol id, length, unit id. */
export const MBAP_LENGTH = 7;

/** The largest PDU (function code and data) a Modbus/TCP frame may carry. */
export const MAX_PDU = 253;
