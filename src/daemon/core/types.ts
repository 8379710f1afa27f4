// What goes into a daemon's core and what comes out of it. The core is a deterministic state
// machine: the shell (a process, or the simulator) hands it events one at a time and then carries
// out the effects it returned, in the order given, telling the core when each completed. Nothing
// here names a socket, a file or a clock: time is a count of ticks.

import { ClusterConfig, ServerId } from '../../common/config';
import { AtomicRequest, PredicateRequest, WireCheck } from '../../common/messages';

/** An object as stored: its version and values, or a tombstone (values null) that keeps a deleted key's version. */
export interface StoredRecord {
  readonly version: number;
  readonly values: readonly Buffer[] | null;
}

/** A write the point leader has made durable but whose chain has not finished: redone after a restart. */
export interface Intent {
  readonly spaceId: number;
  readonly key: Buffer;
  readonly version: number;
  /** The object before and after the write; null where there was none or is none. */
  readonly before: readonly Buffer[] | null;
  readonly after: readonly Buffer[] | null;
}

/** Where a region's records live: its space, subspace and id. */
export interface RegionAddress {
  readonly spaceId: number;
  readonly subspace: number;
  readonly regionId: number;
}

/**
 * One change to the store; a batch of them is applied atomically, and batches in the order given.
 * A put to a secondary subspace carries the object's coordinate on the subspace's first axis (for
 * the store's index); a put of a record with values null is a tombstone (key subspace only).
 */
export type StoreWrite =
  | { readonly op: 'put'; readonly regionId: number; readonly spaceId: number; readonly subspace: number; readonly key: Buffer; readonly record: StoredRecord; readonly coord?: bigint }
  | { readonly op: 'del'; readonly regionId: number; readonly spaceId: number; readonly subspace: number; readonly key: Buffer }
  | { readonly op: 'drop-region'; readonly region: RegionAddress }
  | { readonly op: 'drop-space'; readonly spaceId: number }
  | { readonly op: 'intent'; readonly spaceId: number; readonly key: Buffer; readonly intent: Intent | null };

/**
 * The core reads the store synchronously and only for what the store holds in memory: undefined
 * means "not known without I/O", and the core then asks for a load (an effect) and waits.
 */
export interface CoreStore {
  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined;
}

/**
 * Where a request's reply goes: the shell's own handle (a connection and frame id, say). The core
 * never looks inside it; it hands it back with the reply.
 */
export type ClientHandle = unknown;

/** A client's request, decoded by the shell. `client` names where the reply goes. */
export type ClientRequest =
  | { readonly kind: 'get'; readonly configVersion: number; readonly spaceId: number; readonly key: Buffer }
  | ({ readonly kind: 'write' } & AtomicRequest)
  | ({ readonly kind: 'search' } & PredicateRequest)
  | ({ readonly kind: 'count' } & PredicateRequest)
  /** Deletes every match, each through its point leader (which checks the predicate again). */
  | ({ readonly kind: 'group-del' } & PredicateRequest);

/** `attr` names the attribute a failure concerns ('' when none). */
export type ClientReply =
  | { readonly kind: 'get'; readonly status: number; readonly attr?: string; readonly message: string; readonly values?: readonly Buffer[] }
  | { readonly kind: 'write'; readonly status: number; readonly attr: string; readonly message: string }
  | { readonly kind: 'search'; readonly status: number; readonly attr?: string; readonly message: string; readonly objects: readonly { key: Buffer; values: readonly Buffer[] }[] }
  | { readonly kind: 'count' | 'group-del'; readonly status: number; readonly attr?: string; readonly message: string; readonly count: number };

/**
 * A message id: the sender's incarnation (a number that grows with every start) and a sequence
 * number within it. A resend carries the id of the first send, so that a receiver recognises it.
 */
export interface MessageId {
  readonly incarnation: number;
  readonly seq: number;
}

/** Messages between daemons. Each carries the configuration version it was sent under. */
export type PeerMessage =
  | {
      readonly type: 'update';
      readonly id: MessageId;
      readonly configVersion: number;
      readonly spaceId: number;
      readonly subspace: number;
      readonly regionId: number;
      readonly key: Buffer;
      readonly record: StoredRecord;
      /** A copy or forward of a region on its way to the next head (else a chain step to the head). */
      readonly transfer: boolean;
    }
  /** The head starts copying a region here: drop what is left of it from an earlier time. */
  | { readonly type: 'reset'; readonly id: MessageId; readonly configVersion: number; readonly regionId: number }
  /** The previous head has finished its last writes to a region: its new head may serve it. */
  | { readonly type: 'handoff'; readonly id: MessageId; readonly configVersion: number; readonly regionId: number }
  /** group_del: delete this key at its point leader if it still matches; acked with the outcome. */
  | { readonly type: 'erase'; readonly id: MessageId; readonly configVersion: number; readonly spaceId: number; readonly key: Buffer; readonly checks: readonly WireCheck[] }
  | { readonly type: 'ack'; readonly id: MessageId; readonly status: number; readonly message: string };

/** Messages from a daemon to the coordinator. */
/** A copy is done: `configVersion` is the configuration the copy began under. */
export type CoordinatorMessage = { readonly type: 'region-moved'; readonly configVersion: number; readonly regionId: number; readonly to: ServerId };

export type CoreEvent =
  | { readonly type: 'config'; readonly config: ClusterConfig }
  | { readonly type: 'request'; readonly client: ClientHandle; readonly requestId: number; readonly request: ClientRequest }
  | { readonly type: 'peer'; readonly from: ServerId; readonly message: PeerMessage }
  | { readonly type: 'loaded'; readonly token: number; readonly record: StoredRecord | null }
  | { readonly type: 'persisted'; readonly token: number; readonly ok: boolean; readonly message?: string }
  | { readonly type: 'scanned'; readonly token: number; readonly rows: readonly (readonly [Buffer, StoredRecord])[] }
  /** Time: `ticks` of them (default 1) have passed since the last tick event. */
  | { readonly type: 'tick'; readonly ticks?: number }
  /** A message from the coordinator arrived; a heartbeat says how long this daemon's lease is. */
  | { readonly type: 'coordinator-heard'; readonly leaseTicks?: number }
  /** The daemon registered again with the coordinator (after the link broke). */
  | { readonly type: 'coordinator-link' };

/** What the shell must do after a step, like etcd-io/raft's Ready. */
export interface Ready {
  /**
   * Atomic batches to write, in order; tell the core `persisted` with the token when each is
   * written. The shell may write several in one batch (all of them atomically).
   */
  readonly persist: { readonly token: number; readonly writes: readonly StoreWrite[] }[];
  /** Records to read (peek did not know them); answer with `loaded`. */
  readonly loads: { readonly token: number; readonly region: RegionAddress; readonly key: Buffer }[];
  /**
   * Regions to read, as of one moment, tombstones included; answer with `scanned`. With an
   * interval, only objects whose first-axis coordinate lies in it are needed (a secondary
   * subspace's index); more may be returned, the core checks every row.
   */
  readonly scans: { readonly token: number; readonly region: RegionAddress; readonly interval?: readonly [bigint, bigint] }[];
  readonly send: { readonly to: ServerId; readonly message: PeerMessage }[];
  readonly toCoordinator: CoordinatorMessage[];
  readonly replies: { readonly client: ClientHandle; readonly requestId: number; readonly reply: ClientReply }[];
}
