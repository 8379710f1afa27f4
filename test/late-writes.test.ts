// A write whose store batch lands only after its region was copied to a new head: the copy could
// not include it (the copy reads the store as of one moment), so the write must follow the region
// there before it is acknowledged. The core judges where a write goes once its batch is written;
// this checks that on real processes, with the first daemon's batches held back.
//
// Two daemons in this process (to hold the first one's batches) against a real coordinator.

import test from 'ava';

import { Client, HyperObject } from '../src/client/client';
import { keyRegion } from '../src/common/config';
import { openDefaultStore, ShellStore } from '../src/daemon/daemon';
import { SharedScope, startCoordinator } from './helpers/cluster';
import { clientSpaceLayout } from './helpers/client-config';
import { startInProcessDaemon } from './helpers/in-process-daemon';
import { StoreWrite } from '../src/daemon/core/types';

const scope = new SharedScope();
test.after.always(() => scope.close());

const SPACE = 'late';
const OBJECTS = 200;
const LATE = 24;
const SETTLE_MS_MAX = 60_000;


/**
 * The store a daemon opens, with a switch: while held, its batches wait unwritten (in order) until
 * let go, as a slow disk's would.
 */
function holdable(open: (dir: string) => Promise<ShellStore>) {
  let held: { writes: readonly StoreWrite[]; done: (p: Promise<void>) => void }[] | undefined;
  let inner: ShellStore | undefined;
  const openStore = async (dir: string): Promise<ShellStore> => {
    const s = (inner = await open(dir));
    return {
      peek: (r, k) => s.peek(r, k),
      load: (r, k) => s.load(r, k),
      scan: (r, i) => s.scan(r, i),
      intents: () => s.intents(),
      close: () => s.close(),
      write: (writes) => (held ? new Promise<void>((resolve, reject) => held!.push({ writes, done: (p) => p.then(resolve, reject) })) : s.write(writes)),
    };
  };
  const hold = () => {
    held = [];
    return () => {
      const waiting = held ?? [];
      held = undefined;
      for (const w of waiting) w.done(inner!.write(w.writes));
    };
  };
  return { openStore, hold };
}

test('writes whose batch lands after their region moved reach the new head, index included', async (t) => {
  const coord = await startCoordinator(scope);
  const lines: string[] = [];
  const store = holdable(openDefaultStore);
  await startInProcessDaemon(t, coord, lines, 'late', store.openStore);
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 30_000 });
  t.teardown(() => c.close());
  await c.addSpace(`space ${SPACE} key k attributes string v, int n subspace n create 8 partitions`);
  for (let i = 0; i < OBJECTS; i++) await c.put(SPACE, `k${i}`, { v: 'old', n: i });
  // Read first: the daemon then knows these keys are absent, and writes them at once.
  const late = Array.from({ length: LATE }, (_, i) => `late${i}`);
  for (const k of late) t.is(await c.get(SPACE, k), null);

  const release = store.hold();
  let released = false;
  t.teardown(() => {
    if (!released) release();
  });
  const puts = late.map((k, i) => c.put(SPACE, k, { v: 'late', n: 1000 + i }));
  // A second daemon joins: regions move to it, copied from LevelDB without the held writes.
  const second = await startInProcessDaemon(t, coord, lines, 'late');
  const start = Date.now();
  const moved = () => {
    const regions = clientSpaceLayout(c, SPACE).subspaces.flatMap((ss) => ss.regions);
    return regions.every((r) => r.moving === undefined) && regions.some((r) => r.replicas[0] === second.id);
  };
  while (!moved() && Date.now() - start < SETTLE_MS_MAX) await new Promise((r) => setTimeout(r, 50));
  t.true(moved(), `regions moved to the second daemon within ${SETTLE_MS_MAX} ms`);
  released = true;
  release();
  for (const r of await Promise.allSettled(puts)) t.is(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');

  // The test means something only if some of them fell in regions the second daemon took.
  const layout = clientSpaceLayout(c, SPACE);
  t.true(late.some((k) => keyRegion(layout, Buffer.from(k)).replicas[0] === second.id), 'some late keys are in regions that moved');
  for (const [i, k] of late.entries()) {
    const got = await c.get(SPACE, k);
    t.deepEqual(got && { v: got.v, n: Number(got.n) }, { v: 'late', n: 1000 + i }, `get ${k}`);
  }
  // And the secondary subspace's copies: a search by n finds each.
  for (const [i, k] of late.entries()) {
    const found: HyperObject[] = [];
    for await (const o of c.search(SPACE, { n: 1000 + i })) found.push(o);
    t.deepEqual(found.map((o) => String(o.k)), [k], `search n = ${1000 + i}`);
  }
  t.deepEqual(lines.filter((l) => l.startsWith('error')), []);
});
