// A record as the LevelDB store (level.ts) keeps it, under an object's key and, for an indexed
// object, under its index entry too:
//
//   u8 format (1) | u64 version | u16 value count | per value a u32 length and its bytes
//
// Format 2, of an indexed object (a secondary subspace), has its u64 coordinate after the version;
// format 3 is a tombstone, u8 3 | u64 version alone: a deleted key's version, kept so that the
// key's next version is above it (key subspace only, never indexed). Decoding only slices the
// buffer: scans read many records, and msgpack would dominate them.

import { StoredRecord } from '../core/types';

const RECORD_FORMAT = 1;
const RECORD_FORMAT_INDEXED = 2;
const RECORD_FORMAT_TOMBSTONE = 3;
const TOMBSTONE_BYTES = 9;
/** Where the values' count is, then the values, in each format. */
const HEAD_BYTES = 11;
const INDEXED_HEAD_BYTES = 19;
/** Where the coordinate is in an indexed record. */
const COORD_AT = 9;
/** Where an indexed record's values start: see memindex.ts, which keeps them from here on. */
export const INDEXED_VALUES_AT = INDEXED_HEAD_BYTES;

/** A record as read back: values null for a tombstone; of an indexed object, the 8 bytes of its coordinate. */
export interface DiskRecord extends StoredRecord {
  readonly coord?: Buffer;
}

/** The version as two 32-bit halves: a BigInt per record showed in the profile. Versions are safe integers. */
function writeVersion(out: Buffer, at: number, version: number): void {
  out.writeUInt32BE(Math.floor(version / 0x1_0000_0000), at);
  out.writeUInt32BE(version % 0x1_0000_0000, at + 4);
}

function readVersion(bytes: Buffer, at: number): number {
  return bytes.readUInt32BE(at) * 0x1_0000_0000 + bytes.readUInt32BE(at + 4);
}

/** A record's version, without decoding the rest. */
export function recordVersion(bytes: Buffer): number {
  return readVersion(bytes, 1);
}

export function encodeTombstone(version: number): Buffer {
  const out = Buffer.allocUnsafe(TOMBSTONE_BYTES);
  out[0] = RECORD_FORMAT_TOMBSTONE;
  writeVersion(out, 1, version);
  return out;
}

/**
 * An object's record; with `coord` (8 bytes), an indexed one. `ownMemory`: for a record the cache
 * keeps, memory of its own. Carved from Node's shared 8 KiB pool, it kept the whole slab (and
 * every short-lived buffer in it) alive, about 2 KB per cached object.
 */
export function encodeRecord(version: number, values: readonly Buffer[], ownMemory: boolean, coord?: Buffer): Buffer {
  const head = coord ? INDEXED_HEAD_BYTES : HEAD_BYTES;
  let size = head;
  for (const v of values) size += 4 + v.length;
  const out = ownMemory ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  out[0] = coord ? RECORD_FORMAT_INDEXED : RECORD_FORMAT;
  writeVersion(out, 1, version);
  if (coord) coord.copy(out, COORD_AT);
  out.writeUInt16BE(values.length, head - 2);
  let off = head;
  for (const v of values) {
    out.writeUInt32BE(v.length, off);
    v.copy(out, off + 4);
    off += 4 + v.length;
  }
  return out;
}

export function decodeRecord(bytes: Buffer): DiskRecord {
  if (bytes[0] === RECORD_FORMAT_TOMBSTONE) {
    if (bytes.length !== TOMBSTONE_BYTES) throw new Error('stored tombstone is not 9 bytes');
    return { version: readVersion(bytes, 1), values: null };
  }
  const indexed = bytes[0] === RECORD_FORMAT_INDEXED;
  const head = indexed ? INDEXED_HEAD_BYTES : HEAD_BYTES;
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
  return indexed ? { version, values, coord: bytes.subarray(COORD_AT, COORD_AT + 8) } : { version, values };
}

/** A record as the core sees it: version and values (null for a tombstone), no coordinate. */
export function coreRecord(r: DiskRecord): StoredRecord {
  return { version: r.version, values: r.values };
}
