/**
 * SNMPv3 AES privacy for `net-snmp` under Deno. net-snmp encrypts with Node's `aes-*-cfb`
 * ciphers, which Deno's `node:crypto` does not provide (it has `aes-*-ecb`). CFB-128 is a few
 * lines over ECB (RFC 3826 §3.1.3: each keystream block is the encryption of the previous
 * ciphertext block), so the AES entries of net-snmp's exported `Encryption.algorithms` table get
 * encrypt/decrypt functions built on ECB; key localization and the IV stay net-snmp's own.
 *
 * DES (`des-cbc`, RFC 3414 §8) has no Deno primitive at all, so its entry gets CBC-DES from
 * `npm:des.js` (crypto-browserify's DES): key and pre-IV from the localized key, salt = engine
 * boots and a random word, the PDU zero-padded to whole blocks.
 * @module
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import snmp from "net-snmp";
import des from "des.js";

interface AesAlgorithm {
  KEY_LENGTH: number;
  BLOCK_LENGTH: number;
  localizationAlgorithm(
    algorithm: AesAlgorithm,
    authProtocol: string,
    password: string,
    engineID: Buffer,
  ): Buffer;
  encryptPdu: EncryptPdu;
  decryptPdu: DecryptPdu;
}

/** net-snmp's `encryptPdu(scopedPdu, protocol, password, authProtocol, engine)`. */
type EncryptPdu = (
  scopedPdu: Buffer,
  protocol: string,
  password: string,
  authProtocol: string,
  engine: Engine,
) => { encryptedPdu: Uint8Array; msgPrivacyParameters: Uint8Array };

/** net-snmp's `decryptPdu(encryptedPdu, protocol, salt, password, authProtocol, engine)`. */
type DecryptPdu = (
  encryptedPdu: Buffer,
  protocol: string,
  salt: Buffer,
  password: string,
  authProtocol: string,
  engine: Engine,
) => Uint8Array;

interface Engine {
  engineID: Buffer;
  engineBoots: number;
  engineTime: number;
}

interface EncryptionTable {
  algorithms: Record<string, AesAlgorithm>;
  generateLocalizedKey?: unknown;
  generateIvAes(algorithm: AesAlgorithm, boots: number, time: number, salt: Buffer): Buffer;
}

/** AES-CFB-128 of `input` under `key` from `iv`, built on single-block ECB encryptions. */
export function aesCfb(
  key: Uint8Array,
  iv: Uint8Array,
  input: Uint8Array,
  decrypt: boolean,
): Uint8Array {
  const ecb = crypto.createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const out = Buffer.alloc(input.length);
  let feedback: Uint8Array = iv;
  for (let offset = 0; offset < input.length; offset += 16) {
    const stream = ecb.update(feedback);
    const end = Math.min(offset + 16, input.length);
    for (let i = offset; i < end; i++) out[i] = input[i]! ^ stream[i - offset]!;
    feedback = decrypt ? input.subarray(offset, offset + 16) : out.subarray(offset, offset + 16);
  }
  // Deno's node:crypto frees the cipher's native resource only at final(): without it every
  // SNMPv3 AES message leaked one.
  ecb.final();
  return out;
}

/** CBC-DES of `input` (a whole number of 8-byte blocks) under `key` from `iv`. */
export function desCbc(
  key: Uint8Array,
  iv: Uint8Array,
  input: Uint8Array,
  decrypt: boolean,
): Uint8Array {
  const cipher = des.CBC.instantiate(des.DES).create({
    type: decrypt ? "decrypt" : "encrypt",
    key: Array.from(key),
    iv: Array.from(iv),
    padding: false,
  });
  return Uint8Array.from([...cipher.update(Array.from(input)), ...cipher.final()]);
}

let installed = false;

/** Replaces net-snmp's AES and DES functions once per process (idempotent). */
export function installPrivacy(): void {
  if (installed) return;
  installed = true;
  const encryption = (snmp as unknown as { Encryption: EncryptionTable }).Encryption;
  installDes(encryption);
  for (
    const protocol of [
      snmp.PrivProtocols.aes,
      snmp.PrivProtocols.aes256b,
      snmp.PrivProtocols.aes256r,
    ]
  ) {
    const algorithm = encryption.algorithms[protocol];
    if (!algorithm) continue;
    const keyOf = (password: string, authProtocol: string, engine: Engine) =>
      algorithm.localizationAlgorithm(algorithm, authProtocol, password, engine.engineID)
        .subarray(0, algorithm.KEY_LENGTH);
    algorithm.encryptPdu = (scopedPdu, _protocol, password, authProtocol, engine) => {
      const salt = crypto.randomBytes(8);
      const iv = encryption.generateIvAes(algorithm, engine.engineBoots, engine.engineTime, salt);
      return {
        encryptedPdu: aesCfb(keyOf(password, authProtocol, engine), iv, scopedPdu, false),
        msgPrivacyParameters: salt,
      };
    };
    algorithm.decryptPdu = (encryptedPdu, _protocol, salt, password, authProtocol, engine) => {
      const iv = encryption.generateIvAes(algorithm, engine.engineBoots, engine.engineTime, salt);
      return aesCfb(keyOf(password, authProtocol, engine), iv, encryptedPdu, true);
    };
  }
}

function installDes(encryption: EncryptionTable): void {
  const algorithm = encryption.algorithms[snmp.PrivProtocols.des];
  if (!algorithm) return;
  const authentication = (snmp as unknown as {
    Authentication: {
      passwordToKey(protocol: string, password: string, engineID: Buffer): Buffer;
    };
  }).Authentication;
  // RFC 3414 §8.1.1.1: the first 8 bytes of the localized key are the DES key, the next 8 the
  // pre-IV; the IV is the pre-IV XOR the salt.
  const keys = (password: string, authProtocol: string, engine: Engine, salt: Uint8Array) => {
    const localized = authentication.passwordToKey(authProtocol, password, engine.engineID);
    const iv = localized.subarray(8, 16).map((b, i) => b ^ salt[i]!);
    return { key: localized.subarray(0, 8), iv };
  };
  algorithm.encryptPdu = (scopedPdu, _protocol, password, authProtocol, engine) => {
    const salt = Buffer.alloc(8);
    salt.writeUInt32BE(engine.engineBoots >>> 0, 0);
    crypto.randomBytes(4).copy(salt, 4);
    const padded = Buffer.alloc(Math.ceil(scopedPdu.length / 8) * 8);
    scopedPdu.copy(padded);
    const { key, iv } = keys(password, authProtocol, engine, salt);
    return {
      encryptedPdu: Buffer.from(desCbc(key, iv, padded, false)),
      msgPrivacyParameters: salt,
    };
  };
  algorithm.decryptPdu = (encryptedPdu, _protocol, salt, password, authProtocol, engine) => {
    if (encryptedPdu.length % 8 !== 0 || salt.length !== 8) {
      throw new Error("DES-encrypted PDU is not a whole number of blocks with an 8-byte salt");
    }
    const { key, iv } = keys(password, authProtocol, engine, salt);
    return Buffer.from(desCbc(key, iv, encryptedPdu, true));
  };
}
