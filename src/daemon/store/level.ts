// The DaemonStore over LevelDB: LevelObjectStore (storage.ts) does the work, with its write
// batching (a turn's batches in one LevelDB batch), its cache of the key subspace and its memory
// index of the secondary subspaces; this checks the calls and keeps their promises in order.

import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../core/types';
import { cacheObjectsFromEnv, LevelObjectStore } from '../storage';
import { checkInterval, checkKey, checkRegion, checkWrites } from './checks';
import { InOrder } from './in-order';
import { DaemonStore, StoreError } from './types';

export class LevelDaemonStore implements DaemonStore {
  private readonly order = new InOrder();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    /** The store underneath, for tests and reports (its memory index, its counts). */
    readonly objects: LevelObjectStore,
  ) {}

  /** Opens (creating if needed) the store in `dir`, reading its intents and its index into memory. */
  static async open(dir: string, cacheObjects = cacheObjectsFromEnv()): Promise<LevelDaemonStore> {
    return new LevelDaemonStore(await LevelObjectStore.open(dir, cacheObjects));
  }

  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (this.closed) return undefined;
    return this.objects.peekRecord(region, key);
  }

  async load(region: RegionAddress, key: Buffer): Promise<StoredRecord | null> {
    checkRegion(region);
    checkKey(key);
    this.refuseClosed();
    return this.objects.loadRecord(region, key);
  }

  write(writes: readonly StoreWrite[]): Promise<void> {
    let p: Promise<void>;
    try {
      checkWrites(writes);
      this.refuseClosed();
      p = this.objects.writeGroup(writes);
    } catch (e) {
      p = Promise.reject(e as Error);
    }
    return this.order.settle(p);
  }

  async scan(region: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    checkRegion(region);
    checkInterval(interval);
    this.refuseClosed();
    return this.objects.scanRecords(region, interval);
  }

  intents(): readonly Intent[] {
    this.refuseClosed();
    return this.objects.intentsHeld();
  }

  close(): Promise<void> {
    this.closed = true;
    // LevelObjectStore.close waits for the batches queued before it.
    this.closing ??= this.objects.close().then(() => this.order.drained());
    return this.closing;
  }

  private refuseClosed(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'store: closed');
  }
}
