// The index of the secondary subspaces, held in memory as well as in LevelDB: for every indexed
// object, its coordinate on the subspace's first axis, its version and its stored key and values,
// and for every coordinate the objects that have it. Two things use it (store/level-memory.ts):
//
// - writes: an indexed write must delete the index entry of the object it replaces, and finding
//   that entry's coordinate by reading the old record was a quarter of a daemon's CPU on puts;
// - scans of a narrow interval (searches and counts whose checks fix the first axis to a few
//   values): reading their rows from LevelDB cost ~1-3 us per row in classic-level alone (two
//   Buffers made per row, and a trip through the thread pool per batch); from here a scan copies
//   its rows out of one buffer.
//
// Memory is kept dense: per object one key string and one Map entry (key -> slot), a few numbers
// in shared typed arrays, and its key and values in a per-region arena (one large Buffer appended
// to, compacted when it must grow). No object of its own per row.
//
// The owner (store/level-memory.ts) changes it only once LevelDB holds a batch, in one synchronous
// step for the whole batch: a scan answered from here sees exactly the batches completed before it.

import { StoredRecord } from './core/types';
import { RegionTable } from './region-table';
import { INDEXED_VALUES_AT, recordVersion } from './store/level-records';

/** Bytes an arena starts with, and the least room it gains when it must grow. */
const ARENA_BYTES_MIN = 64 * 1024;
/**
 * An arena grows (and is compacted, in the same copy) to this many times its live bytes: 1.25
 * keeps the garbage of updates and the room for new rows within a quarter of the live bytes, and
 * still copies each live byte only once per quarter of the arena written since.
 */
const ARENA_GROWTH = 1.25;
/** Coordinates of an interval probed one by one, at most; a wider interval is not answered here. */
export const PROBE_POINTS_MAX = 64;
const TWO32 = 0x1_0000_0000;
const TWO52 = 2 ** 52;

/**
 * Rows answered from memory: row i has its key at `arena[pos[3i], pos[3i] + pos[3i+1])`, then its
 * values (each a u32 length and its bytes) up to `pos[3i+2]`, and its version is versions[i]. An
 * arena that grows is replaced, not reused, but a later write of the same size and coordinate
 * rewrites its row in place: read the rows before anything else runs, or copy them (records()).
 */
export interface MemoryRows {
  readonly arena: Buffer;
  readonly pos: Int32Array;
  readonly versions: Float64Array;
  readonly count: number;
}

/** The objects of one coordinate of a region: their slots, in no particular order. */
interface Bucket {
  readonly hi: number;
  readonly lo: number;
  readonly slots: number[];
  /** Another coordinate whose key (bucketKey) is the same, if any. */
  other: Bucket | undefined;
}

interface RegionIndex {
  readonly spaceId: number;
  readonly subspace: number;
  /** Slot of each object, by its key as a latin1 string. */
  readonly slots: Map<string, number>;
  /**
   * The objects of each coordinate, by bucketKey: the slot alone while a key has one object (no
   * object of its own then: an axis of distinct values, as an id, costs nothing more), else buckets.
   */
  readonly buckets: Map<number, Bucket | number>;
  arena: Buffer;
  /** Bytes of the arena written so far; `garbage` of them belong to rows since replaced. */
  used: number;
  garbage: number;
}

/**
 * A coordinate as a Map key that is a number (a string key cost an allocation and a hash of it per
 * write and per search). int64 coordinates are the value with its sign bit flipped: values within
 * 2^52 of zero get their own exact key, below 2^52 in magnitude. Others (the benchmark spreads its
 * values over the whole int64 range) get a 52-bit hash of the coordinate, above 2^52 so that it
 * meets no exact key; coordinates that share one are chained (Bucket.other).
 */
function bucketKey(hi: number, lo: number): number {
  const sh = (hi ^ 0x8000_0000) | 0;
  if (sh >= -0x10_0000 && sh < 0x10_0000) return sh * TWO32 + lo;
  const a = Math.imul(hi ^ Math.imul(lo, 0x9e37_79b9), 0x85eb_ca6b) ^ (lo >>> 13);
  const b = Math.imul(lo ^ (a >>> 15), 0xc2b2_ae35) ^ hi;
  return TWO52 + (a & 0xf_ffff) * TWO32 + (b >>> 0);
}

export class MemoryIndex {
  /** `keyOf` is bucketKey but in tests, which make coordinates share keys to exercise the chains. */
  constructor(private readonly keyOf: (hi: number, lo: number) => number = bucketKey) {}

  private readonly regions = new RegionTable<RegionIndex>((spaceId, subspace) => ({
    spaceId,
    subspace,
    slots: new Map(),
    buckets: new Map(),
    arena: Buffer.allocUnsafeSlow(ARENA_BYTES_MIN),
    used: 0,
    garbage: 0,
  }));
  /**
   * Per slot, three numbers side by side (one cache line for a search to read): where its row is
   * in its region's arena, its key's length, and where the row ends.
   */
  private row = new Int32Array(3 * 1024);
  /** Per slot: its coordinate's two halves, its place in its bucket's list, its record's version. */
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private place = new Int32Array(1024);
  private version = new Float64Array(1024);
  /** Slots below `used` not in use, to be handed out again. */
  private readonly free: number[] = [];
  private used = 0;

  private region(spaceId: number, subspace: number, region: number, create: boolean): RegionIndex | undefined {
    return this.regions.find(spaceId, subspace, region, create);
  }


  /** The object's coordinate (8 bytes, big-endian), or undefined when it has no index entry. */
  coord(spaceId: number, subspace: number, region: number, name: string): Buffer | undefined {
    const slot = this.region(spaceId, subspace, region, false)?.slots.get(name);
    return slot === undefined ? undefined : this.coordOf(slot);
  }

  /** coord(), but null when it is `next` (8 bytes): no buffer made for an entry that stays. */
  coordUnlessSame(spaceId: number, subspace: number, region: number, name: string, next: Buffer): Buffer | null | undefined {
    const slot = this.region(spaceId, subspace, region, false)?.slots.get(name);
    if (slot === undefined) return undefined;
    return this.hasCoord(slot, next) ? null : this.coordOf(slot);
  }

  /** Whether a slot's coordinate is `coord` (8 bytes, big-endian). */
  private hasCoord(slot: number, coord: Buffer): boolean {
    return this.hi[slot] === coord.readUInt32BE(0) && this.lo[slot] === coord.readUInt32BE(4);
  }

  private coordOf(slot: number): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(this.hi[slot], 0);
    out.writeUInt32BE(this.lo[slot], 4);
    return out;
  }

  /**
   * Records an object's index entry: its coordinate (8 bytes) and its record as stored (format 2,
   * with its version, and its values from INDEXED_VALUES_AT on), replacing what the object had.
   */
  set(spaceId: number, subspace: number, region: number, key: Buffer, coord: Buffer, record: Buffer): void {
    if (record.length < INDEXED_VALUES_AT) throw new Error('memory index: record too short');
    const r = this.region(spaceId, subspace, region, true)!;
    const name = key.toString('latin1');
    let slot = r.slots.get(name);
    if (slot !== undefined && this.rewriteInPlace(r, slot, key, coord, record)) {
      this.version[slot] = recordVersion(record);
      return;
    }
    if (slot === undefined) {
      slot = this.free.pop() ?? this.grow();
      r.slots.set(name, slot);
    } else {
      this.unlink(r, slot);
      r.garbage += this.row[3 * slot + 2] - this.row[3 * slot];
    }
    const size = key.length + record.length - INDEXED_VALUES_AT;
    // Room first: relocating moves the other rows (and this one's old row, now garbage, is left).
    if (r.used + size > r.arena.length) this.relocate(r, size, slot);
    const at = r.used;
    // Keys are short: by hand, where Buffer.copy's way into native code cost more than the bytes.
    const arena = r.arena;
    for (let i = 0; i < key.length; i++) arena[at + i] = key[i];
    record.copy(arena, at + key.length, INDEXED_VALUES_AT);
    r.used += size;
    this.row[3 * slot] = at;
    this.row[3 * slot + 1] = key.length;
    this.row[3 * slot + 2] = at + size;
    const h = coord.readUInt32BE(0);
    const l = coord.readUInt32BE(4);
    this.hi[slot] = h;
    this.lo[slot] = l;
    this.version[slot] = recordVersion(record);
    this.link(r, slot, h, l);
  }

  /**
   * An update that keeps the object's coordinate and its row's size (a value of fixed size
   * rewritten, as most updates are) overwrites the row where it is: no garbage, no relocation, no
   * bucket to leave and join again. Rows are only read by copies made at once (see records()), so no
   * reader sees a row half rewritten.
   */
  private rewriteInPlace(r: RegionIndex, slot: number, key: Buffer, coord: Buffer, record: Buffer): boolean {
    const at = this.row[3 * slot];
    if (this.row[3 * slot + 2] - at !== key.length + record.length - INDEXED_VALUES_AT) return false;
    if (!this.hasCoord(slot, coord)) return false;
    record.copy(r.arena, at + key.length, INDEXED_VALUES_AT);
    return true;
  }

  delete(spaceId: number, subspace: number, region: number, name: string): void {
    const r = this.region(spaceId, subspace, region, false);
    const slot = r?.slots.get(name);
    if (r === undefined || slot === undefined) return;
    this.unlink(r, slot);
    r.slots.delete(name);
    this.free.push(slot);
    if (r.slots.size === 0) {
      // A region handed off or reset empties key by key: give its arena back once it is empty.
      r.arena = Buffer.allocUnsafeSlow(ARENA_BYTES_MIN);
      r.used = 0;
      r.garbage = 0;
    } else r.garbage += this.row[3 * slot + 2] - this.row[3 * slot];
  }

  dropSpace(spaceId: number): void {
    for (const r of this.regions.dropSpace(spaceId)) for (const slot of r.slots.values()) this.free.push(slot);
  }

  /** Forgets every entry of one region (its slots are handed out again, its arena let go). */
  dropRegion(spaceId: number, subspace: number, region: number): void {
    const r = this.regions.drop(spaceId, subspace, region);
    if (r) for (const slot of r.slots.values()) this.free.push(slot);
  }


  /**
   * The rows of a region whose coordinate lies in [lo, hi], in coordinate order, or undefined when
   * the interval holds more than PROBE_POINTS_MAX coordinates (the caller reads LevelDB then).
   * The rows are views of the arena, which later writes may change in place: use them before
   * anything else runs.
   */
  rows(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): MemoryRows | undefined {
    if (hi - lo >= BigInt(PROBE_POINTS_MAX)) return undefined;
    const r = this.region(spaceId, subspace, region, false);
    if (r === undefined || lo > hi) return { arena: EMPTY, pos: new Int32Array(0), versions: new Float64Array(0), count: 0 };
    const found = this.buckets(r, lo, hi);
    let count = 0;
    for (const b of found) count += typeof b === 'number' ? 1 : b.slots.length;
    const pos = new Int32Array(3 * count);
    const versions = new Float64Array(count);
    const row = this.row;
    let i = 0;
    let n = 0;
    for (const b of found)
      for (const slot of typeof b === 'number' ? [b] : b.slots) {
        versions[n++] = this.version[slot];
        pos[i++] = row[3 * slot];
        pos[i++] = row[3 * slot + 1];
        pos[i++] = row[3 * slot + 2];
      }
    return { arena: r.arena, pos, versions, count };
  }

  /**
   * rows() as records, copied out of the arena at once (a later write may rewrite a row where it
   * is): one buffer for all of them, each key and value a view of it. Undefined as for rows().
   */
  records(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): [Buffer, StoredRecord][] | undefined {
    const m = this.rows(spaceId, subspace, region, lo, hi);
    if (m === undefined) return undefined;
    const { arena, pos, versions, count } = m;
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += pos[3 * i + 2] - pos[3 * i];
    const copy = Buffer.allocUnsafe(bytes);
    const out: [Buffer, StoredRecord][] = new Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const start = pos[3 * i];
      const end = pos[3 * i + 2];
      arena.copy(copy, at, start, end);
      const keyEnd = at + pos[3 * i + 1];
      const rowEnd = at + (end - start);
      const values: Buffer[] = [];
      // Each value: a u32 length and its bytes, up to the row's end (set() wrote them so).
      for (let v = keyEnd; v < rowEnd; ) {
        const len = copy.readUInt32BE(v);
        values.push(copy.subarray(v + 4, v + 4 + len));
        v += 4 + len;
      }
      out[i] = [copy.subarray(at, keyEnd), { version: versions[i], values }];
      at = rowEnd;
    }
    return out;
  }

  /** Entries held, for tests. */
  get size(): number {
    return this.used - this.free.length;
  }

  /** Bytes of key and values held in arenas (live and garbage) and the arenas' size, for reports. */
  arenaBytes(): { used: number; garbage: number; allocated: number } {
    let used = 0;
    let garbage = 0;
    let allocated = 0;
    for (const r of this.regions.all()) {
      used += r.used;
      garbage += r.garbage;
      allocated += r.arena.length;
    }
    return { used, garbage, allocated };
  }

  /** The objects of the coordinates in [lo, hi] (a narrow interval) that have any, in order. */
  private buckets(r: RegionIndex, lo: bigint, hi: bigint): (Bucket | number)[] {
    const out: (Bucket | number)[] = [];
    for (let c = lo; c <= hi; c++) {
      const b = this.find(r, Number(c >> 32n), Number(c & 0xffff_ffffn));
      if (b !== undefined) out.push(b);
    }
    return out;
  }

  /** The objects of coordinate (h, l): its only slot, its bucket, or undefined when none. */
  private find(r: RegionIndex, h: number, l: number): Bucket | number | undefined {
    const first = r.buckets.get(this.keyOf(h, l));
    if (typeof first === 'number') return this.hi[first] === h && this.lo[first] === l ? first : undefined;
    for (let b = first; b !== undefined; b = b.other) if (b.hi === h && b.lo === l) return b;
    return undefined;
  }

  /** Adds a slot (its coordinate set already) to its coordinate's objects. */
  private link(r: RegionIndex, slot: number, h: number, l: number): void {
    const k = this.keyOf(h, l);
    const first = r.buckets.get(k);
    if (first === undefined) {
      r.buckets.set(k, slot);
      return;
    }
    // A second object under the key: from here on it has buckets (one per coordinate under it).
    let head: Bucket;
    if (typeof first === 'number') {
      head = { hi: this.hi[first], lo: this.lo[first], slots: [first], other: undefined };
      this.place[first] = 0;
    } else head = first;
    let b: Bucket | undefined = head;
    while (b !== undefined && (b.hi !== h || b.lo !== l)) b = b.other;
    if (b === undefined) head = b = { hi: h, lo: l, slots: [], other: head };
    r.buckets.set(k, head);
    this.place[slot] = b.slots.length;
    b.slots.push(slot);
  }

  /** Takes a slot out of its coordinate's objects (the bucket's last slot takes its place). */
  private unlink(r: RegionIndex, slot: number): void {
    const h = this.hi[slot];
    const l = this.lo[slot];
    const k = this.keyOf(h, l);
    const first = r.buckets.get(k);
    if (first === slot) {
      r.buckets.delete(k);
      return;
    }
    let b = typeof first === 'number' ? undefined : first;
    while (b !== undefined && (b.hi !== h || b.lo !== l)) b = b.other;
    if (b === undefined || b.slots[this.place[slot]] !== slot) throw new Error('memory index: a slot is not in its bucket');
    const last = b.slots.pop()!;
    if (last !== slot) {
      b.slots[this.place[slot]] = last;
      this.place[last] = this.place[slot];
    }
    if (b.slots.length > 0) return;
    let head = first as Bucket | undefined;
    if (head === b) head = b.other;
    else for (let p = head; p !== undefined; p = p.other) if (p.other === b) p.other = b.other;
    if (head === undefined) r.buckets.delete(k);
    else r.buckets.set(k, head);
  }

  /**
   * Copies a region's live rows (all but `skip`'s, being rewritten) into a new arena with room for
   * `need` more bytes. The old arena is left as it is: rows handed out from it stay valid.
   */
  private relocate(r: RegionIndex, need: number, skip: number): void {
    const live = r.used - r.garbage;
    const size = Math.max(ARENA_BYTES_MIN, Math.ceil((live + need) * ARENA_GROWTH));
    const arena = Buffer.allocUnsafeSlow(size);
    let used = 0;
    // Bucket by bucket: the rows of one coordinate, which a search reads together, end up side by
    // side. Every live slot but `skip` is in a bucket (set() unlinks before it relocates).
    const move = (slot: number) => {
      if (slot === skip) return;
      const a = this.row[3 * slot];
      const e = this.row[3 * slot + 2];
      r.arena.copy(arena, used, a, e);
      this.row[3 * slot] = used;
      this.row[3 * slot + 2] = used + (e - a);
      used += e - a;
    };
    for (const first of r.buckets.values()) {
      if (typeof first === 'number') move(first);
      else for (let b: Bucket | undefined = first; b !== undefined; b = b.other) for (const slot of b.slots) move(slot);
    }
    r.arena = arena;
    r.used = used;
    r.garbage = 0;
  }

  private grow(): number {
    if (this.used === this.hi.length) {
      const n = this.hi.length * 2;
      this.row = resized(this.row, new Int32Array(3 * n));
      this.hi = resized(this.hi, new Uint32Array(n));
      this.lo = resized(this.lo, new Uint32Array(n));
      this.place = resized(this.place, new Int32Array(n));
      this.version = resized(this.version, new Float64Array(n));
    }
    return this.used++;
  }
}

const EMPTY = Buffer.alloc(0);

function resized<T extends Int32Array | Uint32Array | Float64Array>(old: T, out: T): T {
  out.set(old);
  return out;
}
