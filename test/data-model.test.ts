// The data model end to end: every atomic method of the TypeScript client on every type it applies
// to, its errors (WRONGTYPE naming the attribute, OVERFLOW, false for a missing object), search,
// count, sorted_search and group_del, against a real coordinator and daemon on loopback. The
// semantics are the manuals' (seed 000 ch. 5-6, seed 001's comprehensive walk).

import test, { ExecutionContext } from 'ava';
import { Attributes, AtomicMethod, Client, HyperObject, Key, Value } from '../src/client/client';
import { AttrType, ScalarType } from '../src/common/datatypes';
import { LIMITS } from '../src/common/protocol';
import { SharedScope, startCluster } from './helpers/cluster';
import { statusOf } from './helpers/status';

const scope = new SharedScope();
let c: Client;
let raw: Client;

const SPACE = 'dm';
const SEARCH_SPACE = 'dmsearch';
const SCALARS: readonly ScalarType[] = ['string', 'int64', 'float'];
const CODE: Record<ScalarType, string> = { string: 's', int64: 'i', float: 'f' };
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

/** s, i, f, ls..lf, ss..sf, mss..mff: one attribute of each of the 18 types. */
const TYPES: { name: string; type: AttrType }[] = [
  ...SCALARS.map((k) => ({ name: CODE[k], type: { kind: k } as AttrType })),
  ...SCALARS.map((k) => ({ name: `l${CODE[k]}`, type: { kind: 'list', elem: k } as AttrType })),
  ...SCALARS.map((k) => ({ name: `s${CODE[k]}`, type: { kind: 'set', elem: k } as AttrType })),
  ...SCALARS.flatMap((k) => SCALARS.map((v) => ({ name: `m${CODE[k]}${CODE[v]}`, type: { kind: 'map', key: k, value: v } as AttrType }))),
];
const spell = (t: AttrType): string =>
  t.kind === 'list' || t.kind === 'set' ? `${t.kind}(${t.elem})` : t.kind === 'map' ? `map(${t.key}, ${t.value})` : t.kind;
const ATTRIBUTES = `${TYPES.map((a) => `${spell(a.type)} ${a.name}`).join(', ')}, int64 j`;

test.before(async () => {
  const { coord } = await startCluster(scope);
  c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000 });
  raw = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000, strings: 'buffer' });
  await c.addSpace(`space ${SPACE} key k attributes ${ATTRIBUTES}`);
  await c.addSpace(`space ${SEARCH_SPACE} key k attributes ${ATTRIBUTES}`);
});

test.after.always(async () => {
  await c?.close();
  await raw?.close();
  await scope.close();
});

// -- helpers ------------------------------------------------------------------------------------

/** Sets as arrays and maps as entry arrays, in the order they came back (the canonical order). */
function norm(v: unknown): unknown {
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.entries()];
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

async function obj(key: Key): Promise<HyperObject> {
  const o = await c.get(SPACE, key);
  if (!o) throw new Error(`no object under ${String(key)}`);
  return o;
}

async function field(key: Key, name: string): Promise<unknown> {
  return norm((await obj(key))[name]);
}

/** The call fails with `status` naming `attr`, and the object is as it was. */
async function fails(t: ExecutionContext, key: Key, p: () => Promise<unknown>, status: string, attr: string | undefined, what: string): Promise<void> {
  const before = await c.get(SPACE, key);
  t.deepEqual(await statusOf(p()), { status, attr }, what);
  t.deepEqual(norm(await c.get(SPACE, key)), norm(before), `${what}: the object is unchanged`);
}

type Method = AtomicMethod;

function call(client: Client, method: Method, key: Key, attrs: Attributes): Promise<boolean> {
  return client[method](SPACE, key, attrs);
}

const ARITH: readonly Method[] = ['atomic_add', 'atomic_sub', 'atomic_mul', 'atomic_div'];
const INTEGER: readonly Method[] = ['atomic_mod', 'atomic_and', 'atomic_or', 'atomic_xor'];

/** Which types each method applies to, from the manuals. */
function applies(method: Method, t: AttrType): boolean {
  const scalarOp = (m: string, k: ScalarType): boolean => {
    if (m === 'string_prepend' || m === 'string_append') return k === 'string';
    if ((ARITH as string[]).includes(m)) return k !== 'string';
    if ((INTEGER as string[]).includes(m)) return k === 'int64';
    return false;
  };
  if (method.startsWith('map_') && method !== 'map_add') {
    if (t.kind !== 'map') return false;
    return method === 'map_remove' || scalarOp(method.slice(4), t.value);
  }
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return scalarOp(method, t.kind);
    case 'list':
      return method === 'list_lpush' || method === 'list_rpush';
    case 'set':
      return method === 'set_add' || method === 'set_remove' || method === 'set_union' || method === 'set_intersect';
    case 'map':
      return method === 'map_add';
  }
}

const ALL_METHODS: readonly Method[] = [
  ...ARITH,
  ...INTEGER,
  'string_prepend',
  'string_append',
  'list_lpush',
  'list_rpush',
  'set_add',
  'set_remove',
  'set_intersect',
  'set_union',
  'map_add',
  'map_remove',
  ...ARITH.map((m) => `map_${m}` as Method),
  ...INTEGER.map((m) => `map_${m}` as Method),
  'map_string_prepend',
  'map_string_append',
];

// Sample elements of each scalar type, ascending.
const SAMPLES: Record<ScalarType, readonly (string | number)[]> = {
  string: ['a', 'b', 'c', 'd'],
  int64: [-3, 0, 5, 10],
  float: [-2.5, 0.5, 1.5, 3.25],
};
const VALUES: Record<ScalarType, readonly (string | number)[]> = {
  string: ['v0', 'v1', 'v2', 'v3'],
  int64: [10, 20, -30, 40],
  float: [0.5, -1.25, 2.75, 1e10],
};

function sampleOperand(method: Method, t: AttrType): unknown {
  const scalarOf = (k: ScalarType) => (k === 'string' ? 'z' : 3);
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return scalarOf(t.kind);
    case 'list':
      return SAMPLES[t.elem][1];
    case 'set':
      return method === 'set_union' || method === 'set_intersect' ? new Set([SAMPLES[t.elem][1]]) : SAMPLES[t.elem][1];
    case 'map':
      return new Map([[SAMPLES[t.key][1], method === 'map_add' || method === 'map_remove' ? VALUES[t.value][1] : scalarOf(t.value)]]);
  }
}

// -- each method on each type -------------------------------------------------------------------

test('every method succeeds on each type it applies to and is WRONGTYPE naming the attribute on every other', async (t) => {
  const key = 'matrix';
  t.true(await c.put(SPACE, key, { s: 'kept' }));
  let applicable = 0;
  for (const method of ALL_METHODS)
    for (const a of TYPES) {
      const what = `${method} on ${a.name} (${spell(a.type)})`;
      if (applies(method, a.type)) {
        applicable++;
        t.true(await call(c, method, key, { [a.name]: sampleOperand(method, a.type) as Value }), what);
      } else {
        const value = a.type.kind === 'map' ? sampleOperand('map_add', a.type) : sampleOperand(method, a.type);
        t.deepEqual(await statusOf(call(c, method, key, { [a.name]: value as Value })), { status: 'WRONGTYPE', attr: a.name }, what);
      }
    }
  // 4x2 + 4 numbers, 2 strings, 2x3 lists, 4x3 sets, 9 map_add; on map values 9 map_remove, 4x6 + 4x3 numbers, 2x3 strings.
  t.is(applicable, 8 + 4 + 2 + 6 + 12 + 9 + 9 + 24 + 12 + 6);
  // Only the applicable calls changed anything: s got 'z' on both ends; i and f went back to 0.
  const o = await obj(key);
  t.is(o.s, 'zkeptz');
  t.is(o.i, 0);
  t.is(o.f, 0);
  t.deepEqual(o.ls, ['b', 'b']);
});

test('atomic_add, atomic_sub, atomic_mul, atomic_div on int64 and float (seed 001)', async (t) => {
  const key = 'arith';
  t.true(await c.put(SPACE, key, { s: 'some string' }));
  const steps: [Method, number, number, number, number][] = [
    ['atomic_add', 1, 0.25, 1, 0.25],
    ['atomic_sub', 2, 0.5, -1, -0.25],
    ['atomic_mul', 2, 4, -2, -1],
    ['atomic_div', 2, 4, -1, -0.25],
  ];
  for (const [method, i, f, ei, ef] of steps) {
    t.true(await call(c, method, key, { i, f }), method);
    const o = await obj(key);
    t.is(o.i, ei, method);
    t.is(o.f, ef, method);
    t.is(o.s, 'some string', method);
  }
});

test('atomic_mod, atomic_and, atomic_or, atomic_xor on int64, negatives included', async (t) => {
  const key = 'bits';
  t.true(await c.put(SPACE, key, { i: 0xdeadbeefcafe }));
  t.true(await c.atomic_and(SPACE, key, { i: 0xffffffff0000 }));
  t.is((await obj(key)).i, 0xdeadbeef0000);
  t.true(await c.atomic_or(SPACE, key, { i: 0xcafe }));
  t.is((await obj(key)).i, 0xdeadbeefcafe);
  t.true(await c.atomic_xor(SPACE, key, { i: 0xdea5a0403af3 }));
  t.is((await obj(key)).i, 0x81eaff00d);
  t.true(await c.atomic_mod(SPACE, key, { i: 1000 }));
  t.is((await obj(key)).i, 0x81eaff00d % 1000);
  // Negatives: two's complement over 64 bits.
  const cases: [Method, bigint, bigint, bigint][] = [
    ['atomic_and', -6n, -3n, -8n],
    ['atomic_or', -8n, 3n, -5n],
    ['atomic_xor', 12n, -1n, -13n],
    ['atomic_xor', MAX, -1n, MIN],
    ['atomic_and', MIN, -1n, MIN],
    ['atomic_or', MIN, MAX, -1n],
    // Floored, as HyperDex 0.4 (and Python): the remainder takes the divisor's sign.
    ['atomic_div', -7n, 2n, -4n],
    ['atomic_div', 7n, -2n, -4n],
    ['atomic_div', 7n, -3n, -3n],
    ['atomic_div', -7n, 3n, -3n],
    ['atomic_mod', -7n, 2n, 1n],
    ['atomic_mod', 7n, -2n, -1n],
    ['atomic_mod', 7n, -3n, -2n],
    ['atomic_mod', -7n, 3n, 2n],
  ];
  for (const [method, a, b, r] of cases) {
    t.true(await c.put(SPACE, key, { i: a }));
    t.true(await call(c, method, key, { i: b }), `${method} ${a} ${b}`);
    t.is(BigInt((await obj(key)).i as number | bigint), r, `${method} ${a} ${b}`);
  }
});

test('string_prepend and string_append', async (t) => {
  const key = 'strings';
  t.true(await c.put(SPACE, key, { s: 'some string' }));
  t.true(await c.string_prepend(SPACE, key, { s: '->' }));
  t.is((await obj(key)).s, '->some string');
  t.true(await c.string_append(SPACE, key, { s: '<-' }));
  t.is((await obj(key)).s, '->some string<-');
  t.true(await c.string_append(SPACE, key, { s: '' }));
  t.is((await obj(key)).s, '->some string<-');
});

test('list_lpush and list_rpush on lists of string, int64 and float', async (t) => {
  for (const k of SCALARS) {
    const key = `lists-${k}`;
    const name = `l${CODE[k]}`;
    const [A, B, C] = SAMPLES[k];
    t.true(await c.put(SPACE, key, {}));
    t.true(await c.list_rpush(SPACE, key, { [name]: B }), name);
    t.true(await c.list_lpush(SPACE, key, { [name]: A }), name);
    t.true(await c.list_rpush(SPACE, key, { [name]: C }), name);
    t.true(await c.list_rpush(SPACE, key, { [name]: A }), name);
    t.deepEqual(await field(key, name), [A, B, C, A], name);
  }
});

test('set_add, set_remove, set_union, set_intersect on sets of string, int64 and float', async (t) => {
  for (const k of SCALARS) {
    const key = `sets-${k}`;
    const name = `s${CODE[k]}`;
    const [A, B, C, D] = SAMPLES[k];
    t.true(await c.put(SPACE, key, {}));
    t.true(await c.set_add(SPACE, key, { [name]: C }));
    t.deepEqual(await field(key, name), [C], name);
    t.true(await c.set_add(SPACE, key, { [name]: C }));
    t.deepEqual(await field(key, name), [C], `${name}: adding again changes nothing`);
    t.true(await c.set_remove(SPACE, key, { [name]: C }));
    t.deepEqual(await field(key, name), [], name);
    t.true(await c.set_remove(SPACE, key, { [name]: C }));
    t.deepEqual(await field(key, name), [], `${name}: removing from an empty set`);
    t.true(await c.set_union(SPACE, key, { [name]: new Set([C, A, B]) }));
    t.deepEqual(await field(key, name), [A, B, C], name);
    t.true(await c.set_intersect(SPACE, key, { [name]: new Set([A, B, D]) }));
    t.deepEqual(await field(key, name), [A, B], name);
    t.true(await c.set_union(SPACE, key, { [name]: [] }));
    t.deepEqual(await field(key, name), [A, B], `${name}: union with the empty set`);
    t.true(await c.set_intersect(SPACE, key, { [name]: new Set() }));
    t.deepEqual(await field(key, name), [], `${name}: intersection with the empty set`);
  }
});

test('map_add and map_remove on maps of each key and value type; removing a missing key is a no-op', async (t) => {
  for (const k of SCALARS)
    for (const v of SCALARS) {
      const key = `maps-${k}-${v}`;
      const name = `m${CODE[k]}${CODE[v]}`;
      const [K0, K1, , K3] = SAMPLES[k];
      const [V0, V1, V2, V3] = VALUES[v];
      t.true(await c.put(SPACE, key, {}));
      t.true(await c.map_add(SPACE, key, { [name]: new Map([[K0, V0]]) }), name);
      t.true(await c.map_add(SPACE, key, { [name]: new Map([[K1, V1], [K0, V2]]) }), name);
      t.deepEqual(await field(key, name), [[K0, V2], [K1, V1]], name);
      t.true(await c.map_remove(SPACE, key, { [name]: new Map([[K0, V3]]) }), name);
      t.deepEqual(await field(key, name), [[K1, V1]], name);
      t.true(await c.map_remove(SPACE, key, { [name]: new Map([[K3, V0]]) }), `${name}: a missing key`);
      t.deepEqual(await field(key, name), [[K1, V1]], `${name}: removing a missing key changes nothing`);
    }
});

test('map_atomic_* on maps with int64 values, for each key type; a missing key starts from 0', async (t) => {
  for (const k of SCALARS) {
    const key = `mapints-${k}`;
    const name = `m${CODE[k]}i`;
    const [K0, K1, K2] = SAMPLES[k];
    t.true(await c.put(SPACE, key, { [name]: new Map([[K0, 99], [K1, 16]]) }));
    const steps: [Method, number, number][] = [
      ['map_atomic_add', 16, 32],
      ['map_atomic_sub', -32, 64],
      ['map_atomic_mul', 4, 256],
      ['map_atomic_div', 64, 4],
      ['map_atomic_and', 2, 0],
      ['map_atomic_or', 5, 5],
      ['map_atomic_xor', 7, 2],
      ['map_atomic_sub', 9, -7],
      ['map_atomic_mod', 2, 1], // -7 mod 2, floored
    ];
    for (const [method, operand, expect] of steps) {
      t.true(await call(c, method, key, { [name]: new Map([[K1, operand]]) }), `${method} on ${name}`);
      t.deepEqual(await field(key, name), [[K0, 99], [K1, expect]], `${method} on ${name}`);
    }
    t.true(await c.map_atomic_sub(SPACE, key, { [name]: new Map([[K2, 3]]) }));
    t.deepEqual(await field(key, name), [[K0, 99], [K1, 1], [K2, -3]], `${name}: a missing key starts from 0`);
    t.true(await c.map_atomic_or(SPACE, key, { [name]: new Map([[K0, 1], [K2, 1]]) }), 'two keys of one map in one call');
    t.deepEqual(await field(key, name), [[K0, 99], [K1, 1], [K2, -3]], `${name}: or 1 on odd values`);
  }
});

test('map_atomic_add/sub/mul/div on maps with float values, for each key type; a missing key starts from 0.0', async (t) => {
  for (const k of SCALARS) {
    const key = `mapfloats-${k}`;
    const name = `m${CODE[k]}f`;
    const [K0, K1, K2] = SAMPLES[k];
    t.true(await c.put(SPACE, key, { [name]: new Map([[K0, 9.5], [K1, 0.5]]) }));
    const steps: [Method, number, number][] = [
      ['map_atomic_add', 0.25, 0.75],
      ['map_atomic_sub', 1, -0.25],
      ['map_atomic_mul', 4, -1],
      ['map_atomic_div', 4, -0.25],
    ];
    for (const [method, operand, expect] of steps) {
      t.true(await call(c, method, key, { [name]: new Map([[K1, operand]]) }), `${method} on ${name}`);
      t.deepEqual(await field(key, name), [[K0, 9.5], [K1, expect]], `${method} on ${name}`);
    }
    t.true(await c.map_atomic_sub(SPACE, key, { [name]: new Map([[K2, 1.5]]) }));
    t.deepEqual(await field(key, name), [[K0, 9.5], [K1, -0.25], [K2, -1.5]], `${name}: a missing key starts from 0.0`);
    t.true(await c.map_atomic_div(SPACE, key, { [name]: new Map([[K0, 0]]) }));
    t.deepEqual(await field(key, name), [[K0, Infinity], [K1, -0.25], [K2, -1.5]], `${name}: float division by zero`);
  }
});

test('map_string_prepend and map_string_append on maps with string values, for each key type; a missing key starts from ""', async (t) => {
  for (const k of SCALARS) {
    const key = `mapstrings-${k}`;
    const name = `m${CODE[k]}s`;
    const [K0, K1, K2] = SAMPLES[k];
    t.true(await c.put(SPACE, key, { [name]: new Map([[K0, 'other'], [K1, 'mapvalue']]) }));
    t.true(await c.map_string_prepend(SPACE, key, { [name]: new Map([[K1, '->']]) }));
    t.true(await c.map_string_append(SPACE, key, { [name]: new Map([[K1, '<-']]) }));
    t.deepEqual(await field(key, name), [[K0, 'other'], [K1, '->mapvalue<-']], name);
    t.true(await c.map_string_append(SPACE, key, { [name]: new Map([[K2, 'x']]) }));
    t.true(await c.map_string_prepend(SPACE, key, { [name]: new Map([[K2, 'w']]) }));
    t.deepEqual(await field(key, name), [[K0, 'other'], [K1, '->mapvalue<-'], [K2, 'wx']], `${name}: a missing key starts from ""`);
  }
});

// -- errors ---------------------------------------------------------------------------------------

test('every method on a missing object is false and creates nothing', async (t) => {
  for (const method of ALL_METHODS) {
    const a = TYPES.find((x) => applies(method, x.type))!;
    const key = `nobody-${method}`;
    t.false(await call(c, method, key, { [a.name]: sampleOperand(method, a.type) as Value }), method);
    t.is(await c.get(SPACE, key), null, `${method} created nothing`);
  }
});

test('WRONGTYPE names the attribute when the operand does not fit; nothing changes', async (t) => {
  const key = 'wrongtype';
  t.true(await c.put(SPACE, key, { s: 'x', i: 1, f: 1.5, ls: ['a'], si: [1], msi: { a: 1 } }));
  await fails(t, key, () => c.atomic_add(SPACE, key, { i: 'one' }), 'WRONGTYPE', 'i', 'atomic_add with a string');
  await fails(t, key, () => c.atomic_add(SPACE, key, { i: 1.5 }), 'WRONGTYPE', 'i', 'atomic_add of 1.5 to an int64');
  await fails(t, key, () => c.atomic_add(SPACE, key, { i: 2n ** 64n }), 'WRONGTYPE', 'i', 'atomic_add past 64 bits');
  await fails(t, key, () => c.atomic_mod(SPACE, key, { f: 2 }), 'WRONGTYPE', 'f', 'atomic_mod on a float');
  await fails(t, key, () => c.string_append(SPACE, key, { s: 5 }), 'WRONGTYPE', 's', 'string_append of a number');
  await fails(t, key, () => c.string_append(SPACE, key, { i: 'x' }), 'WRONGTYPE', 'i', 'string_append to an int64');
  await fails(t, key, () => c.list_rpush(SPACE, key, { ls: ['a', 'b'] }), 'WRONGTYPE', 'ls', 'list_rpush of a list');
  await fails(t, key, () => c.set_add(SPACE, key, { si: 'x' }), 'WRONGTYPE', 'si', 'set_add of a string to set(int64)');
  await fails(t, key, () => c.set_union(SPACE, key, { si: 1 }), 'WRONGTYPE', 'si', 'set_union with a scalar');
  await fails(t, key, () => c.map_add(SPACE, key, { msi: { a: 'x' } }), 'WRONGTYPE', 'msi', 'map_add of a string value to map(string, int64)');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { msi: { a: 'x' } }), 'WRONGTYPE', 'msi', 'map_atomic_add of a string');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { mii: { notanumber: 1 } }), 'WRONGTYPE', 'mii', 'a map key that is not an int64');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { msi: 5 }), 'WRONGTYPE', 'msi', 'map_atomic_add without a map');
  // Another attribute named in the same call is not changed either.
  await fails(t, key, () => c.atomic_add(SPACE, key, { j: 1, i: 'one' }), 'WRONGTYPE', 'i', 'a good and a bad attribute');
  // UNKNOWNATTR and DUPEATTR name the attribute too.
  await fails(t, key, () => c.atomic_add(SPACE, key, { nope: 1 }), 'UNKNOWNATTR', 'nope', 'an unknown attribute');
  await fails(t, key, () => c.atomic_add(SPACE, key, { k: 1 }), 'UNKNOWNATTR', 'k', 'the key');
  await fails(t, key, () => c.atomic_add(SPACE, key, [['i', 1], ['i', 2]]), 'DUPEATTR', 'i', 'an attribute twice');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { mii: { '1': 1, '01': 1 } }), 'DUPEATTR', 'mii', 'one int map key twice (1 and 01)');
});

test('OVERFLOW: int64 results past 64 bits, division or modulus by zero and MIN by -1; nothing changes', async (t) => {
  const key = 'overflow';
  const at = async (i: bigint) => t.true(await c.put(SPACE, key, { i, j: 5, msi: new Map<string, bigint>([['a', i]]) }));
  await at(MAX);
  await fails(t, key, () => c.atomic_add(SPACE, key, { i: 1 }), 'OVERFLOW', 'i', 'MAX + 1');
  await fails(t, key, () => c.atomic_sub(SPACE, key, { i: -1 }), 'OVERFLOW', 'i', 'MAX - -1');
  await fails(t, key, () => c.atomic_mul(SPACE, key, { i: 2 }), 'OVERFLOW', 'i', 'MAX * 2');
  await fails(t, key, () => c.atomic_div(SPACE, key, { i: 0 }), 'OVERFLOW', 'i', 'MAX / 0');
  await fails(t, key, () => c.atomic_mod(SPACE, key, { i: 0 }), 'OVERFLOW', 'i', 'MAX % 0');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { msi: { a: 1 } }), 'OVERFLOW', 'msi', 'map value MAX + 1');
  await fails(t, key, () => c.map_atomic_div(SPACE, key, { msi: { a: 0 } }), 'OVERFLOW', 'msi', 'map value / 0');
  await fails(t, key, () => c.map_atomic_mod(SPACE, key, { msi: { b: 0 } }), 'OVERFLOW', 'msi', 'missing map value % 0');
  await fails(t, key, () => c.atomic_add(SPACE, key, { j: 1, i: 1 }), 'OVERFLOW', 'i', 'all or nothing: j is not changed');
  await fails(t, key, () => c.map_atomic_add(SPACE, key, { msi: { z: 1, a: 1 } }), 'OVERFLOW', 'msi', 'all or nothing within one map');
  t.true(await c.atomic_add(SPACE, key, { i: 0 }));
  t.true(await c.atomic_sub(SPACE, key, { i: MAX }));
  t.is((await obj(key)).i, 0, 'MAX - MAX');
  await at(MIN);
  await fails(t, key, () => c.atomic_sub(SPACE, key, { i: 1 }), 'OVERFLOW', 'i', 'MIN - 1');
  await fails(t, key, () => c.atomic_add(SPACE, key, { i: -1 }), 'OVERFLOW', 'i', 'MIN + -1');
  await fails(t, key, () => c.atomic_mul(SPACE, key, { i: -1 }), 'OVERFLOW', 'i', 'MIN * -1');
  await fails(t, key, () => c.atomic_div(SPACE, key, { i: -1 }), 'OVERFLOW', 'i', 'MIN / -1');
  await fails(t, key, () => c.map_atomic_mul(SPACE, key, { msi: { a: 2 } }), 'OVERFLOW', 'msi', 'map value MIN * 2');
  await fails(t, key, () => c.atomic_mod(SPACE, key, { i: -1 }), 'OVERFLOW', 'i', 'MIN % -1, as in HyperDex 0.4');
  await fails(t, key, () => c.map_atomic_mod(SPACE, key, { msi: { a: -1 } }), 'OVERFLOW', 'msi', 'map value MIN % -1');
});

test('float division by zero is Infinity, -Infinity or NaN, not an error', async (t) => {
  const key = 'floatzero';
  for (const [f, r] of [
    [1.5, Infinity],
    [-1.5, -Infinity],
    [0, NaN],
  ] as const) {
    t.true(await c.put(SPACE, key, { f }));
    t.true(await c.atomic_div(SPACE, key, { f: 0 }), `${f} / 0`);
    t.is((await obj(key)).f, r, `${f} / 0`);
  }
});

test('string_append past the value limit is OVERFLOW naming the attribute; up to the limit is fine', async (t) => {
  const key = 'growth';
  t.true(await c.put(SPACE, key, { s: Buffer.alloc(LIMITS.valueBytesMax - 3, 0x61), j: 1 }));
  await fails(t, key, () => c.string_append(SPACE, key, { s: 'abcd' }), 'OVERFLOW', 's', 'one byte past the limit');
  t.true(await c.string_append(SPACE, key, { s: 'abc' }));
  const s = (await obj(key)).s as string;
  t.is(s.length, LIMITS.valueBytesMax);
  t.is(s.slice(-4), 'aabc');
  await fails(t, key, () => c.string_prepend(SPACE, key, { s: 'x' }), 'OVERFLOW', 's', 'prepend at the limit');
});

// -- values ---------------------------------------------------------------------------------------

test('a 10,000-element set built with set_union, then read back', async (t) => {
  const key = 'bigset';
  const label = (i: number) => `member-${String(i).padStart(5, '0')}`;
  t.true(await c.put(SPACE, key, {}));
  // Two unions of 6,000 that overlap by 2,000, given in no particular order.
  const first = Array.from({ length: 6000 }, (_, i) => label(i)).reverse();
  const second = Array.from({ length: 6000 }, (_, i) => label(i + 4000));
  t.true(await c.set_union(SPACE, key, { ss: new Set(first), si: new Set(first.map((x) => Number(x.slice(7)) * 7 - 20_000)) }));
  t.true(await c.set_union(SPACE, key, { ss: new Set(second), si: new Set(second.map((x) => Number(x.slice(7)) * 7 - 20_000)) }));
  const o = await obj(key);
  t.deepEqual(
    [...(o.ss as Set<string>)],
    Array.from({ length: 10_000 }, (_, i) => label(i)),
  );
  t.deepEqual(
    [...(o.si as Set<number>)],
    Array.from({ length: 10_000 }, (_, i) => i * 7 - 20_000),
  );
  t.true(await c.set_add(SPACE, key, { ss: label(5) }));
  t.is(((await obj(key)).ss as Set<string>).size, 10_000);
});

test('a 1 MiB string: put, get, append, and inside a list', async (t) => {
  const key = 'mib';
  const mib = 'q'.repeat(1024 * 1024);
  t.true(await c.put(SPACE, key, { s: mib }));
  t.is((await obj(key)).s, mib);
  t.true(await c.string_append(SPACE, key, { s: mib.toUpperCase() }));
  t.is((await obj(key)).s, mib + mib.toUpperCase());
  t.true(await c.list_rpush(SPACE, key, { ls: mib }));
  t.true(await c.map_add(SPACE, key, { mss: { big: mib } }));
  const o = await obj(key);
  t.deepEqual(o.ls, [mib]);
  t.deepEqual(norm(o.mss), [['big', mib]]);
});

test('binary strings with zero bytes come back byte for byte', async (t) => {
  const key = 'binary';
  const bin = Buffer.from([0, 0xff, 0, 1, 0]);
  t.true(await c.put(SPACE, key, { s: bin }));
  t.deepEqual((await obj(key)).s, bin, 'not UTF-8: a Buffer in auto mode');
  t.true(await c.string_append(SPACE, key, { s: Buffer.from([0, 0]) }));
  t.true(await c.string_prepend(SPACE, key, { s: Buffer.from([0xfe, 0]) }));
  t.deepEqual((await obj(key)).s, Buffer.from([0xfe, 0, 0, 0xff, 0, 1, 0, 0, 0]));
  // Valid UTF-8 with NULs is text in auto mode and the same bytes in buffer mode.
  t.true(await c.put(SPACE, key, { s: 'a\0b\0', ls: ['\0', '', 'x\0'], ss: new Set(['a', 'a\0', '\0']), mss: { 'k\0': '\0v' } }));
  const o = await obj(key);
  t.is(o.s, 'a\0b\0');
  t.deepEqual(o.ls, ['\0', '', 'x\0']);
  t.deepEqual([...(o.ss as Set<string>)], ['\0', 'a', 'a\0']);
  t.deepEqual(norm(o.mss), [['k\0', '\0v']]);
  const b = await raw.get(SPACE, key);
  t.deepEqual(b!.s, Buffer.from('a\0b\0'));
  t.deepEqual(b!.ls, [Buffer.from([0]), Buffer.alloc(0), Buffer.from('x\0')]);
  t.true(await c.set_remove(SPACE, key, { ss: 'a\0' }));
  t.deepEqual([...((await obj(key)).ss as Set<string>)], ['\0', 'a']);
  t.true(await c.map_string_append(SPACE, key, { mss: new Map([[Buffer.from('k\0'), Buffer.from([0xff])]]) }));
  t.deepEqual(norm((await raw.get(SPACE, key))!.mss), [[Buffer.from('k\0'), Buffer.from([0, 0x76, 0xff])]]);
  // A binary key.
  t.true(await c.put(SPACE, bin, { s: 'binary key' }));
  t.is((await obj(bin)).s, 'binary key');
});

test('unicode strings: stored as UTF-8, appended and prepended whole, sorted bytewise', async (t) => {
  const key = 'unicode-ключ-🔑';
  t.true(await c.put(SPACE, key, { s: 'héllo ☃' }));
  t.true(await c.string_append(SPACE, key, { s: ' 𝄞🎉' }));
  t.true(await c.string_prepend(SPACE, key, { s: '日本語 ' }));
  t.is((await obj(key)).s, '日本語 héllo ☃ 𝄞🎉');
  t.deepEqual((await raw.get(SPACE, key))!.s, Buffer.from('日本語 héllo ☃ 𝄞🎉', 'utf8'));
  t.true(await c.set_union(SPACE, key, { ss: new Set(['🎉', '日', 'é', 'z']) }));
  t.deepEqual([...((await obj(key)).ss as Set<string>)], ['z', 'é', '日', '🎉']);
  t.true(await c.map_add(SPACE, key, { mss: { κλειδί: 'τιμή' } }));
  t.true(await c.map_string_append(SPACE, key, { mss: { κλειδί: '→' } }));
  t.deepEqual(norm((await obj(key)).mss), [['κλειδί', 'τιμή→']]);
  t.true(await c.list_lpush(SPACE, key, { ls: '☃' }));
  t.deepEqual((await obj(key)).ls, ['☃']);
});

test('9006104071832581.0 stays exact through put, get and atomic_add 0', async (t) => {
  const key = 'precise';
  const x = 9006104071832581.0;
  t.true(await c.put(SPACE, key, { f: x, lf: [x], sf: new Set([x]), msf: { x } }));
  let o = await obj(key);
  t.is(o.f, x);
  t.deepEqual(o.lf, [x]);
  t.deepEqual([...(o.sf as Set<number>)], [x]);
  t.deepEqual(norm(o.msf), [['x', x]]);
  t.true(await c.atomic_add(SPACE, key, { f: 0 }));
  t.true(await c.map_atomic_add(SPACE, key, { msf: { x: 0 } }));
  o = await obj(key);
  t.is(o.f, x);
  t.is(o.f, 9006104071832581);
  t.deepEqual(norm(o.msf), [['x', x]]);
  t.true(await c.put(SPACE, key, { i: 9006104071832581 }));
  t.true(await c.atomic_add(SPACE, key, { i: 0 }));
  t.is((await obj(key)).i, 9006104071832581);
});

test('-0.0: a float attribute keeps its sign; in a set it is 0, for set_add, set_remove and map keys', async (t) => {
  const key = 'negzero';
  t.true(await c.put(SPACE, key, { f: -0, sf: new Set([0, 1]), mfi: new Map([[0, 5]]) }));
  t.true(Object.is((await obj(key)).f, -0));
  t.true(await c.set_add(SPACE, key, { sf: -0 }));
  t.deepEqual([...((await obj(key)).sf as Set<number>)], [0, 1], 'set_add(-0) to a set holding 0');
  // (A JavaScript Map turns a -0 key into 0 by itself; an object key '-0' really is -0.)
  t.true(await c.map_atomic_add(SPACE, key, { mfi: { '-0': 1 } }));
  t.deepEqual(norm((await obj(key)).mfi), [[0, 6]], 'map_atomic_add on key -0 changes key 0');
  t.true(await c.map_remove(SPACE, key, { mfi: { '-0': 0 } }));
  t.deepEqual(norm((await obj(key)).mfi), [], 'map_remove of key -0 removes key 0');
  t.true(await c.set_remove(SPACE, key, { sf: -0 }));
  t.deepEqual([...((await obj(key)).sf as Set<number>)], [1], 'set_remove(-0) removes 0');
});

// -- search, count, sorted_search, group_del --------------------------------------------------------

/** Object n (0, 1, 2) of the search space: every attribute holds sample n. */
function searchObject(n: number): Record<string, unknown> {
  const o: Record<string, unknown> = { j: n };
  for (const { name, type } of TYPES) {
    switch (type.kind) {
      case 'string':
      case 'int64':
      case 'float':
        o[name] = SAMPLES[type.kind][n + 1];
        break;
      case 'list':
        o[name] = [SAMPLES[type.elem][n], SAMPLES[type.elem][3]];
        break;
      case 'set':
        o[name] = new Set([SAMPLES[type.elem][3], SAMPLES[type.elem][n]]);
        break;
      case 'map':
        o[name] = new Map([[SAMPLES[type.key][n], VALUES[type.value][n]]]);
        break;
    }
  }
  return o;
}

async function keysOf(it: AsyncIterable<HyperObject>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.k as string);
  return out;
}

test('search, count, sorted_search and group_del on every type', async (t) => {
  const keys = ['obj0', 'obj1', 'obj2'];
  for (let n = 0; n < 3; n++) t.true(await c.put(SEARCH_SPACE, keys[n], searchObject(n) as Attributes));
  t.is(await c.count(SEARCH_SPACE, {}), 3);

  // Equality on each of the 18 types finds exactly the object holding that value.
  for (const { name } of TYPES) {
    const value = searchObject(1)[name];
    t.deepEqual(await keysOf(c.search(SEARCH_SPACE, { [name]: value as Value })), ['obj1'], `search on ${name}`);
    t.is(await c.count(SEARCH_SPACE, { [name]: value as Value }), 1, `count on ${name}`);
  }
  // A whole object comes back, key included.
  const [found] = await (async () => {
    const out: HyperObject[] = [];
    for await (const o of c.search(SEARCH_SPACE, { j: 2 })) out.push(o);
    return out;
  })();
  const expected = norm({ k: 'obj2', ...searchObject(2) }) as Record<string, unknown>;
  for (const { name, type } of TYPES) if (type.kind === 'set') expected[name] = [SAMPLES[type.elem][2], SAMPLES[type.elem][3]];
  t.deepEqual(norm(found), expected);

  // Ranges on strings, int64s, floats and the key: lower <= value < upper.
  const sorted = async (p: Parameters<Client['search']>[1]) => (await keysOf(c.search(SEARCH_SPACE, p))).sort();
  t.deepEqual(await sorted({ s: ['b', 'c'] }), ['obj0']);
  t.deepEqual(await sorted({ s: ['b', 'e'] }), ['obj0', 'obj1', 'obj2']);
  t.deepEqual(await sorted({ i: [0, 10] }), ['obj0', 'obj1']);
  t.deepEqual(await sorted({ f: [1, 4] }), ['obj1', 'obj2']);
  t.deepEqual(await sorted({ k: ['obj1', 'obj9'] }), ['obj1', 'obj2']);
  t.deepEqual(await sorted({ i: [5, 11], f: [0, 2] }), ['obj1']);
  t.is(await c.count(SEARCH_SPACE, { j: [1, 3] }), 2);

  // sorted_search: by each scalar type, both directions, limited.
  t.deepEqual(await keysOf(c.sorted_search(SEARCH_SPACE, {}, 'i', 2, 'descending')), ['obj2', 'obj1']);
  t.deepEqual(await keysOf(c.sorted_search(SEARCH_SPACE, {}, 'f', 2, 'ascending')), ['obj0', 'obj1']);
  t.deepEqual(await keysOf(c.sorted_search(SEARCH_SPACE, {}, 's', 1, 'max')), ['obj2']);
  t.deepEqual(await keysOf(c.sorted_search(SEARCH_SPACE, { j: [1, 3] }, 'k', 5, 'min')), ['obj1', 'obj2']);
  const sortErr = await statusOf(keysOf(c.sorted_search(SEARCH_SPACE, {}, 'ls', 1)));
  t.is(sortErr.status, 'WRONGTYPE', 'sorting by a list');

  // A predicate of the wrong type names the attribute.
  t.deepEqual(await statusOf(c.count(SEARCH_SPACE, { i: 'x' })), { status: 'WRONGTYPE', attr: 'i' });
  t.deepEqual(await statusOf(c.count(SEARCH_SPACE, { ls: ['a', 'b', 'c'] as Value, nope: 1 })), { status: 'UNKNOWNATTR', attr: 'nope' });

  // group_del removes exactly the matches.
  t.is(await c.group_del(SEARCH_SPACE, { i: [0, 6] }), 2);
  t.is(await c.count(SEARCH_SPACE, {}), 1);
  t.deepEqual(await keysOf(c.search(SEARCH_SPACE, {})), ['obj2']);
  t.is(await c.get(SEARCH_SPACE, 'obj0'), null);
  t.is(await c.group_del(SEARCH_SPACE, { s: 'nothing' }), 0);
  t.is(await c.group_del(SEARCH_SPACE, {}), 1);
  t.is(await c.count(SEARCH_SPACE, {}), 0);
});
