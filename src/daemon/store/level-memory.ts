// What the LevelDB store (level.ts) keeps in memory of what LevelDB holds, as of the last batch
// that completed: the records of the key subspace it read or wrote lately (object-cache.ts), every
// index entry of the secondary subspaces (memindex.ts), and every intent. All of it changes only
// when a batch's outcome is known, in one synchronous step for the whole LevelDB batch, so that
// what memory says is always one state LevelDB was in.
//
// After a failed batch LevelDB holds either the state before it or the state after it. Memory
// then forgets what it said of the batch's keys: the cache drops them, and the index entries of
// its secondary objects become unknown (coordsUnknown) until their next write.

import { ClassicLevel } from 'classic-level';

import { Intent, RegionAddress, StoredRecord } from '../core/types';
import { MemoryIndex } from '../memindex';
import { decodeIntent } from './intent-codec';
import { INDEX_KEY_START, INDEX_TAG, INTENT_KEY_START, INTENT_TAG, isSecondaryObjectKey, objectName, REGION_PREFIX_BYTES, regionPrefix, spacePrefix } from './level-keys';
import type { AfterOps, LevelOp, PendingWrite } from './level-writes';
import { ObjectCache } from './object-cache';

/** Entries read from LevelDB per call while loading. */
const LOAD_BATCH = 8192;
/**
 * Bytes an iterator may read ahead per batch. classic-level's default (16 KiB) cut a batch of
 * 1,024 records of ~150 bytes into ten native round trips.
 */
export const READ_AHEAD_BYTES = 1 << 20;

export class LevelMemory {
  readonly cache: ObjectCache;
  readonly coords = new MemoryIndex();
  /**
   * Names (objectName) of indexed objects whose index entry memory cannot vouch for: their last
   * batch failed, so LevelDB may hold either state. Their next write reads the record instead,
   * and while there is any, scans read the index from LevelDB and not from memory.
   */
  readonly coordsUnknown = new Set<string>();
  /** Intents held, by their LevelDB key (latin1). */
  private readonly intentsByName = new Map<string, Intent>();
  /** Names of keys whose read from LevelDB is in flight; set to true when a write to one starts. */
  private readonly reading = new Map<string, boolean>();

  constructor(
    cacheObjects: number,
    /** Whether every indexed object has its index entry (false in a store from before the index). */
    readonly indexComplete: boolean,
  ) {
    this.cache = new ObjectCache(cacheObjects);
  }

  /** Reads the index entries and the intents LevelDB holds (at open). */
  async loadFrom(db: ClassicLevel<Buffer, Buffer>): Promise<void> {
    await eachEntry(db, INDEX_TAG, (k, v) => this.coords.set(k.readUInt32BE(1), k.readUInt16BE(5), k.readUInt32BE(7), k.subarray(INDEX_KEY_START), k.subarray(REGION_PREFIX_BYTES, INDEX_KEY_START), v));
    await eachEntry(db, INTENT_TAG, (k, v) => this.intentsByName.set(k.toString('latin1'), decodeIntent(k.readUInt32BE(1), k.subarray(INTENT_KEY_START), v)));
  }

  intents(): Intent[] {
    return [...this.intentsByName.values()];
  }

  /**
   * A record as of the last completed batch, when memory knows it: the key subspace's from the
   * cache (tombstones too), null when known absent; undefined when not known without a read (the
   * other subspaces always: they are not cached).
   */
  peek(a: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (a.subspace !== 0) return undefined;
    // The cached record itself (a StoredRecord, with its coordinate beside): no copy per read.
    return this.cache.get(a.spaceId, 0, a.regionId, key);
  }

  /**
   * The rows of a secondary region whose coordinate lies in [lo, hi], as of the last completed
   * batch, in coordinate order; undefined when memory cannot answer (an index from before this
   * store kept one, an entry a failed batch left unknown, or an interval wider than the memory
   * index probes).
   */
  scan(a: RegionAddress, lo: bigint, hi: bigint): [Buffer, StoredRecord][] | undefined {
    if (!this.indexComplete || this.coordsUnknown.size > 0) return undefined;
    return this.coords.records(a.spaceId, a.subspace, a.regionId, lo, hi);
  }

  /** The coordinate of an object's index entry (null: none), or undefined when unknown (a failed batch). */
  coordOf(spaceId: number, subspace: number, region: number, key: Buffer, name: string, next?: Buffer): Buffer | null | undefined {
    if (this.coordsUnknown.has(name)) return undefined;
    // With `next`, null also when the entry is there already: no buffer made for it (most updates keep it).
    const k = key.toString('latin1');
    const c = next ? this.coords.coordUnlessSame(spaceId, subspace, region, k, next) : this.coords.coord(spaceId, subspace, region, k);
    return c ?? null;
  }

  // ---- reads in flight, which a write may overtake -----------------------------------------------

  /** A read of `name` starts; true if it is the only one (then it alone may keep what it reads). */
  readStarts(name: string): boolean {
    if (this.reading.has(name)) return false;
    this.reading.set(name, false);
    return true;
  }

  /** The only read of `name` ended: whether a write to it (or a drop) started meanwhile. */
  readEnds(name: string): boolean {
    const overtaken = this.reading.get(name) ?? false;
    this.reading.delete(name);
    return overtaken;
  }

  /** A write of the object `key` (its LevelDB key) starts: a read of it in flight must not keep what it reads. */
  writeStarts(key: Buffer): void {
    // Only while reads are in flight does a write need the key's name.
    if (this.reading.size === 0) return;
    const name = key.toString('latin1');
    if (this.reading.has(name)) this.reading.set(name, true);
  }

  // ---- what a batch's outcome teaches ------------------------------------------------------------

  /** A LevelDB batch is written: memory takes on all of it. */
  written(batch: readonly PendingWrite[]): void {
    for (const w of batch) {
      if (w.after) this.learn(w.after, w.extra, true);
      else this.objectWritten(w);
    }
  }

  /** A LevelDB batch failed: memory forgets what it said of the keys in it. */
  failed(batch: readonly PendingWrite[]): void {
    for (const w of batch) {
      if (w.after) {
        this.learn(w.after, w.extra, false);
        continue;
      }
      this.cache.delete(w.spaceId, w.subspace, w.region, w.userKey);
      if (w.coord === undefined) continue;
      this.coordsUnknown.add(objectName(w.spaceId, w.subspace, w.region, w.userKey));
      // Nor may the memory index answer for the old state: the object leaves it until its next
      // write (scans read LevelDB meanwhile).
      this.coords.delete(w.spaceId, w.subspace, w.region, w.userKey.toString('latin1'));
    }
  }

  private objectWritten(w: PendingWrite): void {
    if (w.subspace === 0) this.cache.set(w.spaceId, 0, w.region, w.userKey, w.obj);
    if (w.coord === undefined) return;
    if (w.coord) this.coords.set(w.spaceId, w.subspace, w.region, w.userKey, w.coord, w.value!);
    else this.coords.delete(w.spaceId, w.subspace, w.region, w.userKey.toString('latin1'));
    if (this.coordsUnknown.size > 0) this.coordsUnknown.delete(objectName(w.spaceId, w.subspace, w.region, w.userKey));
  }

  /**
   * What memory learns once a batch with an intent or a drop is written (ok) or failed. A failed
   * drop may or may not be in LevelDB: the cache forgets the region, and the index entries of its
   * objects become unknown (their next write reads the record).
   */
  private learn(after: AfterOps, extra: readonly LevelOp[] | undefined, ok: boolean): void {
    if (after.kind === 'intent') {
      if (!ok) return;
      if (after.intent) this.intentsByName.set(after.name, after.intent);
      else this.intentsByName.delete(after.name);
      return;
    }
    if (!ok) for (const x of extra ?? []) if (isSecondaryObjectKey(x.key)) this.coordsUnknown.add(x.key.toString('latin1'));
    let gone: Buffer;
    if (after.kind === 'drop-region') {
      const a = after.region;
      this.cache.dropRegion(a.spaceId, a.subspace, a.regionId);
      this.coords.dropRegion(a.spaceId, a.subspace, a.regionId);
      gone = regionPrefix(a.spaceId, a.subspace, a.regionId);
    } else {
      this.cache.dropSpace(after.spaceId);
      this.coords.dropSpace(after.spaceId);
      if (ok) for (const [name, intent] of this.intentsByName) if (intent.spaceId === after.spaceId) this.intentsByName.delete(name);
      gone = spacePrefix(after.spaceId);
    }
    const prefix = gone.toString('latin1');
    if (ok) for (const name of this.coordsUnknown) if (name.startsWith(prefix)) this.coordsUnknown.delete(name);
    // A read in flight may have read a record from before the drop: it must not cache it now.
    for (const name of this.reading.keys()) if (name.startsWith(prefix)) this.reading.set(name, true);
  }
}

/** Every entry of LevelDB whose key starts with the byte `tag`, in batches. */
async function eachEntry(db: ClassicLevel<Buffer, Buffer>, tag: number, each: (k: Buffer, v: Buffer) => void): Promise<void> {
  const it = db.iterator({ gte: Buffer.from([tag]), lt: Buffer.from([tag + 1]), highWaterMarkBytes: READ_AHEAD_BYTES });
  try {
    for (;;) {
      const entries = await it.nextv(LOAD_BATCH);
      if (entries.length === 0) break;
      for (const [k, v] of entries) each(k, v);
    }
  } finally {
    await it.close();
  }
}
