// What only the LevelDB DaemonStore (src/daemon/store/level.ts) has to get right: records in the
// formats already on disk, tombstones in its cache, its memory index through tombstones, drops and
// failed batches, and stores from before the index.

import test from 'ava';
import { ClassicLevel } from 'classic-level';
import * as fs from 'node:fs';

import { LevelDaemonStore } from '../src/daemon/store/level';
import { COORD_MAX } from '../src/daemon/store/checks';
import { failBatches, failNextBatchLater, gateReads, levelDb } from './helpers/failing-batch';
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

/** Bytes from numbers of a given width (big-endian), strings and bytes, for records written by hand. */
function bytes(...parts: ([number, 1 | 2 | 4 | 8] | string | Buffer)[]): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'string') return Buffer.from(p, 'latin1');
      if (Buffer.isBuffer(p)) return p;
      const [n, width] = p;
      const b = Buffer.alloc(width);
      b.writeUIntBE(n, width - Math.min(width, 6), Math.min(width, 6));
      return b;
    }),
  );
}

/** Writes LevelDB entries by hand in `dir` (with the index marker unless `marker` is false). */
async function writeByHand(dir: string, entries: [Buffer, Buffer][], marker = true): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  if (marker) await db.put(Buffer.from('m:index-1', 'latin1'), Buffer.alloc(0));
  for (const [k, v] of entries) await db.put(k, v);
  await db.close();
}

const objectKeyOf = (spaceId: number, subspace: number, regionId: number, k: string) => bytes('r', [spaceId, 4], [subspace, 2], [regionId, 4], k);

test('records in the formats on disk (1; 2 with its index entry; 3, a tombstone) read back as they were', async (t) => {
  const dir = place(t);
  // Format 1: version 4, two values; format 2: version 4, coordinate 9, the same values; format 3: version 5.
  const twoValues = bytes([2, 2], [1, 4], 'x', [1, 4], 'y');
  const indexed = bytes([2, 1], [4, 8], [9, 8], twoValues);
  await writeByHand(dir, [
    [objectKeyOf(1, 0, 10, 'a'), bytes([1, 1], [4, 8], twoValues)],
    [objectKeyOf(1, 0, 10, 'dead'), bytes([3, 1], [5, 8])],
    [objectKeyOf(1, 1, 20, 'a'), indexed],
    [bytes('x', [1, 4], [1, 2], [20, 4], [9, 8], 'a'), indexed],
  ]);
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  t.true(store.memory.indexComplete);
  t.deepEqual(plain(await store.load(KEYS, key('a'))), { version: 4, values: ['x', 'y'] });
  t.deepEqual(plain(await store.load(KEYS, key('dead'))), { version: 5, values: null });
  t.deepEqual(plain(await store.load(SECONDARY, key('a'))), { version: 4, values: ['x', 'y'] });
  t.deepEqual(plainRows(await store.scan(SECONDARY, [9n, 9n])), [['a', { version: 4, values: ['x', 'y'] }]], 'from the memory index');
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)), [['a', { version: 4, values: ['x', 'y'] }]], 'from the index in LevelDB');
  // And a later write through the store finds the old index entry to replace.
  await store.write([put(SECONDARY, key('a'), 5, values('z'), 11n)]);
  t.deepEqual(await store.scan(SECONDARY, [9n, 9n]), []);
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)), [['a', { version: 5, values: ['z'] }]]);
  t.deepEqual(await levelDb(store).keys({ gte: Buffer.from('x'), lt: Buffer.from('y') }).all(), [bytes('x', [1, 4], [1, 2], [20, 4], [11, 8], 'a')]);
});

test('a tombstone is cached, and a load of one after a reopen is cached as one', async (t) => {
  const dir = place(t);
  const store = await LevelDaemonStore.open(dir);
  await store.write([put(KEYS, key('live'), 1, values('x')), tombstone(KEYS, key('dead'), 2)]);
  t.deepEqual(plain(store.peek(KEYS, key('dead'))), { version: 2, values: null }, 'the cache keeps the tombstone');
  t.deepEqual(plainRows(await store.scan(KEYS)), [['dead', { version: 2, values: null }], ['live', { version: 1, values: ['x'] }]]);
  await store.close();
  const again = await LevelDaemonStore.open(dir);
  t.teardown(() => again.close());
  t.is(again.peek(KEYS, key('dead')), undefined, 'not known before a read');
  t.deepEqual(plain(await again.load(KEYS, key('dead'))), { version: 2, values: null });
  t.deepEqual(plain(again.peek(KEYS, key('dead'))), { version: 2, values: null }, 'a load of a tombstone is cached as one');
});

test('the memory index holds one entry per secondary object, never a tombstone, and follows drops', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  const m = store.memory;
  await store.write([
    put(SECONDARY, key('a'), 1, values('a'), 1n),
    put(SECONDARY, key('b'), 1, values('b'), 2n),
    put(region(1, 1, 21), key('a'), 1, values('a'), 1n),
    tombstone(KEYS, key('a'), 3),
  ]);
  t.is(m.coords.size, 3);
  await store.write([put(SECONDARY, key('a'), 2, values('a2'), 5n)]);
  t.is(m.coords.size, 3, 'a move replaces the entry');
  t.deepEqual(m.scan(SECONDARY, 1n, 1n), []);
  t.deepEqual(plainRows(m.scan(SECONDARY, 5n, 5n)!), [['a', { version: 2, values: ['a2'] }]]);
  await store.write([dropRegion(SECONDARY)]);
  t.is(m.coords.size, 1);
  t.deepEqual(m.scan(SECONDARY, 0n, 10n), []);
  t.is(m.scan(region(1, 1, 21), 0n, 10n)?.length, 1, 'another region keeps its entries');
});

test('a failed batch with a write of the same object queued behind it leaves one index entry', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  await store.write([put(SECONDARY, key('k'), 1, values('v1'), 1n)]);
  const fail = failNextBatchLater(store);
  const first = store.write([put(SECONDARY, key('k'), 2, values('v2'), 2n)]);
  // One turn: the batch is with LevelDB (its write waits); the next write queues behind it,
  // deleting the entry the first would leave (coordinate 2).
  await nextTurn();
  t.true((store as unknown as { writes: { writing: boolean } }).writes.writing, 'the first batch is being written');
  const second = store.write([put(SECONDARY, key('k'), 3, values('v3'), 3n)]);
  fail();
  await t.throwsAsync(first, { message: 'injected write failure' });
  await second;
  t.deepEqual(await store.scan(SECONDARY, [1n, 1n]), [], 'the entry the failed write would have deleted is gone too');
  t.deepEqual(await store.scan(SECONDARY, [2n, 2n]), []);
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)), [['k', { version: 3, values: ['v3'] }]]);
  t.is(store.memory.coords.size, 1);
  t.is(store.memory.scan(SECONDARY, 0n, 10n)?.length, 1, 'memory answers again: the key was written since');
});

test('a failed batch: write() rejects, memory forgets what it said, the store goes on', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  await store.write([put(KEYS, key('a'), 1, values('x')), intent(1, key('a'), 1, null, values('x'))]);
  const restore = failBatches(store);
  await t.throwsAsync(store.write([put(KEYS, key('a'), 2, values('y')), intent(1, key('a'), 2, values('x'), values('y')), put(SECONDARY, key('a'), 2, values('y'), 4n)]));
  t.is(store.peek(KEYS, key('a')), undefined, 'the cache no longer answers for the key');
  t.deepEqual(plainIntents(store.intents()).map((i) => i.version), [1], 'intents(): as the last completed batch left them');
  t.is(store.memory.scan(SECONDARY, 4n, 4n), undefined, 'nor does the memory index');
  restore();
  t.deepEqual(plain(await store.load(KEYS, key('a'))), { version: 1, values: ['x'] }, 'nothing of the failed batch is in LevelDB');
  t.deepEqual(await store.scan(SECONDARY, WHOLE), []);
  t.deepEqual(await store.scan(SECONDARY, [4n, 4n]), []);
  await store.write([put(SECONDARY, key('a'), 3, values('z'), 4n)]);
  t.deepEqual(plainRows(await store.scan(SECONDARY, [4n, 4n])), [['a', { version: 3, values: ['z'] }]]);
});

test('a failed drop leaves the index entries of its region unknown until each is written again', async (t) => {
  const store = await LevelDaemonStore.open(place(t));
  t.teardown(() => store.close());
  await store.write([put(SECONDARY, key('a'), 1, values('a'), 1n), put(SECONDARY, key('b'), 1, values('b'), 1n)]);
  const restore = failBatches(store);
  await t.throwsAsync(store.write([dropRegion(SECONDARY)]), { message: /injected/ });
  restore();
  t.is(store.memory.scan(SECONDARY, 1n, 1n), undefined, 'memory does not answer for a region LevelDB may or may not hold');
  t.deepEqual(plainRows(await store.scan(SECONDARY, [1n, 1n])).map(([k]) => k), ['a', 'b'], 'LevelDB does: nothing of the drop was written');
  await store.write([put(SECONDARY, key('a'), 2, values('a2'), 2n)]);
  t.is(store.memory.scan(SECONDARY, 1n, 1n), undefined, 'b is still unknown');
  await store.write([put(SECONDARY, key('b'), 2, values('b2'), 1n)]);
  t.deepEqual(plainRows(store.memory.scan(SECONDARY, 1n, 2n)!).sort(), [['a', { version: 2, values: ['a2'] }], ['b', { version: 2, values: ['b2'] }]]);
  t.deepEqual(plainRows(await store.scan(SECONDARY, WHOLE)).map(([k]) => k), ['b', 'a'], 'one entry each in LevelDB too');
});

test('a load in flight when a drop of its region completes does not leave the dropped record in the cache', async (t) => {
  const dir = place(t);
  const first = await LevelDaemonStore.open(dir);
  await first.write([put(KEYS, key('k'), 1, values('old'))]);
  await first.close();
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  const { haveRead, open, restore } = gateReads(store);
  const loading = store.load(KEYS, key('k'));
  // The read has the old record from LevelDB and waits; the drop completes meanwhile.
  await haveRead;
  await store.write([dropRegion(KEYS)]);
  open();
  t.deepEqual(plain(await loading), { version: 1, values: ['old'] }, 'the load began before the drop');
  t.not(plain(store.peek(KEYS, key('k')))?.version, 1, 'but the cache did not keep it');
  restore();
  t.is(await store.load(KEYS, key('k')), null);
});

test('in a store from before the index, an interval scan reads the whole region', async (t) => {
  const dir = place(t);
  // What a daemon from before the index left: records of format 1 in a secondary subspace, no
  // index entries, no marker.
  const record = (v: string) => bytes([1, 1], [1, 8], [1, 2], [v.length, 4], v);
  await writeByHand(dir, [[objectKeyOf(1, 1, 20, 'a'), record('a')], [objectKeyOf(1, 1, 20, 'b'), record('b')]], false);
  const store = await LevelDaemonStore.open(dir);
  t.teardown(() => store.close());
  t.false(store.memory.indexComplete);
  t.deepEqual(plain(await store.load(SECONDARY, key('a'))), { version: 1, values: ['a'] });
  t.deepEqual(plainRows(await store.scan(SECONDARY, [1n, 1n])).map(([k]) => k), ['a', 'b'], 'more rows than asked for, none missing');
  // A write through the store indexes its object, but the rest stay unindexed: still the whole region.
  await store.write([put(SECONDARY, key('c'), 1, values('c'), 7n)]);
  t.deepEqual(plainRows(await store.scan(SECONDARY, [7n, 7n])).map(([k]) => k), ['a', 'b', 'c']);
  await store.close();
  const again = await LevelDaemonStore.open(dir);
  t.teardown(() => again.close());
  t.false(again.memory.indexComplete, 'and says so after a reopen');
});
