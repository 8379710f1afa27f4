// Scripted scenarios on the simulated cluster (src/sim/scripted.ts): the multi-server situations
// that the process tests exercise (join.test.ts, late-writes.test.ts, c-moves.test.ts,
// durability.test.ts), each made to happen at a chosen moment rather than by timing, checked by
// the simulator's checkers (every key linearizable, searches within bounds) and by what the
// scenario expects. Each also asserts that its situation really happened (from the durable
// batches, the holds and the cores' state), so that none can pass without testing anything.

import test, { ExecutionContext } from 'ava';
import { ServerId, SpaceLayout } from '../src/common/config';
import { Status } from '../src/common/protocol';
import { Script } from '../src/sim/scripted';
import { SPACE } from '../src/sim/workload';

/** The seeds each scenario runs under: the situation must happen, and check, under every one. */
const SEEDS = [1, 2, 3, 4, 5];

/** Keys the busy clients work on: a few per region, so that every region sees writes. */
const HOT = Array.from({ length: 16 }, (_, i) => `h${i}`);
const PRELOAD = 120;

/** Regions of a space that a daemon heads, per subspace. */
function headed(space: SpaceLayout, id: ServerId): number[] {
  return space.subspaces.map((ss) => ss.regions.filter((r) => r.replicas[0] === id).length);
}

function noMoves(space: SpaceLayout): boolean {
  return space.subspaces.every((ss) => ss.regions.every((r) => r.moving === undefined));
}

function expectChecks(t: ExecutionContext, s: Script): void {
  const c = s.check();
  t.true(c.ok, c.problem);
}

// (a) join.test.ts, c-moves.test.ts: a daemon joins under load.
for (const seed of SEEDS) {
  test(`seed ${seed}: a daemon joins while four clients write; regions move to it and it heads its share`, (t) => {
    const s = new Script({ seed });
    s.startDaemons(3);
    const space = s.addSpace(SPACE);
    // Objects enough that copying a region takes a while, and hot keys in every key region.
    const loader = s.client();
    const preload = Array.from({ length: PRELOAD }, (_, i) => [`p${i}`, { n: i % 7, s: `v${i}` }] as const);
    s.putMany(loader, space, preload);
    const load = s.keepBusy([s.client(), s.client(), s.client(), s.client()], space, HOT);
    s.run(40);

    const joined = s.addDaemon();
    const share = space.subspaces.map((ss) => Math.floor(ss.regions.length / 4));
    s.until(
      `d${joined} heads its share and has been handed every region`,
      () => s.available(joined) && noMoves(s.space('kv')) && headed(s.space('kv'), joined).every((n, i) => n >= share[i]) && s.core(joined).stats().awaitingHandoff === 0,
      3_000,
    );
    const movedAt = s.now;
    s.run(60); // the new head serves its regions under load
    load.stop();
    s.until('the clients to finish', () => load.running === 0, 1_000);
    s.settle();
    const reads = s.readBack(space, HOT);
    t.true(reads.every((r) => r.reply?.status === Status.SUCCESS || r.reply?.status === Status.NOTFOUND));
    // The preloaded objects, of which many moved, read back as written.
    t.deepEqual(s.expectLatest(s.readBack(space, preload.map(([key]) => key))), []);
    expectChecks(t, s);

    // It really happened: clients wrote to regions while they moved to the new daemon (the point
    // leader committed them with its region marked moving there), the new daemon received copies,
    // and after the move it committed writes as point leader and answered reads.
    const now = s.space('kv');
    const movedHere = now.subspaces.flatMap((ss) => ss.regions.filter((r) => r.replicas[0] === joined && r.handoffFrom !== undefined && r.handoffFrom !== joined).map((r) => r.id));
    t.true(movedHere.length >= 3, `regions moved to d${joined}: ${movedHere}`);
    // At a region's old head, a put while the region moves is a client's write (copies go the other way).
    const whileMoving = s.durablePuts().filter((p) => p.daemon !== joined && s.region(p.write.regionId, s.world.configs.get(p.configVersion)!)?.region.moving === joined);
    t.true(whileMoving.length > 0, 'a client write reached a region while it was moving to the new daemon');
    t.true(s.durablePuts({ daemon: joined }).some((p) => movedHere.includes(p.write.regionId) && s.region(p.write.regionId, s.world.configs.get(p.configVersion)!)?.region.moving === joined), 'copies reached the new daemon during the move');
    t.true(s.durable.some((b) => b.daemon === joined && b.tick > movedAt && b.writes.some((w) => w.op === 'intent' && w.intent !== null)), 'the new daemon committed writes as point leader');
    t.true(s.history.some((h) => h.servedBy === joined && h.call > movedAt && h.reply?.status === Status.SUCCESS), 'the new daemon answered clients');
    t.true(load.operations > 50, `operations: ${load.operations}`);
  });
}
