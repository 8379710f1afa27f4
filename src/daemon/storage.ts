// Where a daemon keeps objects: a narrow interface, a LevelDB implementation (classic-level) and an
// in-memory one for tests of the logic above it. An object is kept once per subspace whose region
// this daemon holds it for, under 'r' | u32 space | u16 subspace | u32 region | key: a region's
// objects are one contiguous range, so a search reads only the regions it asks for and a region
// moves or drops as a range.

import { ClassicLevel } from 'classic-level';
import { StoredObject } from './apply';

export interface ObjectStore {
  get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined>;
  put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject): Promise<void>;
  del(spaceId: number, subspace: number, region: number, key: Buffer): Promise<void>;
  /** The objects of one region, in key order, as of one moment (a snapshot), in batches. */
  scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]>;
  /** Removes every object of a space, in every subspace (after rm-space). */
  dropSpace(spaceId: number): Promise<void>;
  close(): Promise<void>;
}

/** Entries read from LevelDB per call while scanning. */
const SCAN_BATCH = 1024;
const TAG = 0x72; // 'r'

function spacePrefix(spaceId: number): Buffer {
  const p = Buffer.allocUnsafe(5);
  p[0] = TAG;
  p.writeUInt32BE(spaceId, 1);
  return p;
}

function regionPrefix(spaceId: number, subspace: number, region: number): Buffer {
  const p = Buffer.allocUnsafe(11);
  p[0] = TAG;
  p.writeUInt32BE(spaceId, 1);
  p.writeUInt16BE(subspace, 5);
  p.writeUInt32BE(region, 7);
  return p;
}

function storageKey(spaceId: number, subspace: number, region: number, key: Buffer): Buffer {
  return Buffer.concat([regionPrefix(spaceId, subspace, region), key]);
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
 * A record: u8 format (1) | u64 version | u16 value count | per value u32 length and its bytes.
 * Decoding only slices the buffer: scans read many records, and msgpack would dominate them.
 */
const RECORD_FORMAT = 1;

function encodeObject(obj: StoredObject): Buffer {
  let size = 1 + 8 + 2;
  for (const v of obj.values) size += 4 + v.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = RECORD_FORMAT;
  out.writeBigUInt64BE(BigInt(obj.version), 1);
  out.writeUInt16BE(obj.values.length, 9);
  let off = 11;
  for (const v of obj.values) {
    out.writeUInt32BE(v.length, off);
    v.copy(out, off + 4);
    off += 4 + v.length;
  }
  return out;
}

function decodeObject(bytes: Buffer): StoredObject {
  if (bytes.length < 11 || bytes[0] !== RECORD_FORMAT) throw new Error(`stored record of unknown format ${bytes[0]}`);
  const version = Number(bytes.readBigUInt64BE(1));
  const count = bytes.readUInt16BE(9);
  const values: Buffer[] = new Array(count);
  let off = 11;
  for (let i = 0; i < count; i++) {
    const len = bytes.readUInt32BE(off);
    if (off + 4 + len > bytes.length) throw new Error('stored record is truncated');
    values[i] = bytes.subarray(off + 4, off + 4 + len);
    off += 4 + len;
  }
  return { version, values };
}

export class LevelObjectStore implements ObjectStore {
  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>) {}

  /** Opens (creating if needed) the store in `dir`. Writes reach the OS before they are acknowledged. */
  static async open(dir: string): Promise<LevelObjectStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new LevelObjectStore(db);
  }

  async get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = await this.db.get(storageKey(spaceId, subspace, region, key));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject): Promise<void> {
    await this.db.put(storageKey(spaceId, subspace, region, key), encodeObject(obj));
  }

  async del(spaceId: number, subspace: number, region: number, key: Buffer): Promise<void> {
    await this.db.del(storageKey(spaceId, subspace, region, key));
  }

  async *scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]> {
    const p = regionPrefix(spaceId, subspace, region);
    const it = this.db.iterator({ gte: p, lt: successor(p) });
    try {
      // Read in batches: one native call per entry would dominate a scan.
      for (;;) {
        const entries = await it.nextv(SCAN_BATCH);
        if (entries.length === 0) break;
        yield entries.map(([k, v]) => [k.subarray(p.length), decodeObject(v)] as [Buffer, StoredObject]);
      }
    } finally {
      await it.close();
    }
  }

  async dropSpace(spaceId: number): Promise<void> {
    const p = spacePrefix(spaceId);
    await this.db.clear({ gte: p, lt: successor(p) });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();

  async get(spaceId: number, subspace: number, region: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = this.objects.get(storageKey(spaceId, subspace, region, key).toString('latin1'));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, subspace: number, region: number, key: Buffer, obj: StoredObject): Promise<void> {
    this.objects.set(storageKey(spaceId, subspace, region, key).toString('latin1'), encodeObject(obj));
  }

  async del(spaceId: number, subspace: number, region: number, key: Buffer): Promise<void> {
    this.objects.delete(storageKey(spaceId, subspace, region, key).toString('latin1'));
  }

  async *scanRegion(spaceId: number, subspace: number, region: number): AsyncIterable<[Buffer, StoredObject][]> {
    const p = regionPrefix(spaceId, subspace, region);
    const ps = p.toString('latin1');
    const snapshot = [...this.objects.entries()].filter(([k]) => k.startsWith(ps)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < snapshot.length; i += SCAN_BATCH)
      yield snapshot.slice(i, i + SCAN_BATCH).map(([k, v]) => [Buffer.from(k, 'latin1').subarray(p.length), decodeObject(v)] as [Buffer, StoredObject]);
  }

  async dropSpace(spaceId: number): Promise<void> {
    const p = spacePrefix(spaceId).toString('latin1');
    for (const k of [...this.objects.keys()]) if (k.startsWith(p)) this.objects.delete(k);
  }

  async close(): Promise<void> {}
}
