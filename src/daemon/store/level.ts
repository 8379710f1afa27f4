// The DaemonStore over LevelDB (classic-level), in the daemon's data directory. Where things are
// in LevelDB: level-keys.ts; how a record is stored: level-records.ts. Three things sit in front of
// LevelDB, because the daemon's profile asked for them:
//
// - writes are grouped: the batches of one event-loop turn go to LevelDB as one batch (one log
//   write), and the next turn's gather while it is written (level-writes.ts);
// - records of the key subspace, which every get and write reads first, are cached as of the last
//   completed batch, bounded in count (object-cache.ts);
// - the index of the secondary subspaces is held in memory too (memindex.ts): writes find there
//   the entry they replace, and a scan of a narrow interval reads its rows from there.
//
// What memory holds changes only when a batch completes (level-memory.ts). Writes reach the OS
// before they are acknowledged: a daemon killed with SIGKILL keeps every write it acknowledged.

import { ClassicLevel } from 'classic-level';

import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../core/types';
import { checkInterval, checkKey, checkRegion, checkWrites } from './checks';
import { InOrder } from './in-order';
import { INDEX_KEY_START, INDEX_MARKER, INDEX_TAG, indexRange, OBJECT_TAG, objectKey, objectName, prefixRange, REGION_PREFIX_BYTES, regionPrefix } from './level-keys';
import { LevelMemory, READ_AHEAD_BYTES } from './level-memory';
import { coreRecord, decodeRecord, DiskRecord } from './level-records';
import { LevelWrites } from './level-writes';
import { cacheObjectsFromEnv } from './object-cache';
import { DaemonStore, StoreError } from './types';

/** Keys read from LevelDB in one getMany. */
const READ_BATCH_MAX = 1024;
/** Entries read from LevelDB per call while scanning. */
const SCAN_BATCH = 1024;

export class LevelDaemonStore implements DaemonStore {
  private readonly order = new InOrder();
  private readonly writes: LevelWrites;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Reads asked for in this turn, not yet sent to LevelDB (see read()). */
  private reads: { key: Buffer; resolve: (v: Buffer | undefined) => void; reject: (e: Error) => void }[] = [];

  private constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    /** What memory knows of LevelDB (also for tests: its cache, its index). */
    readonly memory: LevelMemory,
  ) {
    this.writes = new LevelWrites(db, memory, (s, ss, r, k) => this.readRecord(s, ss, r, k));
  }

  /** Opens (creating if needed) the store in `dir`, reading its intents and its index into memory. */
  static async open(dir: string, cacheObjects = cacheObjectsFromEnv()): Promise<LevelDaemonStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      // The index is complete if this store began with it: empty when the marker went in.
      let complete = (await db.get(INDEX_MARKER)) !== undefined;
      if (!complete) {
        const objects = await db.keys({ gte: Buffer.from([OBJECT_TAG]), lt: Buffer.from([OBJECT_TAG + 1]), limit: 1 }).all();
        if (objects.length === 0) {
          await db.put(INDEX_MARKER, Buffer.alloc(0), { sync: true });
          complete = true;
        }
      }
      const memory = new LevelMemory(cacheObjects, complete);
      await memory.loadFrom(db);
      return new LevelDaemonStore(db, memory);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * LevelDB's estimate of the bytes on disk of the objects (key subspace) and of the index (the
   * secondary subspaces), from its table files' metadata, without reading them: writes still in
   * the memtable are not in it yet. For metrics.
   */
  async approximateBytes(): Promise<{ objects: number; index: number }> {
    this.refuseClosed();
    const [objects, index] = await Promise.all([
      this.db.approximateSize(Buffer.from([OBJECT_TAG]), Buffer.from([OBJECT_TAG + 1])),
      this.db.approximateSize(Buffer.from([INDEX_TAG]), Buffer.from([INDEX_TAG + 1])),
    ]);
    return { objects, index };
  }

  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (this.closed) return undefined;
    return this.memory.peek(region, key);
  }

  async load(region: RegionAddress, key: Buffer): Promise<StoredRecord | null> {
    checkRegion(region);
    checkKey(key);
    this.refuseClosed();
    const r = await this.loadRecord(region.spaceId, region.subspace, region.regionId, key);
    return r ? coreRecord(r) : null;
  }

  write(writes: readonly StoreWrite[]): Promise<void> {
    let p: Promise<void>;
    try {
      checkWrites(writes);
      this.refuseClosed();
      p = this.writes.write(writes);
    } catch (e) {
      p = Promise.reject(e as Error);
    }
    return this.order.settle(p);
  }

  /**
   * A region's records as of the moment of the call. An interval scan of a secondary subspace is
   * answered from memory when it can be (level-memory.ts: a narrow interval, every index entry
   * known), in this call: memory holds every batch completed before it and none after. Otherwise
   * through one LevelDB iterator, made in this call too, which reads LevelDB's state at its making:
   * the index entries of the interval when the index is complete, else the whole region (more rows
   * than asked for).
   */
  async scan(region: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    checkRegion(region);
    checkInterval(interval);
    this.refuseClosed();
    const indexed = interval !== undefined && region.subspace > 0 && this.memory.indexComplete;
    if (indexed && interval[0] > interval[1]) return [];
    if (indexed) {
      const rows = this.memory.scan(region, interval[0], interval[1]);
      if (rows) return rows;
    }
    const a = region;
    const range = indexed ? indexRange(a.spaceId, a.subspace, a.regionId, interval[0], interval[1]) : prefixRange(regionPrefix(a.spaceId, a.subspace, a.regionId));
    const skip = indexed ? INDEX_KEY_START : REGION_PREFIX_BYTES;
    const it = this.db.iterator({ ...range, highWaterMarkBytes: READ_AHEAD_BYTES });
    const rows: [Buffer, StoredRecord][] = [];
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH);
        if (entries.length === 0) break;
        for (const [k, v] of entries) rows.push([k.subarray(skip), coreRecord(decodeRecord(v))]);
      }
    } finally {
      await it.close();
    }
    return rows;
  }

  intents(): readonly Intent[] {
    this.refuseClosed();
    return this.memory.intents();
  }

  close(): Promise<void> {
    this.closed = true;
    // The batches written before the close are written first.
    this.closing ??= this.writes
      .drained()
      .then(() => this.db.close())
      .then(() => this.order.drained());
    return this.closing;
  }

  private refuseClosed(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'store: closed');
  }

  /** A record (a tombstone too), through the cache for the key subspace, which keeps what it read. */
  private async loadRecord(spaceId: number, subspace: number, region: number, key: Buffer): Promise<DiskRecord | null> {
    // Only the key subspace is cached: the others are read by region moves alone.
    if (subspace !== 0) return (await this.readRecord(spaceId, subspace, region, key)) ?? null;
    const cache = this.memory.cache;
    const hit = cache.get(spaceId, 0, region, key);
    if (hit !== undefined) return hit;
    const name = objectName(spaceId, 0, region, key);
    // Two reads of one key at once: the second does not learn whether the first keeps its result.
    const first = this.memory.readStarts(name);
    let bytes: Buffer | undefined;
    try {
      bytes = await this.read(objectKey(spaceId, 0, region, key));
    } catch (e) {
      if (first) this.memory.readEnds(name);
      throw e;
    }
    const r = bytes === undefined ? null : decodeRecord(bytes);
    if (first && !this.memory.readEnds(name) && !cache.has(spaceId, 0, region, key)) cache.set(spaceId, 0, region, key, r);
    return r;
  }

  /** An object's record as LevelDB has it, past the cache. */
  private async readRecord(spaceId: number, subspace: number, region: number, key: Buffer): Promise<DiskRecord | undefined> {
    const bytes = await this.read(objectKey(spaceId, subspace, region, key));
    return bytes === undefined ? undefined : decodeRecord(bytes);
  }

  /**
   * One LevelDB read, gathered with the others asked for in the same turn into one getMany: one
   * native call and one trip through the thread pool for all of them.
   */
  private read(key: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.reads.push({ key, resolve, reject });
      // After the frames of this chunk (and the promise jobs they start) have asked theirs.
      if (this.reads.length === 1) queueMicrotask(() => this.readQueued());
    });
  }

  private readQueued(): void {
    const reads = this.reads;
    this.reads = [];
    // Bounded: getMany takes an array of any length, but one enormous call would hold the pool.
    for (let i = 0; i < reads.length; i += READ_BATCH_MAX) {
      const part = reads.slice(i, i + READ_BATCH_MAX);
      this.db.getMany(part.map((r) => r.key)).then(
        (values) => part.forEach((r, j) => r.resolve(values[j])),
        (e: Error) => part.forEach((r) => r.reject(e)),
      );
    }
  }
}
