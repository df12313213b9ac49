/**
 * Cluster mode (issue 21): several pdud daemons as one, on NATS JetStream — PDU ownership by
 * leases in a replicated KV bucket, fencing by lease epoch, forwarding to the owner, and a
 * replicated job journal a new owner resumes from. Loaded only by dynamic import, and only when
 * the config has a `cluster` section. Imports `actors/`, `config/` and `drivers/` through their
 * faces; only `daemon/` imports it.
 * @module
 */
export {
  type ClusterHooks,
  ClusterNode,
  type ClusterOptions,
  type ClusterPduSnapshot,
  startCluster,
} from "./node.ts";
export {
  decodeRecord,
  encodeRecord,
  type JournalRecord,
  type OutletStates,
  recover,
  type Recovered,
  resumeCommand,
  type StatesRecord,
  type Unfinished,
} from "./journal.ts";
export { namesOf, pduFromToken, pduToken } from "./subjects.ts";
