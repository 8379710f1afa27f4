// A daemon killed with SIGKILL and restarted on the same data directory serves every write it
// acknowledged: 10,000 acknowledged puts, the kill while more are still in flight, then a check
// of every acknowledged one.

import test from 'ava';
import { Client } from '../src/client/client';
import { SharedScope, startCoordinator, startDaemon, tempDir } from './helpers/cluster';

const ACKED_BEFORE_KILL = 10_000;
const WINDOW = 256;

test('SIGKILL after 10,000 acknowledged writes loses none of them', async (t) => {
  t.timeout(120_000);
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  const coord = await startCoordinator(scope);
  const dataDir = tempDir(scope, 'durable');
  const daemon = await startDaemon(scope, coord, { dataDir });
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000 });
  t.teardown(() => c.close());
  await c.addSpace('space durable key k attributes string v, int n');

  // Keep WINDOW puts in flight; record each one the daemon acknowledged.
  const acked = new Set<number>();
  let next = 0;
  let killed = false;
  let failedAfterKill = 0;
  const worker = async () => {
    while (!killed && next < ACKED_BEFORE_KILL * 2) {
      const i = next++;
      try {
        if (await c.put('durable', `key-${i}`, { v: `value-${i}`, n: i })) acked.add(i);
      } catch {
        if (!killed) throw new Error(`put ${i} failed before the kill`);
        failedAfterKill++;
      }
      if (acked.size >= ACKED_BEFORE_KILL && !killed) {
        killed = true;
        process.kill(daemon.pid, 'SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  t.true(killed);
  t.true(acked.size >= ACKED_BEFORE_KILL);
  await daemon.exited;
  t.log(`${acked.size} puts acknowledged, ${failedAfterKill} in flight at the kill`);

  // Restart on the same directory; the client follows the new configuration.
  const again = await startDaemon(scope, coord, { dataDir });
  t.is(again.serverId, daemon.serverId);
  const ids = [...acked];
  const missing: number[] = [];
  for (let start = 0; start < ids.length; start += WINDOW) {
    const batch = ids.slice(start, start + WINDOW);
    const objs = await Promise.all(batch.map((i) => c.get('durable', `key-${i}`)));
    objs.forEach((o, j) => {
      const i = batch[j];
      if (!o || o.v !== `value-${i}` || o.n !== i) missing.push(i);
    });
  }
  t.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged writes missing or wrong`);
});
