// What only the LevelDB DaemonStore (src/daemon/store/level.ts over storage.ts) has to get right:
// records written before tombstones existed, the ObjectStore API meeting a tombstone, its memory
// index and cache through tombstones, drops and failed batches.

import test from 'ava';
import { ClassicLevel } from 'classic-level';
import * as fs from 'node:fs';

import { LevelDaemonStore } from '../src/daemon/store/level';
import { COORD_MAX } from '../src/daemon/store/checks';
import { LevelObjectStore } from '../src/daemon/storage';
import { failBatches } from './helpers/failing-batch';
import { dropRegion, intent, key, plain, plainIntents, plainRows, put, region, tempDir, tombstone, values } from './helpers/daemon-store';

const KEYS = region(1, 0, 10);
const SECONDARY = region(1, 1, 20);
const WHOLE: readonly [bigint, bigint] = [0n, COORD_MAX];

function place(t: { teardown(fn: () => void): void }): string {
  const dir = tempDir('daemon-store-level');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('records written through the ObjectStore API (formats 1 and 2) read back as they were', async (t) => {
  const dir = place(t);
  const old = await LevelObjectStore.open(dir);
  await old.put(1, 0, 10, key('a'), { version: 4, values: values('x', 'y') });
  await old.put(1, 1, 20, key('a'), { version: 4, values: values('x', 'y') }, 9n);
  await old.close();
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  t.deepEqual(plain(await store.load(KEYS, key('a'))), { version: 4, values: ['x', 'y'] });
  t.deepEqual(plain(await store.load(SECONDARY, key('a'))), { version: 4, values: ['x', 'y'] });
  t.deepEqual(plainRows(await store.scan(SECONDARY, [9n, 9n])), [['a', { version: 4, values: ['x', 'y'] }]]);
  // And a later write through the DaemonStore finds the old index entry to replace.
  await store.write([put(SECONDARY, key('a'), 5, values('z'), 11n)]);
  t.deepEqual(await store.scan(SECONDARY, [9n, 9n]), []);
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)), [['a', { version: 5, values: ['z'] }]]);
});

test('the ObjectStore API sees no object where there is a tombstone', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  const o = store.objects;
  await store.write([put(KEYS, key('live'), 1, values('x')), tombstone(KEYS, key('dead'), 2)]);
  t.deepEqual(plain(store.peek(KEYS, key('dead'))), { version: 2, values: null }, 'the cache keeps the tombstone');
  t.is(o.peek(1, 0, 10, key('dead')), null);
  t.is(o.peekReply(1, 0, 10, key('dead'), () => Buffer.from('never')), null);
  t.is(await o.get(1, 0, 10, key('dead')), undefined);
  const seen: string[] = [];
  for await (const batch of o.scanRegion(1, 0, 10)) for (const [k] of batch) seen.push(k.toString());
  t.deepEqual(seen, ['live']);
  // Read from LevelDB (not the cache) after a reopen, the same.
  await store.close();
  const again = await LevelDaemonStore.open((o as unknown as { db: { location: string } }).db.location);
  t.teardown(() => again.close());
  t.is(await again.objects.get(1, 0, 10, key('dead')), undefined);
  t.deepEqual(plain(await again.load(KEYS, key('dead'))), { version: 2, values: null });
  t.deepEqual(plain(again.peek(KEYS, key('dead'))), { version: 2, values: null }, 'a load of a tombstone is cached as one');
});

test('the memory index holds one entry per secondary object, never a tombstone, and follows drops', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  const o = store.objects;
  await store.write([
    put(SECONDARY, key('a'), 1, values('a'), 1n),
    put(SECONDARY, key('b'), 1, values('b'), 2n),
    put(region(1, 1, 21), key('a'), 1, values('a'), 1n),
    tombstone(KEYS, key('a'), 3),
  ]);
  t.is(o.coordsHeld, 3);
  await store.write([put(SECONDARY, key('a'), 2, values('a2'), 5n)]);
  t.is(o.coordsHeld, 3, 'a move replaces the entry');
  t.is(o.memoryRows(1, 1, 20, 1n, 1n)?.count, 0);
  t.is(o.memoryRows(1, 1, 20, 5n, 5n)?.count, 1);
  await store.write([dropRegion(SECONDARY)]);
  t.is(o.coordsHeld, 1);
  t.is(o.memoryCount(1, 1, 20, 0n, 10n), 0);
  t.is(o.memoryCount(1, 1, 21, 0n, 10n), 1, 'another region keeps its entries');
});

/** Makes the next LevelDB batch wait until the returned function is called, then fail (nothing of it written). */
function failNextBatchLater(store: LevelObjectStore): () => void {
  const db = (store as unknown as { db: { batch(): unknown } }).db;
  const realBatch = db.batch.bind(db);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  db.batch = () => {
    db.batch = realBatch;
    return {
      put() {},
      del() {},
      write: async () => {
        await gate;
        throw new Error('injected write failure');
      },
      close: async () => {},
    };
  };
  return open;
}

test('a failed batch with a write of the same object queued behind it leaves one index entry', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  await store.write([put(SECONDARY, key('k'), 1, values('v1'), 1n)]);
  const fail = failNextBatchLater(store.objects);
  const first = store.write([put(SECONDARY, key('k'), 2, values('v2'), 2n)]);
  // One turn: the batch is with LevelDB (its write waits); the next write queues behind it,
  // deleting the entry the first would leave (coordinate 2).
  await nextTurn();
  t.true((store.objects as unknown as { writing: boolean }).writing, 'the first batch is being written');
  const second = store.write([put(SECONDARY, key('k'), 3, values('v3'), 3n)]);
  fail();
  await t.throwsAsync(first, { message: 'injected write failure' });
  await second;
  t.deepEqual(await store.scan(SECONDARY, [1n, 1n]), [], 'the entry the failed write would have deleted is gone too');
  t.deepEqual(await store.scan(SECONDARY, [2n, 2n]), []);
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)), [['k', { version: 3, values: ['v3'] }]]);
  t.is(store.objects.coordsHeld, 1);
  t.is(store.objects.memoryCount(1, 1, 20, 0n, 10n), 1);
});

test('a failed batch: write() rejects, memory forgets what it said, the store goes on', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  await store.write([put(KEYS, key('a'), 1, values('x')), intent(1, key('a'), 1, null, values('x'))]);
  const restore = failBatches(store.objects);
  await t.throwsAsync(store.write([put(KEYS, key('a'), 2, values('y')), intent(1, key('a'), 2, values('x'), values('y')), put(SECONDARY, key('a'), 2, values('y'), 4n)]));
  t.is(store.peek(KEYS, key('a')), undefined, 'the cache no longer answers for the key');
  t.deepEqual(plainIntents(store.intents()).map((i) => i.version), [1], 'intents(): as the last completed batch left them');
  restore();
  t.deepEqual(plain(await store.load(KEYS, key('a'))), { version: 1, values: ['x'] }, 'nothing of the failed batch is in LevelDB');
  t.deepEqual(await store.scan(SECONDARY, WHOLE), []);
  await store.write([put(SECONDARY, key('a'), 3, values('z'), 4n)]);
  t.deepEqual(plainRows(await store.scan(SECONDARY, [4n, 4n])), [['a', { version: 3, values: ['z'] }]]);
});

test('a load in flight when a drop of its region completes does not leave the dropped record in the cache', async (t) => {
  const dir = place(t);
  const first = await LevelDaemonStore.open(dir);
  await first.write([put(KEYS, key('k'), 1, values('old'))]);
  await first.close();
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  const db = (store.objects as unknown as { db: { getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> } }).db;
  const realGetMany = db.getMany.bind(db);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let readDone: () => void = () => undefined;
  const haveRead = new Promise<void>((resolve) => (readDone = resolve));
  db.getMany = async (keys: Buffer[]) => {
    const got = await realGetMany(keys);
    readDone();
    await gate;
    return got;
  };
  const loading = store.load(KEYS, key('k'));
  // The read has the old record from LevelDB and waits; the drop completes meanwhile.
  await haveRead;
  await store.write([dropRegion(KEYS)]);
  open();
  t.deepEqual(plain(await loading), { version: 1, values: ['old'] }, 'the load began before the drop');
  t.not(plain(store.peek(KEYS, key('k')))?.version, 1, 'but the cache did not keep it');
  db.getMany = realGetMany;
  t.is(await store.load(KEYS, key('k')), null);
});

test('in a store from before the index, an interval scan reads the whole region', async (t) => {
  const dir = place(t);
  const old = await LevelObjectStore.open(dir);
  await old.put(1, 1, 20, key('a'), { version: 1, values: values('a') }, 1n);
  await old.put(1, 1, 20, key('b'), { version: 1, values: values('b') }, 50n);
  await old.close();
  // What a daemon from before the index left: records, no index entries, no marker.
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  await db.clear({ gte: Buffer.from('x'), lt: Buffer.from('y') });
  await db.del(Buffer.from('m:index-1', 'latin1'));
  await db.close();
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  t.false(store.objects.indexComplete);
  t.deepEqual(plainRows(await store.scan(SECONDARY, [1n, 1n])).map(([k]) => k), ['a', 'b'], 'more rows than asked for, none missing');
});
