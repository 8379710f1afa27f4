// LevelObjectStore.scanIndexRows (src/daemon/storage.ts): the rows of an index range as stored, read
// first through an iterator kept from an earlier search while nothing is written. Checked against
// a model of the objects kept here, through puts, moves, deletes and dropSpace between the scans,
// with ranges of no row, one row, a few and many (where the rest of the range is read by a second
// iterator after the kept one's first rows); scanIndex, built on it, too.

import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { StoredObject } from '../src/daemon/apply';
import { INDEX_KEY_START, LevelObjectStore, recordValuesAt } from '../src/daemon/storage';
import { Rng } from './helpers/rng';

const obj = (version: number, v: string): StoredObject => ({ version, values: [Buffer.from(v), Buffer.from(`w${version}`)] });

/** What scanIndexRows gives, as "key=values@coordinate order" strings. */
async function rows(store: LevelObjectStore, lo: bigint, hi: bigint): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of store.scanIndexRows(1, 1, 3, lo, hi))
    for (const [k, r] of batch) {
      // The record's values: a u32 length and the bytes each.
      const values: string[] = [];
      for (let at = recordValuesAt(r); at < r.length; at += 4 + r.readUInt32BE(at)) values.push(r.subarray(at + 4, at + 4 + r.readUInt32BE(at)).toString());
      out.push(`${k.subarray(INDEX_KEY_START).toString()}=${values.join(',')}`);
    }
  return out;
}

/** The same from scanIndex. */
async function decoded(store: LevelObjectStore, lo: bigint, hi: bigint): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of store.scanIndex(1, 1, 3, lo, hi)) for (const [k, o] of batch) out.push(`${k.toString()}=${o.values.map((v) => v.toString()).join(',')}`);
  return out;
}

type Model = Map<string, { coord: bigint; values: string }>;

/** What the model says: its objects with a coordinate in [lo, hi], by coordinate, then key. */
function expected(model: Model, lo: bigint, hi: bigint): string[] {
  return [...model.entries()]
    .filter(([, o]) => lo <= o.coord && o.coord <= hi)
    .sort(([ka, a], [kb, b]) => (a.coord < b.coord ? -1 : a.coord > b.coord ? 1 : Buffer.compare(Buffer.from(ka), Buffer.from(kb))))
    .map(([k, o]) => `${k}=${o.values}`);
}

test('scanIndexRows and scanIndex agree with a model through writes between the scans, and with scans at once', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-rows-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = await LevelObjectStore.open(dir, 0);
  t.teardown(() => store.close());
  const rng = new Rng(7);
  let version = 0;
  const model: Model = new Map();
  // Coordinates 0..9 with up to ~60 objects each, so that a point holds 0, 1, a few or many rows.
  const ranges: [bigint, bigint][] = [[0n, 0n], [3n, 3n], [5n, 5n], [9n, 9n], [2n, 4n], [0n, 9n], [10n, 20n], [6n, 5n]];
  let compared = 0;
  let nonEmpty = 0;
  for (let round = 0; round < 120; round++) {
    const writes = rng.int(4) === 0 ? 0 : 1 + rng.int(30);
    for (let i = 0; i < writes; i++) {
      const k = Buffer.from(`k${rng.int(300)}`);
      if (rng.int(5) === 0) {
        await store.del(1, 1, 3, k, true);
        model.delete(k.toString());
      } else {
        const coord = BigInt(rng.int(10));
        await store.put(1, 1, 3, k, obj(++version, `v${version}`), coord);
        model.set(k.toString(), { coord, values: `v${version},w${version}` });
      }
    }
    if (round === 60) {
      await store.dropSpace(1);
      model.clear();
    }
    // The same range twice in a row (the second through the kept iterator), then others.
    for (const [lo, hi] of [...ranges, ranges[rng.int(ranges.length)]]) {
      const want = expected(model, lo, hi);
      t.deepEqual(await rows(store, lo, hi), want, `round ${round}, [${lo}, ${hi}]`);
      t.deepEqual(await decoded(store, lo, hi), want, `round ${round}, [${lo}, ${hi}], scanIndex`);
      compared++;
      if (want.length > 0) nonEmpty++;
    }
    // Several scans at once: each takes its own iterator.
    const at = await Promise.all(ranges.map(([lo, hi]) => rows(store, lo, hi)));
    for (let i = 0; i < ranges.length; i++) t.deepEqual(at[i], expected(model, ranges[i][0], ranges[i][1]), `round ${round}, at once, range ${i}`);
  }
  t.true(compared > 500 && nonEmpty > 300);
});

test('a scan sees a write acknowledged before it started, though it started while an iterator was kept', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-rows-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = await LevelObjectStore.open(dir, 0);
  t.teardown(() => store.close());
  await store.put(1, 1, 3, Buffer.from('a'), obj(1, 'one'), 5n);
  t.deepEqual(await rows(store, 5n, 5n), ['a=one,w1']);
  // The iterator kept by that scan predates these.
  await store.put(1, 1, 3, Buffer.from('b'), obj(2, 'two'), 5n);
  t.deepEqual(await rows(store, 5n, 5n), ['a=one,w1', 'b=two,w2']);
  await store.put(1, 1, 3, Buffer.from('a'), obj(3, 'three'), 5n);
  t.deepEqual(await rows(store, 5n, 5n), ['a=three,w3', 'b=two,w2']);
  await store.del(1, 1, 3, Buffer.from('b'), true);
  t.deepEqual(await rows(store, 5n, 5n), ['a=three,w3']);
  await store.put(1, 1, 3, Buffer.from('a'), obj(4, 'four'), 6n);
  t.deepEqual(await rows(store, 5n, 5n), []);
  t.deepEqual(await rows(store, 6n, 6n), ['a=four,w4']);
});
