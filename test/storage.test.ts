// LevelObjectStore's grouped writes and object cache (src/daemon/storage.ts), on a real LevelDB in
// a temp directory: what a write's promise promises, what the cache says, and when it must not
// keep what it read.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { StoredObject } from '../src/daemon/apply';
import { CACHE_OBJECTS_DEFAULT, cacheObjectsFromEnv, LevelObjectStore } from '../src/daemon/storage';
import { failBatches } from './helpers/failing-batch';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-storage-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const obj = (version: number, ...values: string[]): StoredObject => ({ version, values: values.map((v) => Buffer.from(v)) });
const key = (i: number | string) => Buffer.from(`key${i}`);
const plain = (o: StoredObject | null | undefined) => (o ? { version: o.version, values: o.values.map((v) => v.toString()) } : o);

test('writes issued in one turn all resolve and are all in LevelDB after a reopen', async (t) => {
  const dir = tempDir(t);
  const s = await LevelObjectStore.open(dir);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) writes.push(s.put(1, 0, 7, key(i), obj(i + 1, `v${i}`)));
  writes.push(s.del(1, 0, 7, key(3)));
  await Promise.all(writes);
  await s.close();
  const again = await LevelObjectStore.open(dir);
  t.teardown(() => again.close());
  t.is(again.peek(1, 0, 7, key(0)), undefined, 'a new store knows nothing before reading');
  t.deepEqual(plain(await again.get(1, 0, 7, key(499))), plain(obj(500, 'v499')));
  t.is(await again.get(1, 0, 7, key(3)), undefined);
  let found = 0;
  for await (const batch of again.scanRegion(1, 0, 7)) found += batch.length;
  t.is(found, 499);
});

test('close waits for writes still queued', async (t) => {
  const dir = tempDir(t);
  const s = await LevelObjectStore.open(dir);
  const w = s.put(2, 1, 3, key('a'), obj(1, 'x'));
  await s.close();
  await w;
  const again = await LevelObjectStore.open(dir);
  t.teardown(() => again.close());
  t.deepEqual(plain(await again.get(2, 1, 3, key('a'))), plain(obj(1, 'x')));
});

test('the cache says what the last completed write left, and not before it completes', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t));
  t.teardown(() => s.close());
  const w = s.put(1, 0, 1, key('k'), obj(1, 'one'));
  t.is(s.peek(1, 0, 1, key('k')), undefined, 'not before the write is done');
  await w;
  t.deepEqual(plain(s.peek(1, 0, 1, key('k'))), plain(obj(1, 'one')));
  t.is(s.peek(1, 0, 2, key('k')), undefined, 'regions are told apart');
  await s.del(1, 0, 1, key('k'));
  t.is(s.peek(1, 0, 1, key('k')), null, 'a delete leaves "no object"');
  t.is(await s.get(1, 0, 1, key('k')), undefined);
});

test('a read that a write overtakes does not leave its stale result in the cache', async (t) => {
  const dir = tempDir(t);
  const first = await LevelObjectStore.open(dir);
  await first.put(1, 0, 1, key('k'), obj(1, 'old'));
  await first.close();
  const s = await LevelObjectStore.open(dir);
  t.teardown(() => s.close());
  // The read starts first (cache empty: it goes to LevelDB) and, held back here, ends only after
  // the write has completed: the order that would leave the old object in the cache.
  const db = (s as unknown as { db: { get(k: Buffer): Promise<Buffer | undefined> } }).db;
  const realGet = db.get.bind(db);
  let writeDone!: Promise<void>;
  db.get = async (k: Buffer) => {
    const v = await realGet(k);
    await writeDone;
    return v;
  };
  const read = s.get(1, 0, 1, key('k'));
  writeDone = s.put(1, 0, 1, key('k'), obj(2, 'new'));
  const write = writeDone;
  const [got] = await Promise.all([read, write]);
  db.get = realGet;
  t.true(got?.version === 1 || got?.version === 2);
  t.deepEqual(plain(s.peek(1, 0, 1, key('k'))), plain(obj(2, 'new')));
  t.deepEqual(plain(await s.get(1, 0, 1, key('k'))), plain(obj(2, 'new')));
});

test('the cache is bounded, oldest out, and what left it is read from LevelDB', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t), 3);
  t.teardown(() => s.close());
  for (let i = 0; i < 5; i++) await s.put(1, 0, 1, key(i), obj(1, `v${i}`));
  t.is(s.peek(1, 0, 1, key(0)), undefined);
  t.is(s.peek(1, 0, 1, key(1)), undefined);
  for (const i of [2, 3, 4]) t.deepEqual(plain(s.peek(1, 0, 1, key(i))), plain(obj(1, `v${i}`)));
  t.deepEqual(plain(await s.get(1, 0, 1, key(0))), plain(obj(1, 'v0')));
  t.deepEqual(plain(s.peek(1, 0, 1, key(0))), plain(obj(1, 'v0')), 'a read brings it back');
});

test('dropSpace empties the space in LevelDB and in the cache, and keeps the others', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t));
  t.teardown(() => s.close());
  await s.put(1, 0, 1, key('a'), obj(1, 'a'));
  await s.put(2, 0, 1, key('b'), obj(1, 'b'));
  // Queued, not awaited: the drop comes after it, as it was asked after it.
  const late = s.put(1, 1, 4, key('c'), obj(1, 'c'));
  await s.dropSpace(1);
  await late;
  t.is(s.peek(1, 0, 1, key('a')), undefined);
  t.is(await s.get(1, 0, 1, key('a')), undefined);
  t.is(await s.get(1, 1, 4, key('c')), undefined);
  t.deepEqual(plain(await s.get(2, 0, 1, key('b'))), plain(obj(1, 'b')));
});

test('HYPERDEX_CACHE_OBJECTS sets the cache size; a bad value is refused', (t) => {
  t.is(cacheObjectsFromEnv({}), CACHE_OBJECTS_DEFAULT);
  t.is(cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: '0' }), 0);
  t.is(cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: '5000' }), 5000);
  for (const bad of ['-1', '1.5', 'many']) t.throws(() => cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: bad }), { message: /HYPERDEX_CACHE_OBJECTS/ });
});

test('with the cache off, every read goes to LevelDB and still sees every write', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t), 0);
  t.teardown(() => s.close());
  await s.put(1, 0, 1, key('k'), obj(1, 'one'));
  t.is(s.peek(1, 0, 1, key('k')), undefined);
  t.deepEqual(plain(await s.get(1, 0, 1, key('k'))), plain(obj(1, 'one')));
  await s.put(1, 0, 1, key('k'), obj(2, 'two'));
  t.deepEqual(plain(await s.get(1, 0, 1, key('k'))), plain(obj(2, 'two')));
});

/** Every index entry of a region, as [key, coordinate] in coordinate order. */
async function indexEntries(s: LevelObjectStore, spaceId: number, subspace: number, region: number): Promise<[string, bigint][]> {
  const out: [string, bigint][] = [];
  for await (const batch of s.scanIndex(spaceId, subspace, region, 0n, (1n << 64n) - 1n))
    for (const [k, o] of batch) out.push([k.toString(), (o as { coord?: Buffer }).coord!.readBigUInt64BE(0)]);
  return out;
}

test('the coordinates of index entries are known after a reopen: an update there leaves one entry', async (t) => {
  const dir = tempDir(t);
  const s = await LevelObjectStore.open(dir);
  for (let i = 0; i < 300; i++) await s.put(1, 1, 5, key(i), obj(1, `v${i}`), BigInt(i) * 1000n);
  await s.del(1, 1, 5, key(7), true);
  t.is(s.coordsHeld, 299);
  await s.close();
  const again = await LevelObjectStore.open(dir);
  t.teardown(() => again.close());
  t.is(again.coordsHeld, 299, 'loaded from the index entries');
  await again.put(1, 1, 5, key(3), obj(2, 'moved'), 123_456_789n);
  await again.del(1, 1, 5, key(4), true);
  const entries = await indexEntries(again, 1, 1, 5);
  t.is(entries.length, 298);
  t.deepEqual(entries.filter(([k]) => k === 'key3'), [['key3', 123_456_789n]]);
  t.deepEqual(entries.filter(([k]) => k === 'key4' || k === 'key7'), []);
  t.is(await again.get(1, 1, 5, key(4)), undefined);
});

test('after a failed batch, the next indexed write finds the entry LevelDB really has', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t));
  t.teardown(() => s.close());
  await s.put(1, 2, 9, key('k'), obj(1, 'a'), 5n);
  // The next batch LevelDB is given fails, as a write that fails does: nothing of it is written.
  const restore = failBatches(s);
  await t.throwsAsync(s.put(1, 2, 9, key('k'), obj(2, 'b'), 9n), { message: /injected/ });
  restore();
  // A map changed before its batch was written would now say 9 and leave the entry at 5 behind.
  await s.put(1, 2, 9, key('k'), obj(3, 'c'), 7n);
  t.deepEqual(await indexEntries(s, 1, 2, 9), [['keyk', 7n]]);
});

test('objects of the secondary subspaces are not cached; the key subspace keeps its cache', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t), 4);
  t.teardown(() => s.close());
  for (let i = 0; i < 4; i++) await s.put(1, 0, 1, key(i), obj(1, `v${i}`));
  for (let i = 0; i < 50; i++) await s.put(1, 1, 2, key(i), obj(1, `w${i}`), BigInt(i));
  for (let i = 0; i < 4; i++) t.deepEqual(plain(s.peek(1, 0, 1, key(i))), plain(obj(1, `v${i}`)));
  t.is(s.peek(1, 1, 2, key(0)), undefined);
  t.deepEqual(plain(await s.get(1, 1, 2, key(49))), plain(obj(1, 'w49')));
});
