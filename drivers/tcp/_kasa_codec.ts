/**
 * The TP-Link Kasa local protocol's framing, shared by the driver and its simulator: a JSON
 * document as UTF-8, "encrypted" with an autokey XOR (the key starts at 171 and becomes each
 * cipher byte), behind a 4-byte big-endian length. Described by softScheck's tplink-smartplug
 * research and upstream pdudaemon's tplink driver.
 * @module
 */

const FIRST_KEY = 171;
/** The longest document either side accepts; a real sysinfo is under 2 KiB. */
export const KASA_MAX_LENGTH = 16 * 1024;

/** Frames one JSON value for the wire. */
export function encodeKasa(value: unknown): Uint8Array {
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const out = new Uint8Array(4 + plain.length);
  new DataView(out.buffer).setUint32(0, plain.length);
  let key = FIRST_KEY;
  plain.forEach((b, i) => {
    key = b ^ key;
    out[4 + i] = key;
  });
  return out;
}

/** The length a 4-byte prefix announces. */
export function kasaLength(prefix: Uint8Array): number {
  return new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0);
}

/** Unscrambles a frame's body (without the prefix) into text; JSON parsing is the caller's. */
export function decodeKasa(body: Uint8Array): string {
  const plain = new Uint8Array(body.length);
  let key = FIRST_KEY;
  body.forEach((b, i) => {
    plain[i] = b ^ key;
    key = b;
  });
  return new TextDecoder().decode(plain);
}
