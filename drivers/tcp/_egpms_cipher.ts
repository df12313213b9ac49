/**
 * The EG-PMS LAN session cipher, shared by the driver and its simulator. After the client's
 * start byte (0x11) the device sends a 4-byte task; the client proves the password with two
 * little-endian words derived from task and key; from then on socket states and switch commands
 * travel as 4 bytes, last socket first, each scrambled with task bytes 2–3 and key bytes 0–1.
 * The 8-byte key is the password, cut or padded with spaces. Described by egctl
 * (github.com/unterwulf/egctl, MIT) and upstream pdudaemon's egpms driver.
 * @module
 */

/** The byte that starts a session and, sent again, ends it without the device's 4 s timeout. */
export const START = 0x11;
/** Switch commands, one per socket. */
export const SWITCH_ON = 0x01;
export const SWITCH_OFF = 0x02;
export const DONT_SWITCH = 0x04;
/** Socket states of protocol v2.0 (the simulator's); v2.1 and WLAN use other codes. */
export const STATE_ON = 0x11;
export const STATE_OFF = 0x22;
/** Every state code of the v2.0, v2.1 and WLAN devices, by meaning. */
const ON_CODES = [0x11, 0x12, 0x41, 0x51];
const OFF_CODES = [0x22, 0x21, 0x82, 0x92];
/** Sockets on an EG-PMS LAN. */
export const SOCKETS = 4;

/** The 8-byte key for `password`. */
export function keyFor(password: string): Uint8Array {
  const key = new Uint8Array(8).fill(0x20);
  key.set(new TextEncoder().encode(password).subarray(0, 8));
  return key;
}

/** The client's 4-byte answer to the device's task. */
export function authResponse(task: Uint8Array, key: Uint8Array): Uint8Array {
  const word = (i: number) =>
    (((task[i]! ^ key[i + 2]!) * key[i]!) ^ (key[i + 6]! | (key[i + 4]! << 8)) ^ task[i + 2]!) &
    0xffff;
  const low = word(0), high = word(1);
  return Uint8Array.of(low & 0xff, low >> 8, high & 0xff, high >> 8);
}

/** Scrambles one value per socket (socket 1 first) into the 4 bytes on the wire. */
export function encode(values: number[], task: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(SOCKETS);
  for (let i = 0; i < SOCKETS; i++) {
    const v = values[SOCKETS - 1 - i]!;
    out[i] = ((((v ^ task[2]!) + task[3]!) & 0xff) ^ key[0]!) + key[1]!;
  }
  return out;
}

/** Unscrambles 4 bytes from the wire into one value per socket (socket 1 first). */
export function decode(bytes: Uint8Array, task: Uint8Array, key: Uint8Array): number[] {
  return Array.from({ length: SOCKETS }, (_, i) => {
    const b = bytes[SOCKETS - 1 - i]!;
    return ((((b - key[1]!) & 0xff) ^ key[0]!) - task[3]! & 0xff) ^ task[2]!;
  });
}

/** "on", "off" or undefined for a code that is no socket state. */
export function stateOf(code: number): "on" | "off" | undefined {
  if (ON_CODES.includes(code)) return "on";
  if (OFF_CODES.includes(code)) return "off";
  return undefined;
}
