// The memory index (src/daemon/memindex.ts), from which the LevelDB store answers interval scans
// of a few coordinates (store/level-memory.ts): checked against the index LevelDB holds, read here
// past the store, through random puts, coordinate changes, deletes, arena relocations, rows
// rewritten in place, reopening, a dropped space and a failed batch; and, through a real cluster,
// searches and counts against a model through updates that move objects between groups, deletes
// and a daemon restart.

import test from 'ava';

import { Client } from '../src/client/client';
import { RegionAddress, StoredRecord } from '../src/daemon/core/types';
import { MemoryIndex, MemoryRows } from '../src/daemon/memindex';
import { LevelDaemonStore } from '../src/daemon/store/level';
import { indexRange, INDEX_KEY_START } from '../src/daemon/store/level-keys';
import { decodeRecord } from '../src/daemon/store/level-records';
import { SharedScope, startCoordinator, startDaemon, stopProcess, tempDir } from './helpers/cluster';
import { del, dropSpace, put, region } from './helpers/daemon-store';
import { failBatches, levelDb } from './helpers/failing-batch';
import { Rng } from './helpers/rng';

const SIGN = 1n << 63n;
const MAX = (1n << 64n) - 1n;
/** Coordinates of int64 values near zero (as most are) and far from it (string bucket keys). */
const COORDS = [SIGN - 3n, SIGN - 1n, SIGN, SIGN + 1n, SIGN + 2n, SIGN + 40n, 0n, 1n, MAX - 1n, MAX];
/** Where objects go: the region checked, and others with the same coordinates that must not show. */
const PLACES: RegionAddress[] = [region(1, 1, 3), region(1, 1, 4), region(1, 2, 3), region(2, 1, 3)];

function valuesOf(bytes: Buffer, from: number, end: number): string[] {
  const out: string[] = [];
  for (let at = from; at < end; at += 4 + bytes.readUInt32BE(at)) out.push(bytes.subarray(at + 4, at + 4 + bytes.readUInt32BE(at)).toString());
  return out;
}

function memRows(m: MemoryRows): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.count; i++) {
    const at = m.pos[3 * i];
    const klen = m.pos[3 * i + 1];
    out.push(`${m.arena.toString('latin1', at, at + klen)}=${valuesOf(m.arena, at + klen, m.pos[3 * i + 2]).join(',')}@${m.versions[i]}`);
  }
  return out;
}

const rowText = ([k, r]: readonly [Buffer, StoredRecord]) => `${k.toString('latin1')}=${r.values!.map((v) => v.toString()).join(',')}@${r.version}`;

/** The index entries LevelDB holds for [lo, hi] of a region, read past the store. */
async function levelRows(s: LevelDaemonStore, a: RegionAddress, lo: bigint, hi: bigint): Promise<string[]> {
  if (lo > hi) return [];
  const entries = await levelDb(s).iterator(indexRange(a.spaceId, a.subspace, a.regionId, lo, hi)).all();
  return entries.map(([k, v]) => rowText([k.subarray(INDEX_KEY_START), decodeRecord(v)]));
}

/** Memory answers every coordinate and a few narrow intervals of every place, as LevelDB's index has them. */
async function agree(t: import('ava').ExecutionContext, s: LevelDaemonStore, when: string): Promise<void> {
  const intervals: [bigint, bigint][] = [...COORDS.map((c): [bigint, bigint] => [c, c]), [SIGN - 3n, SIGN + 2n], [SIGN + 3n, SIGN + 39n], [MAX - 1n, MAX], [5n, 4n]];
  for (const a of PLACES)
    for (const [lo, hi] of intervals) {
      const m = s.memory.scan(a, lo, hi);
      if (!m) return t.fail(`${when}: memory does not answer [${lo}, ${hi}] of ${JSON.stringify(a)}`);
      const want = await levelRows(s, a, lo, hi);
      // Order within one coordinate is not promised: compare as sets (the coordinate order is
      // checked in the MemoryIndex model test).
      t.deepEqual(m.map(rowText).sort(), want.sort(), `${when}: rows of ${JSON.stringify(a)} in [${lo}, ${hi}]`);
      // And the store's scan answers from memory the same.
      if (lo <= hi) t.deepEqual((await s.scan(a, [lo, hi])).map(rowText).sort(), want.sort(), `${when}: scan of ${JSON.stringify(a)} in [${lo}, ${hi}]`);
    }
}

function randomValues(version: number, rng: Rng): Buffer[] {
  // Values of varied length, so that rows change size and arenas relocate many times; and half of
  // one length, so that rows are also rewritten in place (same coordinate, same size).
  return [Buffer.from(`v${version}-`.padEnd(rng.int(2) === 0 ? 40 : 1 + rng.int(300), 'x')), Buffer.from(`w${version % 10}`)];
}

test('memory answers narrow interval scans as the index in LevelDB, through puts, moves, deletes, relocations, reopening and a dropped space', async (t) => {
  const dir = tempDir(t, 'memidx');
  let s = await LevelDaemonStore.open(dir);
  t.teardown(() => s.close());
  const rng = new Rng(23);
  let version = 0;
  const step = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const a = PLACES[rng.int(PLACES.length)];
      const k = Buffer.from(`k${rng.int(150)}`);
      if (rng.int(5) === 0) await s.write([del(a, k)]);
      else await s.write([put(a, k, ++version, randomValues(version, rng), COORDS[rng.int(COORDS.length)])]);
    }
  };
  await agree(t, s, 'empty');
  for (let round = 0; round < 6; round++) {
    await step(400);
    await agree(t, s, `round ${round}`);
  }
  // Batches written together (one LevelDB batch): memory changes with the batch, all at once.
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.write([put(PLACES[0], Buffer.from(`b${i % 50}`), ++version, randomValues(version, rng), COORDS[i % COORDS.length])])));
  await agree(t, s, 'after one batch');

  // Rows handed out stay as they were through later writes, however the arena moves and whatever
  // is rewritten in place.
  const before = await s.scan(PLACES[0], [SIGN, SIGN]);
  const snapshot = before.map(rowText);
  t.true(snapshot.length > 0);
  // Each row rewritten where it is (same coordinate, values of the same sizes), then many writes.
  for (const [k, r] of before) await s.write([put(PLACES[0], Buffer.from(k), ++version, r.values!.map((v) => Buffer.alloc(v.length, 0x2a)), SIGN)]);
  t.true((await s.scan(PLACES[0], [SIGN, SIGN])).every(([, r]) => r.values!.every((v) => v.every((b) => b === 0x2a))), 'rewritten');
  await step(2000);
  t.deepEqual(before.map(rowText), snapshot, 'rows scanned before the writes');
  await agree(t, s, 'after more writes');

  const used = s.memory.coords.arenaBytes();
  t.true(used.garbage <= used.used && used.used <= used.allocated, JSON.stringify(used));

  // Restart: the memory index is rebuilt from LevelDB.
  await s.close();
  s = await LevelDaemonStore.open(dir);
  await agree(t, s, 'after reopening');
  await step(300);
  await agree(t, s, 'writes after reopening');

  // A region emptied key by key (a handoff, a reset), then a space dropped.
  for (let i = 0; i < 150; i++) await s.write([del(PLACES[1], Buffer.from(`k${i}`))]);
  t.is(s.memory.scan(PLACES[1], 0n, MAX), undefined, 'an interval this wide is not answered from memory');
  t.deepEqual(await s.scan(PLACES[1], [0n, MAX]), [], 'but from LevelDB');
  await s.write([dropSpace(2)]);
  for (const c of COORDS) t.deepEqual(s.memory.scan(PLACES[3], c, c), [], `space 2 dropped, coordinate ${c}`);
  await agree(t, s, 'after emptying a region and dropping a space');
});

test('after a failed batch memory does not answer until every key it held is written again', async (t) => {
  const s = await LevelDaemonStore.open(tempDir(t, 'memidx'));
  t.teardown(() => s.close());
  const a = PLACES[0];
  const v = (x: string) => [Buffer.from(x)];
  await s.write([put(a, Buffer.from('a'), 1, v('a1'), SIGN), put(a, Buffer.from('b'), 1, v('b1'), SIGN)]);
  const restore = failBatches(s);
  await t.throwsAsync(s.write([put(a, Buffer.from('a'), 2, v('a2'), SIGN + 1n)]), { message: /injected/ });
  restore();
  // LevelDB may hold either state of 'a': memory must not say; the scan reads LevelDB.
  t.is(s.memory.scan(a, SIGN, SIGN), undefined);
  t.deepEqual((await s.scan(a, [SIGN, SIGN + 1n])).map(rowText).sort(), ['a=a1@1', 'b=b1@1']);
  await s.write([put(a, Buffer.from('a'), 3, v('a3'), SIGN + 1n)]);
  t.deepEqual(s.memory.scan(a, SIGN, SIGN + 1n)!.map(rowText), ['b=b1@1', 'a=a3@3']);
  t.deepEqual((await s.scan(a, [SIGN, SIGN])).map(rowText), ['b=b1@1']);
});

test('coord and coordUnlessSame: the entry a write replaces, null when the write keeps it', (t) => {
  const m = new MemoryIndex();
  const c = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return b;
  };
  const record = Buffer.alloc(19 + 5, 1);
  t.is(m.coord(1, 1, 3, 'k'), undefined);
  t.is(m.coordUnlessSame(1, 1, 3, 'k', c(5n)), undefined, 'no entry yet');
  for (const v of COORDS) {
    m.set(1, 1, 3, Buffer.from('k'), c(v), record);
    t.deepEqual(m.coord(1, 1, 3, 'k'), c(v));
    t.is(m.coordUnlessSame(1, 1, 3, 'k', c(v)), null, `the same coordinate ${v}`);
    // Every other coordinate, those that differ in one half only included, is told apart.
    for (const w of COORDS) if (w !== v) t.deepEqual(m.coordUnlessSame(1, 1, 3, 'k', c(w)), c(v), `${w} against ${v}`);
  }
  t.is(m.coordUnlessSame(1, 1, 4, 'k', c(MAX)), undefined, 'another region');
  m.delete(1, 1, 3, 'k');
  t.is(m.coordUnlessSame(1, 1, 3, 'k', c(MAX)), undefined, 'deleted');
});

for (const [label, keyOf] of [
  ['its own key per coordinate', undefined],
  ['every coordinate under one key (the chains of a hash collision)', () => 7],
  ['coordinates two by two under a key', (hi: number, lo: number) => hi * 0x1_0000_0000 + (lo >>> 1)],
] as const)
  test(`MemoryIndex agrees with a model with ${label}`, (t) => {
    const idx = new MemoryIndex(keyOf);
    const rng = new Rng(31);
    const model = new Map<string, { coord: bigint; row: string; version: number }>();
    const coords = [SIGN, SIGN + 1n, SIGN + 2n, SIGN + 3n, 0n, 1n, 5n, MAX];
    const record = (v: string, version: number) => {
      const b = Buffer.alloc(19 + 4 + v.length);
      b[0] = 2;
      b.writeUInt32BE(Math.floor(version / 2 ** 32), 1);
      b.writeUInt32BE(version % 2 ** 32, 5);
      b.writeUInt16BE(1, 17);
      b.writeUInt32BE(v.length, 19);
      b.write(v, 23, 'latin1');
      return b;
    };
    const check = (when: string) => {
      for (const [lo, hi] of [...coords.map((c): [bigint, bigint] => [c, c]), [SIGN, SIGN + 3n], [0n, 5n]] as [bigint, bigint][]) {
        const want = [...model.entries()]
          .filter(([, o]) => lo <= o.coord && o.coord <= hi)
          .sort(([ka, a], [kb, b]) => (a.coord < b.coord ? -1 : a.coord > b.coord ? 1 : ka < kb ? -1 : 1));
        const got = memRows(idx.rows(1, 1, 3, lo, hi)!);
        t.deepEqual([...got].sort(), want.map(([k, o]) => `${k}=${o.row}@${o.version}`).sort(), `${when}: [${lo}, ${hi}]`);
        // In coordinate order: each row's coordinate (as the model has it) does not go down.
        const order = got.map((r) => model.get(r.slice(0, r.indexOf('=')))!.coord);
        t.true(order.every((c, i) => i === 0 || order[i - 1] <= c), `${when}: order of [${lo}, ${hi}]`);
        // records(): the same rows, in the same order, as keys, versions and values of their own.
        t.deepEqual(idx.records(1, 1, 3, lo, hi)!.map(rowText), got, `${when}: records of [${lo}, ${hi}]`);
      }
    };
    for (let step = 0; step < 3000; step++) {
      const k = `k${rng.int(40)}`;
      if (rng.int(4) === 0) {
        idx.delete(1, 1, 3, k);
        model.delete(k);
      } else {
        const coord = coords[rng.int(coords.length)];
        // Half of one size: an update keeping its coordinate then rewrites its row in place.
        const row = `v${step}`.padEnd(rng.int(2) === 0 ? 20 : 1 + rng.int(200), '.');
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(coord, 0);
        // Versions above 2^32 too: kept whole.
        const version = step % 3 === 0 ? 2 ** 40 + step : step;
        idx.set(1, 1, 3, Buffer.from(k, 'latin1'), c, record(row, version));
        model.set(k, { coord, row, version });
      }
      if (step % 100 === 0) check(`step ${step}`);
    }
    check('end');
    t.is(idx.size, model.size);
  });

// ---- through a cluster -------------------------------------------------------------------------

const scope = new SharedScope();
test.after.always(() => scope.close());

test('exact searches and counts follow updates between groups, deletes and a daemon restart', async (t) => {
  t.timeout(120_000);
  const coord = await startCoordinator(scope);
  const dataDir = tempDir(scope, 'memidx-daemon');
  const daemon = await startDaemon(scope, coord, { dataDir });
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000 });
  t.teardown(() => c.close());
  await c.addSpace('space grouped key k attributes string v, int grp subspace grp create 4 partitions');
  const rng = new Rng(5);
  const model = new Map<string, { v: string; grp: number }>();
  const GROUPS = 12;
  for (let i = 0; i < 600; i++) {
    const o = { v: `value-${i}`, grp: rng.int(GROUPS) - 3 };
    await c.put('grouped', `k${i}`, o);
    model.set(`k${i}`, o);
  }
  const check = async (when: string) => {
    for (let g = -4; g < GROUPS - 2; g++) {
      const want = [...model.entries()].filter(([, o]) => o.grp === g).map(([k, o]) => `${k}:${o.v}:${o.grp}`).sort();
      const got: string[] = [];
      for await (const o of c.search('grouped', { grp: g })) got.push(`${String(o.k)}:${String(o.v)}:${Number(o.grp)}`);
      t.deepEqual(got.sort(), want, `${when}: search grp=${g}`);
      t.is(await c.count('grouped', { grp: g }), want.length, `${when}: count grp=${g}`);
    }
  };
  await check('loaded');
  // Moves between groups (the old group loses the object), value changes in place, deletes.
  for (let i = 0; i < 800; i++) {
    const k = `k${rng.int(650)}`;
    if (rng.int(4) === 0) {
      await c.del('grouped', k);
      model.delete(k);
    } else {
      const o = { v: `value-${i}-${rng.int(1000)}`, grp: rng.int(GROUPS) - 3 };
      await c.put('grouped', k, o);
      model.set(k, o);
    }
  }
  await check('after updates and deletes');
  // A restart on the same directory: the memory index is built again from LevelDB.
  await stopProcess(daemon, 'SIGKILL');
  await startDaemon(scope, coord, { dataDir });
  await check('after a restart');
});
