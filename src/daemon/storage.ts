// Where a daemon keeps objects: a narrow interface, a LevelDB implementation (classic-level) and an
// in-memory one for tests of the logic above it.

import { ClassicLevel } from 'classic-level';
import { decodeBody, encodeBody } from '../common/frame';
import { StoredObject } from './apply';

export interface ObjectStore {
  get(spaceId: number, key: Buffer): Promise<StoredObject | undefined>;
  put(spaceId: number, key: Buffer, obj: StoredObject): Promise<void>;
  del(spaceId: number, key: Buffer): Promise<void>;
  /** Every object of a space, in key order, as of one moment (a snapshot). */
  scan(spaceId: number): AsyncIterable<[Buffer, StoredObject]>;
  /** Removes every object of a space (after rm-space). */
  dropSpace(spaceId: number): Promise<void>;
  close(): Promise<void>;
}

const OBJECT_TAG = 0x6f; // 'o'

/** 'o' | u32 space id | key bytes: objects of a space are contiguous, so a space drops as a range. */
function storageKey(spaceId: number, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + key.length);
  out[0] = OBJECT_TAG;
  out.writeUInt32BE(spaceId, 1);
  key.copy(out, 5);
  return out;
}

function spaceRange(spaceId: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.from([OBJECT_TAG, 0, 0, 0, 0]);
  gte.writeUInt32BE(spaceId, 1);
  const lt = Buffer.from([OBJECT_TAG, 0, 0, 0, 0, 0]);
  if (spaceId === 0xffffffff) return { gte, lt: Buffer.from([OBJECT_TAG + 1]) };
  lt.writeUInt32BE(spaceId + 1, 1);
  return { gte, lt: lt.subarray(0, 5) };
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

  async get(spaceId: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = await this.db.get(storageKey(spaceId, key));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, key: Buffer, obj: StoredObject): Promise<void> {
    await this.db.put(storageKey(spaceId, key), encodeObject(obj));
  }

  async del(spaceId: number, key: Buffer): Promise<void> {
    await this.db.del(storageKey(spaceId, key));
  }

  async dropSpace(spaceId: number): Promise<void> {
    await this.db.clear(spaceRange(spaceId));
  }

  async *scan(spaceId: number): AsyncIterable<[Buffer, StoredObject]> {
    for await (const [k, v] of this.db.iterator(spaceRange(spaceId))) yield [k.subarray(5), decodeObject(v)];
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Buffer>();

  async get(spaceId: number, key: Buffer): Promise<StoredObject | undefined> {
    const bytes = this.objects.get(storageKey(spaceId, key).toString('latin1'));
    return bytes === undefined ? undefined : decodeObject(bytes);
  }

  async put(spaceId: number, key: Buffer, obj: StoredObject): Promise<void> {
    this.objects.set(storageKey(spaceId, key).toString('latin1'), encodeObject(obj));
  }

  async del(spaceId: number, key: Buffer): Promise<void> {
    this.objects.delete(storageKey(spaceId, key).toString('latin1'));
  }

  async *scan(spaceId: number): AsyncIterable<[Buffer, StoredObject]> {
    const prefix = storageKey(spaceId, Buffer.alloc(0)).toString('latin1');
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    const snapshot = keys.map((k) => [k, this.objects.get(k)!] as const);
    for (const [k, v] of snapshot) yield [Buffer.from(k, 'latin1').subarray(5), decodeObject(v)];
  }

  async dropSpace(spaceId: number): Promise<void> {
    const prefix = storageKey(spaceId, Buffer.alloc(0)).toString('latin1');
    for (const k of [...this.objects.keys()]) if (k.startsWith(prefix)) this.objects.delete(k);
  }

  async close(): Promise<void> {}
}
