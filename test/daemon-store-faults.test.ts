// The fault-injecting DaemonStore (src/daemon/store/faulty.ts): each fault does what it says, a
// seed replays its faults, and after a crash and a reopen the store holds every acknowledged batch
// and nothing of the dropped ones.

import test from 'ava';
import * as fs from 'node:fs';

import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../src/daemon/core/types';
import { Rng } from '../src/sim/rng';
import { Faults, FaultyStore } from '../src/daemon/store/faulty';
import { LevelDaemonStore } from '../src/daemon/store/level';
import { MemoryDaemonStore, MemoryDisk } from '../src/daemon/store/memory';
import { DaemonStore, StoreError } from '../src/daemon/store/types';
import { intent, key, plain, put, region, tempDir, values } from './helpers/daemon-store';

const KEYS = region(1, 0, 10);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof StoreError ? e.code : `not a StoreError: ${(e as Error).message}`;
  }
}

const batchOf = (i: number): StoreWrite[] => [put(KEYS, key(`${i}a`), 1, values(`${i}`)), put(KEYS, key(`${i}b`), 1, values(`${i}`)), intent(1, key(`${i}`), 1, null, values(`${i}`))];

/** Which writes of batchOf(i) the store holds: 0 to 3, counting from the first; -1 if not a prefix. */
async function heldOf(store: DaemonStore, i: number): Promise<number> {
  const held = [(await store.load(KEYS, key(`${i}a`))) !== null, (await store.load(KEYS, key(`${i}b`))) !== null, store.intents().some((x) => x.key.toString() === `${i}`)];
  const n = held.filter(Boolean).length;
  return held.slice(0, n).every(Boolean) ? n : -1;
}

test('fail: nothing of the batch is applied, write() rejects, later batches go on', async (t) => {
  const disk = new MemoryDisk();
  const store = new FaultyStore(new MemoryDaemonStore(disk), 7, { failRate: 1 });
  t.teardown(() => store.close());
  t.is(await code(store.write(batchOf(0))), 'STORE_FAULT');
  t.is(await heldOf(store, 0), 0);
  t.like(store.log[0], { fault: 'fail', outcome: 'failed' });
  store.setFaults({});
  t.is(await code(store.write(batchOf(1))), 'ok');
  t.is(await heldOf(store, 1), 3);
  t.false(store.crashed);
});

test('slow: a batch waits some turns before it is applied, later ones wait behind it, all settle in order', async (t) => {
  const store = new FaultyStore(new MemoryDaemonStore(), 11, { slowRate: 1, slowTurnsMax: 5 });
  t.teardown(() => store.close());
  const first = store.write(batchOf(0));
  // A load takes no turn of the event loop; the slow batch waits at least one.
  t.is(await store.load(KEYS, key('0a')), null, 'not applied yet');
  const settled: number[] = [];
  const rest: Promise<void>[] = [];
  for (let i = 1; i < 30; i++) rest.push(store.write(batchOf(i)).then(() => void settled.push(i)));
  await first;
  t.deepEqual(plain(await store.load(KEYS, key('0a'))), { version: 1, values: ['0'] });
  await Promise.all(rest);
  t.deepEqual(
    settled,
    Array.from({ length: 29 }, (_, i) => i + 1),
  );
  for (const r of store.log) {
    t.is(r.fault, 'slow');
    t.true(r.turns >= 1 && r.turns <= 5, `batch ${r.batch} waited ${r.turns} turns`);
    t.is(r.outcome, 'applied');
  }
  for (let i = 0; i < 30; i++) t.is(await heldOf(store, i), 3);
});

test('torn: a prefix of the batch is applied, then the store crashes and refuses every call', async (t) => {
  const disk = new MemoryDisk();
  const store = new FaultyStore(new MemoryDaemonStore(disk), 3, { tornRate: 1 });
  const torn = store.write(batchOf(0));
  store.setFaults({});
  const behind = store.write(batchOf(1));
  t.is(await code(torn), 'STORE_FAULT');
  t.is(await code(behind), 'STORE_CRASHED', 'a batch behind the torn one is dropped');
  const k = store.log[0].prefix;
  t.true(k >= 1 && k <= 2, `${k} of 3 writes applied`);
  t.like(store.log[0], { fault: 'torn', outcome: 'torn' });
  t.like(store.log[1], { fault: 'none', outcome: 'dropped' });
  t.true(store.crashed);
  t.is(await code(store.write(batchOf(2))), 'STORE_CRASHED');
  t.is(await code(store.load(KEYS, key('0a'))), 'STORE_CRASHED');
  t.is(await code(store.scan(KEYS)), 'STORE_CRASHED');
  t.is(store.peek(KEYS, key('0a')), undefined);
  t.throws(() => store.intents(), { instanceOf: StoreError });
  await store.close();
  const reopened = new MemoryDaemonStore(disk);
  t.teardown(() => reopened.close());
  t.is(await heldOf(reopened, 0), k, 'exactly the prefix');
  t.is(await heldOf(reopened, 1), 0);
});

test('a torn batch of one write applies nothing and crashes', async (t) => {
  const disk = new MemoryDisk();
  const store = new FaultyStore(new MemoryDaemonStore(disk), 3, { tornRate: 1 });
  t.is(await code(store.write([put(KEYS, key('a'), 1, values('x'))])), 'STORE_FAULT');
  t.is(store.log[0].prefix, 0);
  t.true(store.crashed);
  await store.close();
  const reopened = new MemoryDaemonStore(disk);
  t.teardown(() => reopened.close());
  t.is(await reopened.load(KEYS, key('a')), null);
});

/** crash() after the first batch completes, the others still waiting their turns (slow). */
async function crashAfterFirst(t: import('ava').ExecutionContext, inner: DaemonStore): Promise<FaultyStore> {
  const store = new FaultyStore(inner, 5, { slowRate: 1, slowTurnsMax: 3 });
  const writes = Array.from({ length: 10 }, (_, i) => store.write(batchOf(i)));
  await writes[0];
  store.crash();
  for (let i = 1; i < 10; i++) t.is(await code(writes[i]), 'STORE_CRASHED', `batch ${i}`);
  t.deepEqual(
    store.log.map((r) => r.outcome),
    ['applied', ...Array(9).fill('dropped')],
  );
  await store.close();
  return store;
}

test('crash() over memory: after a reopen, only the completed batch is there', async (t) => {
  const disk = new MemoryDisk();
  await crashAfterFirst(t, new MemoryDaemonStore(disk));
  const reopened = new MemoryDaemonStore(disk);
  t.teardown(() => reopened.close());
  t.is(await heldOf(reopened, 0), 3);
  for (let i = 1; i < 10; i++) t.is(await heldOf(reopened, i), 0, `batch ${i}`);
});

test('crash() over LevelDB: after a reopen, only the completed batch is there', async (t) => {
  const dir = tempDir('daemon-store-crash');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  await crashAfterFirst(t, await LevelDaemonStore.open(dir));
  const reopened = await LevelDaemonStore.open(dir);
  t.teardown(() => reopened.close());
  t.is(await heldOf(reopened, 0), 3);
  for (let i = 1; i < 10; i++) t.is(await heldOf(reopened, i), 0, `batch ${i}`);
});

/** A memory store whose writes wait for a gate: a batch can be caught inside it. */
class GatedStore implements DaemonStore {
  entered: Promise<void>;
  private enter: () => void = () => undefined;
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly inner: MemoryDaemonStore) {
    this.entered = new Promise((resolve) => (this.enter = resolve));
  }

  release(): void {
    this.open();
  }

  peek(a: RegionAddress, k: Buffer): StoredRecord | null | undefined {
    return this.inner.peek(a, k);
  }
  load(a: RegionAddress, k: Buffer): Promise<StoredRecord | null> {
    return this.inner.load(a, k);
  }
  async write(writes: readonly StoreWrite[]): Promise<void> {
    this.enter();
    await this.gate;
    return this.inner.write(writes);
  }
  scan(a: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    return this.inner.scan(a, interval);
  }
  intents(): readonly Intent[] {
    return this.inner.intents();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

test('crash() while a batch is in the store underneath: it stays, but its acknowledgement is lost', async (t) => {
  const disk = new MemoryDisk();
  const gated = new GatedStore(new MemoryDaemonStore(disk));
  const store = new FaultyStore(gated, 9);
  const w = store.write(batchOf(0));
  await gated.entered;
  store.crash();
  gated.release();
  t.is(await code(w), 'STORE_CRASHED');
  t.is(store.log[0].outcome, 'unacknowledged');
  await store.close();
  const reopened = new MemoryDaemonStore(disk);
  t.teardown(() => reopened.close());
  t.is(await heldOf(reopened, 0), 3);
});

/** Runs `batches` batches through a FaultyStore over memory, crashing after batch `crashAt` settles (if any). */
async function run(seed: number, faults: Faults, batches: number, crashAt: number | undefined): Promise<{ store: FaultyStore; disk: MemoryDisk; results: string[] }> {
  const disk = new MemoryDisk();
  const store = new FaultyStore(new MemoryDaemonStore(disk), seed, faults);
  const writes = Array.from({ length: batches }, (_, i) => {
    const p = store.write(batchOf(i));
    // Registered now, so it runs as the batch settles, before the next batch takes its turn.
    if (i === crashAt) p.then(() => store.crash(), () => store.crash());
    return code(p);
  });
  const results = await Promise.all(writes);
  await store.close();
  return { store, disk, results };
}

test('a seed replays the same faults', async (t) => {
  const faults: Faults = { failRate: 0.2, slowRate: 0.4, tornRate: 0.05, slowTurnsMax: 4 };
  const a = await run(42, faults, 40, undefined);
  const b = await run(42, faults, 40, undefined);
  t.deepEqual(b.store.log, a.store.log);
  t.deepEqual(b.results, a.results);
  const c = await run(43, faults, 40, undefined);
  t.notDeepEqual(
    c.store.log.map((r) => r.fault),
    a.store.log.map((r) => r.fault),
    'another seed, other faults',
  );
});

test('mixed faults and crashes, many seeds: the store holds every acknowledged batch and exactly what the log says', async (t) => {
  const SEEDS = 40;
  const BATCHES = 24;
  const seen = new Map<string, number>();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rng = new Rng(seed);
    const crashAt = rng.chance(0.5) ? rng.below(BATCHES) : undefined;
    const { store, disk, results } = await run(seed, { failRate: 0.15, slowRate: 0.35, tornRate: 0.04, slowTurnsMax: 3 }, BATCHES, crashAt);
    const reopened = new MemoryDaemonStore(disk);
    let crashed = false;
    for (let i = 0; i < BATCHES; i++) {
      const r = store.log[i];
      seen.set(r.outcome!, (seen.get(r.outcome!) ?? 0) + 1);
      const held = await heldOf(reopened, i);
      const want = r.outcome === 'applied' || r.outcome === 'unacknowledged' ? 3 : r.outcome === 'torn' ? r.prefix : 0;
      if (held !== want) t.fail(`seed ${seed} batch ${i}: ${r.fault}/${r.outcome} holds ${held} of 3, want ${want}`);
      if (results[i] === 'ok' && r.outcome !== 'applied') t.fail(`seed ${seed} batch ${i}: acknowledged but ${r.outcome}`);
      if (crashed && r.outcome !== 'dropped') t.fail(`seed ${seed} batch ${i}: after the crash, ${r.outcome}`);
      if (r.outcome === 'torn' || (crashAt !== undefined && i === crashAt)) crashed = true;
    }
    await reopened.close();
  }
  t.log(Object.fromEntries(seen));
  for (const outcome of ['applied', 'failed', 'torn', 'dropped']) t.true((seen.get(outcome) ?? 0) > 0, `some batch was ${outcome}`);
});
