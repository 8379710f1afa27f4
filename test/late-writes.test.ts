// A write whose LevelDB batch lands only after its region was copied to a new head: the copy
// could not include it (the copy reads a snapshot of LevelDB), so the write must follow the
// region there before it is acknowledged. The daemon answers most writes without waiting for
// anything (Daemon.writeNow) and judges then that nothing moves; this checks that it looks again
// when the batch is written.
//
// Two daemons in this process (to hold the first one's batches) against a real coordinator.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Client, HyperObject } from '../src/client/client';
import { ClusterConfig, findSpace, keyRegion, SpaceLayout } from '../src/common/config';
import { Daemon } from '../src/daemon/daemon';
import { LevelObjectStore } from '../src/daemon/storage';
import { SharedScope, startCoordinator } from './helpers/cluster';
import { holdBatches } from './helpers/failing-batch';

const scope = new SharedScope();
test.after.always(() => scope.close());

const SPACE = 'late';
const OBJECTS = 200;
const LATE = 24;
const SETTLE_MS_MAX = 60_000;

async function startDaemon(t: { teardown(fn: () => void | Promise<void>): void }, coordPort: number, lines: string[]): Promise<Daemon> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-late-'));
  const d = await Daemon.start({
    listenHost: '127.0.0.1',
    listenPort: 0,
    coordinatorHost: '127.0.0.1',
    coordinatorPort: coordPort,
    dataDir,
    log: (line, level) => {
      if (level !== 'debug') lines.push(`${level}: ${line}`);
    },
  });
  t.teardown(async () => {
    await d.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return d;
}

function layoutOf(c: Client): SpaceLayout {
  const layout = findSpace((c as unknown as { config: ClusterConfig }).config, SPACE);
  if (!layout) throw new Error(`no space ${SPACE} in the client's configuration`);
  return layout;
}

test('writes whose batch lands after their region moved reach the new head, index included', async (t) => {
  const coord = await startCoordinator(scope);
  const lines: string[] = [];
  const first = await startDaemon(t, coord.port, lines);
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 30_000 });
  t.teardown(() => c.close());
  await c.addSpace(`space ${SPACE} key k attributes string v, int n subspace n create 8 partitions`);
  for (let i = 0; i < OBJECTS; i++) await c.put(SPACE, `k${i}`, { v: 'old', n: i });
  // Read first: the daemon then knows these keys are absent, and writes them at once.
  const late = Array.from({ length: LATE }, (_, i) => `late${i}`);
  for (const k of late) t.is(await c.get(SPACE, k), null);

  const release = holdBatches((first as unknown as { store: LevelObjectStore }).store);
  let released = false;
  t.teardown(() => {
    if (!released) release();
  });
  const puts = late.map((k, i) => c.put(SPACE, k, { v: 'late', n: 1000 + i }));
  // A second daemon joins: regions move to it, copied from LevelDB without the held writes.
  const second = await startDaemon(t, coord.port, lines);
  const start = Date.now();
  const moved = () => {
    const regions = layoutOf(c).subspaces.flatMap((ss) => ss.regions);
    return regions.every((r) => r.moving === undefined) && regions.some((r) => r.replicas[0] === second.id);
  };
  while (!moved() && Date.now() - start < SETTLE_MS_MAX) await new Promise((r) => setTimeout(r, 50));
  t.true(moved(), `regions moved to the second daemon within ${SETTLE_MS_MAX} ms`);
  released = true;
  release();
  for (const r of await Promise.allSettled(puts)) t.is(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');

  // The test means something only if some of them fell in regions the second daemon took.
  const layout = layoutOf(c);
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
