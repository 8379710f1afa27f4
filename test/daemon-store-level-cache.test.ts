// The LevelDB store's grouped writes and its cache of the key subspace (src/daemon/store/level.ts,
// level-writes.ts, object-cache.ts), on a real LevelDB in a temp directory: the batches of one turn
// as one LevelDB batch, what peek says and when, and when a load must not keep what it read.

import test from 'ava';

import { LevelDaemonStore } from '../src/daemon/store/level';
import { CACHE_OBJECTS_DEFAULT, cacheObjectsFromEnv } from '../src/daemon/store/object-cache';
import { tempDir } from './helpers/cluster';
import { gateReads, levelDb } from './helpers/failing-batch';
import { del, key, plain, put, region, tombstone, values } from './helpers/daemon-store';

const KEYS = region(1, 0, 7);
const SECONDARY = region(1, 1, 2);

/** Counts the LevelDB batches the store writes from here on. */
function countBatches(store: LevelDaemonStore): () => number {
  const db = levelDb(store) as unknown as { batch(): unknown };
  const realBatch = db.batch.bind(db);
  let n = 0;
  db.batch = () => {
    n++;
    return realBatch();
  };
  return () => n;
}

test('batches written in one turn go to LevelDB as one batch, all resolve, and a reopened store finds them', async (t) => {
  const dir = tempDir(t, 'level-cache');
  const s = await LevelDaemonStore.open(dir);
  const batches = countBatches(s);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) writes.push(s.write([put(KEYS, key(i), i + 1, values(`v${i}`))]));
  writes.push(s.write([del(KEYS, key(3))]));
  await Promise.all(writes);
  t.is(batches(), 1, 'one LevelDB batch for the turn');
  await s.close();
  const again = await LevelDaemonStore.open(dir);
  t.teardown(() => again.close());
  t.is(again.peek(KEYS, key(0)), undefined, 'a new store knows nothing of the key subspace before reading');
  t.deepEqual(plain(await again.load(KEYS, key(499))), { version: 500, values: ['v499'] });
  t.is(await again.load(KEYS, key(3)), null);
  t.is((await again.scan(KEYS)).length, 499);
});

test('close waits for the batches still queued, which a reopened store finds', async (t) => {
  const dir = tempDir(t, 'level-cache');
  const s = await LevelDaemonStore.open(dir);
  const w = s.write([put(SECONDARY, key('a'), 1, values('x'), 5n)]);
  await s.close();
  await w;
  const again = await LevelDaemonStore.open(dir);
  t.teardown(() => again.close());
  t.deepEqual(plain(await again.load(SECONDARY, key('a'))), { version: 1, values: ['x'] });
});

test('peek says what the last completed batch left, and not before it completes', async (t) => {
  const s = await LevelDaemonStore.open(tempDir(t, 'level-cache'));
  t.teardown(() => s.close());
  const w = s.write([put(KEYS, key('k'), 1, values('one'))]);
  t.is(s.peek(KEYS, key('k')), undefined, 'not before the batch is written');
  await w;
  t.deepEqual(plain(s.peek(KEYS, key('k'))), { version: 1, values: ['one'] });
  t.is(s.peek(region(1, 0, 8), key('k')), undefined, 'regions are told apart');
  await s.write([del(KEYS, key('k'))]);
  t.is(s.peek(KEYS, key('k')), null, 'a delete leaves "no record"');
  await s.write([tombstone(KEYS, key('k'), 2)]);
  t.deepEqual(plain(s.peek(KEYS, key('k'))), { version: 2, values: null }, 'a tombstone is cached as one');
});

test('a load that a write overtakes does not leave its stale result in the cache', async (t) => {
  const dir = tempDir(t, 'level-cache');
  const first = await LevelDaemonStore.open(dir);
  await first.write([put(KEYS, key('k'), 1, values('old'))]);
  await first.close();
  // A cache of one record: the write's record leaves it again before the load ends, so only the
  // load's own care keeps the old record out.
  const s = await LevelDaemonStore.open(dir, 1);
  t.teardown(() => s.close());
  const { haveRead, open, restore } = gateReads(s);
  const loading = s.load(KEYS, key('k'));
  // The read has the old record from LevelDB and waits; the write completes meanwhile, and another
  // key's write pushes it out of the cache.
  await haveRead;
  await s.write([put(KEYS, key('k'), 2, values('new'))]);
  await s.write([put(KEYS, key('other'), 1, values('o'))]);
  open();
  t.deepEqual(plain(await loading), { version: 1, values: ['old'] }, 'the load began before the write');
  restore();
  t.not(plain(s.peek(KEYS, key('k')))?.version, 1, 'but the cache did not keep what it read');
  t.deepEqual(plain(await s.load(KEYS, key('k'))), { version: 2, values: ['new'] });
});

test('the cache is bounded, oldest out, and what left it is read from LevelDB', async (t) => {
  const s = await LevelDaemonStore.open(tempDir(t, 'level-cache'), 3);
  t.teardown(() => s.close());
  for (let i = 0; i < 5; i++) await s.write([put(KEYS, key(i), 1, values(`v${i}`))]);
  t.is(s.peek(KEYS, key(0)), undefined);
  t.is(s.peek(KEYS, key(1)), undefined);
  for (const i of [2, 3, 4]) t.deepEqual(plain(s.peek(KEYS, key(i))), { version: 1, values: [`v${i}`] });
  t.deepEqual(plain(await s.load(KEYS, key(0))), { version: 1, values: ['v0'] });
  t.deepEqual(plain(s.peek(KEYS, key(0))), { version: 1, values: ['v0'] }, 'a load brings it back');
  t.is(s.peek(KEYS, key(2)), undefined, 'and pushes the oldest out');
});

test('HYPERDEX_CACHE_OBJECTS sets the cache size; a bad value is refused', (t) => {
  t.is(cacheObjectsFromEnv({}), CACHE_OBJECTS_DEFAULT);
  t.is(cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: '0' }), 0);
  t.is(cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: '5000' }), 5000);
  for (const bad of ['-1', '1.5', 'many']) t.throws(() => cacheObjectsFromEnv({ HYPERDEX_CACHE_OBJECTS: bad }), { message: /HYPERDEX_CACHE_OBJECTS/ });
});

test('with the cache off, every load goes to LevelDB and still sees every batch', async (t) => {
  const s = await LevelDaemonStore.open(tempDir(t, 'level-cache'), 0);
  t.teardown(() => s.close());
  await s.write([put(KEYS, key('k'), 1, values('one'))]);
  t.is(s.peek(KEYS, key('k')), undefined);
  t.deepEqual(plain(await s.load(KEYS, key('k'))), { version: 1, values: ['one'] });
  t.is(s.peek(KEYS, key('k')), undefined, 'nor does a load fill it');
  await s.write([put(KEYS, key('k'), 2, values('two'))]);
  t.deepEqual(plain(await s.load(KEYS, key('k'))), { version: 2, values: ['two'] });
});

test('records of the secondary subspaces are not cached; the key subspace keeps its cache', async (t) => {
  const s = await LevelDaemonStore.open(tempDir(t, 'level-cache'), 4);
  t.teardown(() => s.close());
  for (let i = 0; i < 4; i++) await s.write([put(KEYS, key(i), 1, values(`v${i}`))]);
  for (let i = 0; i < 50; i++) await s.write([put(SECONDARY, key(i), 1, values(`w${i}`), BigInt(i))]);
  await s.load(SECONDARY, key(1));
  for (let i = 0; i < 4; i++) t.deepEqual(plain(s.peek(KEYS, key(i))), { version: 1, values: [`v${i}`] });
  t.is(s.peek(SECONDARY, key(0)), undefined);
  t.deepEqual(plain(await s.load(SECONDARY, key(49))), { version: 1, values: ['w49'] });
});
