/**
 * Names in NATS: the lease bucket, the job stream and the subjects of one cluster. A PDU name
 * may hold any character (a dot, a space, `*`), so it travels as hex in a subject token.
 * @module
 */

/** The subjects and names of cluster `name`. */
export interface Names {
  /** The KV bucket of PDU leases. */
  bucket: string;
  /** The JetStream stream of job records. */
  stream: string;
  /** Every job record subject (the stream's filter). */
  jobsAll: string;
  /** The job records of one PDU. */
  jobs(pdu: string): string;
  /** Where the owner of a PDU takes forwarded requests. */
  submit(pdu: string): string;
}

/** The PDU's name as a subject token (and a KV key): lower-case hex of its UTF-8 bytes. */
export function pduToken(pdu: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(pdu)) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** The inverse of pduToken; undefined for a token that is not one. */
export function pduFromToken(token: string): string | undefined {
  if (!/^([0-9a-f]{2})+$/.test(token)) return undefined;
  const bytes = new Uint8Array(token.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(token.slice(2 * i, 2 * i + 2), 16);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The names of cluster `name` (letters, digits, '-', '_': checked by the config schema). */
export function namesOf(name: string): Names {
  return {
    bucket: `pdud_${name}_leases`,
    stream: `pdud_${name}_jobs`,
    jobsAll: `pdud.${name}.jobs.>`,
    jobs: (pdu) => `pdud.${name}.jobs.${pduToken(pdu)}`,
    submit: (pdu) => `pdud.${name}.submit.${pduToken(pdu)}`,
  };
}
