// Scripted scenarios on the simulated cluster (src/sim/scripted.ts): the multi-server situations
// that the process tests exercise (join.test.ts, late-writes.test.ts, c-moves.test.ts,
// durability.test.ts), each made to happen at a chosen moment rather than by timing, checked by
// the simulator's checkers (every key linearizable, searches within bounds) and by what the
// scenario expects. Each also asserts that its situation really happened (from the durable
// batches, the holds and the cores' state), so that none can pass without testing anything.

import test, { ExecutionContext } from 'ava';
import { ServerId, SpaceLayout } from '../src/common/config';
import { Status } from '../src/common/protocol';
import { clientNode, daemon, Script } from '../src/sim/scripted';
import { Holdable } from '../src/sim/world';
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

/** Whether a hold kept a daemon's report that its copy of a region is done. */
function reported(kept: readonly Holdable[], regionId: number): boolean {
  return kept.some((h) => h.kind === 'message' && h.payload.type === 'to-coordinator' && h.payload.message.regionId === regionId);
}

// (b) late-writes.test.ts: writes that reach the old head of a region at the last moments of its
// move. W1 after the copy finished but before the coordinator switched heads; W2 after the switch,
// at an old head that has not heard of it yet; W3 whose batch lands after the old head heard.
for (const seed of SEEDS) {
  test(`seed ${seed}: late writes at the old head of a moving region are forwarded, not lost, and read back from the new head`, (t) => {
    const s = new Script({ seed });
    const [d1] = s.startDaemons(1);
    const space = s.addSpace(SPACE);
    const writer = s.client();
    s.putMany(writer, space, Array.from({ length: 40 }, (_, i) => [`o${i}`, { n: i, s: 'w0' }] as const));

    // A second daemon joins; d1 copies regions to it, but the coordinator hears nothing of it yet.
    const reports = s.holdMoveReports(d1);
    const d2 = s.addDaemon();
    s.until('a key region moves to d2', () => s.space('kv').subspaces[0].regions.some((r) => r.moving === d2), 100);
    const R = s.space('kv').subspaces[0].regions.find((r) => r.moving === d2)!.id;
    const inR = (key: string) => s.keyRegion(space, key).id === R;
    const k = s.findKey('o', inR);
    const k3 = s.findKey('o', (key) => inR(key) && key !== k);
    s.until(`d1 finishes copying region ${R}`, () => reported(reports.kept, R), 500);

    // W1: after the copy, before the switch.
    const w1 = s.put(writer, space, k, { n: 101, s: 'w1' });
    s.waitFor(w1);
    t.is(w1.reply?.status, Status.SUCCESS);
    const v1 = s.durablePuts({ daemon: d1, key: k, subspace: 0 }).pop()!;
    t.is(s.region(R, s.world.configs.get(v1.configVersion)!)!.region.moving, d2, 'W1 committed at d1 while its region was moving to d2');
    t.true(s.durablePuts({ daemon: d2, key: k, regionId: R }).some((p) => p.write.record.version === v1.write.record.version), 'W1 forwarded to d2');

    // The switch: d2 heads the region; d1 and the writer have not heard.
    const toD1 = s.holdConfigsTo(daemon(d1));
    const toWriter = s.holdConfigsTo(clientNode(writer));
    s.release(reports);
    s.until(`d2 heads region ${R}`, () => s.configOf(d2).spaces[0]?.subspaces[0].regions.find((r) => r.id === R)?.replicas[0] === d2, 100);
    const switched = s.core(d2).configVersion;
    t.true(s.core(d2).stats().awaitingHandoff > 0, 'd2 waits for the handoff of its new regions');
    // A reader that knows of the switch asks d2, which holds the read back until the handoff.
    const reader = s.client();
    s.until('the reader knows of the switch', () => s.clientVersion(reader) >= switched, 20);
    const early = s.get(reader, space, k);

    // W2: the old head applies it after the switch, not knowing.
    const w2 = s.put(writer, space, k, { n: 102, s: 'w2' });
    s.waitFor(w2);
    t.is(w2.reply?.status, Status.SUCCESS);
    t.is(w2.servedBy, d1);
    const v2 = s.durablePuts({ daemon: d1, key: k, subspace: 0 }).pop()!;
    t.true(v2.configVersion < switched, 'W2 committed at d1 under a configuration older than the switch');
    t.true(s.durablePuts({ daemon: d2, key: k, regionId: R }).some((p) => p.write.record.version === v2.write.record.version && p.configVersion >= switched), 'W2 reached d2 after it became head');
    t.false(s.done(early), 'd2 holds the read back until the handoff');

    // W3: its batch at d1 lands after d1 learned of the switch.
    const disk1 = s.holdDisk(d1);
    const w3 = s.put(writer, space, k3, { n: 103, s: 'w3' });
    s.until('W3 is committing at d1', () => disk1.kept.some((h) => h.kind === 'disk' && h.writes.some((w) => w.op === 'intent' && w.key.toString() === k3)), 50);
    s.release(toD1);
    s.until('d1 learns of the switch', () => s.core(d1).configVersion >= switched, 50);
    s.release(disk1);
    s.waitFor(w3);
    t.is(w3.reply?.status, Status.SUCCESS);
    const v3 = s.durablePuts({ daemon: d1, key: k3, subspace: 0 }).pop()!;
    t.true(v3.configVersion >= switched, 'W3 landed at d1 after d1 knew it no longer heads the region');
    t.true(s.durablePuts({ daemon: d2, key: k3, regionId: R }).some((p) => p.write.record.version === v3.write.record.version), 'W3 reached d2');

    s.release(toWriter);
    s.waitFor(early);
    s.settle();
    t.is(s.core(d2).stats().awaitingHandoff, 0);
    t.is(s.disk(d1).scan(R).length, 0, 'd1 dropped the region after handing it off');
    const reads = s.readBack(space, [k, k3]);
    t.true(reads.every((r) => r.servedBy === d2));
    t.deepEqual(s.valuesOf(reads[0]), { n: 102, s: 'w2', tags: new Set() });
    t.deepEqual(s.valuesOf(reads[1]), { n: 103, s: 'w3', tags: new Set() });
    t.deepEqual(s.valuesOf(early), { n: 102, s: 'w2', tags: new Set() }, 'the held read saw W2');
    t.deepEqual(s.expectLatest(s.readBack(space, Array.from({ length: 40 }, (_, i) => `o${i}`))), []);
    expectChecks(t, s);
  });
}
