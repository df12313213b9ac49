/**
 * SNMPv3 AES privacy for `net-snmp` under Deno. net-snmp encrypts with Node's `aes-*-cfb`
 * ciphers, which Deno's `node:crypto` does not provide (it has `aes-*-ecb`). CFB-128 is a few
 * lines over ECB (RFC 3826 §3.1.3: each keystream block is the encryption of the previous
 * ciphertext block), so the AES entries of net-snmp's exported `Encryption.algorithms` table get
 * encrypt/decrypt functions built on ECB; key localization and the IV stay net-snmp's own.
 * DES (`des-cbc`) has no Deno primitive at all: configs asking for it are refused by the driver.
 * @module
 */
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import snmp from "net-snmp";

interface AesAlgorithm {
  KEY_LENGTH: number;
  BLOCK_LENGTH: number;
  localizationAlgorithm(
    algorithm: AesAlgorithm,
    authProtocol: string,
    password: string,
    engineID: Buffer,
  ): Buffer;
  encryptPdu: unknown;
  decryptPdu: unknown;
}

interface Engine {
  engineID: Buffer;
  engineBoots: number;
  engineTime: number;
}

interface EncryptionTable {
  algorithms: Record<string, AesAlgorithm>;
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
  return out;
}

let installed = false;

/** Replaces net-snmp's AES functions once per process (idempotent). */
export function installAesCfb(): void {
  if (installed) return;
  installed = true;
  const encryption = (snmp as unknown as { Encryption: EncryptionTable }).Encryption;
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
    algorithm.encryptPdu = (
      scopedPdu: Buffer,
      _protocol: string,
      password: string,
      authProtocol: string,
      engine: Engine,
    ) => {
      const salt = crypto.randomBytes(8);
      const iv = encryption.generateIvAes(algorithm, engine.engineBoots, engine.engineTime, salt);
      return {
        encryptedPdu: aesCfb(keyOf(password, authProtocol, engine), iv, scopedPdu, false),
        msgPrivacyParameters: salt,
      };
    };
    algorithm.decryptPdu = (
      encryptedPdu: Buffer,
      _protocol: string,
      salt: Buffer,
      password: string,
      authProtocol: string,
      engine: Engine,
    ) => {
      const iv = encryption.generateIvAes(algorithm, engine.engineBoots, engine.engineTime, salt);
      return aesCfb(keyOf(password, authProtocol, engine), iv, encryptedPdu, true);
    };
  }
}
