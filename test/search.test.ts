// Search, count, group_del and sorted_search through the TypeScript client, against a real
// coordinator and three daemons on loopback. Expected results are computed here, independently of
// src/, from the values the tests put: equality by value (sets and maps regardless of the order
// given), ranges lower <= v < upper (int64 as integers, floats as numbers, strings by byte order).

import test, { ExecutionContext } from 'ava';
import { Client, encodeKey, HyperObject, Predicate } from '../src/client/client';
import { ClusterConfig, findSpace, keyRegion } from '../src/common/config';
import { SharedScope, startCoordinator, startDaemon } from './helpers/cluster';
import { statusOf } from './helpers/status';

const scope = new SharedScope();
let client: Client;
const daemonIds: number[] = [];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---- an independent notion of the values ---------------------------------------------------

type Scalar = 'string' | 'int64' | 'float';
type Type = { kind: Scalar } | { kind: 'list' | 'set'; elem: Scalar } | { kind: 'map'; key: Scalar; value: Scalar };

const T = {
  string: { kind: 'string' } as Type,
  int64: { kind: 'int64' } as Type,
  float: { kind: 'float' } as Type,
  list: (elem: Scalar): Type => ({ kind: 'list', elem }),
  set: (elem: Scalar): Type => ({ kind: 'set', elem }),
  map: (key: Scalar, value: Scalar): Type => ({ kind: 'map', key, value }),
};

function bytesOf(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw new Error(`not a string: ${String(v)}`);
}

/** A scalar in a comparable canonical form: Buffer for strings, bigint for int64, number for float. */
function scalar(t: Scalar, v: unknown): Buffer | bigint | number {
  if (t === 'string') return bytesOf(v);
  if (t === 'int64') {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    throw new Error(`not an integer: ${String(v)}`);
  }
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number') throw new Error(`not a float: ${String(v)}`);
  return v;
}

function cmpScalar(t: Scalar, a: unknown, b: unknown): number {
  const x = scalar(t, a);
  const y = scalar(t, b);
  if (t === 'string') return Buffer.compare(x as Buffer, y as Buffer);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Set elements and map keys: -0 and 0 are one element. */
function showElement(t: Scalar, v: unknown): string {
  const x = scalar(t, v);
  return showScalar(t, x === 0 ? 0 : x);
}

function showScalar(t: Scalar, v: unknown): string {
  const x = scalar(t, v);
  if (t === 'string') return `s:${(x as Buffer).toString('hex')}`;
  if (t === 'int64') return `i:${x}`;
  return `f:${Object.is(x, -0) ? '-0' : String(x)}`;
}

function entries(v: unknown): [unknown, unknown][] {
  if (v instanceof Map) return [...v.entries()];
  return Object.entries(v as Record<string, unknown>);
}

/**
 * A value as a string that is equal exactly when the values are equal: sets are sorted and
 * deduplicated and maps sorted by key here, so this is also the form a stored value must take.
 */
function show(t: Type, v: unknown): string {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return showScalar(t.kind, v);
    case 'list':
      return `[${(v as unknown[]).map((e) => showScalar(t.elem, e)).join(',')}]`;
    case 'set': {
      const items = [...(v as Iterable<unknown>)].sort((a, b) => cmpScalar(t.elem, a, b));
      const unique = items.filter((e, i) => i === 0 || cmpScalar(t.elem, items[i - 1], e) !== 0);
      return `{${unique.map((e) => showElement(t.elem, e)).join(',')}}`;
    }
    case 'map': {
      const es = entries(v)
        .map(([k, x]) => [t.key === 'string' ? k : t.key === 'int64' ? BigInt(k as string) : Number(k), x] as [unknown, unknown])
        .sort((a, b) => cmpScalar(t.key, a[0], b[0]));
      return `<${es.map(([k, x]) => `${showElement(t.key, k)}=>${showScalar(t.value, x)}`).join(',')}>`;
    }
  }
}

/** As `show`, but keeps containers in the order they came back: sets and maps must already be sorted. */
function showAsReturned(t: Type, v: unknown): string {
  if (t.kind === 'set') return `{${[...(v as Set<unknown>)].map((e) => showScalar(t.elem, e)).join(',')}}`;
  if (t.kind === 'map') return `<${[...(v as Map<unknown, unknown>).entries()].map(([k, x]) => `${showScalar(t.key, k)}=>${showScalar(t.value, x)}`).join(',')}>`;
  return show(t, v);
}

interface Schema {
  readonly name: string;
  readonly key: string;
  readonly keyType: Type;
  readonly attrs: Readonly<Record<string, Type>>;
}

function typeOf(s: Schema, attr: string): Type {
  return attr === s.key ? s.keyType : s.attrs[attr];
}

/** A whole object (key included) as a string, in the attribute order of the schema. */
function showObject(s: Schema, o: Record<string, unknown>, asReturned: boolean): string {
  const names = [s.key, ...Object.keys(s.attrs)];
  const extra = Object.keys(o).filter((n) => !names.includes(n));
  if (extra.length > 0) return `unexpected attributes ${extra.join(',')}`;
  return names.map((n) => (n in o ? `${n}=${(asReturned ? showAsReturned : show)(typeOf(s, n), o[n])}` : `${n} missing`)).join(' ');
}

type Cond = unknown | readonly [unknown, unknown];

/** Does an object (as put) match a predicate? */
function matches(s: Schema, o: Record<string, unknown>, pred: Record<string, Cond>): boolean {
  for (const [name, c] of Object.entries(pred)) {
    const t = typeOf(s, name);
    const v = o[name];
    if ((t.kind === 'string' || t.kind === 'int64' || t.kind === 'float') && Array.isArray(c)) {
      if (cmpScalar(t.kind, v, c[0]) < 0 || cmpScalar(t.kind, v, c[1]) >= 0) return false;
    } else if (show(t, v) !== show(t, c)) return false;
  }
  return true;
}

// ---- the client's side ------------------------------------------------------------------------

async function collect(it: () => AsyncIterable<HyperObject>): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  const deadline = Date.now() + 30_000;
  for await (const o of it()) {
    out.push(o);
    if (out.length > 100_000 || Date.now() > deadline) throw new Error('search did not end');
  }
  return out;
}


/** The objects of `data` matching `pred`, as strings, sorted. */
function expected(s: Schema, data: readonly Record<string, unknown>[], pred: Record<string, Cond>): string[] {
  return data.filter((o) => matches(s, o, pred)).map((o) => showObject(s, o, false)).sort();
}

/** search equals the expectation (each object once, complete, key included) and count agrees. */
async function checkSearch(t: ExecutionContext, s: Schema, data: readonly Record<string, unknown>[], pred: Predicate, label = JSON.stringify(pred, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))): Promise<number> {
  const got = await collect(() => client.search(s.name, pred));
  const want = expected(s, data, pred as Record<string, Cond>);
  t.deepEqual(got.map((o) => showObject(s, o, true)).sort(), want, `search ${label}`);
  t.is(await client.count(s.name, pred), want.length, `count ${label}`);
  return want.length;
}

// ---- the data -----------------------------------------------------------------------------------

const ITEMS: Schema = {
  name: 'items',
  key: 'k',
  keyType: T.string,
  attrs: { s: T.string, i: T.int64, f: T.float, li: T.list('int64'), ss: T.set('string'), msi: T.map('string', 'int64'), grp: T.string },
};
const WORDS = ['', 'A', 'Z', 'a', 'ab', 'abc', 'b', 'ba', 'z', 'é', 'ü', 'zz', 'Apple', 'apple', '0', '~', 'a b'];
const SPECIAL_I = [INT64_MIN, INT64_MIN + 1n, INT64_MAX, INT64_MAX - 1n, -(2n ** 53n) - 3n, 2n ** 53n + 5n, 3n, -3n];
const SPECIAL_F = [-Infinity, Infinity, 1e300, -1e-300, 5e-324];
const items: Record<string, unknown>[] = Array.from({ length: 300 }, (_, n) => ({
  k: `obj${String(n).padStart(3, '0')}`,
  s: n === 7 ? Buffer.from([0xff, 0xfe, 0x00]) : WORDS[n % WORDS.length],
  i: n < SPECIAL_I.length ? SPECIAL_I[n] : BigInt((n - 150) * 7919 + (n % 3)),
  f: n >= 10 && n < 10 + SPECIAL_F.length ? SPECIAL_F[n - 10] : (n - 150) / 4,
  li: [n % 3, -(n % 5)],
  ss: [`t${n % 4}`, `t${n % 6}`],
  msi: new Map([
    [`m${n % 3}`, n % 7],
    ['q', n % 2],
  ]),
  grp: `g${n % 10}`,
}));

const IK: Schema = { name: 'ik', key: 'id', keyType: T.int64, attrs: { name: T.string } };
const ikData: Record<string, unknown>[] = [
  ...Array.from({ length: 40 }, (_, n) => ({ id: BigInt(n - 20) * 1_000_000_007n, name: `n${n % 5}` })),
  { id: INT64_MIN, name: 'min' },
  { id: INT64_MAX, name: 'max' },
];

const FK: Schema = { name: 'fk', key: 'x', keyType: T.float, attrs: { name: T.string, li: T.list('float'), sf: T.set('float'), mif: T.map('int64', 'float') } };
const fkData: Record<string, unknown>[] = Array.from({ length: 30 }, (_, n) => ({
  x: (n - 15) * 0.5,
  name: `fk${n % 3}`,
  li: [n * 0.25, -n],
  sf: [n % 2, -(n % 3) * 1.5],
  mif: new Map([[BigInt(n % 4) - 2n, n / 8]]),
}));

function putAll(space: string, s: Schema, data: readonly Record<string, unknown>[]): Promise<boolean[]> {
  return Promise.all(
    data.map((o) => {
      const attrs = Object.fromEntries(Object.entries(o).filter(([k]) => k !== s.key)) as Record<string, never>;
      return client.put(space, o[s.key] as string, attrs);
    }),
  );
}

test.before(async () => {
  const coord = await startCoordinator(scope);
  for (let i = 0; i < 3; i++) daemonIds.push((await startDaemon(scope, coord)).serverId);
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000 });
  await client.addSpace(
    'space items key k attributes string s, int64 i, float f, list(int64) li, set(string) ss, map(string, int64) msi, string grp create 16 partitions',
  );
  await client.addSpace('space ik key int64 id attributes string name create 16 partitions');
  await client.addSpace('space fk key float x attributes string name, list(float) li, set(float) sf, map(int64, float) mif create 16 partitions');
  await client.addSpace('space gd key int64 id attributes string color, int64 n, set(int64) tags create 16 partitions');
  await client.addSpace('space fresh key k attributes string s, int64 n create 16 partitions');
  await client.addSpace('space empty key k attributes string s create 16 partitions');
  await client.addSpace('space ties key k attributes string s, int64 n, float f create 16 partitions');
  await client.addSpace('space tiekeys key k attributes int64 n create 16 partitions');
  await client.addSpace('space many key int64 id attributes string pad, int64 n create 16 partitions');
  await client.addSpace('space sub key k attributes string s, int64 i, float f subspace s, i create 8 partitions');
  for (const ok of await putAll('items', ITEMS, items)) if (!ok) throw new Error('a put of items failed');
  for (const ok of await putAll('ik', IK, ikData)) if (!ok) throw new Error('a put of ik failed');
  for (const ok of await putAll('fk', FK, fkData)) if (!ok) throw new Error('a put of fk failed');
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

// ---- every object once ----------------------------------------------------------------------------

test('the objects of a space are spread over all three daemons', (t) => {
  // The point of the other tests is to merge results from several daemons: make sure there are several.
  const config = (client as unknown as { config: ClusterConfig }).config;
  const layout = findSpace(config, 'items');
  t.truthy(layout);
  const heads = new Map<number, number>();
  for (const o of items) {
    const head = keyRegion(layout!, encodeKey(layout!.spec, o.k as string)).replicas[0];
    heads.set(head, (heads.get(head) ?? 0) + 1);
  }
  t.deepEqual([...heads.keys()].sort(), [...daemonIds].sort(), `objects per daemon: ${JSON.stringify([...heads])}`);
  for (const n of heads.values()) t.true(n >= 30, `objects per daemon: ${JSON.stringify([...heads])}`);
});

test('an empty predicate returns every object exactly once, complete, with its key', async (t) => {
  const got = await collect(() => client.search('items', {}));
  t.is(got.length, items.length);
  const keys = got.map((o) => o.k as string);
  t.is(new Set(keys).size, keys.length, 'no object twice');
  t.deepEqual([...keys].sort(), items.map((o) => o.k as string).sort());
  t.deepEqual(got.map((o) => showObject(ITEMS, o, true)).sort(), items.map((o) => showObject(ITEMS, o, false)).sort());
  t.is(await client.count('items', {}), items.length);
});

test('an empty space: no results, count 0, group_del 0', async (t) => {
  t.deepEqual(await collect(() => client.search('empty', {})), []);
  t.deepEqual(await collect(() => client.search('empty', { s: 'x' })), []);
  t.is(await client.count('empty', {}), 0);
  t.is(await client.group_del('empty', {}), 0);
  t.deepEqual(await collect(() => client.sorted_search('empty', {}, 's', 5, 'ascending')), []);
});

test('the key attribute appears in every result, for string, int64 and float keys', async (t) => {
  for (const o of await collect(() => client.search('items', { grp: 'g3' }))) t.regex(o.k as string, /^obj\d{3}$/);
  const ik = await collect(() => client.search('ik', {}));
  t.deepEqual(ik.map((o) => show(T.int64, o.id)).sort(), ikData.map((o) => show(T.int64, o.id)).sort());
  t.true(ik.some((o) => o.id === INT64_MIN) && ik.some((o) => o.id === INT64_MAX), 'the extremes come back as bigints');
  const fk = await collect(() => client.search('fk', { name: 'fk1' }));
  t.deepEqual(fk.map((o) => o.x as number).sort((a, b) => a - b), fkData.filter((o) => o.name === 'fk1').map((o) => o.x as number).sort((a, b) => a - b));
});

test('searching by the key alone returns that one object', async (t) => {
  t.is(await checkSearch(t, ITEMS, items, { k: 'obj042' }), 1);
  t.is(await checkSearch(t, ITEMS, items, { k: 'obj299' }), 1);
  t.is(await checkSearch(t, ITEMS, items, { k: 'nope' }), 0);
  t.is(await checkSearch(t, ITEMS, items, { k: 'obj042', grp: 'g2' }), 1, 'key and a matching attribute');
  t.is(await checkSearch(t, ITEMS, items, { k: 'obj042', grp: 'g3' }), 0, 'key and an attribute that does not match');
  t.is(await checkSearch(t, IK, ikData, { id: INT64_MIN }), 1);
  t.is(await checkSearch(t, IK, ikData, { id: -3_000_000_021 }), 1);
  t.is(await checkSearch(t, IK, ikData, { id: 5 }), 0);
  t.is(await checkSearch(t, FK, fkData, { x: -2.5 }), 1);
});

test('a range on the key: int64 keys with negatives, string keys by byte order', async (t) => {
  t.is(await checkSearch(t, IK, ikData, { id: [-5_000_000_035, 3_000_000_021] }), 8);
  t.is(await checkSearch(t, IK, ikData, { id: [INT64_MIN, 0] }), 21);
  t.is(await checkSearch(t, IK, ikData, { id: [0, INT64_MAX] }), 20, 'the upper bound is excluded');
  t.is(await checkSearch(t, ITEMS, items, { k: ['obj100', 'obj110'] }), 10);
  t.is(await checkSearch(t, FK, fkData, { x: [-1, 1] }), 4);
});

// ---- equality --------------------------------------------------------------------------------------

test('equality on strings (empty, non-ASCII, non-UTF-8 bytes)', async (t) => {
  for (const s of ['', 'a', 'A', 'ab', 'é', 'a b', 'zz', 'absent']) await checkSearch(t, ITEMS, items, { s });
  t.is(await checkSearch(t, ITEMS, items, { s: Buffer.from([0xff, 0xfe, 0x00]) }), 1);
  t.is(await checkSearch(t, ITEMS, items, { s: Buffer.from([0xff, 0xfe]) }), 0, 'a prefix is not equal');
  t.true((await checkSearch(t, ITEMS, items, { s: 'ab' })) > 10);
});

test('equality on int64, including the extremes and values beyond 2^53', async (t) => {
  for (const i of [INT64_MIN, INT64_MAX, INT64_MIN + 1n, INT64_MAX - 1n, 2n ** 53n + 5n, -(2n ** 53n) - 3n, 3n, -3n]) t.is(await checkSearch(t, ITEMS, items, { i }), 1, `i = ${i}`);
  t.is(await checkSearch(t, ITEMS, items, { i: 2n ** 53n + 4n }), 0, 'a neighbour beyond 2^53 does not match');
  t.is(await checkSearch(t, ITEMS, items, { i: (200 - 150) * 7919 + (200 % 3) }), 1, 'a number equals the int64');
  t.is(await checkSearch(t, ITEMS, items, { i: 1 }), 0);
});

test('equality on floats, including infinities and tiny values', async (t) => {
  for (const f of [-Infinity, Infinity, 1e300, -1e-300, 5e-324, 0.25, -12.5, 37]) t.is(await checkSearch(t, ITEMS, items, { f }), 1, `f = ${f}`);
  t.is(await checkSearch(t, ITEMS, items, { f: 0.3 }), 0);
  t.is(await checkSearch(t, ITEMS, items, { f: 5n }), 1, 'a bigint is accepted for a float');
});

test('equality on lists: the same elements in the same order', async (t) => {
  t.true((await checkSearch(t, ITEMS, items, { li: [1, -1] })) > 0);
  t.true((await checkSearch(t, ITEMS, items, { li: [2, -4] })) > 0);
  t.is(await checkSearch(t, ITEMS, items, { li: [-1, 1] }), 0, 'order matters');
  t.is(await checkSearch(t, ITEMS, items, { li: [1] }), 0, 'a prefix is not equal');
  t.is(await checkSearch(t, ITEMS, items, { li: [1, -1, 1] }), 0, 'a longer list is not equal');
  t.is(await checkSearch(t, ITEMS, items, { li: [] }), 0);
  t.true((await checkSearch(t, FK, fkData, { li: [0.75, -3] })) === 1);
});

test('equality on sets: a set equals only the same set, whatever the order and repetition given', async (t) => {
  const both = await checkSearch(t, ITEMS, items, { ss: new Set(['t1', 't3']) });
  t.true(both > 0);
  t.is(await checkSearch(t, ITEMS, items, { ss: ['t3', 't1', 't3'] }), both, 'unsorted with a duplicate');
  const single = await checkSearch(t, ITEMS, items, { ss: ['t1'] });
  t.true(single > 0);
  t.is(single, items.filter((o) => show(T.set('string'), o.ss) === show(T.set('string'), ['t1'])).length);
  t.is(await checkSearch(t, ITEMS, items, { ss: ['t1', 't3', 't5'] }), 0, 'a superset is not equal');
  t.is(await checkSearch(t, ITEMS, items, { ss: [] }), 0, 'the empty set');
  t.is(await checkSearch(t, FK, fkData, { sf: [-1.5, 1] }), fkData.filter((_, n) => n % 2 === 1 && n % 3 === 1).length);
  t.is(await checkSearch(t, FK, fkData, { sf: [-0, 0] }), fkData.filter((_, n) => n % 2 === 0 && n % 3 === 0).length, '-0 and 0 are one set element');
});

test('equality on maps: the same entries, whatever the order given', async (t) => {
  const n = await checkSearch(t, ITEMS, items, { msi: new Map([['q', 1], ['m2', 5]]) });
  t.true(n > 0);
  t.is(await checkSearch(t, ITEMS, items, { msi: { m2: 5, q: 1 } }), n, 'a plain object');
  t.is(await checkSearch(t, ITEMS, items, { msi: { m2: 5 } }), 0, 'a sub-map is not equal');
  t.is(await checkSearch(t, ITEMS, items, { msi: { m2: 5, q: 1, z: 0 } }), 0, 'a super-map is not equal');
  t.is(await checkSearch(t, ITEMS, items, { msi: { m2: 5, q: 0 } }), items.filter((_, k) => k % 3 === 2 && k % 7 === 5 && k % 2 === 0).length);
  t.is(await checkSearch(t, FK, fkData, { mif: new Map([[-1n, 0.125]]) }), 1);
});

// ---- ranges -------------------------------------------------------------------------------------------

test('ranges on int64: lower <= v < upper, negatives and the extremes', async (t) => {
  await checkSearch(t, ITEMS, items, { i: [-100_000, 100_000] });
  await checkSearch(t, ITEMS, items, { i: [-1_000_000_000, -1] });
  t.is(await checkSearch(t, ITEMS, items, { i: [INT64_MIN, INT64_MIN + 2n] }), 2, 'the minimum is included');
  t.is(await checkSearch(t, ITEMS, items, { i: [INT64_MIN + 1n, INT64_MIN + 2n] }), 1);
  t.is(await checkSearch(t, ITEMS, items, { i: [INT64_MAX - 1n, INT64_MAX] }), 1, 'the maximum is the excluded upper bound');
  t.is(await checkSearch(t, ITEMS, items, { i: [INT64_MIN, INT64_MAX] }), items.length - 1, 'everything but the maximum');
  t.is(await checkSearch(t, ITEMS, items, { i: [-3, 4] }), 3, '-3, 0 and 3');
  t.is(await checkSearch(t, ITEMS, items, { i: [-3, 3] }), 2, 'the upper bound is excluded');
  t.is(await checkSearch(t, ITEMS, items, { i: [-2, 3] }), 1, 'the lower bound is included only when equal');
  t.is(await checkSearch(t, ITEMS, items, { i: [1, 3] }), 0);
  t.is(await checkSearch(t, ITEMS, items, { i: [5, 5] }), 0, 'an empty range');
  t.is(await checkSearch(t, ITEMS, items, { i: [1000, -1000] }), 0, 'an inverted range');
  t.is(await checkSearch(t, ITEMS, items, { i: [-(2n ** 53n) - 3n, 2n ** 53n + 5n] }), items.length - 5, 'bigint bounds');
});

test('ranges on floats, infinities included', async (t) => {
  await checkSearch(t, ITEMS, items, { f: [-1.5, 2.25] });
  t.is(await checkSearch(t, ITEMS, items, { f: [-Infinity, -1e308] }), 1, '-inf is included as lower bound');
  t.is(await checkSearch(t, ITEMS, items, { f: [1e300, Infinity] }), 1, 'inf is excluded as upper bound');
  t.is(await checkSearch(t, ITEMS, items, { f: [-Infinity, Infinity] }), items.length - 1);
  t.is(await checkSearch(t, ITEMS, items, { f: [-1e-299, 1e-299] }), 3, '-1e-300, 5e-324 and 0');
  t.is(await checkSearch(t, ITEMS, items, { f: [0.25, 0.5] }), 1);
  await checkSearch(t, ITEMS, items, { f: [-37.375, 0] });
  await checkSearch(t, FK, fkData, { x: [-3.25, 2.5] });
});

test('ranges on strings compare bytes: uppercase before lowercase, UTF-8 after ASCII, prefixes first', async (t) => {
  const count = (pred: (s: string) => boolean) => items.filter((o) => typeof o.s === 'string' && pred(o.s)).length;
  t.is(await checkSearch(t, ITEMS, items, { s: ['A', 'Z'] }), count((s) => s === 'A' || s === 'Apple'));
  t.is(await checkSearch(t, ITEMS, items, { s: ['a', 'b'] }), count((s) => ['a', 'ab', 'abc', 'a b', 'apple'].includes(s)));
  t.is(await checkSearch(t, ITEMS, items, { s: ['ab', 'abd'] }), count((s) => s === 'ab' || s === 'abc'));
  t.is(await checkSearch(t, ITEMS, items, { s: ['z', '{'] }), count((s) => s === 'z' || s === 'zz'));
  t.is(await checkSearch(t, ITEMS, items, { s: ['~', Buffer.from([0xc3, 0xa9])] }), count((s) => s === '~'), 'é (c3 a9) sorts after ~ (7e)');
  t.is(await checkSearch(t, ITEMS, items, { s: ['\u007f', Buffer.from([0xff])] }), count((s) => s === 'é' || s === 'ü'));
  t.is(await checkSearch(t, ITEMS, items, { s: [Buffer.from([0xff]), Buffer.from([0xff, 0xff])] }), 1, 'the non-UTF-8 value');
  t.is(await checkSearch(t, ITEMS, items, { s: ['', 'A'] }), count((s) => s === '' || s === '0'), 'the empty string is the least');
  await checkSearch(t, ITEMS, items, { s: ['B', 'b'] });
});

// ---- conjunctions -----------------------------------------------------------------------------------

test('conjunctions of several attributes, equality and ranges mixed', async (t) => {
  t.true((await checkSearch(t, ITEMS, items, { grp: 'g3', i: [-500_000, 500_000] })) > 0);
  t.true((await checkSearch(t, ITEMS, items, { grp: 'g3', i: [-500_000, 500_000], f: [-20, 20] })) > 0);
  await checkSearch(t, ITEMS, items, { s: ['a', 'b'], ss: ['t1'], li: [1, -1] });
  t.true((await checkSearch(t, ITEMS, items, { ss: ['t0'], msi: { m0: 0, q: 0 } })) > 0);
  t.is(await checkSearch(t, ITEMS, items, { grp: 'g3', s: 'zz', i: [0, 1_000_000], f: [0, 100], li: [0, -3], msi: { m1: 6, q: 1 } }), expected(ITEMS, items, { grp: 'g3', s: 'zz', i: [0, 1_000_000], f: [0, 100], li: [0, -3], msi: { m1: 6, q: 1 } }).length);
  t.is(await checkSearch(t, ITEMS, items, { grp: 'g3', k: 'obj004' }), 0, 'contradictory');
  t.is(await checkSearch(t, ITEMS, items, { grp: 'g4', k: ['obj100', 'obj200'] }), 10);
});

// ---- errors ---------------------------------------------------------------------------------------------

test('UNKNOWNATTR names the attribute, for search, count, group_del and sorted_search', async (t) => {
  const want = { status: 'UNKNOWNATTR', attr: 'nope' };
  t.deepEqual(await statusOf(() => collect(() => client.search('items', { grp: 'g1', nope: 1 }))), want);
  t.deepEqual(await statusOf(() => client.count('items', { nope: 'x' })), want);
  t.deepEqual(await statusOf(() => client.group_del('items', { nope: [1, 2] })), want);
  t.deepEqual(await statusOf(() => collect(() => client.sorted_search('items', { nope: 1 }, 'i', 5, 'ascending'))), want);
  t.deepEqual(await statusOf(() => collect(() => client.sorted_search('items', {}, 'nope', 5, 'ascending'))), want, 'an unknown sort attribute');
  t.is(await client.count('items', {}), items.length, 'nothing was deleted');
});

test('WRONGTYPE names the attribute', async (t) => {
  const cases: [Predicate, string][] = [
    [{ i: 'one' }, 'i'],
    [{ i: 1.5 }, 'i'],
    [{ i: 2n ** 63n }, 'i'],
    [{ f: 'x' }, 'f'],
    [{ s: 5 }, 's'],
    [{ li: 5 }, 'li'],
    [{ li: ['x'] }, 'li'],
    [{ ss: 'x' }, 'ss'],
    [{ ss: [1, 2] }, 'ss'],
    [{ msi: { a: 'x' } }, 'msi'],
    [{ msi: [1, 2] }, 'msi'],
    [{ i: [1, 'x'] }, 'i'],
    [{ i: [1, 2, 3] }, 'i'],
    [{ s: ['a'] }, 's'],
    [{ f: [0, 'x'] }, 'f'],
    [{ grp: 'g1', k: 5.5 }, 'k'],
  ];
  for (const [pred, attr] of cases) {
    const label = JSON.stringify(pred, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    t.deepEqual(await statusOf(() => collect(() => client.search('items', pred))), { status: 'WRONGTYPE', attr }, `search ${label}`);
    t.deepEqual(await statusOf(() => client.count('items', pred)), { status: 'WRONGTYPE', attr }, `count ${label}`);
  }
  t.deepEqual(await statusOf(() => client.group_del('items', { i: 'x' })), { status: 'WRONGTYPE', attr: 'i' });
  t.deepEqual(await statusOf(() => collect(() => client.search('ik', { id: 'x' }))), { status: 'WRONGTYPE', attr: 'id' });
  t.is(await client.count('items', {}), items.length, 'nothing was deleted');
});

test('UNKNOWNSPACE for search, count, group_del and sorted_search', async (t) => {
  const want = { status: 'UNKNOWNSPACE', attr: undefined };
  t.deepEqual(await statusOf(() => collect(() => client.search('nosuchspace', {}))), want);
  t.deepEqual(await statusOf(() => client.count('nosuchspace', {})), want);
  t.deepEqual(await statusOf(() => client.group_del('nosuchspace', {})), want);
  t.deepEqual(await statusOf(() => collect(() => client.sorted_search('nosuchspace', {}, 'x', 1, 'descending'))), want);
});

// ---- count -----------------------------------------------------------------------------------------------

test('count equals the number of search results', async (t) => {
  const preds: Predicate[] = [{}, { grp: 'g7' }, { s: 'a' }, { i: [-1_000_000, 0] }, { f: [0, 1e301] }, { ss: ['t2'] }, { li: [0, 0] }, { grp: 'g1', s: ['a', 'z'] }, { k: 'obj000' }, { s: 'none' }];
  for (const pred of preds) {
    const results = await collect(() => client.search('items', pred));
    t.is(await client.count('items', pred), results.length, JSON.stringify(pred));
  }
});

// ---- group_del ---------------------------------------------------------------------------------------------

test('group_del deletes exactly the matches, returns how many, and leaves the others untouched', async (t) => {
  const GD: Schema = { name: 'gd', key: 'id', keyType: T.int64, attrs: { color: T.string, n: T.int64, tags: T.set('int64') } };
  const colors = ['red', 'green', 'blue'];
  let live: Record<string, unknown>[] = Array.from({ length: 150 }, (_, n) => ({ id: BigInt(n) * 1_000_003n - 75_000_000n, color: colors[n % 3], n, tags: [n % 4, -(n % 5)] }));
  t.true((await putAll('gd', GD, live)).every((x) => x));
  const step = async (pred: Predicate, label: string) => {
    const before = await client.count('gd', pred);
    const want = live.filter((o) => matches(GD, o, pred as Record<string, Cond>));
    t.is(before, want.length, `count before ${label}`);
    t.is(await client.group_del('gd', pred), want.length, `group_del ${label} returns how many`);
    t.is(await client.count('gd', pred), 0, `count after ${label}`);
    live = live.filter((o) => !matches(GD, o, pred as Record<string, Cond>));
    await checkSearch(t, GD, live, {}, `what is left after ${label}`);
    return want.length;
  };
  t.is(await step({ color: 'red' }, 'red'), 50);
  t.is(await client.group_del('gd', { color: 'red' }), 0, 'again: nothing left to delete');
  t.is(await step({ n: [100, 120] }, 'n in [100, 120) (reds gone)'), 14);
  const tagged = live.filter((o) => show(GD.attrs.tags, o.tags) === show(GD.attrs.tags, [1, -2])).length;
  t.true(tagged > 0);
  t.is(await step({ tags: [-2, 1] }, 'tags {-2, 1}'), tagged);
  t.true((await step({ color: 'blue', id: [-75_000_000, 0] }, 'blue with negative ids')) > 0);
  t.deepEqual(await statusOf(() => client.group_del('gd', { color: 'green', nope: 1 })), { status: 'UNKNOWNATTR', attr: 'nope' });
  t.is(await client.count('gd', {}), live.length, 'a refused group_del deletes nothing');
  const rest = live.length;
  t.true(rest > 0);
  t.is(await step({}, 'everything'), rest);
  t.is(await client.count('gd', {}), 0);
});

// ---- sorted_search ---------------------------------------------------------------------------------------------

async function checkSorted(t: ExecutionContext, s: Schema, data: readonly Record<string, unknown>[], pred: Predicate, by: string, limit: number, order: 'ascending' | 'descending'): Promise<void> {
  const label = `sorted_search ${JSON.stringify(pred, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))} by ${by} ${order} limit ${limit}`;
  const got = await collect(() => client.sorted_search(s.name, pred, by, limit, order));
  const t0 = typeOf(s, by).kind as Scalar;
  const sign = order === 'ascending' ? 1 : -1;
  const all = data.filter((o) => matches(s, o, pred as Record<string, Cond>)).sort((a, b) => sign * cmpScalar(t0, a[by], b[by]));
  const want = all.slice(0, limit);
  t.is(got.length, want.length, `${label}: how many`);
  // The values in order must be exactly those of the best `limit` matches; objects with equal values
  // may come in either order, so compare the objects as sets per value.
  t.deepEqual(got.map((o) => showScalar(t0, o[by])), want.map((o) => showScalar(t0, o[by])), `${label}: values in order`);
  const gotObjs = got.map((o) => showObject(s, o, true));
  t.is(new Set(gotObjs).size, gotObjs.length, `${label}: no object twice`);
  const matching = new Set(all.map((o) => showObject(s, o, false)));
  t.true(gotObjs.every((o) => matching.has(o)), `${label}: every result matches and is complete`);
  const unique = new Set(all.map((o) => showScalar(t0, o[by]))).size === all.length;
  if (unique) t.deepEqual(gotObjs, want.map((o) => showObject(s, o, false)), `${label}: objects in order`);
}

test('sorted_search on int64, float and string attributes, both orders, limits 1, 5 and more than the matches', async (t) => {
  for (const by of ['i', 'f', 's', 'k'])
    for (const order of ['ascending', 'descending'] as const)
      for (const limit of [1, 5, 1000]) {
        await checkSorted(t, ITEMS, items, {}, by, limit, order);
        await checkSorted(t, ITEMS, items, { grp: 'g3' }, by, limit, order);
      }
  await checkSorted(t, ITEMS, items, { i: [-100_000, 100_000], s: ['a', 'c'] }, 'f', 5, 'descending');
  await checkSorted(t, ITEMS, items, { s: 'none' }, 'i', 5, 'ascending');
  await checkSorted(t, IK, ikData, {}, 'id', 3, 'descending');
  await checkSorted(t, IK, ikData, {}, 'id', 3, 'ascending');
  await checkSorted(t, FK, fkData, { name: 'fk2' }, 'x', 4, 'descending');
});

test('sorted_search accepts min and max for the order', async (t) => {
  const min = await collect(() => client.sorted_search('items', {}, 'i', 2, 'min'));
  const max = await collect(() => client.sorted_search('items', {}, 'i', 2, 'max'));
  t.deepEqual(min.map((o) => show(T.int64, o.i)), [`i:${INT64_MIN}`, `i:${INT64_MIN + 1n}`]);
  t.deepEqual(max.map((o) => show(T.int64, o.i)), [`i:${INT64_MAX}`, `i:${INT64_MAX - 1n}`]);
});

test('sorted_search by a container attribute is WRONGTYPE, naming it', async (t) => {
  for (const by of ['li', 'ss', 'msi'])
    t.deepEqual(await statusOf(() => collect(() => client.sorted_search('items', {}, by, 5, 'ascending'))), { status: 'WRONGTYPE', attr: by });
  t.deepEqual(await statusOf(() => collect(() => client.sorted_search('fk', {}, 'sf', 5, 'descending'))), { status: 'WRONGTYPE', attr: 'sf' });
});

test('sorted_search with many equal values: the values in order, each object once', async (t) => {
  const TIES: Schema = { name: 'ties', key: 'k', keyType: T.string, attrs: { s: T.string, n: T.int64, f: T.float } };
  const data = Array.from({ length: 90 }, (_, n) => ({ k: `t${String(n).padStart(2, '0')}`, s: `v${n % 4}`, n: n % 5, f: (n % 3) / 2 }));
  t.true((await putAll('ties', TIES, data)).every((x) => x));
  for (const by of ['s', 'n', 'f'])
    for (const order of ['ascending', 'descending'] as const) for (const limit of [1, 5, 30, 200]) await checkSorted(t, TIES, data, {}, by, limit, order);
});

test('sorted_search breaks ties by key, so that the result does not depend on where objects are stored', async (t) => {
  // src/daemon/sort.ts: "ties keep key order, so the result does not depend on where objects were
  // stored". Each daemon does so; the result the client yields must too, after merging the daemons.
  const keys = Array.from({ length: 30 }, (_, n) => `t${String(n).padStart(2, '0')}`);
  t.true((await Promise.all(keys.map((k, n) => client.put('tiekeys', k, { n: n % 2 })))).every((x) => x));
  const byKey = (n: number) => keys.filter((_, i) => i % 2 === n);
  for (const order of ['ascending', 'descending'] as const)
    for (const limit of [5, 30]) {
      const got = (await collect(() => client.sorted_search('tiekeys', {}, 'n', limit, order))).map((o) => `${o.k}:${o.n}`);
      const all = (order === 'ascending' ? [0, 1] : [1, 0]).flatMap((n) => byKey(n).map((k) => `${k}:${n}`));
      t.deepEqual(got, all.slice(0, limit), `${order}, limit ${limit}`);
    }
});

// ---- results in several batches, spaces with a secondary subspace ----------------------------------------

test('results that take several batches from each daemon arrive complete: many objects, and large ones', async (t) => {
  const MANY: Schema = { name: 'many', key: 'id', keyType: T.int64, attrs: { pad: T.string, n: T.int64 } };
  // ~400 objects per daemon (more than one batch of objects), and 24 of 200 KiB (more than one batch of bytes)
  const data: Record<string, unknown>[] = Array.from({ length: 1200 }, (_, n) => ({ id: BigInt(n) * 7_777_777_777n - 4_000_000_000_000n, pad: `p${n % 7}`, n }));
  for (let n = 0; n < 24; n++) data.push({ id: 10n ** 15n + BigInt(n), pad: String.fromCharCode(97 + (n % 26)).repeat(200 * 1024), n: 5000 + n });
  for (let i = 0; i < data.length; i += 200) t.true((await putAll('many', MANY, data.slice(i, i + 200))).every((x) => x));
  t.is(await checkSearch(t, MANY, data, {}, 'everything'), data.length);
  t.is(await checkSearch(t, MANY, data, { n: [5000, 6000] }, 'the large ones'), 24);
  await checkSearch(t, MANY, data, { pad: 'p3' });
  await checkSorted(t, MANY, data, {}, 'n', 1000, 'descending');
  await checkSorted(t, MANY, data, { n: [0, 5010] }, 'n', 300, 'descending');
  await checkSorted(t, MANY, data, {}, 'id', 2000, 'ascending');
});

test('a space with a secondary subspace: search, count, sorted_search and group_del', async (t) => {
  const SUB: Schema = { name: 'sub', key: 'k', keyType: T.string, attrs: { s: T.string, i: T.int64, f: T.float } };
  let data: Record<string, unknown>[] = Array.from({ length: 80 }, (_, n) => ({ k: `s${n}`, s: `v${n % 5}`, i: BigInt(n - 40), f: n / 3 }));
  t.true((await putAll('sub', SUB, data)).every((x) => x));
  t.is(await checkSearch(t, SUB, data, {}), 80);
  t.is(await checkSearch(t, SUB, data, { s: 'v2', i: [-10, 30] }), 8);
  await checkSorted(t, SUB, data, { s: 'v1' }, 'f', 5, 'descending');
  t.is(await client.group_del('sub', { s: 'v3' }), 16);
  data = data.filter((o) => o.s !== 'v3');
  t.is(await checkSearch(t, SUB, data, {}), 64);
});

// ---- a search sees what was written before it -------------------------------------------------------------------

test('a search sees the objects written before it, their updates and their deletions', async (t) => {
  const FRESH: Schema = { name: 'fresh', key: 'k', keyType: T.string, attrs: { s: T.string, n: T.int64 } };
  let data: Record<string, unknown>[] = Array.from({ length: 60 }, (_, n) => ({ k: `f${n}`, s: n % 2 ? 'odd' : 'even', n }));
  t.true((await putAll('fresh', FRESH, data)).every((x) => x));
  await checkSearch(t, FRESH, data, {}, 'right after the puts');
  await checkSearch(t, FRESH, data, { s: 'odd' });
  t.true(await client.put('fresh', 'f3', { s: 'changed' }));
  data = data.map((o) => (o.k === 'f3' ? { ...o, s: 'changed' } : o));
  t.is(await checkSearch(t, FRESH, data, { s: 'changed' }), 1, 'the updated value is found');
  t.is(await checkSearch(t, FRESH, data, { s: 'odd' }), 29, 'the old value no longer matches');
  t.true(await client.atomic_add('fresh', 'f4', { n: 1000 }));
  data = data.map((o) => (o.k === 'f4' ? { ...o, n: 1004 } : o));
  t.is(await checkSearch(t, FRESH, data, { n: [1000, 2000] }), 1, 'an atomic change is seen');
  t.true(await client.del('fresh', 'f5'));
  data = data.filter((o) => o.k !== 'f5');
  t.is(await checkSearch(t, FRESH, data, { s: 'odd' }), 28, 'a deleted object is gone');
  t.true(await client.put_if_not_exist('fresh', 'f100', { s: 'odd', n: 100 }));
  data.push({ k: 'f100', s: 'odd', n: 100 });
  t.is(await checkSearch(t, FRESH, data, { s: 'odd' }), 29);
  t.is(await checkSearch(t, FRESH, data, {}), 60);
});
