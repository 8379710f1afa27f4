// Where a daemon keeps objects: a narrow interface, a LevelDB implementation (classic-level) and an
// in-memory one for tests of the logic above it. An object is kept once per subspace whose region
// this daemon holds it for, under 'r' | u32 space | u16 subspace | u32 region | key: a region's
// objects are one contiguous range, so a search reads only the regions it asks for and a region
// moves or drops as a range.
//
// Objects of the secondary subspaces are also indexed by their coordinate on the subspace's first
// axis: 'x' | u32 space | u16 subspace | u32 region | u64 coordinate | key -> the record again, so
// that a search narrowing that axis reads only the objects in its interval, in coordinate order,
// and not every object of the region. The record keeps its coordinate, and LevelObjectStore keeps
// every entry in memory too (memindex.ts: its coordinate, key and values), so that the entry is
// found again, without a read, when the object changes or goes, and so that exact searches and
// counts of a few coordinates are answered without reading LevelDB (memoryRows, memoryCount).
//
// The daemon's core (core/) writes through store/level.ts, which adds to this what it needs:
// tombstones (a deleted key's version, kept in the key subspace), intents under 'i' | u32 space |
// key, and atomic batches of several writes that may drop whole regions (writeGroup).

import { ClassicLevel, Iterator as ClassicIterator } from 'classic-level';
import { StoredObject } from './apply';
import { Intent, RegionAddress, StoredRecord, StoreWrite } from './core/types';
import { MemoryIndex, MemoryRows } from './memindex';
import { RegionTable } from './region-table';
import { decodeIntent, encodeIntent } from './store/intent-codec';

export interface ObjectStore {
  get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined>;
  /**
   * What `get` would answer, when the store can tell without I/O: the object, null when there is
   * none, undefined when it does not know (then call `get`).
   */
  peek(spaceId: number, subspace: number, region: number, key: Buffer): StoredObject | null | undefined;
  /**
   * peek for a get's reply: the bytes `encode` makes of the object, kept with the cached object
   * so that the next get of it sends them again. Null when there is none, undefined when unknown.
   */
  peekReply(spaceId: number, subspace: number, region: number, key: Buffer, encode: (obj: StoredObject) => Buffer): Buffer | null | undefined;
  /**
   * Stores an object; with `coord` (its coordinate on the subspace's first axis) it is indexed too.
   * Writes of one key must not overlap (the daemon runs them under the key's lock): an indexed
   * write looks up the previous index entry as the last completed write left it.
   */
  put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord?: bigint): Promise<void>;
  /** put, with its outcome told to `resolve` or `reject` (no promise: the daemon's fast writes). */
  putThen(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord: bigint | undefined, resolve: () => void, reject: (e: Error) => void): void;
  /**
   * Whether a put or delete of this key, called now, queues its LevelDB write before it returns,
   * so that writes made in one turn land in one batch (false: it first reads something).
   */
  writesAtOnce(spaceId: number, subspace: number, region: number, key: Buffer): boolean;
  /** Deletes an object; `indexed`: its subspace is one whose puts give a coordinate. */
  del(spaceId: number, subspace: number, region: number, key: Buffer, indexed?: boolean): Promise<void>;
  /** del, with its outcome told to `resolve` or `reject`. */
  delThen(spaceId: number, subspace: number, region: number, key: Buffer, indexed: boolean, resolve: () => void, reject: (e: Error) => void): void;
  /** The objects of one region, in key order, as of one moment (a snapshot), in batches. */
  scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]>;
  /**
   * The indexed objects of one region whose coordinate lies in [lo, hi], in coordinate order, as
   * of one moment, in batches. Only objects put with a coordinate are there.
   */
  scanIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, StoredObject][]>;
  /**
   * scanIndex without decoding: each row is its index key (the object's key from byte
   * INDEX_KEY_START on) and its record (values from recordValuesAt on). For searches that send
   * the objects as they are.
   */
  scanIndexRows(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, Buffer][]>;
  /**
   * scanIndexRows answered at once from memory, when the store can (else undefined): the rows as
   * of the last write that completed, in coordinate order.
   */
  memoryRows?(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): MemoryRows | undefined;
  /** countIndex answered at once from memory, when the store can (else undefined). */
  memoryCount?(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): number | undefined;
  /** How many index entries of one region have their coordinate in [lo, hi], as of one moment. */
  countIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): Promise<number>;
  /**
   * Whether every indexed write this store holds went through the index: false for a store
   * written by a daemon from before the index (its searches scan whole regions).
   */
  readonly indexComplete: boolean;
  /** Removes every object of a space, in every subspace (after rm-space). */
  dropSpace(spaceId: number): Promise<void>;
  close(): Promise<void>;
}

/** Keys read from LevelDB in one getMany. */
const READ_BATCH_MAX = 1024;

/** Entries read from LevelDB per call while scanning. */
const SCAN_BATCH = 1024;
/**
 * Bytes an iterator may read ahead per batch. classic-level's default (16 KiB) cut a batch of
 * 1,024 records of ~150 bytes into ten native round trips.
 */
const SCAN_BATCH_BYTES = 1 << 20;
/** Rows a search first reads through a kept iterator: one match and the row that ends the range. */
const PROBE_ROWS = 2;
/** Kept iterators at most (each holds on to LevelDB's state as of its making): about as many as
 * searches in flight, so that a client with 4 x 64 of them does not make new ones. */
const SPARE_ITERATORS_MAX = 256;
/** Index keys counted per batch: they are short, so more of them per native call. */
const COUNT_BATCH = 8192;
const TAG = 0x72; // 'r'
const INDEX_TAG = 0x78; // 'x'
const INTENT_TAG = 0x69; // 'i'
/** Present once the store was created by a daemon that keeps the index. */
const INDEX_MARKER = Buffer.from('m:index-1', 'latin1');
const COORD_MAX = (1n << 64n) - 1n;

function spacePrefix(spaceId: number, tag = TAG): Buffer {
  const p = Buffer.allocUnsafe(5);
  p[0] = tag;
  p.writeUInt32BE(spaceId, 1);
  return p;
}

/** tag | u32 space | u16 subspace | u32 region: the first 11 bytes of every object and index key. */
function writeRegionPrefix(out: Buffer, tag: number, spaceId: number, subspace: number, region: number): void {
  out[0] = tag;
  out.writeUInt32BE(spaceId, 1);
  out.writeUInt16BE(subspace, 5);
  out.writeUInt32BE(region, 7);
}

function regionPrefix(spaceId: number, subspace: number, region: number, tag = TAG): Buffer {
  const p = Buffer.allocUnsafe(11);
  writeRegionPrefix(p, tag, spaceId, subspace, region);
  return p;
}

function storageKey(spaceId: number, subspace: number, region: number, key: Buffer): Buffer {
  // regionPrefix and the key, written into one buffer (a concat made two per write).
  const out = Buffer.allocUnsafe(11 + key.length);
  writeRegionPrefix(out, TAG, spaceId, subspace, region);
  key.copy(out, 11);
  return out;
}

function coordBytes(coord: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(coord, 0);
  return b;
}

/** An object's index entry: the region's index prefix, its coordinate (8 bytes), its key. */
function indexKey(spaceId: number, subspace: number, region: number, coord: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(19 + key.length);
  writeRegionPrefix(out, INDEX_TAG, spaceId, subspace, region);
  coord.copy(out, 11);
  key.copy(out, 19);
  return out;
}

/** The range of index entries of a region whose coordinate lies in [lo, hi]. */
function indexRange(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): { gte: Buffer; lt: Buffer } {
  const p = regionPrefix(spaceId, subspace, region, INDEX_TAG);
  return { gte: Buffer.concat([p, coordBytes(lo)]), lt: hi >= COORD_MAX ? successor(p) : Buffer.concat([p, coordBytes(hi + 1n)]) };
}

/** An intent's key: 'i' | u32 space | key. */
function intentKey(spaceId: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + key.length);
  out[0] = INTENT_TAG;
  out.writeUInt32BE(spaceId, 1);
  key.copy(out, 5);
  return out;
}

/** The first key after every key that starts with `p`. */
function successor(p: Buffer): Buffer {
  const out = Buffer.from(p);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] < 0xff) {
      out[i]++;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error('successor: no key follows an all-0xff prefix');
}

/**
 * A record: u8 format (1) | u64 version | u16 value count | per value u32 length and its bytes;
 * format 2, of an indexed object, has its u64 coordinate after the version; format 3 is a
 * tombstone, u8 3 | u64 version alone: a deleted key's version, kept so that the key's next
 * version is above it (key subspace only, never indexed; formats 1 and 2 read as before).
 * Decoding only slices the buffer: scans read many records, and msgpack would dominate them.
 */
const RECORD_FORMAT = 1;
const RECORD_FORMAT_INDEXED = 2;
const RECORD_FORMAT_TOMBSTONE = 3;
const TOMBSTONE_BYTES = 9;

/** A record as read back: values null for a tombstone; with an index entry, the 8 bytes of its coordinate. */
interface DiskRecord {
  readonly version: number;
  readonly values: readonly Buffer[] | null;
  readonly coord?: Buffer;
}

/** A record that is an object and not a tombstone: what the ObjectStore API hands out. */
type LiveRecord = DiskRecord & StoredObject;

function isLive(r: DiskRecord): r is LiveRecord {
  return r.values !== null;
}

/** The version as two 32-bit halves: a BigInt per record showed in the profile. Versions are safe integers. */
function writeVersion(out: Buffer, at: number, version: number): void {
  out.writeUInt32BE(Math.floor(version / 0x1_0000_0000), at);
  out.writeUInt32BE(version % 0x1_0000_0000, at + 4);
}

function readVersion(bytes: Buffer, at: number): number {
  return bytes.readUInt32BE(at) * 0x1_0000_0000 + bytes.readUInt32BE(at + 4);
}

function encodeTombstone(version: number): Buffer {
  const out = Buffer.allocUnsafe(TOMBSTONE_BYTES);
  out[0] = RECORD_FORMAT_TOMBSTONE;
  writeVersion(out, 1, version);
  return out;
}

function encodeObject(obj: StoredObject, ownMemory = false, coord?: Buffer): Buffer {
  const head = coord ? 19 : 11;
  let size = head;
  for (const v of obj.values) size += 4 + v.length;
  // A record the cache keeps gets memory of its own: carved from Node's shared 8 KiB pool, it kept
  // the whole slab (and every short-lived buffer in it) alive, about 2 KB per cached object.
  const out = ownMemory ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  out[0] = coord ? RECORD_FORMAT_INDEXED : RECORD_FORMAT;
  writeVersion(out, 1, obj.version);
  if (coord) coord.copy(out, 9);
  out.writeUInt16BE(obj.values.length, head - 2);
  let off = head;
  for (const v of obj.values) {
    out.writeUInt32BE(v.length, off);
    v.copy(out, off + 4);
    off += 4 + v.length;
  }
  return out;
}

/** Where an object's key starts in its index entry (see indexKey). */
export const INDEX_KEY_START = 19;

/** Where a record's values start: each a u32 length and its bytes, as many as the record says. */
export function recordValuesAt(bytes: Buffer): number {
  const head = bytes[0] === RECORD_FORMAT_INDEXED ? 19 : 11;
  if (bytes.length < head || (bytes[0] !== RECORD_FORMAT && bytes[0] !== RECORD_FORMAT_INDEXED)) throw new Error(`stored record of unknown format ${bytes[0]}`);
  return head;
}

function decodeRecord(bytes: Buffer): DiskRecord {
  if (bytes[0] === RECORD_FORMAT_TOMBSTONE) {
    if (bytes.length !== TOMBSTONE_BYTES) throw new Error('stored tombstone is not 9 bytes');
    return { version: readVersion(bytes, 1), values: null };
  }
  const indexed = bytes[0] === RECORD_FORMAT_INDEXED;
  const head = indexed ? 19 : 11;
  if (bytes.length < head || (bytes[0] !== RECORD_FORMAT && !indexed)) throw new Error(`stored record of unknown format ${bytes[0]}`);
  const version = readVersion(bytes, 1);
  const count = bytes.readUInt16BE(head - 2);
  const values: Buffer[] = new Array(count);
  let off = head;
  for (let i = 0; i < count; i++) {
    const len = bytes.readUInt32BE(off);
    if (off + 4 + len > bytes.length) throw new Error('stored record is truncated');
    values[i] = bytes.subarray(off + 4, off + 4 + len);
    off += 4 + len;
  }
  return indexed ? { version, values, coord: bytes.subarray(9, 17) } : { version, values };
}

/** A record that must be an object (an index entry, a record written through the ObjectStore API). */
function decodeObject(bytes: Buffer): LiveRecord {
  const r = decodeRecord(bytes);
  if (!isLive(r)) throw new Error('a tombstone where only objects are stored');
  return r;
}

/** A record as the core sees it: version and values (null for a tombstone), no coordinate. */
function coreRecord(r: DiskRecord): StoredRecord {
  return { version: r.version, values: r.values };
}

/**
 * Objects kept in memory by LevelObjectStore by default. Measured with 100-byte objects: a daemon
 * holding 1,000,000 of them was at 699 MB resident with 262,144 cached; the benchmark's 100,000
 * keys fit in this many. HYPERDEX_CACHE_OBJECTS overrides it (0 turns the cache off).
 */
export const CACHE_OBJECTS_DEFAULT = 131_072;

/** The cache size the environment asks for, or the default. */
export function cacheObjectsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.HYPERDEX_CACHE_OBJECTS;
  if (v === undefined || v === '') return CACHE_OBJECTS_DEFAULT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`HYPERDEX_CACHE_OBJECTS must be a whole number of objects, got '${v}'`);
  return n;
}

/** The cached objects of one region of one subspace, by key (as a latin1 string). */
interface RegionCache {
  readonly spaceId: number;
  readonly subspace: number;
  readonly objects: Map<string, CacheEntry | null>;
}

/**
 * A cached object, and the body of its RESP_GET once a get has asked for it: a record is never
 * changed (a write puts a new one in the entry and clears the body), so the body stays right, and
 * a get of a cached object copies one buffer instead of walking the object's values.
 */
interface CacheEntry {
  /** A tombstone too (values null): a deleted key's version is known without a read. */
  obj: DiskRecord;
  replyBody: Buffer | undefined;
}

/**
 * Objects by space, subspace, region and key, at most `capacity` of them, the oldest entry out
 * first. Looked up by region id (a number) then by key: one string of the key alone per lookup,
 * where a map over whole storage keys built and hashed a longer one (a fifth of a cached get).
 */
class ObjectCache {
  private readonly regions = new RegionTable<RegionCache>((spaceId, subspace) => ({ spaceId, subspace, objects: new Map() }));
  /** Entries in the order they came in; an entry deleted since is skipped when its turn comes. */
  private orderRegion: (RegionCache | undefined)[] = [];
  private orderName: string[] = [];
  private head = 0;
  private count = 0;

  constructor(private readonly capacity: number) {}

  private region(spaceId: number, subspace: number, region: number, create: boolean): RegionCache | undefined {
    return this.regions.find(spaceId, subspace, region, create);
  }

  get(spaceId: number, subspace: number, region: number, key: Buffer): DiskRecord | null | undefined {
    const e = this.region(spaceId, subspace, region, false)?.objects.get(key.toString('latin1'));
    return e ? e.obj : e;
  }

  /** The reply body of a cached object, made by `encode` the first time; null: cached as absent (or a tombstone). */
  replyBody(spaceId: number, subspace: number, region: number, key: Buffer, encode: (obj: StoredObject) => Buffer): Buffer | null | undefined {
    const e = this.region(spaceId, subspace, region, false)?.objects.get(key.toString('latin1'));
    if (!e) return e;
    const obj = e.obj;
    if (!isLive(obj)) return null;
    return (e.replyBody ??= encode(obj));
  }

  has(spaceId: number, subspace: number, region: number, key: Buffer): boolean {
    return this.region(spaceId, subspace, region, false)?.objects.has(key.toString('latin1')) ?? false;
  }

  set(spaceId: number, subspace: number, region: number, key: Buffer, obj: DiskRecord | null): void {
    if (this.capacity <= 0) return;
    const rc = this.region(spaceId, subspace, region, true)!;
    const name = key.toString('latin1');
    const known = rc.objects.get(name);
    // An object cached already takes the new state in its entry: one map lookup, not two.
    if (known && obj) {
      known.obj = obj;
      known.replyBody = undefined;
      return;
    }
    rc.objects.set(name, obj && { obj, replyBody: undefined });
    if (known !== undefined) return;
    this.orderRegion.push(rc);
    this.orderName.push(name);
    this.count++;
    while (this.count > this.capacity && this.head < this.orderRegion.length) {
      const old = this.orderRegion[this.head]!;
      if (old.objects.delete(this.orderName[this.head])) this.count--;
      this.orderRegion[this.head] = undefined;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.orderRegion.length) {
      this.orderRegion = this.orderRegion.slice(this.head);
      this.orderName = this.orderName.slice(this.head);
      this.head = 0;
    }
  }

  delete(spaceId: number, subspace: number, region: number, key: Buffer): void {
    if (this.region(spaceId, subspace, region, false)?.objects.delete(key.toString('latin1'))) this.count--;
  }

  dropSpace(spaceId: number): void {
    // Emptied as well as taken out: the FIFO still names them, and an emptied map deletes nothing.
    for (const rc of this.regions.dropSpace(spaceId)) this.empty(rc);
  }

  dropRegion(spaceId: number, subspace: number, region: number): void {
    const rc = this.regions.drop(spaceId, subspace, region);
    if (rc) this.empty(rc);
  }

  private empty(rc: RegionCache): void {
    this.count -= rc.objects.size;
    rc.objects.clear();
  }
}

interface IndexOp {
  readonly type: 'put' | 'del';
  readonly key: Buffer;
  readonly value?: Buffer;
}

/** What memory learns when a batch holding a write of an intent or a drop is written (or fails). */
type AfterOps =
  | { readonly kind: 'intent'; readonly name: string; readonly intent: Intent | null }
  | { readonly kind: 'drop-region'; readonly region: RegionAddress }
  | { readonly kind: 'drop-space'; readonly spaceId: number };

interface PendingWrite {
  /** 'ops': only `extra` is written, and `after` says what memory learns (intents, drops). */
  readonly type: 'put' | 'del' | 'ops';
  readonly key: Buffer;
  readonly value?: Buffer;
  /** Where the object is, and what the cache holds once the write is done. */
  readonly spaceId: number;
  readonly subspace: number;
  readonly region: number;
  readonly userKey: Buffer;
  readonly obj: DiskRecord | null;
  /** Entries written or deleted in the same batch; a failed batch ahead may add deletes (carryIndexDeletes). */
  extra?: IndexOp[];
  /** Of an indexed write: the object's coordinate after it, null when it has none; else undefined. */
  readonly coord?: Buffer | null;
  readonly after?: AfterOps;
  /** Of a writeGroup write of an indexed object: its name in pendingCoords. */
  readonly pendingName?: string;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** What writeGroup read before queueing a batch: index entries a failed batch left unknown, keys a drop deletes. */
interface GroupReads {
  /** Per object (cacheName): its index entry's coordinate as its record says, null when none. */
  readonly coords: Map<string, Buffer | null>;
  /** Per drop of the batch, in order: the LevelDB keys in its ranges. */
  readonly drops: Buffer[][];
}

/** Times writeGroup reads again when a batch that failed meanwhile left more index entries unknown. */
const GROUP_READS_MAX = 8;
const NOOP = (): void => undefined;
const EMPTY = Buffer.alloc(0);

/**
 * LevelDB, with two things in front of it that the daemon's profile asked for:
 *
 * - Writes are grouped: the puts and deletes of one event-loop turn go to LevelDB as one batch
 *   (one log write), and while a batch is being written the next one gathers. Each write's promise
 *   resolves when its batch is written, which is when it has reached the OS, as before.
 * - Reads are cached: the state of recently read or written objects of the key subspace (0), as
 *   of the last write that completed, bounded in count (oldest first out). A read that misses goes
 *   to LevelDB and keeps what it found unless a write to the same key started meanwhile. Objects
 *   of other subspaces are not cached: nothing reads them one by one but a region move, and they
 *   pushed out the objects that gets and writes read.
 *
 * And, for the index of the secondary subspaces, a MemoryIndex of every index entry (its
 * coordinate and its record): writes find the entry they replace there, and exact searches and
 * counts read their rows from there.
 */
export class LevelObjectStore implements ObjectStore {
  private readonly cache: ObjectCache;
  private readonly coords = new MemoryIndex();
  /**
   * Names (cacheName) of indexed objects whose index entry the map cannot vouch for: their last
   * batch failed, so LevelDB may hold either state. Their next write reads the record instead,
   * and while there is any, searches read the index from LevelDB and not from memory.
   */
  private readonly coordsUnknown = new Set<string>();
  private queued: PendingWrite[] = [];
  private writing = false;
  private flushScheduled = false;
  /** Reads asked for in this turn, not yet sent to LevelDB (see read()). */
  private reads: { key: Buffer; resolve: (v: Buffer | undefined) => void; reject: (e: Error) => void }[] = [];
  /** Names of keys whose read from LevelDB is in flight; set to true when a write to one starts. */
  private readonly reading = new Map<string, boolean>();
  /** Writes and clears so far (see probeIndex). */
  private writes = 0;
  /** Iterators over a region's index (by its prefix), kept while nothing is written. */
  private readonly spareIterators = new Map<string, ClassicIterator<ClassicLevel<Buffer, Buffer>, Buffer, Buffer>[]>();
  private spares = 0;
  private clearing = 0;
  /** Resolved by the batch in flight and the one queued, for dropSpace and close. */
  private idleWaiters: (() => void)[] = [];
  /** Intents held, by their LevelDB key (latin1): read at open, then changed by batches written. */
  private readonly intentsByName = new Map<string, Intent>();
  /**
   * writeGroup's indexed objects with writes queued or in flight (by cacheName): the coordinate
   * of their index entry once those are written (null: none). The memory index says what it was
   * before them; a next write of the object must delete the entry they leave.
   */
  private readonly pendingCoords = new Map<string, { readonly coord: Buffer | null; readonly w: PendingWrite }>();
  /** writeGroup batches that read before being queued, not yet queued: later batches wait behind them. */
  private groupsWaiting = 0;
  private groupTail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    cacheObjects: number,
    readonly indexComplete: boolean,
  ) {
    this.cache = new ObjectCache(cacheObjects);
  }

  /** Opens (creating if needed) the store in `dir`. Writes reach the OS before they are acknowledged. */
  static async open(dir: string, cacheObjects = cacheObjectsFromEnv()): Promise<LevelObjectStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    // The index is complete if this store began with it: empty when the marker went in.
    let complete = (await db.get(INDEX_MARKER)) !== undefined;
    if (!complete) {
      const objects = await db.keys({ gte: Buffer.from([TAG]), lt: Buffer.from([TAG + 1]), limit: 1 }).all();
      if (objects.length === 0) {
        await db.put(INDEX_MARKER, Buffer.alloc(0), { sync: true });
        complete = true;
      }
    }
    const store = new LevelObjectStore(db, cacheObjects, complete);
    await store.loadCoords();
    await store.loadIntents();
    return store;
  }

  private async loadIntents(): Promise<void> {
    const it = this.db.iterator({ gte: Buffer.from([INTENT_TAG]), lt: Buffer.from([INTENT_TAG + 1]) });
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH);
        if (entries.length === 0) break;
        for (const [k, v] of entries) this.intentsByName.set(k.toString('latin1'), decodeIntent(k.readUInt32BE(1), k.subarray(5), v));
      }
    } finally {
      await it.close();
    }
  }

  /** Fills the memory index from the index entries ('x' | ids | coordinate | key -> record). */
  private async loadCoords(): Promise<void> {
    const it = this.db.iterator({ gte: Buffer.from([INDEX_TAG]), lt: Buffer.from([INDEX_TAG + 1]), highWaterMarkBytes: SCAN_BATCH_BYTES });
    try {
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH * 8);
        if (entries.length === 0) break;
        for (const [k, v] of entries) this.coords.set(k.readUInt32BE(1), k.readUInt16BE(5), k.readUInt32BE(7), k.subarray(INDEX_KEY_START), k.subarray(11, 19), v);
      }
    } finally {
      await it.close();
    }
  }

  /**
   * The index rows of a region in [lo, hi] from memory, as of the last completed batch, or
   * undefined when memory cannot answer (a wide interval, or a failed batch left an entry unknown).
   */
  memoryRows(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): MemoryRows | undefined {
    if (this.coordsUnknown.size > 0) return undefined;
    return this.coords.rows(spaceId, subspace, region, lo, hi);
  }

  /** countIndex from memory, or undefined as for memoryRows. */
  memoryCount(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): number | undefined {
    if (this.coordsUnknown.size > 0) return undefined;
    return this.coords.count(spaceId, subspace, region, lo, hi);
  }

  /** Bytes of keys and values the memory index holds, for reports. */
  memoryIndexBytes(): { used: number; garbage: number; allocated: number } {
    return this.coords.arenaBytes();
  }

  /** Index entries (an object in a secondary subspace) the store keeps in memory, for tests and metrics. */
  get coordsHeld(): number {
    return this.coords.size;
  }

  /**
   * LevelDB's estimate of the bytes on disk of the objects (key subspace) and of the index (the
   * secondary subspaces), from its table files' metadata, without reading them: writes still in
   * the memtable are not in it yet.
   */
  async approximateBytes(): Promise<{ objects: number; index: number }> {
    const [objects, index] = await Promise.all([
      this.db.approximateSize(Buffer.from([TAG]), Buffer.from([TAG + 1])),
      this.db.approximateSize(Buffer.from([INDEX_TAG]), Buffer.from([INDEX_TAG + 1])),
    ]);
    return { objects, index };
  }

  peek(spaceId: number, subspace: number, region: number, key: Buffer): StoredObject | null | undefined {
    const r = this.cache.get(spaceId, subspace, region, key);
    if (r === undefined || r === null) return r;
    return isLive(r) ? r : null;
  }

  peekReply(spaceId: number, subspace: number, region: number, key: Buffer, encode: (obj: StoredObject) => Buffer): Buffer | null | undefined {
    return this.cache.replyBody(spaceId, subspace, region, key, encode);
  }

  async get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined> {
    // A tombstone is no object here: this API knows none.
    if (subspace === 0) {
      const hit = this.cache.get(spaceId, subspace, region, key);
      if (hit !== undefined) return hit && isLive(hit) ? hit : undefined;
    }
    const r = await this.getRecord(spaceId, subspace, region, key);
    return r && isLive(r) ? r : undefined;
  }

  /** A record (a tombstone too), through the cache for the key subspace, which keeps what it read. */
  private async getRecord(spaceId: number, subspace: number, region: number, key: Buffer): Promise<DiskRecord | null> {
    // Only the key subspace is cached: the others are read by region moves alone.
    if (subspace !== 0) return (await this.readRecord(spaceId, subspace, region, key)) ?? null;
    const hit = this.cache.get(spaceId, subspace, region, key);
    if (hit !== undefined) return hit;
    const name = cacheName(spaceId, subspace, region, key);
    // Two reads of one key at once: the second does not learn whether the first keeps its result.
    const first = !this.reading.has(name);
    if (first) this.reading.set(name, false);
    let bytes: Buffer | undefined;
    try {
      bytes = await this.read(storageKey(spaceId, subspace, region, key));
    } catch (e) {
      if (first) this.reading.delete(name);
      throw e;
    }
    const obj = bytes === undefined ? null : decodeRecord(bytes);
    if (first) {
      const overtaken = this.reading.get(name);
      this.reading.delete(name);
      if (!overtaken && !this.cache.has(spaceId, subspace, region, key)) this.cache.set(spaceId, subspace, region, key, obj);
    }
    return obj;
  }

  /**
   * One LevelDB read, gathered with the others asked for in the same turn into one getMany: one
   * native call and one trip through the thread pool for all of them (a put of a new key reads
   * first, and loading made one such read per object).
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

  /** An object as LevelDB has it, past the cache. */
  private async readRecord(spaceId: number, subspace: number, region: number, key: Buffer): Promise<DiskRecord | undefined> {
    const bytes = await this.read(storageKey(spaceId, subspace, region, key));
    return bytes === undefined ? undefined : decodeRecord(bytes);
  }

  writesAtOnce(spaceId: number, subspace: number, region: number, key: Buffer): boolean {
    // Only an indexed write whose previous index entry is unknown reads first (oldCoord).
    return subspace === 0 || this.coordsUnknown.size === 0 || !this.coordsUnknown.has(cacheName(spaceId, subspace, region, key));
  }

  /**
   * The coordinate of an indexed object's index entry before a write: from the map, or, when the
   * map cannot vouch for it, from the record. With `next` (the write's coordinate), the map says
   * null when the entry is already there, without making a buffer of it (most updates keep it).
   */
  private oldCoord(spaceId: number, subspace: number, region: number, key: Buffer, next?: Buffer): Buffer | null | undefined | Promise<Buffer | undefined> {
    if (this.coordsUnknown.size === 0 || !this.coordsUnknown.has(cacheName(spaceId, subspace, region, key))) {
      const name = key.toString('latin1');
      return next ? this.coords.coordUnlessSame(spaceId, subspace, region, name, next) : this.coords.coord(spaceId, subspace, region, name);
    }
    return this.readRecord(spaceId, subspace, region, key).then((r) => r?.coord);
  }

  put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord?: bigint): Promise<void> {
    return new Promise((resolve, reject) => this.putThen(spaceId, subspace, region, key, obj, coord, resolve, reject));
  }

  putThen(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord: bigint | undefined, resolve: () => void, reject: (e: Error) => void): void {
    if (coord !== undefined) {
      const c = coordBytes(coord);
      const old = this.oldCoord(spaceId, subspace, region, key, c);
      if (old instanceof Promise) old.then((o) => this.putIndexed(spaceId, subspace, region, key, obj, c, o, resolve, reject), reject);
      else this.putIndexed(spaceId, subspace, region, key, obj, c, old, resolve, reject);
      return;
    }
    const value = encodeObject(obj, true);
    // The cache holds views of the record's bytes: the caller's buffers may be part of a frame.
    this.enqueue('put', spaceId, subspace, region, key, value, subspace === 0 ? decodeRecord(value) : null, undefined, undefined, resolve, reject);
  }

  private putIndexed(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord: Buffer, old: Buffer | null | undefined, resolve: () => void, reject: (e: Error) => void): void {
    const value = encodeObject(obj, false, coord);
    const extra: IndexOp[] = [];
    if (old && !old.equals(coord)) extra.push({ type: 'del', key: indexKey(spaceId, subspace, region, old, key) });
    extra.push({ type: 'put', key: indexKey(spaceId, subspace, region, coord, key), value });
    this.enqueue('put', spaceId, subspace, region, key, value, null, extra, coord, resolve, reject);
  }

  del(spaceId: number, subspace: number, region: number, key: Buffer, indexed = false): Promise<void> {
    return new Promise((resolve, reject) => this.delThen(spaceId, subspace, region, key, indexed, resolve, reject));
  }

  delThen(spaceId: number, subspace: number, region: number, key: Buffer, indexed: boolean, resolve: () => void, reject: (e: Error) => void): void {
    if (!indexed) return this.enqueue('del', spaceId, subspace, region, key, undefined, null, undefined, undefined, resolve, reject);
    const old = this.oldCoord(spaceId, subspace, region, key);
    if (old instanceof Promise) old.then((o) => this.delIndexed(spaceId, subspace, region, key, o, resolve, reject), reject);
    else this.delIndexed(spaceId, subspace, region, key, old, resolve, reject);
  }

  private delIndexed(spaceId: number, subspace: number, region: number, key: Buffer, old: Buffer | null | undefined, resolve: () => void, reject: (e: Error) => void): void {
    const extra = old ? [{ type: 'del' as const, key: indexKey(spaceId, subspace, region, old, key) }] : undefined;
    this.enqueue('del', spaceId, subspace, region, key, undefined, null, extra, null, resolve, reject);
  }

  /** Queues a write for the next batch; `resolve` or `reject` hears how its batch went. */
  private enqueue(
    type: 'put' | 'del',
    spaceId: number,
    subspace: number,
    region: number,
    key: Buffer,
    value: Buffer | undefined,
    obj: DiskRecord | null,
    extra: IndexOp[] | undefined,
    coord: Buffer | null | undefined,
    resolve: () => void,
    reject: (e: Error) => void,
  ): void {
    this.enqueueWrite({ type, key: storageKey(spaceId, subspace, region, key), value, spaceId, subspace, region, userKey: key, obj, extra, coord, resolve, reject });
  }

  private enqueueWrite(w: PendingWrite): void {
    this.wrote();
    // Only while reads are in flight does a write need the key's name (to mark them overtaken).
    if (this.reading.size > 0 && w.type !== 'ops') {
      const name = w.key.toString('latin1');
      if (this.reading.has(name)) this.reading.set(name, true);
    }
    this.queued.push(w);
    if (!this.writing && !this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's callbacks and their promise jobs: they all join the batch.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writing) return;
    const batch = this.queued;
    if (batch.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.queued = [];
    this.writing = true;
    this.writeBatch(batch).then(
      () => {
        this.writing = false;
        for (const w of batch) {
          if (w.pendingName !== undefined) this.settlePending(w);
          if (w.after) {
            this.learn(w.after, w.extra, true);
            continue;
          }
          if (w.subspace === 0) this.cache.set(w.spaceId, w.subspace, w.region, w.userKey, w.obj);
          if (w.coord === undefined) continue;
          if (w.coord) this.coords.set(w.spaceId, w.subspace, w.region, w.userKey, w.coord, w.value!);
          else this.coords.delete(w.spaceId, w.subspace, w.region, w.userKey.toString('latin1'));
          if (this.coordsUnknown.size > 0) this.coordsUnknown.delete(cacheName(w.spaceId, w.subspace, w.region, w.userKey));
        }
        for (const w of batch) w.resolve();
        this.flush();
      },
      (e: Error) => {
        this.writing = false;
        // LevelDB may or may not hold these writes: forget what the cache said about their keys.
        for (const w of batch) {
          if (w.pendingName !== undefined) this.settlePending(w);
          if (w.after) {
            this.learn(w.after, w.extra, false);
            continue;
          }
          this.cache.delete(w.spaceId, w.subspace, w.region, w.userKey);
          if (w.coord === undefined) continue;
          this.coordsUnknown.add(cacheName(w.spaceId, w.subspace, w.region, w.userKey));
          // Nor may the memory index answer for the old state: the object leaves it until its
          // next write (searches read LevelDB meanwhile, see memoryRows).
          this.coords.delete(w.spaceId, w.subspace, w.region, w.userKey.toString('latin1'));
        }
        this.carryIndexDeletes(batch);
        for (const w of batch) w.reject(e);
        this.flush();
      },
    );
  }

  /**
   * Writes a group as one LevelDB batch. Through the chained batch, one native call per operation
   * with its key and value: the array form's native side reads each operation's properties one by
   * one, and cost twice the main-thread time per operation (measured).
   */
  private writeBatch(batch: readonly PendingWrite[]): Promise<void> {
    let b: ReturnType<ClassicLevel<Buffer, Buffer>['batch']> | undefined;
    try {
      b = this.db.batch();
      for (const w of batch) {
        if (w.type === 'put') b.put(w.key, w.value!);
        else if (w.type === 'del') b.del(w.key);
        // An object and its index entry change in one batch: a crash leaves both or neither.
        if (w.extra)
          for (const x of w.extra) {
            if (x.type === 'put') b.put(x.key, x.value!);
            else b.del(x.key);
          }
      }
      return b.write();
    } catch (e) {
      // A closed database refuses at once: the group fails as a failed write would.
      if (b) void b.close().catch(() => {});
      return Promise.reject(e as Error);
    }
  }

  /** Resolves once every write queued so far is in LevelDB. */
  private idle(): Promise<void> {
    if (!this.writing && this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.writing && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async *scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]> {
    // A scan is a snapshot of LevelDB: it includes every write acknowledged before it started.
    const p = regionPrefix(spaceId, subspace, region);
    const it = this.db.iterator({ gte: p, lt: successor(p), highWaterMarkBytes: SCAN_BATCH_BYTES });
    try {
      // Read in batches: one native call per entry would dominate a scan.
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH);
        if (entries.length === 0) break;
        // Tombstones are no objects for this API (only the core's writes make them).
        const rows: [Buffer, StoredObject][] = [];
        for (const [k, v] of entries) {
          const r = decodeRecord(v);
          if (isLive(r)) rows.push([k.subarray(p.length), r]);
        }
        if (rows.length > 0) yield rows;
      }
    } finally {
      await it.close();
    }
  }

  async *scanIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, StoredObject][]> {
    // The rows of scanIndexRows, decoded: searches that check what they read go through the kept
    // iterators too.
    for await (const rows of this.scanIndexRows(spaceId, subspace, region, lo, hi))
      yield rows.map(([k, v]) => [k.subarray(INDEX_KEY_START), decodeObject(v)] as [Buffer, StoredObject]);
  }

  async *scanIndexRows(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, Buffer][]> {
    if (lo > hi) return;
    const range = indexRange(spaceId, subspace, region, lo, hi);
    let probe = await this.probeIndex(spaceId, subspace, region, range.gte, range.lt);
    if (probe?.done) {
      if (probe.rows.length > 0) yield probe.rows;
      return;
    }
    // The rest is read from where the probe stopped only if nothing was written since its
    // snapshot: then an iterator made now sees what it saw.
    if (probe && probe.writes !== this.writes) probe = undefined;
    const it = probe
      ? this.db.iterator({ gt: probe.rows[probe.rows.length - 1][0], lt: range.lt, highWaterMarkBytes: SCAN_BATCH_BYTES })
      : this.db.iterator({ ...range, highWaterMarkBytes: SCAN_BATCH_BYTES });
    try {
      if (probe) yield probe.rows;
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH);
        if (entries.length === 0) break;
        yield entries;
      }
    } finally {
      await it.close();
    }
  }

  /**
   * The first rows of an index range, read through an iterator kept from an earlier search: making
   * and closing an iterator was a third of the daemon's time on searches that find one object.
   * An iterator reads a snapshot, so one is kept only while nothing is written: it is made when no
   * write is queued or in flight, and dropped at the next write. Undefined when there is none to
   * use, or when a write came while reading and the range goes on (the rest would be read from a
   * later state than the first rows); `done` when the rows are the whole range.
   */
  private async probeIndex(spaceId: number, subspace: number, region: number, gte: Buffer, lt: Buffer): Promise<{ rows: [Buffer, Buffer][]; done: boolean; writes: number } | undefined> {
    const writes = this.writes;
    const name = regionPrefix(spaceId, subspace, region, INDEX_TAG).toString('latin1');
    let it = this.spareIterators.get(name)?.pop();
    if (it) this.spares--;
    else if (this.writing || this.queued.length > 0 || this.clearing > 0) return undefined;
    else {
      const p = regionPrefix(spaceId, subspace, region, INDEX_TAG);
      it = this.db.iterator({ gte: p, lt: successor(p), highWaterMarkBytes: SCAN_BATCH_BYTES });
    }
    let rows: [Buffer, Buffer][];
    try {
      it.seek(gte);
      rows = await it.nextv(PROBE_ROWS);
    } catch (e) {
      void it.close().catch(() => undefined);
      throw e;
    }
    const fresh = this.writes === writes;
    if (fresh && this.spares < SPARE_ITERATORS_MAX) {
      let list = this.spareIterators.get(name);
      if (!list) this.spareIterators.set(name, (list = []));
      list.push(it);
      this.spares++;
    } else void it.close().catch(() => undefined);
    // The iterator's range is the region's whole index: the rows past `lt` are not asked for.
    let end = rows.length;
    while (end > 0 && Buffer.compare(rows[end - 1][0], lt) >= 0) end--;
    const done = end < rows.length || rows.length < PROBE_ROWS;
    if (end < rows.length) rows = rows.slice(0, end);
    return done || fresh ? { rows, done, writes } : undefined;
  }

  /** Every write and clear calls this: the kept iterators no longer see the current state. */
  private wrote(): void {
    this.writes++;
    if (this.spares === 0) return;
    for (const list of this.spareIterators.values()) for (const it of list) void it.close().catch(() => undefined);
    this.spareIterators.clear();
    this.spares = 0;
  }

  async countIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): Promise<number> {
    if (lo > hi) return 0;
    // Keys only: the records are not read into JS (classic-level's keys() reads the values too).
    const it = this.db.iterator({ ...indexRange(spaceId, subspace, region, lo, hi), values: false, highWaterMarkBytes: SCAN_BATCH_BYTES });
    let n = 0;
    try {
      for (;;) {
        const keys = await it.nextv(COUNT_BATCH);
        if (keys.length === 0) break;
        n += keys.length;
      }
    } finally {
      await it.close();
    }
    return n;
  }

  // ---- what the DaemonStore (store/level.ts) uses ----------------------------------------------

  /** Intents held: as read at open, then as batches written since left them (a failed batch changes nothing here). */
  intentsHeld(): Intent[] {
    return [...this.intentsByName.values()];
  }

  /**
   * A record as of the last completed batch, when memory knows it: the key subspace's from the
   * cache (tombstones too), null when known absent; undefined when not known without a read (the
   * other subspaces always: the memory index keeps no versions).
   */
  peekRecord(a: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (a.subspace !== 0) return undefined;
    // The cached record itself (a StoredRecord, with its coordinate beside): no copy per read.
    return this.cache.get(a.spaceId, 0, a.regionId, key);
  }

  /** A record as LevelDB has it (through the cache for the key subspace), tombstones included. */
  async loadRecord(a: RegionAddress, key: Buffer): Promise<StoredRecord | null> {
    const r = await this.getRecord(a.spaceId, a.subspace, a.regionId, key);
    return r ? coreRecord(r) : null;
  }

  /**
   * A region's records through one LevelDB iterator, which reads a snapshot taken when it is made
   * (in this call, before it awaits anything): every batch written before the call, none queued
   * after it, each batch wholly or not at all. Tombstones included, in key order; with an interval,
   * for a secondary subspace whose index is complete, the index entries with their coordinate in
   * it, in coordinate order (else the whole region: more rows than asked for).
   */
  async scanRecords(a: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    const indexed = interval !== undefined && a.subspace > 0 && this.indexComplete;
    if (indexed && interval[0] > interval[1]) return [];
    const p = regionPrefix(a.spaceId, a.subspace, a.regionId);
    const range = indexed ? indexRange(a.spaceId, a.subspace, a.regionId, interval[0], interval[1]) : { gte: p, lt: successor(p) };
    const skip = indexed ? INDEX_KEY_START : p.length;
    const it = this.db.iterator({ ...range, highWaterMarkBytes: SCAN_BATCH_BYTES });
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

  /**
   * Writes a batch of the core's writes (checked by the caller, store/checks.ts) atomically: they
   * all go into one LevelDB batch, with the other writes of the same turn. Batches are queued in
   * the order of the calls, so they are written in that order: one that must read first (a drop
   * lists the keys it deletes; an indexed write whose index entry a failed batch left unknown reads
   * its record) holds back the batches after it until it is queued. Resolves once its LevelDB batch
   * is written; rejects if that fails (LevelDB may then hold all of it or none of it).
   */
  writeGroup(writes: readonly StoreWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.groupsWaiting === 0 && this.queueGroup(writes, undefined, resolve, reject)) return;
      this.groupsWaiting++;
      this.groupTail = this.groupTail.then(() => this.readThenQueue(writes, resolve, reject)).finally(() => this.groupsWaiting--);
    });
  }

  private async readThenQueue(writes: readonly StoreWrite[], resolve: () => void, reject: (e: Error) => void): Promise<void> {
    try {
      // Again only when a batch failed while this one read and left another of its entries unknown.
      for (let attempt = 0; attempt < GROUP_READS_MAX; attempt++) if (this.queueGroup(writes, await this.readForGroup(writes), resolve, reject)) return;
      reject(new Error(`store: index entries of a batch stayed unknown through ${GROUP_READS_MAX} reads (batches keep failing)`));
    } catch (e) {
      reject(e as Error);
    }
  }

  private async readForGroup(writes: readonly StoreWrite[]): Promise<GroupReads> {
    const reads: GroupReads = { coords: new Map(), drops: [] };
    let idle = false;
    for (const w of writes) {
      if (w.op === 'drop-region' || w.op === 'drop-space') {
        // Every batch queued before this one is written first, so the keys listed are all there
        // are; later batches wait behind this one, so none comes in between.
        if (!idle) await this.idle();
        idle = true;
        const keys: Buffer[] = [];
        for (const r of dropRanges(w)) keys.push(...(await this.db.keys({ gte: r, lt: successor(r) }).all()));
        reads.drops.push(keys);
      } else if ((w.op === 'put' || w.op === 'del') && w.subspace > 0) {
        const name = cacheName(w.spaceId, w.subspace, w.regionId, w.key);
        if (!reads.coords.has(name) && this.coordsUnknown.has(name) && !this.pendingCoords.has(name))
          reads.coords.set(name, (await this.readRecord(w.spaceId, w.subspace, w.regionId, w.key))?.coord ?? null);
      }
    }
    return reads;
  }

  /**
   * Queues a batch's writes in one go (so in one LevelDB batch), or nothing and false when it must
   * read first (a drop, or an index entry unknown and not in `reads`).
   */
  private queueGroup(writes: readonly StoreWrite[], reads: GroupReads | undefined, resolve: () => void, reject: (e: Error) => void): boolean {
    if (writes.length === 0) {
      resolve();
      return true;
    }
    const out: PendingWrite[] = [];
    // This batch's own index entries so far, by object: a later write of the same object replaces them.
    const coords = new Map<string, Buffer | null>();
    let drops = 0;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i];
      // The last write of the batch tells the caller: all of a LevelDB batch succeeds or fails together.
      const done = i === writes.length - 1 ? resolve : NOOP;
      const fail = i === writes.length - 1 ? reject : NOOP;
      let p: PendingWrite | undefined;
      if (w.op === 'put' || w.op === 'del') p = this.objectWrite(w, coords, reads, done, fail);
      else if (w.op === 'intent') p = this.intentWrite(w, done, fail);
      else if (reads) p = dropWrite(w, reads.drops[drops++], out, done, fail);
      if (!p) return false;
      out.push(p);
    }
    for (const p of out) {
      if (p.pendingName !== undefined) this.pendingCoords.set(p.pendingName, { coord: p.coord!, w: p });
      this.enqueueWrite(p);
    }
    return true;
  }

  private objectWrite(
    w: Extract<StoreWrite, { op: 'put' | 'del' }>,
    coords: Map<string, Buffer | null>,
    reads: GroupReads | undefined,
    resolve: () => void,
    reject: (e: Error) => void,
  ): PendingWrite | undefined {
    const key = storageKey(w.spaceId, w.subspace, w.regionId, w.key);
    if (w.subspace === 0) {
      // Written out rather than spread from a shared part: this runs for every put.
      if (w.op === 'del') return { type: 'del', key, obj: null, spaceId: w.spaceId, subspace: 0, region: w.regionId, userKey: w.key, resolve, reject };
      const v = w.record.values;
      // The cache holds views of the record's bytes: the caller's buffers may be part of a frame.
      const value = v === null ? encodeTombstone(w.record.version) : encodeObject({ version: w.record.version, values: v }, true);
      return { type: 'put', key, value, obj: decodeRecord(value), spaceId: w.spaceId, subspace: 0, region: w.regionId, userKey: w.key, resolve, reject };
    }
    const at = { spaceId: w.spaceId, subspace: w.subspace, region: w.regionId, userKey: w.key, resolve, reject };
    const name = key.toString('latin1');
    const old = this.groupOldCoord(name, w, coords, reads);
    if (old === undefined) return undefined;
    if (w.op === 'del') {
      coords.set(name, null);
      const extra: IndexOp[] | undefined = old ? [{ type: 'del', key: indexKey(w.spaceId, w.subspace, w.regionId, old, w.key) }] : undefined;
      return { type: 'del', key, obj: null, extra, coord: null, pendingName: name, ...at };
    }
    const c = coordBytes(w.coord!);
    const value = encodeObject({ version: w.record.version, values: w.record.values! }, false, c);
    const extra: IndexOp[] = [];
    if (old && !old.equals(c)) extra.push({ type: 'del', key: indexKey(w.spaceId, w.subspace, w.regionId, old, w.key) });
    extra.push({ type: 'put', key: indexKey(w.spaceId, w.subspace, w.regionId, c, w.key), value });
    coords.set(name, c);
    return { type: 'put', key, value, obj: null, extra, coord: c, pendingName: name, ...at };
  }

  /**
   * The coordinate of an indexed object's index entry once every write queued before this one is
   * written (null: none), or undefined when unknown (a failed batch; read it first).
   */
  private groupOldCoord(name: string, w: Extract<StoreWrite, { op: 'put' | 'del' }>, coords: Map<string, Buffer | null>, reads: GroupReads | undefined): Buffer | null | undefined {
    const own = coords.get(name);
    if (own !== undefined) return own;
    const pending = this.pendingCoords.get(name);
    if (pending) return pending.coord;
    const read = reads?.coords.get(name);
    if (read !== undefined) return read;
    if (this.coordsUnknown.has(name)) return undefined;
    return this.coords.coord(w.spaceId, w.subspace, w.regionId, w.key.toString('latin1')) ?? null;
  }

  private intentWrite(w: Extract<StoreWrite, { op: 'intent' }>, resolve: () => void, reject: (e: Error) => void): PendingWrite {
    const key = intentKey(w.spaceId, w.key);
    const value = w.intent ? encodeIntent(w.intent) : undefined;
    // Memory keeps the intent as decoded from its bytes: views of buffers of our own.
    const intent = value ? decodeIntent(w.spaceId, key.subarray(5), value) : null;
    const extra: IndexOp[] = [value ? { type: 'put', key, value } : { type: 'del', key }];
    return { type: 'ops', key: EMPTY, spaceId: w.spaceId, subspace: -1, region: -1, userKey: EMPTY, obj: null, extra, after: { kind: 'intent', name: key.toString('latin1'), intent }, resolve, reject };
  }

  /** A writeGroup write of an indexed object is written (or failed): unless a later one is queued, it is no longer pending. */
  private settlePending(w: PendingWrite): void {
    const e = this.pendingCoords.get(w.pendingName!);
    if (e && e.w === w) this.pendingCoords.delete(w.pendingName!);
  }

  /**
   * What memory learns once a batch with an intent or a drop is written (ok) or failed. A failed
   * drop may or may not be in LevelDB: the cache forgets the region, and the index entries of its
   * objects become unknown (their next write reads the record).
   */
  private learn(after: AfterOps, extra: readonly IndexOp[] | undefined, ok: boolean): void {
    if (after.kind === 'intent') {
      if (!ok) return;
      if (after.intent) this.intentsByName.set(after.name, after.intent);
      else this.intentsByName.delete(after.name);
      return;
    }
    if (!ok)
      for (const x of extra ?? []) if (x.key[0] === TAG && x.key.readUInt16BE(5) > 0) this.coordsUnknown.add(x.key.toString('latin1'));
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

  /**
   * A batch failed: LevelDB holds the state before it or the state after it. The first write
   * queued behind it (not yet written) of each of its indexed objects deletes the index entry the
   * failed write left; it now also deletes the ones the failed write deleted, so that neither
   * state leaves an entry behind. (Deletes first: its own put may be one of them again.)
   */
  private carryIndexDeletes(failed: readonly PendingWrite[]): void {
    if (this.queued.length === 0) return;
    let dels: Map<string, IndexOp[]> | undefined;
    for (const w of failed) {
      if (w.coord === undefined || !w.extra) continue;
      const ds = w.extra.filter((x) => x.type === 'del');
      if (ds.length === 0) continue;
      dels ??= new Map();
      const name = w.key.toString('latin1');
      dels.set(name, [...(dels.get(name) ?? []), ...ds]);
    }
    if (!dels) return;
    for (const q of this.queued) {
      if (q.coord === undefined) continue;
      const name = q.key.toString('latin1');
      const ds = dels.get(name);
      if (!ds) continue;
      q.extra = [...ds, ...(q.extra ?? [])];
      dels.delete(name);
    }
  }

  async dropSpace(spaceId: number): Promise<void> {
    // Writes queued before the drop land before it, as they would have without the batching.
    await this.idle();
    const p = spacePrefix(spaceId);
    // No iterator is kept while the clears run (probeIndex sees `clearing`), nor made before them.
    this.clearing++;
    this.wrote();
    try {
      await this.db.clear({ gte: p, lt: successor(p) });
      const x = spacePrefix(spaceId, INDEX_TAG);
      await this.db.clear({ gte: x, lt: successor(x) });
      const i = spacePrefix(spaceId, INTENT_TAG);
      await this.db.clear({ gte: i, lt: successor(i) });
    } finally {
      this.clearing--;
      this.wrote();
    }
    this.learn({ kind: 'drop-space', spaceId }, undefined, true);
  }

  async close(): Promise<void> {
    await this.groupTail;
    await this.idle();
    this.wrote();
    await this.db.close();
  }
}

/** The cache's name for an object: its storage key, as a string. */
function cacheName(spaceId: number, subspace: number, region: number, key: Buffer): string {
  return storageKey(spaceId, subspace, region, key).toString('latin1');
}

/** The prefixes of the LevelDB keys a drop deletes: the objects, their index entries and (of a space) its intents. */
function dropRanges(w: Extract<StoreWrite, { op: 'drop-region' | 'drop-space' }>): Buffer[] {
  if (w.op === 'drop-space') return [spacePrefix(w.spaceId), spacePrefix(w.spaceId, INDEX_TAG), spacePrefix(w.spaceId, INTENT_TAG)];
  const a = w.region;
  return [regionPrefix(a.spaceId, a.subspace, a.regionId), regionPrefix(a.spaceId, a.subspace, a.regionId, INDEX_TAG)];
}

/**
 * A drop, as one write of deletes: of every key listed (in LevelDB before the batch) and of every
 * key put by the writes of its own batch before it (not in LevelDB yet) in its ranges.
 */
function dropWrite(
  w: Extract<StoreWrite, { op: 'drop-region' | 'drop-space' }>,
  listed: readonly Buffer[],
  before: readonly PendingWrite[],
  resolve: () => void,
  reject: (e: Error) => void,
): PendingWrite {
  const ranges = dropRanges(w);
  const inRange = (k: Buffer) => ranges.some((r) => k.length >= r.length && k.subarray(0, r.length).equals(r));
  const extra: IndexOp[] = listed.map((key) => ({ type: 'del', key }));
  for (const p of before) {
    if (p.type === 'put' && inRange(p.key)) extra.push({ type: 'del', key: p.key });
    for (const x of p.extra ?? []) if (x.type === 'put' && inRange(x.key)) extra.push({ type: 'del', key: x.key });
  }
  const after: AfterOps = w.op === 'drop-region' ? { kind: 'drop-region', region: w.region } : { kind: 'drop-space', spaceId: w.spaceId };
  return { type: 'ops', key: EMPTY, spaceId: -1, subspace: -1, region: -1, userKey: EMPTY, obj: null, extra, after, resolve, reject };
}

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();
  readonly indexComplete = true;

  peek(): undefined {
    return undefined;
  }

  peekReply(): undefined {
    return undefined;
  }

  writesAtOnce(): boolean {
    return true;
  }

  async get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = this.objects.get(storageKey(spaceId, subspace, region, key).toString('latin1'));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord?: bigint): Promise<void> {
    this.objects.set(storageKey(spaceId, subspace, region, key).toString('latin1'), encodeObject(obj, false, coord === undefined ? undefined : coordBytes(coord)));
  }

  async del(spaceId: number, subspace: number, region: number, key: Buffer): Promise<void> {
    this.objects.delete(storageKey(spaceId, subspace, region, key).toString('latin1'));
  }

  putThen(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject, coord: bigint | undefined, resolve: () => void, reject: (e: Error) => void): void {
    this.put(spaceId, subspace, region, key, obj, coord).then(resolve, reject);
  }

  delThen(spaceId: number, subspace: number, region: number, key: Buffer, _indexed: boolean, resolve: () => void, reject: (e: Error) => void): void {
    this.del(spaceId, subspace, region, key).then(resolve, reject);
  }

  async *scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]> {
    const p = regionPrefix(spaceId, subspace, region);
    const ps = p.toString('latin1');
    const snapshot = [...this.objects.entries()].filter(([k]) => k.startsWith(ps)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < snapshot.length; i += SCAN_BATCH)
      yield snapshot.slice(i, i + SCAN_BATCH).map(([k, v]) => [Buffer.from(k, 'latin1').subarray(p.length), decodeObject(v)] as [Buffer, StoredObject]);
  }

  async *scanIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, StoredObject][]> {
    // The index, worked out from the records: the tests of the logic above compare against it.
    const hits: [Buffer, LiveRecord][] = [];
    for await (const batch of this.scanRegion(spaceId, subspace, region))
      for (const [k, obj] of batch as [Buffer, LiveRecord][]) {
        if (!obj.coord) continue;
        const c = obj.coord.readBigUInt64BE(0);
        if (lo <= c && c <= hi) hits.push([k, obj]);
      }
    hits.sort(([ka, a], [kb, b]) => Buffer.compare(a.coord!, b.coord!) || Buffer.compare(ka, kb));
    for (let i = 0; i < hits.length; i += SCAN_BATCH) yield hits.slice(i, i + SCAN_BATCH);
  }

  async *scanIndexRows(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): AsyncIterable<[Buffer, Buffer][]> {
    for await (const batch of this.scanIndex(spaceId, subspace, region, lo, hi))
      yield batch.map(([k, obj]) => {
        const rec = obj as LiveRecord;
        return [indexKey(spaceId, subspace, region, rec.coord!, k), encodeObject(obj, false, rec.coord)] as [Buffer, Buffer];
      });
  }

  async countIndex(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): Promise<number> {
    let n = 0;
    for await (const batch of this.scanIndex(spaceId, subspace, region, lo, hi)) n += batch.length;
    return n;
  }

  async dropSpace(spaceId: number): Promise<void> {
    const p = spacePrefix(spaceId).toString('latin1');
    for (const k of [...this.objects.keys()]) if (k.startsWith(p)) this.objects.delete(k);
  }

  async close(): Promise<void> {}
}
