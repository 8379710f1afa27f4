// The LevelDB store's cache of records of the key subspace (level.ts): what a get, and every write
// of a key, reads first. Records of the other subspaces are not cached: nothing reads them one by
// one but a region move, and they pushed out the records that gets and writes read.

import { RegionTable } from '../region-table';
import { DiskRecord } from './level-records';

/**
 * Records kept in memory by default. Measured with 100-byte objects: a daemon holding 1,000,000
 * of them was at 699 MB resident with 262,144 cached; the benchmark's 100,000 keys fit in this
 * many. HYPERDEX_CACHE_OBJECTS overrides it (0 turns the cache off).
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

/** The cached records of one region of one subspace, by key (as a latin1 string); null: known absent. */
interface RegionCache {
  readonly spaceId: number;
  readonly subspace: number;
  readonly records: Map<string, DiskRecord | null>;
}

/**
 * Records by space, subspace, region and key (a tombstone too: a deleted key's version is known
 * without a read), at most `capacity` of them, the oldest entry out first. Looked up by region id
 * (a number) then by key: one string of the key alone per lookup, where a map over whole storage
 * keys built and hashed a longer one (a fifth of a cached get).
 */
export class ObjectCache {
  private readonly regions = new RegionTable<RegionCache>((spaceId, subspace) => ({ spaceId, subspace, records: new Map() }));
  /** Entries in the order they came in; an entry deleted since is skipped when its turn comes. */
  private orderRegion: (RegionCache | undefined)[] = [];
  private orderName: string[] = [];
  private head = 0;
  private count = 0;

  constructor(private readonly capacity: number) {}

  private region(spaceId: number, subspace: number, region: number, create: boolean): RegionCache | undefined {
    return this.regions.find(spaceId, subspace, region, create);
  }

  /** The record; null when known absent; undefined when not cached. */
  get(spaceId: number, subspace: number, region: number, key: Buffer): DiskRecord | null | undefined {
    return this.region(spaceId, subspace, region, false)?.records.get(key.toString('latin1'));
  }

  has(spaceId: number, subspace: number, region: number, key: Buffer): boolean {
    return this.region(spaceId, subspace, region, false)?.records.has(key.toString('latin1')) ?? false;
  }

  set(spaceId: number, subspace: number, region: number, key: Buffer, record: DiskRecord | null): void {
    if (this.capacity <= 0) return;
    const rc = this.region(spaceId, subspace, region, true)!;
    const name = key.toString('latin1');
    // A key cached already keeps its place in the order: seen by the size, with one map lookup.
    const before = rc.records.size;
    rc.records.set(name, record);
    if (rc.records.size === before) return;
    this.orderRegion.push(rc);
    this.orderName.push(name);
    this.count++;
    while (this.count > this.capacity && this.head < this.orderRegion.length) {
      const old = this.orderRegion[this.head]!;
      if (old.records.delete(this.orderName[this.head])) this.count--;
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
    if (this.region(spaceId, subspace, region, false)?.records.delete(key.toString('latin1'))) this.count--;
  }

  dropSpace(spaceId: number): void {
    // Emptied as well as taken out: the order still names them, and an emptied map deletes nothing.
    for (const rc of this.regions.dropSpace(spaceId)) this.empty(rc);
  }

  dropRegion(spaceId: number, subspace: number, region: number): void {
    const rc = this.regions.drop(spaceId, subspace, region);
    if (rc) this.empty(rc);
  }

  private empty(rc: RegionCache): void {
    this.count -= rc.records.size;
    rc.records.clear();
  }
}
