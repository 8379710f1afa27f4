// Scripted scenarios on the simulated cluster (src/sim/scripted.ts): the multi-server situations
// that the process tests exercise (join.test.ts, late-writes.test.ts, c-moves.test.ts,
// durability.test.ts), each made to happen at a chosen moment rather than by timing, checked by
// the simulator's checkers (every key linearizable, searches within bounds) and by what the
// scenario expects. Each also asserts that its situation really happened (from the durable
// batches, the holds and the cores' state), so that none can pass without testing anything.

import test, { ExecutionContext } from 'ava';
import { ServerId, SpaceLayout } from '../src/common/config';
import { Status } from '../src/common/protocol';
import { Ready } from '../src/daemon/core/types';
import { HANDOFF_WAIT_TICKS } from '../src/daemon/core/core';
import { DECIDED_STATUSES } from '../src/sim/key-model';
import { Attrs, clientNode, coordinator, daemon, Script } from '../src/sim/scripted';
import { Hold, SimClient } from '../src/sim/world';
import { DEFAULT_PATIENCE, SPACE } from '../src/sim/workload';
import { cutPastTheHandoffWait, reported } from './helpers/sim-cut';

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

    // It really happened: clients wrote to regions while they moved to the new daemon (an old head
    // stored their writes while its configuration had the region moving there), the new daemon
    // received copies, and after the move it committed writes as point leader and answered clients.
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

// (b) late-writes.test.ts: writes that reach the old head of a region at the last moments of its
// move. W1 after the copy finished but before the coordinator switched heads; W2 after the switch,
// at an old head that has not heard of it yet; W3 whose batch lands after the old head heard.
for (const seed of SEEDS) {
  test(`seed ${seed}: late writes at the old head of a moving region are forwarded, not lost, and read back from the new head`, (t) => {
    const s = new Script({ seed });
    // A second daemon joins; d1 copies regions to it, but the coordinator hears nothing of it yet.
    const { d1, d2, space, R, reports, loader: writer } = copiedNotSwitched(s, 40);
    const inR = (key: string) => s.keyRegion(space, key).id === R;
    const k = s.findKey('o', inR);
    const k3 = s.findKey('o', (key) => inR(key) && key !== k);

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

/**
 * A key led by `leader` and two objects for it whose secondary regions differ in every secondary
 * subspace and are all headed by other daemons: a write from one to the other must add the object
 * to one region and remove it from another, over the network, in each subspace.
 */
function keyAndMove(s: Script, space: SpaceLayout, leader: ServerId): { key: string; before: Attrs; after: Attrs } {
  const key = s.findKey('c', (k) => s.keyRegion(space, k).replicas[0] === leader);
  const elsewhere = (attrs: Attrs) => [1, 2].map((i) => s.regionOf(space, i, key, attrs)).filter((r) => r.replicas[0] !== leader);
  // n is an ordered axis cut in four: one value in each quarter of the int64 range.
  const quarters = [-(2n ** 63n), -(2n ** 62n), 0n, 2n ** 62n].map((q) => q + 7n);
  const candidates: Attrs[] = [];
  for (let i = 0; i < 32; i++) candidates.push({ n: quarters[i % 4], s: `s${i}` });
  const usable = candidates.filter((a) => elsewhere(a).length === 2);
  for (const before of usable)
    for (const after of usable) if ([1, 2].every((i) => s.regionOf(space, i, key, before).id !== s.regionOf(space, i, key, after).id)) return { key, before, after };
  throw s.error('no pair of objects moves between regions headed elsewhere');
}

/** The chain updates of a key's write at `version` that a step decided to send. */
function chainUpdatesOf(ready: Ready, key: string, version: number): number {
  return ready.send.filter((x) => x.message.type === 'update' && !x.message.transfer && x.message.key.toString() === key && x.message.record.version === version).length;
}

/** Searches on each secondary attribute for both objects, and a get, after the dust settled. */
function searchesAndGetAgree(t: ExecutionContext, s: Script, space: SpaceLayout, key: string, before: Attrs, after: Attrs): void {
  const c = s.client();
  const get = s.get(c, space, key);
  const found = [before, after].flatMap((attrs) => Object.entries(attrs).map(([name, v]) => ({ attrs: { [name]: v }, op: s.search(c, space, s.where(space, { [name]: v })) })));
  s.waitFor([get, ...found.map((f) => f.op)]);
  const got = s.valuesOf(get)!;
  t.truthy(got);
  for (const f of found) {
    const keys = f.op.reply?.kind === 'search' ? f.op.reply.objects.map((o) => o.key.toString()) : undefined;
    const [name, v] = Object.entries(f.attrs)[0];
    t.is(keys?.includes(key), String(got[name]) === String(v), `a search for ${name} = ${v} and the get (n = ${got.n}, s = ${got.s as string}) agree`);
  }
}

// (c) durability.test.ts, and what no process test can time: the point leader crashes between
// making a write durable (with its intent) and hearing that the secondary regions applied it.
for (const seed of SEEDS) {
  test(`seed ${seed}: the point leader crashes after persisting a write, before any secondary update leaves; it redoes the chain at restart`, (t) => {
    const s = new Script({ seed });
    const [leader] = s.startDaemons(3);
    const space = s.addSpace(SPACE);
    const { key, before, after } = keyAndMove(s, space, leader);
    const writer = s.client();
    s.waitFor(s.put(writer, space, key, before));

    // Crash the leader in the very step that made the write durable and decided its updates.
    let crashedAt: number | undefined;
    s.onStep((d, _ev, ready) => {
      if (d !== leader || chainUpdatesOf(ready, key, 2) === 0) return;
      s.crash(leader);
      crashedAt = s.now;
      return true;
    });
    const w = s.put(writer, space, key, after);
    s.until('the leader crashes mid-chain', () => crashedAt !== undefined, 50);
    t.deepEqual(
      s.disk(leader).intentsHeld().map((i) => [i.key.toString(), i.version]),
      [[key, 2]],
      'the write and its intent are durable at the leader',
    );
    const gains = [1, 2].map((i) => s.regionOf(space, i, key, after));
    t.true(gains.every((r) => s.disk(r.replicas[0]).scan(r.id).every(([k]) => k.toString() !== key)), 'no secondary region has the new object yet');

    s.run(20);
    s.restart(leader);
    s.until('the leader redoes the chain and clears the intent', () => s.available(leader) && s.disk(leader).intentsHeld().length === 0, 300);
    for (const r of gains) t.true(s.durablePuts({ daemon: r.replicas[0], regionId: r.id, key }).some((p) => p.tick > crashedAt! && p.write.record.version === 2), `region ${r.id} got the object after the restart`);
    s.waitFor(w);
    t.is(w.ret, undefined, 'the client never learned the outcome');
    s.settle();
    searchesAndGetAgree(t, s, space, key, before, after);
    expectChecks(t, s);
  });

  test(`seed ${seed}: the point leader crashes after the secondaries applied a write, before their acks arrive; the redone chain leaves no stale copy`, (t) => {
    const s = new Script({ seed });
    const [leader] = s.startDaemons(3);
    const space = s.addSpace(SPACE);
    const { key, before, after } = keyAndMove(s, space, leader);
    const writer = s.client();
    s.waitFor(s.put(writer, space, key, before));

    // The regions that gain the object apply it; their acks never reach the leader.
    const acks = s.holdMessages('acks to the leader', (_from, to, p) => to.kind === 'daemon' && to.id === leader && p.type === 'peer' && p.message.type === 'ack');
    const w = s.put(writer, space, key, after);
    const gains = [1, 2].map((i) => s.regionOf(space, i, key, after));
    const losses = [1, 2].map((i) => s.regionOf(space, i, key, before));
    s.until('the gaining regions applied the write', () => gains.every((r) => s.disk(r.replicas[0]).peek({ spaceId: space.id, subspace: 0, regionId: r.id }, Buffer.from(key))?.version === 2), 100);
    t.true(losses.every((r) => s.disk(r.replicas[0]).scan(r.id).some(([k]) => k.toString() === key)), 'the losing regions still hold the old object');
    const crashedAt = s.now;
    s.crash(leader);
    s.release(acks);
    t.deepEqual(s.disk(leader).intentsHeld().map((i) => i.version), [2]);

    s.run(20);
    s.restart(leader);
    s.until('the leader redoes the chain and clears the intent', () => s.available(leader) && s.disk(leader).intentsHeld().length === 0, 300);
    s.waitFor(w);
    s.settle();
    t.true(losses.every((r) => s.disk(r.replicas[0]).scan(r.id).every(([k]) => k.toString() !== key)), 'the losing regions dropped the object after the restart');
    t.true(s.history.filter((h) => h.call < crashedAt).length > 0);
    searchesAndGetAgree(t, s, space, key, before, after);
    expectChecks(t, s);
  });
}

/**
 * One daemon with a space and some objects; a second joins and d1 copies regions to it. Returns
 * when d1 has finished copying a key region R, with the coordinator not told yet (`reports`).
 */
function copiedNotSwitched(s: Script, objects = 20): { d1: ServerId; d2: ServerId; space: SpaceLayout; R: number; reports: Hold; loader: SimClient } {
  const [d1] = s.startDaemons(1);
  const space = s.addSpace(SPACE);
  const loader = s.client();
  s.putMany(loader, space, Array.from({ length: objects }, (_, i) => [`o${i}`, { n: i, s: 'w0' }] as const));
  const reports = s.holdMoveReports(d1);
  const d2 = s.addDaemon();
  s.until('a key region moves to d2', () => s.space('kv').subspaces[0].regions.some((r) => r.moving === d2), 100);
  const R = s.space('kv').subspaces[0].regions.find((r) => r.moving === d2)!.id;
  s.until(`d1 finishes copying region ${R}`, () => reported(reports.kept, R), 500);
  return { d1, d2, space, R, reports, loader };
}

// (d) The old head of a moving region loses its link to the coordinator just as the coordinator
// takes its report: it never hears of the switch, and keeps taking writes from clients that have
// not heard either. The new head holds the region's requests until the handoff, which comes when
// the link heals (before HANDOFF_WAIT_TICKS); what the old head took meanwhile reaches it.
for (const seed of SEEDS) {
  test(`seed ${seed}: the old head is cut from the coordinator as its region moves; the new head holds the region until the handoff`, (t) => {
    const s = new Script({ seed });
    const { d1, d2, space, R, reports } = copiedNotSwitched(s);
    const key = s.findKey('o', (k) => s.keyRegion(space, k).id === R);
    const old = s.client(); // a client that will not hear of the switch either
    const toD1 = s.holdConfigsTo(daemon(d1));
    const toOld = s.holdConfigsTo(clientNode(old));
    s.release(reports);
    s.until(`the coordinator makes d2 head of region ${R}`, () => s.keyRegion(space, key).replicas[0] === d2 && s.core(d2).configVersion === s.config().version, 50);
    const cut = s.partition(daemon(d1), coordinator);
    const cutAt = s.now;

    // Clients that know of the switch ask d2, which holds them back; the others still reach d1.
    const fresh = s.client();
    s.until('a client hears of the switch', () => s.clientVersion(fresh) === s.config().version, 20);
    const a1 = s.put(old, space, key, { n: 201, s: 'a1' });
    s.run(5);
    const heldGet = s.get(fresh, space, key);
    const heldPut = s.put(fresh, space, key, { n: 301, s: 'b1' });
    s.waitFor(a1);
    const a2 = s.put(old, space, key, { n: 202, s: 'a2' });
    s.waitFor(a2);
    const oldGet = s.get(old, space, key);
    s.waitFor(oldGet);
    s.run(HANDOFF_WAIT_TICKS / 2 - (s.now - cutAt));
    t.true([a1, a2, oldGet].every((op) => op.servedBy === d1 && op.reply?.status === Status.SUCCESS), 'd1 kept serving clients that had not heard');
    t.false(s.done(heldGet) || s.done(heldPut), 'd2 holds the region back while d1 has not handed it off');
    t.true(s.core(d2).stats().awaitingHandoff > 0);
    t.true(s.core(d1).configVersion < s.core(d2).configVersion, 'd1 never heard of the switch');
    t.true(s.world.configs.get(s.core(d1).configVersion)!.spaces[0].subspaces[0].regions.find((r) => r.id === R)!.moving === d2);

    cut.heal();
    s.release(toD1);
    s.release(toOld);
    s.waitFor([heldGet, heldPut]);
    t.true(heldGet.ret! > cutAt + HANDOFF_WAIT_TICKS / 2 && heldGet.servedBy === d2);
    t.deepEqual(s.valuesOf(heldGet), { n: 202, s: 'a2', tags: new Set() }, 'the held read sees what d1 took meanwhile');
    s.settle();
    t.is(s.disk(d1).scan(R).length, 0, 'd1 handed the region off and dropped it');
    const [after] = s.readBack(space, [key]);
    t.deepEqual(s.valuesOf(after), { n: 301, s: 'b1', tags: new Set() });
    t.deepEqual(s.expectLatest(s.readBack(space, Array.from({ length: 20 }, (_, i) => `o${i}`))), []);
    expectChecks(t, s);
  });
}

// (e) key-operations.test.ts (rm_space), with writes caught at every stage when the space goes:
// one whose chain updates are on the wire, one whose batch is not yet on the leader's disk, one
// queued behind it for the same key, one sent by a client that has not heard of the removal.
for (const seed of SEEDS) {
  test(`seed ${seed}: a space is removed while writes to it are in flight; they succeed or get UNKNOWNSPACE, and the other space is unaffected`, (t) => {
    const s = new Script({ seed });
    const daemons = s.startDaemons(3);
    const kv = s.addSpace(SPACE);
    const tmp = s.addSpace(SPACE.replace('space kv', 'space tmp'));
    const kvLoad = s.keepBusy([s.client(), s.client()], kv, HOT);
    const tmpLoad = s.keepBusy([s.client(), s.client()], tmp, HOT);
    s.run(60);

    const c = s.client();
    const chain = s.holdMessages('chain updates of tmp', (_from, _to, p) => p.type === 'peer' && p.message.type === 'update' && p.message.spaceId === tmp.id);
    const onWire = s.put(c, tmp, 'x1', { n: 1, s: 'a' });
    s.until('its chain is on the wire', () => chain.kept.some((h) => h.kind === 'message' && h.payload.type === 'peer' && h.payload.message.type === 'update' && h.payload.message.key.toString() === 'x1'), 50);
    const leader = s.keyRegion(tmp, 'x2').replicas[0];
    const disk = s.holdDisk(leader);
    const unwritten = s.put(c, tmp, 'x2', { n: 2, s: 'b' });
    const queued = s.put(c, tmp, 'x2', { n: 3, s: 'c' });
    s.until('its batch waits for the disk', () => disk.kept.some((h) => h.kind === 'disk' && h.writes.some((w) => w.op === 'intent' && w.spaceId === tmp.id && w.key.toString() === 'x2')), 50);
    const late = s.client();
    const toLate = s.holdConfigsTo(clientNode(late));

    s.rmSpace('tmp');
    const removedAt = s.now;
    s.until('every daemon knows the space is gone', () => daemons.every((d) => s.core(d).configVersion === s.config().version), 20);
    t.false(s.done(onWire) || s.done(unwritten) || s.done(queued), 'three writes in flight at the removal');
    const afterwards = s.put(late, tmp, 'x4', { n: 4, s: 'd' });
    s.release(chain);
    s.release(disk);
    s.waitFor([onWire, unwritten, queued, afterwards]);
    s.release(toLate);
    s.run(40);
    tmpLoad.stop();
    kvLoad.stop();
    s.until('the clients to finish', () => tmpLoad.running + kvLoad.running === 0, 1_000);
    s.settle();

    const decided: number[] = [Status.SUCCESS, Status.UNKNOWNSPACE];
    for (const op of [onWire, unwritten, queued]) t.true(decided.includes(op.reply?.status ?? -1), `status ${op.reply?.status}`);
    t.is(afterwards.reply?.status, Status.UNKNOWNSPACE, 'a request for the removed space is refused');
    t.is(afterwards.servedBy, s.keyRegion(tmp, 'x4').replicas[0]);
    // Writes to tmp ended with an outcome the point leader decided, UNKNOWNSPACE, or the client's
    // own refusal once its configuration had no such space; never a storage error.
    const allowed = new Set<number>([...DECIDED_STATUSES, Status.UNKNOWNSPACE, Status.RECONFIGURE]);
    const tmpOps = s.history.filter((h) => h.request.spaceId === tmp.id);
    t.true(tmpOps.every((h) => h.reply === undefined || allowed.has(h.reply.status)), JSON.stringify(tmpOps.map((h) => h.reply?.status)));
    t.true(tmpOps.some((h) => h.reply?.status === Status.UNKNOWNSPACE));
    for (const d of daemons) {
      t.is(s.disk(d).rowsOfSpace(tmp.id), 0, `d${d} keeps nothing of tmp`);
      t.false(s.disk(d).intentsHeld().some((i) => i.spaceId === tmp.id));
      t.true(s.durable.some((b) => b.daemon === d && b.writes.some((w) => w.op === 'drop-space' && w.spaceId === tmp.id)));
    }
    t.true(s.history.some((h) => h.request.spaceId === kv.id && h.request.kind === 'write' && h.call > removedAt && h.reply?.status === Status.SUCCESS), 'kv kept taking writes');
    t.true(s.readBack(kv, HOT).every((r) => r.reply?.status === Status.SUCCESS || r.reply?.status === Status.NOTFOUND));
    expectChecks(t, s);
  });
}

// (f) durability.test.ts, for every daemon in turn: each crashes under load (losing the batches
// its disk had not written) and restarts on its data; every acknowledged write is read back.
for (const seed of SEEDS) {
  test(`seed ${seed}: every daemon restarts in turn, with its data, under load; every acknowledged write is read back`, (t) => {
    // Clients give up on a crashed daemon after the random runs' timeout, not a scenario's long one.
    const s = new Script({ seed, patience: DEFAULT_PATIENCE });
    const daemons = s.startDaemons(3);
    const space = s.addSpace(SPACE);
    const loader = s.client();
    const preload = Array.from({ length: 60 }, (_, i) => [`p${i}`, { n: i, s: `p${i}` }] as const);
    s.putMany(loader, space, preload);
    const writers = [s.client(), s.client(), s.client(), s.client()];
    const own = (c: SimClient) => Array.from({ length: 4 }, (_, i) => `w${c.id}-${i}`);
    const putting = s.keepPutting(writers, space, own, (count, c) => ({ n: count, s: `c${c.id}-${count}` }));
    const load = s.keepBusy([s.client(), s.client()], space, HOT);
    s.run(40);

    const restartedAt = new Map<ServerId, number>();
    for (const d of daemons) {
      t.true(s.disk(d).scan(s.keyRegion(space, preload.find(([k]) => s.keyRegion(space, k).replicas[0] === d)![0]).id).length > 0, `d${d} holds data when it crashes`);
      s.crash(d);
      s.run(30);
      s.restart(d);
      restartedAt.set(d, s.now);
      s.until(`d${d} is back`, () => s.available(d) && s.core(d).configVersion === s.config().version, 50);
      s.run(60);
    }
    putting.stop();
    load.stop();
    s.until('the clients to finish', () => putting.running + load.running === 0, 2_000);
    s.settle();

    const keys = [...preload.map(([k]) => k), ...writers.flatMap(own)];
    const reads = s.readBack(space, keys);
    t.deepEqual(s.expectLatest(reads), []);
    // It really happened: each daemon crashed and came back with its data: it serves the objects
    // written before its crash, and took writes after its restart.
    for (const d of daemons) {
      t.is(s.world.daemons.get(d)!.incarnation, 2);
      t.true(reads.some((r) => r.servedBy === d && r.request.kind === 'get' && r.request.key.toString().startsWith('p') && r.reply?.status === Status.SUCCESS), `d${d} serves what was written before its crash`);
      t.true(s.history.some((h) => h.servedBy === d && h.request.kind === 'write' && h.call > restartedAt.get(d)! && h.reply?.status === Status.SUCCESS), `d${d} took writes after its restart`);
    }
    t.true(s.history.some((h) => h.request.kind === 'write' && h.ret === undefined), 'some writes were caught by a crash');
    t.true(putting.operations > 40, `puts: ${putting.operations}`);
    expectChecks(t, s);
  });
}


// (g) Past HANDOFF_WAIT_TICKS: the old head of a moving region, cut from the coordinator as the
// coordinator switched the region, takes a write from a client that has not heard either. The new
// head, no longer waiting for the handoff, refuses its forward: the old head gives the write up
// (SERVERERROR) rather than sending it for ever, and hands the region off once the cut heals.
for (const seed of SEEDS) {
  test(`seed ${seed}: past the handoff bound, a write at the cut-off old head, refused by the new head, is given up with SERVERERROR; the region is handed off`, (t) => {
    const s = new Script({ seed });
    const { d1, d2, space, R, old, heal } = cutPastTheHandoffWait(s, HANDOFF_WAIT_TICKS * 2);
    const key = s.findKey('o', (k) => s.keyRegion(space, k).id === R);
    // The history records a SERVERERROR as an outcome unknown (no reply): watch d1's answers, and
    // the refusals of its forwards.
    const answers: number[] = [];
    let refused = 0;
    s.onStep((d, ev, ready) => {
      if (d !== d1) return;
      for (const r of ready.replies) if (r.client === old.id && r.reply.kind === 'write') answers.push(r.reply.status);
      if (ev.type === 'peer' && ev.from === d2 && ev.message.type === 'ack' && ev.message.status === Status.RECONFIGURE) refused++;
    });
    const late = s.put(old, space, key, { n: 201, s: 'late' });
    s.run(20);
    heal();
    s.waitFor(late, 1_000);
    t.true(refused > 0, 'd2 refused the late write forwarded to it');
    t.deepEqual(answers, [Status.SERVERERROR], 'd1 gives the late write up and says so');
    t.is(late.servedBy, d1);
    s.settle(2_000);
    t.is(s.disk(d1).scan(R).length, 0, 'd1 handed the region off and dropped it');
  });
}

// (h) No fault at all: the point leader of a key is the destination of a secondary region's move.
// Its update reaches the region's old head, which forwards it to the region's next head (the
// leader itself), so the leader's copy of the region holds the object as written at the switch.
for (const seed of SEEDS) {
  test(`seed ${seed}: a write whose point leader is the destination of its secondary region's move reaches that region's new head`, (t) => {
    const s = new Script({ seed });
    const [d1] = s.startDaemons(1);
    const space = s.addSpace(SPACE);
    const c = s.client();
    // Which regions move to d2 is decided when it registers: hold d1's reports from the start.
    const reports = s.holdMoveReports(d1);
    const d2 = s.addDaemon();
    s.until('a region of every subspace moves to d2', () => s.space('kv').subspaces.every((ss) => ss.regions.some((r) => r.moving === d2)), 100);
    const movingTo2 = (i: number) => s.space('kv').subspaces[i].regions.find((r) => r.moving === d2)!.id;
    const R = movingTo2(0);
    const S = movingTo2(2);
    // A key of R (so d2 becomes its point leader) and two objects whose s lies in S.
    const key = s.findKey('k', (k) => s.keyRegion(space, k).id === R);
    const inS: Attrs[] = [];
    for (let i = 0; i < 1_000 && inS.length < 2; i++) if (s.regionOf(space, 2, key, { n: 1, s: `s${i}` }).id === S) inS.push({ n: 1, s: `s${i}` });
    const [before, after] = inS;
    s.waitFor(s.put(c, space, key, before));
    s.until('d1 has copied R and S', () => reported(reports.kept, R) && reported(reports.kept, S), 300);

    // R switches to d2 (and is handed off); S's switch waits.
    const sReport = s.holdMoveReports(d1, S);
    s.release(reports);
    s.until('d2 leads the key, d1 knows', () => s.keyRegion(space, key).replicas[0] === d2 && s.core(d2).stats().awaitingHandoff === 0 && s.core(d1).configVersion === s.config().version, 300);
    t.is(s.region(S)!.region.moving, d2);
    const write = s.put(c, space, key, after);
    s.waitFor(write);
    t.is(write.servedBy, d2);
    t.is(write.reply?.status, Status.SUCCESS);
    s.release(sReport);
    s.until('S switches to d2', () => s.region(S)!.region.replicas[0] === d2, 100);
    s.settle();

    t.deepEqual(
      s.disk(d2).scan(S).map(([k, r]) => [k.toString(), r.version]),
      [[key, 2]],
      'the new head of S holds the object as written',
    );
    const get = s.get(c, space, key);
    const search = s.search(c, space, s.where(space, { s: after.s }));
    s.waitFor([get, search]);
    t.deepEqual(s.valuesOf(get), { n: 1, s: after.s, tags: new Set() });
    t.deepEqual(search.reply?.kind === 'search' && search.reply.objects.map((o) => o.key.toString()), [key], 'a search finds the object by its new value');
    const check = s.check();
    t.true(check.ok, check.problem);
  });
}

// The checks above would see a lost write: a record erased behind the cluster's back fails them.
test('the checks are not blind: a key record lost from a disk fails the read-back and linearizability', (t) => {
  const s = new Script({ seed: 1 });
  s.startDaemons(2);
  const space = s.addSpace(SPACE);
  const c = s.client();
  s.waitFor(s.put(c, space, 'k', { n: 1, s: 'a' }));
  s.settle();
  const region = s.keyRegion(space, 'k');
  const disk = s.disk(region.replicas[0]);
  disk.begin(-1, [{ op: 'del', regionId: region.id, spaceId: space.id, subspace: 0, key: Buffer.from('k') }]);
  disk.complete(-1);
  const reads = s.readBack(space, ['k']);
  t.is(reads[0].reply?.status, Status.NOTFOUND);
  t.is(s.expectLatest(reads).length, 1);
  t.false(s.check().ok);
});

test('the checks are not blind: an object lost from a secondary region fails the search check', (t) => {
  const s = new Script({ seed: 1 });
  s.startDaemons(2);
  const space = s.addSpace(SPACE);
  const c = s.client();
  s.waitFor(s.put(c, space, 'k', { n: 1, s: 'a' }));
  s.settle();
  const region = s.regionOf(space, 1, 'k', { n: 1, s: 'a' });
  const disk = s.disk(region.replicas[0]);
  disk.begin(-1, [{ op: 'del', regionId: region.id, spaceId: space.id, subspace: 1, key: Buffer.from('k') }]);
  disk.complete(-1);
  const search = s.search(c, space, s.where(space, { n: 1 }));
  s.waitFor(search);
  t.deepEqual(search.reply?.kind === 'search' && search.reply.objects, []);
  const check = s.check();
  t.false(check.ok);
  t.regex(check.problem ?? '', /search/);
});

test('a script replays exactly: the same trace twice, holds and all', (t) => {
  const run = () => {
    const s = new Script({ seed: 3 });
    const { d1, R, reports } = copiedNotSwitched(s);
    const toD1 = s.holdConfigsTo(daemon(d1));
    s.release(reports);
    s.run(30);
    s.release(toD1);
    s.settle();
    t.is(s.disk(d1).scan(R).length, 0);
    return s.world.trace!;
  };
  const first = run();
  t.true(first.length > 100, `${first.length} lines`);
  t.deepEqual(run(), first);
});
