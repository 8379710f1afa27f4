// Where a daemon keeps objects: a narrow interface, a LevelDB implementation (classic-level) and an
// in-memory one for tests of the logic above it. An object is kept once per subspace whose region
// this daemon holds it for: in the key subspace (0) by its key, and in each secondary subspace at
// its point there.

import { ClassicLevel } from 'classic-level';
import { decodeBody, encodeBody } from '../common/frame';
import { StoredObject } from './apply';

export interface ObjectStore {
  get(spaceId: number, subspace: number, key: Buffer): Promise<StoredObject | undefined>;
  put(spaceId: number, subspace: number, key: Buffer, obj: StoredObject): Promise<void>;
  del(spaceId: number, subspace: number, key: Buffer): Promise<void>;
  /** Every object of a space's subspace, in key order, as of one moment (a snapshot). */
  scan(spaceId: number, subspace: number): AsyncIterable<[Buffer, StoredObject]>;
  /** Removes every object of a space, in every subspace (after rm-space). */
  dropSpace(spaceId: number): Promise<void>;
  close(): Promise<void>;
}

const OBJECT_TAG = 0x6f; // 'o': key subspace, 'o' | u32 space | key
const SUBSPACE_TAG = 0x73; // 's': secondary subspaces, 's' | u32 space | u16 subspace | key

/** Objects of one space and subspace are contiguous, so they scan and drop as a range. */
function prefix(spaceId: number, subspace: number): Buffer {
  if (subspace === 0) {
    const p = Buffer.allocUnsafe(5);
    p[0] = OBJECT_TAG;
    p.writeUInt32BE(spaceId, 1);
    return p;
  }
  const p = Buffer.allocUnsafe(7);
  p[0] = SUBSPACE_TAG;
  p.writeUInt32BE(spaceId, 1);
  p.writeUInt16BE(subspace, 5);
  return p;
}

function storageKey(spaceId: number, subspace: number, key: Buffer): Buffer {
  return Buffer.concat([prefix(spaceId, subspace), key]);
}

/** The keys just past every key that starts with `p`. */
function successor(p: Buffer): Buffer {
  const out = Buffer.from(p);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] < 0xff) {
      out[i]++;
      return out.subarray(0, i + 1);
    }
  }
  return Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

function encodeObject(obj: StoredObject): Buffer {
  return encodeBody([obj.version, obj.values]);
}

function decodeObject(bytes: Buffer): StoredObject {
  const [version, values] = decodeBody(bytes) as [number, Uint8Array[]];
  return { version: Number(version), values: values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v))) };
}

export class LevelObjectStore implements ObjectStore {
  private constructor(private readonly db: ClassicLevel<Buffer, Buffer>) {}

  /** Opens (creating if needed) the store in `dir`. Writes reach the OS before they are acknowledged. */
  static async open(dir: string): Promise<LevelObjectStore> {
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new LevelObjectStore(db);
  }

  async get(spaceId: number, subspace: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = await this.db.get(storageKey(spaceId, subspace, key));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, subspace: number, key: Buffer, obj: StoredObject): Promise<void> {
    await this.db.put(storageKey(spaceId, subspace, key), encodeObject(obj));
  }

  async del(spaceId: number, subspace: number, key: Buffer): Promise<void> {
    await this.db.del(storageKey(spaceId, subspace, key));
  }

  async *scan(spaceId: number, subspace: number): AsyncIterable<[Buffer, StoredObject]> {
    const p = prefix(spaceId, subspace);
    for await (const [k, v] of this.db.iterator({ gte: p, lt: successor(p) })) yield [k.subarray(p.length), decodeObject(v)];
  }

  async dropSpace(spaceId: number): Promise<void> {
    const o = prefix(spaceId, 0);
    await this.db.clear({ gte: o, lt: successor(o) });
    const s = prefix(spaceId, 1).subarray(0, 5);
    await this.db.clear({ gte: s, lt: successor(s) });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();

  async get(spaceId: number, subspace: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = this.objects.get(storageKey(spaceId, subspace, key).toString('latin1'));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, subspace: number, key: Buffer, obj: StoredObject): Promise<void> {
    this.objects.set(storageKey(spaceId, subspace, key).toString('latin1'), encodeObject(obj));
  }

  async del(spaceId: number, subspace: number, key: Buffer): Promise<void> {
    this.objects.delete(storageKey(spaceId, subspace, key).toString('latin1'));
  }

  async *scan(spaceId: number, subspace: number): AsyncIterable<[Buffer, StoredObject]> {
    const p = prefix(spaceId, subspace);
    const ps = p.toString('latin1');
    const snapshot = [...this.objects.entries()].filter(([k]) => k.startsWith(ps)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of snapshot) yield [Buffer.from(k, 'latin1').subarray(p.length), decodeObject(v)];
  }

  async dropSpace(spaceId: number): Promise<void> {
    const o = prefix(spaceId, 0).toString('latin1');
    const s = prefix(spaceId, 1).subarray(0, 5).toString('latin1');
    for (const k of [...this.objects.keys()]) if (k.startsWith(o) || k.startsWith(s)) this.objects.delete(k);
  }

  async close(): Promise<void> {}
}
