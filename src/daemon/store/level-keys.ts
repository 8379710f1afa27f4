// Where the LevelDB store (level.ts) puts things: the layout of its LevelDB keys.
//
// An object is kept once per subspace whose region this daemon holds it for, under
// 'r' | u32 space | u16 subspace | u32 region | key: a region's objects are one contiguous range, so
// a scan reads only the region it asks for, and a region is dropped as a range.
//
// Objects of the secondary subspaces are also indexed by their coordinate on the subspace's first
// axis: 'x' | u32 space | u16 subspace | u32 region | u64 coordinate | key -> the record again, so
// that a scan narrowing that axis reads only the objects in its interval, in coordinate order.
//
// An intent (of a write whose chain has not finished) is under 'i' | u32 space | key.

import { RegionAddress, StoreWrite } from '../core/types';
import { COORD_MAX } from './checks';

export const OBJECT_TAG = 0x72; // 'r'
export const INDEX_TAG = 0x78; // 'x'
export const INTENT_TAG = 0x69; // 'i'
/** Present once the store was created by a daemon that keeps the index. */
export const INDEX_MARKER = Buffer.from('m:index-1', 'latin1');
/** Bytes of tag | u32 space | u16 subspace | u32 region. */
export const REGION_PREFIX_BYTES = 11;
/** Where an object's key starts in its index entry's key (after the region prefix and the coordinate). */
export const INDEX_KEY_START = REGION_PREFIX_BYTES + 8;
/** Where an object's key starts in an intent's key. */
export const INTENT_KEY_START = 5;

export function spacePrefix(spaceId: number, tag = OBJECT_TAG): Buffer {
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

export function regionPrefix(spaceId: number, subspace: number, region: number, tag = OBJECT_TAG): Buffer {
  const p = Buffer.allocUnsafe(REGION_PREFIX_BYTES);
  writeRegionPrefix(p, tag, spaceId, subspace, region);
  return p;
}

/** An object's key: its region's prefix and its own key, written into one buffer (a concat made two per write). */
export function objectKey(spaceId: number, subspace: number, region: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(REGION_PREFIX_BYTES + key.length);
  writeRegionPrefix(out, OBJECT_TAG, spaceId, subspace, region);
  key.copy(out, REGION_PREFIX_BYTES);
  return out;
}

/** An object's name in memory (the cache's, the index's bookkeeping): its LevelDB key as a string. */
export function objectName(spaceId: number, subspace: number, region: number, key: Buffer): string {
  return objectKey(spaceId, subspace, region, key).toString('latin1');
}

/** A coordinate as the index orders it: 8 bytes, big-endian. */
export function coordBytes(coord: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(coord, 0);
  return b;
}

/** An object's index entry: the region's index prefix, its coordinate (8 bytes), its key. */
export function indexKey(spaceId: number, subspace: number, region: number, coord: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(INDEX_KEY_START + key.length);
  writeRegionPrefix(out, INDEX_TAG, spaceId, subspace, region);
  coord.copy(out, REGION_PREFIX_BYTES);
  key.copy(out, INDEX_KEY_START);
  return out;
}

/** The range of index entries of a region whose coordinate lies in [lo, hi] (lo <= hi). */
export function indexRange(spaceId: number, subspace: number, region: number, lo: bigint, hi: bigint): { gte: Buffer; lt: Buffer } {
  const p = regionPrefix(spaceId, subspace, region, INDEX_TAG);
  return { gte: Buffer.concat([p, coordBytes(lo)]), lt: hi >= COORD_MAX ? successor(p) : Buffer.concat([p, coordBytes(hi + 1n)]) };
}

/** An intent's key: 'i' | u32 space | key. */
export function intentKey(spaceId: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(INTENT_KEY_START + key.length);
  out[0] = INTENT_TAG;
  out.writeUInt32BE(spaceId, 1);
  key.copy(out, INTENT_KEY_START);
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

/** Every key starting with `p`, as a range. */
export function prefixRange(p: Buffer): { gte: Buffer; lt: Buffer } {
  return { gte: p, lt: successor(p) };
}

/** The prefixes of the keys a drop deletes: the objects, their index entries and (of a space) its intents. */
export function dropPrefixes(w: Extract<StoreWrite, { op: 'drop-region' | 'drop-space' }>): Buffer[] {
  if (w.op === 'drop-space') return [spacePrefix(w.spaceId), spacePrefix(w.spaceId, INDEX_TAG), spacePrefix(w.spaceId, INTENT_TAG)];
  const a: RegionAddress = w.region;
  return [regionPrefix(a.spaceId, a.subspace, a.regionId), regionPrefix(a.spaceId, a.subspace, a.regionId, INDEX_TAG)];
}

/** Whether a LevelDB key is an object's record in a secondary subspace (one with an index entry). */
export function isSecondaryObjectKey(k: Buffer): boolean {
  return k[0] === OBJECT_TAG && k.readUInt16BE(5) > 0;
}
