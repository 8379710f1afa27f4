// The memory index (src/daemon/memindex.ts) behind LevelObjectStore.memoryRows/memoryCount, which
// answer exact searches and counts: checked against the index LevelDB holds (scanIndexRows,
// countIndex) through random puts, coordinate changes, deletes, arena relocations, reopening,
// dropSpace and a failed batch; and, through a real cluster, searches and counts against a model
// through updates that move objects between groups, deletes and a daemon restart.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Client } from '../src/client/client';
import { StoredObject } from '../src/daemon/apply';
import { MemoryIndex, MemoryRows } from '../src/daemon/memindex';
import { INDEX_KEY_START, LevelObjectStore, recordValuesAt } from '../src/daemon/storage';
import { SharedScope, startCoordinator, startDaemon, stopProcess, tempDir as scopeDir } from './helpers/cluster';
import { Rng } from './helpers/rng';
import { failBatches } from './helpers/failing-batch';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-memidx-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SIGN = 1n << 63n;
const MAX = (1n << 64n) - 1n;
/** Coordinates of int64 values near zero (as most are) and far from it (string bucket keys). */
const COORDS = [SIGN - 3n, SIGN - 1n, SIGN, SIGN + 1n, SIGN + 2n, SIGN + 40n, 0n, 1n, MAX - 1n, MAX];
/** Where objects go: the region checked, and others with the same coordinates that must not show. */
const PLACES: [number, number, number][] = [
  [1, 1, 3],
  [1, 1, 4],
  [1, 2, 3],
  [2, 1, 3],
];

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
    out.push(`${m.arena.toString('latin1', at, at + klen)}=${valuesOf(m.arena, at + klen, m.pos[3 * i + 2]).join(',')}`);
  }
  return out;
}

async function levelRows(s: LevelObjectStore, p: [number, number, number], lo: bigint, hi: bigint): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of s.scanIndexRows(p[0], p[1], p[2], lo, hi))
    for (const [k, r] of batch) out.push(`${k.toString('latin1', INDEX_KEY_START)}=${valuesOf(r, recordValuesAt(r), r.length).join(',')}`);
  return out;
}

/** Memory and LevelDB agree on every coordinate and a few narrow intervals of every place. */
async function agree(t: import('ava').ExecutionContext, s: LevelObjectStore, when: string): Promise<void> {
  const intervals: [bigint, bigint][] = [...COORDS.map((c): [bigint, bigint] => [c, c]), [SIGN - 3n, SIGN + 2n], [SIGN + 3n, SIGN + 39n], [MAX - 1n, MAX], [5n, 4n]];
  for (const p of PLACES)
    for (const [lo, hi] of intervals) {
      const m = s.memoryRows(p[0], p[1], p[2], lo, hi);
      if (!m) return t.fail(`${when}: memory does not answer [${lo}, ${hi}] of ${p.join('/')}`);
      const want = await levelRows(s, p, lo, hi);
      // Order within one coordinate is not promised: compare as sets, and the coordinate order by
      // the sizes of each coordinate's run (checked in the one-coordinate intervals).
      t.deepEqual(memRows(m).sort(), want.sort(), `${when}: rows of ${p.join('/')} in [${lo}, ${hi}]`);
      t.is(s.memoryCount(p[0], p[1], p[2], lo, hi), await s.countIndex(p[0], p[1], p[2], lo, hi), `${when}: count of ${p.join('/')} in [${lo}, ${hi}]`);
    }
}

const obj = (version: number, rng: Rng): StoredObject => ({
  version,
  // Values of varied length, so that rows change size and arenas relocate many times; and half of
  // one length, so that rows are also rewritten in place (same coordinate, same size).
  values: [Buffer.from(`v${version}-`.padEnd(rng.int(2) === 0 ? 40 : 1 + rng.int(300), 'x')), Buffer.from(`w${version % 10}`)],
});

test('memoryRows and memoryCount agree with the index in LevelDB through puts, moves, deletes, relocations, reopening and dropSpace', async (t) => {
  const dir = tempDir(t);
  let s = await LevelObjectStore.open(dir);
  const rng = new Rng(23);
  let version = 0;
  const step = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const p = PLACES[rng.int(PLACES.length)];
      const k = Buffer.from(`k${rng.int(150)}`);
      if (rng.int(5) === 0) await s.del(p[0], p[1], p[2], k, true);
      else await s.put(p[0], p[1], p[2], k, obj(++version, rng), COORDS[rng.int(COORDS.length)]);
    }
  };
  await agree(t, s, 'empty');
  for (let round = 0; round < 6; round++) {
    await step(400);
    await agree(t, s, `round ${round}`);
  }
  // Writes issued together (one batch): memory changes with the batch, all at once.
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(1, 1, 3, Buffer.from(`b${i % 50}`), obj(++version, rng), COORDS[i % COORDS.length])));
  await agree(t, s, 'after one batch');

  // Rows handed out stay as they were through later writes, however the arena moves.
  const before = s.memoryRows(1, 1, 3, SIGN, SIGN)!;
  const snapshot = memRows(before);
  t.true(snapshot.length > 0);
  await step(2000);
  t.deepEqual(memRows(before), snapshot, 'rows taken before the writes');
  await agree(t, s, 'after more writes');

  const used = s.memoryIndexBytes();
  t.true(used.garbage <= used.used && used.used <= used.allocated, JSON.stringify(used));

  // Restart: the memory index is rebuilt from LevelDB.
  await s.close();
  s = await LevelObjectStore.open(dir);
  t.teardown(() => s.close());
  await agree(t, s, 'after reopening');
  await step(300);
  await agree(t, s, 'writes after reopening');

  // A region emptied key by key (a handoff, a reset), then a space dropped.
  for (let i = 0; i < 150; i++) await s.del(1, 1, 4, Buffer.from(`k${i}`), true);
  t.is(s.memoryCount(1, 1, 4, 0n, MAX), undefined, 'an interval this wide is not answered from memory');
  t.is(await s.countIndex(1, 1, 4, 0n, MAX), 0);
  await s.dropSpace(2);
  for (const c of COORDS) t.is(s.memoryCount(2, 1, 3, c, c), 0, `space 2 dropped, coordinate ${c}`);
  await agree(t, s, 'after emptying a region and dropping a space');
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

test('after a failed batch memory does not answer until every key it held is written again', async (t) => {
  const s = await LevelObjectStore.open(tempDir(t));
  t.teardown(() => s.close());
  const v = (version: number, x: string): StoredObject => ({ version, values: [Buffer.from(x)] });
  await s.put(1, 1, 3, Buffer.from('a'), v(1, 'a1'), SIGN);
  await s.put(1, 1, 3, Buffer.from('b'), v(1, 'b1'), SIGN);
  const restore = failBatches(s);
  await t.throwsAsync(s.put(1, 1, 3, Buffer.from('a'), v(2, 'a2'), SIGN + 1n), { message: /injected/ });
  restore();
  // LevelDB may hold either state of 'a': memory must not say.
  t.is(s.memoryRows(1, 1, 3, SIGN, SIGN), undefined);
  t.is(s.memoryCount(1, 1, 3, SIGN, SIGN), undefined);
  await s.put(1, 1, 3, Buffer.from('a'), v(3, 'a3'), SIGN + 1n);
  t.deepEqual(memRows(s.memoryRows(1, 1, 3, SIGN, SIGN + 1n)!), ['b=b1', 'a=a3']);
  t.is(s.memoryCount(1, 1, 3, SIGN, SIGN), 1);
});

for (const [label, keyOf] of [
  ['its own key per coordinate', undefined],
  ['every coordinate under one key (the chains of a hash collision)', () => 7],
  ['coordinates two by two under a key', (hi: number, lo: number) => hi * 0x1_0000_0000 + (lo >>> 1)],
] as const)
  test(`MemoryIndex agrees with a model with ${label}`, (t) => {
    const idx = new MemoryIndex(keyOf);
    const rng = new Rng(31);
    const model = new Map<string, { coord: bigint; row: string }>();
    const coords = [SIGN, SIGN + 1n, SIGN + 2n, SIGN + 3n, 0n, 1n, 5n, MAX];
    const record = (v: string) => {
      const b = Buffer.alloc(19 + 4 + v.length);
      b[0] = 2;
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
        t.deepEqual([...got].sort(), want.map(([k, o]) => `${k}=${o.row}`).sort(), `${when}: [${lo}, ${hi}]`);
        // In coordinate order: each row's coordinate (as the model has it) does not go down.
        const order = got.map((r) => model.get(r.slice(0, r.indexOf('=')))!.coord);
        t.true(order.every((c, i) => i === 0 || order[i - 1] <= c), `${when}: order of [${lo}, ${hi}]`);
        t.is(idx.count(1, 1, 3, lo, hi), want.length);
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
        idx.set(1, 1, 3, Buffer.from(k, 'latin1'), c, record(row));
        model.set(k, { coord, row });
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
  const dataDir = scopeDir(scope, 'memidx-daemon');
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
