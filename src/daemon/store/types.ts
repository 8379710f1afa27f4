// The store as the daemon's shell uses it: what the core reads synchronously (peek, from
// CoreStore), and the loads, atomic batches of writes, scans and intents the shell carries out
// for it. Three implementations pass one compliance suite (test/daemon-store.test.ts): over LevelDB
// (level.ts), in memory (memory.ts), and a fault-injecting wrapper over either (faulty.ts).

import { CoreStore, Intent, RegionAddress, StoredRecord, StoreWrite } from '../core/types';

export interface DaemonStore extends CoreStore {
  /**
   * What the store knows of a record without I/O: the record (a tombstone has values null), null
   * when it knows there is none, undefined when it does not know (then call load). Never a state
   * older than the last write() that completed, nor one that disagrees with load.
   */
  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined;
  /** A record, tombstones included; null when there is none. Sees every write() completed before the call. */
  load(region: RegionAddress, key: Buffer): Promise<StoredRecord | null>;
  /**
   * Applies a batch atomically: all of it or, if it rejects, none of it (LevelDB: a batch whose
   * write failed may be there wholly, never in part). Batches are applied in the order write() was
   * called, and their promises settle in that order. A batch the core could not have made (see
   * checks.ts) rejects with StoreAssertionError, before anything of it is applied.
   */
  write(writes: readonly StoreWrite[]): Promise<void>;
  /**
   * A region's rows as of one moment, tombstones included: every batch completed before the call,
   * none written after it, each one in between wholly or not at all. Without an interval, in key
   * order. With an interval (a secondary subspace's first axis, inclusive), at least the rows whose
   * coordinate lies in it (perhaps more: the caller checks each row), each key once.
   */
  scan(region: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]>;
  /** Every intent held: as read at open, then as completed batches left them. */
  intents(): readonly Intent[];
  /** Waits for the batches written before it, then lets go of the store; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

/**
 * Operating errors of a store, with stable codes:
 * - STORE_CLOSED: the store was closed;
 * - STORE_CRASHED: the fault-injecting store crashed (faulty.ts) and was not reopened;
 * - STORE_FAULT: a fault was injected into this write (faulty.ts).
 * Errors of the storage below (LevelDB's) pass through as they are.
 */
export type StoreErrorCode = 'STORE_CLOSED' | 'STORE_CRASHED' | 'STORE_FAULT';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A call the core could never make (a programmer error): a tombstone outside the key subspace, an id out of range. */
export class StoreAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreAssertionError';
  }
}
