// Pure unit tests of the write functions (applyAtomic, resolveFuncs, int64Op, floatOp): every
// operation on every type it applies to, WRONGTYPE on every other, int64 limits, IEEE floats,
// containers empty and large, binary and unicode strings, all-or-nothing and DUPEATTR. The
// expectations are written from the manuals (seed 000 ch. 5-6, seed 001's comprehensive walk), not
// from src/common/operands.ts: `operandFor` below is this file's own statement of which operand
// each operation takes.

import test, { ExecutionContext } from 'ava';
import fc from 'fast-check';

import { allTypes, AttrType, Datatype, datatypeOf, ScalarType, typeName } from '../src/common/datatypes';
import { WireFunc } from '../src/common/messages';
import { AtomicFlag, FuncOp, LIMITS, Status, statusName } from '../src/common/protocol';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { decodeValue, encodeValue } from '../src/common/values';
import { applyAtomic, Outcome, StoredObject } from '../src/daemon/apply';
import { funcMicroOps } from '../src/common/operands';
import { applyFunc, applyFuncs, floatOp, FuncError, int64Op, ResolvedFunc, resolveFuncs } from '../src/daemon/funcs';

// -- the space: one attribute of each of the 18 types, plus a second int64 -----------------------

const CODE: Record<ScalarType, string> = { string: 's', int64: 'i', float: 'f' };
const SCALARS: readonly ScalarType[] = ['string', 'int64', 'float'];

/** s, i, f; ls, li, lf; ss, si, sf; mss, msi, ..., mff. */
function nameOf(t: AttrType): string {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return CODE[t.kind];
    case 'list':
      return `l${CODE[t.elem]}`;
    case 'set':
      return `s${CODE[t.elem]}`;
    case 'map':
      return `m${CODE[t.key]}${CODE[t.value]}`;
  }
}

const TYPES = allTypes();
const SPEC = parseSpaceDescription(`space all key k attributes ${TYPES.map((t) => `${typeName(t)} ${nameOf(t)}`).join(', ')}, int64 j`);
const KEY = Buffer.from('the key');
const NAMES = SPEC.attributes.map((a) => a.name);
const OPS = Object.entries(FuncOp) as [string, number][];
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);
const FC_SEED = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);

const scalar = (k: ScalarType): AttrType => ({ kind: k });
const listOf = (k: ScalarType): AttrType => ({ kind: 'list', elem: k });
const setOf = (k: ScalarType): AttrType => ({ kind: 'set', elem: k });
const mapOf = (k: ScalarType, v: ScalarType): AttrType => ({ kind: 'map', key: k, value: v });

function typeOf(name: string): AttrType {
  const a = SPEC.attributes.find((x) => x.name === name);
  if (!a) throw new Error(`no attribute ${name}`);
  return a.type;
}

function opName(op: number): string {
  return OPS.find(([, v]) => v === op)?.[0] ?? `op ${op}`;
}

/**
 * Which operand an operation takes, from the manuals: put sets any attribute to a value of its
 * type; string_append/prepend take a string; atomic_add/sub/mul/div a number of the attribute's
 * type; atomic_mod/and/or/xor an int64; list_lpush/rpush one element; set_add/remove one element;
 * set_union/intersect a set; map_add a map. On one value of a map (map_atomic_*, map_string_*,
 * map_remove) the operand is a value of the map's value type, and put does not apply.
 */
function operandFor(op: number, t: AttrType, onMapValue: boolean): AttrType | undefined {
  const onScalar = (k: ScalarType): AttrType | undefined => {
    if (op === FuncOp.STRING_APPEND || op === FuncOp.STRING_PREPEND) return k === 'string' ? scalar(k) : undefined;
    if (op === FuncOp.NUM_ADD || op === FuncOp.NUM_SUB || op === FuncOp.NUM_MUL || op === FuncOp.NUM_DIV) return k === 'string' ? undefined : scalar(k);
    if (op === FuncOp.NUM_MOD || op === FuncOp.NUM_AND || op === FuncOp.NUM_OR || op === FuncOp.NUM_XOR) return k === 'int64' ? scalar(k) : undefined;
    return undefined;
  };
  if (onMapValue) {
    if (t.kind !== 'map') return undefined;
    if (op === FuncOp.MAP_REMOVE) return scalar(t.value);
    return onScalar(t.value);
  }
  if (op === FuncOp.SET) return t;
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return onScalar(t.kind);
    case 'list':
      return op === FuncOp.LIST_LPUSH || op === FuncOp.LIST_RPUSH ? scalar(t.elem) : undefined;
    case 'set':
      if (op === FuncOp.SET_ADD || op === FuncOp.SET_REMOVE) return scalar(t.elem);
      return op === FuncOp.SET_UNION || op === FuncOp.SET_INTERSECT ? t : undefined;
    case 'map':
      return op === FuncOp.MAP_ADD ? t : undefined;
  }
}

// -- helpers ------------------------------------------------------------------------------------

function defaultOf(t: AttrType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'int64':
    case 'float':
      return 0;
    case 'list':
    case 'set':
      return [];
    case 'map':
      return new Map();
  }
}

/** A stored object: the given attributes, every other one at its default. */
function make(values: Record<string, unknown> = {}, version = 7): StoredObject {
  for (const n of Object.keys(values)) typeOf(n);
  return { version, values: SPEC.attributes.map((a) => encodeValue(a.type, a.name in values ? values[a.name] : defaultOf(a.type))) };
}

/** A function with an explicit operand type (and map key, encoded as the map's key type). */
function raw(op: number, name: string, operandType: AttrType, operand: unknown, mapKey?: unknown): WireFunc {
  const f: WireFunc = { op, name, datatype: datatypeOf(operandType), value: encodeValue(operandType, operand) };
  if (mapKey === undefined) return f;
  const t = typeOf(name);
  const kt = t.kind === 'map' ? scalar(t.key) : scalar('string');
  return { ...f, mapKey: { datatype: datatypeOf(kt), value: encodeValue(kt, mapKey) } };
}

/** An operation on a whole attribute, with the operand the manual says it takes. */
function on(op: number, name: string, operand: unknown): WireFunc {
  const want = operandFor(op, typeOf(name), false);
  if (!want) throw new Error(`test bug: ${opName(op)} does not apply to ${name}`);
  return raw(op, name, want, operand);
}

/** An operation on the value under `mapKey` of a map attribute. */
function onKey(op: number, name: string, mapKey: unknown, operand: unknown): WireFunc {
  const want = operandFor(op, typeOf(name), true);
  if (!want) throw new Error(`test bug: ${opName(op)} does not apply to values of ${name}`);
  return raw(op, name, want, operand, mapKey);
}

/** Sets as arrays and maps as entry arrays, in stored order (so canonical order is checked too). */
function norm(v: unknown): unknown {
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.entries()];
  return v;
}

function get(o: StoredObject, name: string): unknown {
  return norm(decodeValue(typeOf(name), o.values[NAMES.indexOf(name)]));
}

function bytesOf(o: StoredObject, name: string): Buffer {
  return o.values[NAMES.indexOf(name)];
}

function int(o: StoredObject, name: string): bigint {
  return bytesOf(o, name).readBigInt64LE(0);
}

function apply(cur: StoredObject | undefined, funcs: WireFunc[], flags = 0): { outcome: Outcome; next?: StoredObject } {
  return applyAtomic(SPEC, KEY, cur, { flags, checks: [], funcs });
}

function ok(t: ExecutionContext, cur: StoredObject | undefined, funcs: WireFunc[], what = '', flags = 0): StoredObject {
  const { outcome, next } = apply(cur, funcs, flags);
  t.is(statusName(outcome.status), 'SUCCESS', `${what}: ${outcome.message}`);
  if (!next) throw new Error(`${what}: expected success, got ${statusName(outcome.status)} (${outcome.message})`);
  t.is(next.version, (cur?.version ?? 0) + 1, `${what}: version`);
  return next;
}

/** A failure that names `attr` (in the outcome and its message), writes nothing and leaves `cur` as it was. */
function bad(t: ExecutionContext, cur: StoredObject | undefined, funcs: WireFunc[], status: number, attr: string, what = '', flags = 0): Outcome {
  const before = cur?.values.map((b) => Buffer.from(b));
  const version = cur?.version ?? -1;
  const { outcome, next } = apply(cur, funcs, flags);
  t.is(statusName(outcome.status), statusName(status), `${what}: ${outcome.message}`);
  t.is(outcome.attr, attr, `${what}: the attribute named`);
  if (attr !== '') t.regex(outcome.message, new RegExp(`\\b${attr}\\b`), `${what}: the message names "${attr}"`);
  t.is(next, undefined, `${what}: a failure writes nothing`);
  if (cur) {
    t.true(before !== undefined && cur.values.length === before.length && cur.values.every((b, i) => b.equals(before[i])), `${what}: the current object is unchanged`);
    t.is(cur.version, version, `${what}: the version is unchanged`);
  }
  return outcome;
}

/** Every attribute other than `changed` has the same bytes in both objects. */
function othersUnchanged(t: ExecutionContext, a: StoredObject, b: StoredObject, changed: readonly string[], what = ''): void {
  for (const n of NAMES) if (!changed.includes(n)) t.true(bytesOf(b, n).equals(bytesOf(a, n)), `${what}: ${n} changed`);
}

// Sample elements of each scalar type, in ascending (canonical) order.
const SAMPLES: Record<ScalarType, readonly unknown[]> = {
  string: ['a', 'b', 'c', 'd'],
  int64: [-3, 0, 5, 10],
  float: [-2.5, 0.5, 1.5, 3.25],
};
const VALUES: Record<ScalarType, readonly unknown[]> = {
  string: ['v0', 'v1', 'v2', 'v3'],
  int64: [10, 20, -30, 40],
  float: [0.5, -1.25, 2.75, 1e10],
};

// -- the schema ---------------------------------------------------------------------------------

test('the test space has one attribute of each of the 18 types', (t) => {
  t.is(SPEC.attributes.length, 19);
  for (const ty of TYPES) t.deepEqual(typeOf(nameOf(ty)), ty);
  t.deepEqual(typeOf('j'), scalar('int64'));
});

// -- applicability ------------------------------------------------------------------------------

function sampleOf(t: AttrType): unknown {
  switch (t.kind) {
    case 'string':
      return 'z';
    case 'int64':
      return 3;
    case 'float':
      return 1.5;
    case 'list':
    case 'set':
      return [SAMPLES[t.elem][1]];
    case 'map':
      return new Map([[SAMPLES[t.key][1], VALUES[t.value][1]]]);
  }
}

test('every operation applies to exactly the types the manual gives it; elsewhere WRONGTYPE naming the attribute, nothing changed', (t) => {
  const cur = make({});
  let applicable = 0;
  let refused = 0;
  for (const ty of TYPES) {
    const name = nameOf(ty);
    for (const [opLabel, op] of OPS) {
      for (const onMap of [false, true]) {
        const what = `${opLabel}${onMap ? ' on a map value' : ''} on ${name} (${typeName(ty)})`;
        const mapKey = onMap ? (ty.kind === 'map' ? SAMPLES[ty.key][2] : 'k') : undefined;
        const want = operandFor(op, ty, onMap);
        if (want) {
          applicable++;
          const next = ok(t, cur, [raw(op, name, want, sampleOf(want), mapKey)], what);
          othersUnchanged(t, cur, next, [name], what);
        } else {
          refused++;
          // Whatever the operand: the attribute's own type, or any scalar.
          for (const operandType of [ty, ...SCALARS.map(scalar)]) bad(t, cur, [raw(op, name, operandType, sampleOf(operandType), mapKey)], Status.WRONGTYPE, name, `${what} with a ${typeName(operandType)}`);
        }
      }
    }
  }
  // 18 puts; 2 string ops; 4+8 number ops; 2x3 list pushes; 4x3 set ops; 9 map_add; on map values:
  // 9 map_remove, 3x2 string ops, 3x4 + 3x8 number ops.
  t.is(applicable, 18 + 2 + 12 + 6 + 12 + 9 + 9 + 6 + 36);
  t.is(refused, 18 * OPS.length * 2 - applicable);
});

test('WRONGTYPE when the operand is not what the operation takes, naming the attribute; nothing changed', (t) => {
  const cur = make({ s: 'x', i: 1, f: 1.5, ls: ['a'], ss: ['a'], msi: new Map([['a', 1]]) });
  const cases: [string, WireFunc][] = [
    ['atomic_add on int64 with a float', raw(FuncOp.NUM_ADD, 'i', scalar('float'), 1.5)],
    ['atomic_add on float with an int64', raw(FuncOp.NUM_ADD, 'f', scalar('int64'), 1)],
    ['string_append with an int64', raw(FuncOp.STRING_APPEND, 's', scalar('int64'), 1)],
    ['string_prepend with a list', raw(FuncOp.STRING_PREPEND, 's', listOf('string'), ['x'])],
    ['list_lpush with a whole list', raw(FuncOp.LIST_LPUSH, 'ls', listOf('string'), ['x'])],
    ['list_rpush with an int64 element', raw(FuncOp.LIST_RPUSH, 'ls', scalar('int64'), 1)],
    ['set_add with a whole set', raw(FuncOp.SET_ADD, 'ss', setOf('string'), ['x'])],
    ['set_union with one element', raw(FuncOp.SET_UNION, 'ss', scalar('string'), 'x')],
    ['set_intersect with a list', raw(FuncOp.SET_INTERSECT, 'ss', listOf('string'), ['x'])],
    ['map_add with the wrong value type', raw(FuncOp.MAP_ADD, 'msi', mapOf('string', 'string'), new Map([['a', 'b']]))],
    ['map_atomic_add with a float operand', raw(FuncOp.NUM_ADD, 'msi', scalar('float'), 1.5, 'a')],
    ['map_atomic_add with the whole map as operand', raw(FuncOp.NUM_ADD, 'msi', mapOf('string', 'int64'), new Map([['a', 1]]), 'a')],
    ['put with another type', raw(FuncOp.SET, 'i', scalar('string'), 'one')],
  ];
  for (const [what, f] of cases) bad(t, cur, [f], Status.WRONGTYPE, f.name, what);

  // A map key of the wrong type, or malformed.
  const base = onKey(FuncOp.NUM_ADD, 'msi', 'a', 1);
  bad(t, cur, [{ ...base, mapKey: { datatype: Datatype.INT64, value: encodeValue(scalar('int64'), 1) } }], Status.WRONGTYPE, 'msi', 'int64 key for a string-keyed map');
  const intKeyed = onKey(FuncOp.NUM_ADD, 'mii', 1, 1);
  bad(t, cur, [{ ...intKeyed, mapKey: { datatype: Datatype.INT64, value: Buffer.alloc(3) } }], Status.WRONGTYPE, 'mii', 'a 3-byte int64 key');
  bad(t, cur, [{ ...intKeyed, mapKey: { datatype: Datatype.MAP_GENERIC, value: Buffer.alloc(8) } }], Status.WRONGTYPE, 'mii', 'a generic key datatype');
  // Malformed operand bytes for an operation other than put.
  bad(t, cur, [{ ...on(FuncOp.NUM_ADD, 'i', 1), value: Buffer.alloc(4) }], Status.WRONGTYPE, 'i', 'a 4-byte int64 operand');
  bad(t, cur, [{ ...on(FuncOp.NUM_MUL, 'f', 1), value: Buffer.alloc(9) }], Status.WRONGTYPE, 'f', 'a 9-byte float operand');
  bad(t, cur, [{ ...on(FuncOp.LIST_RPUSH, 'li', 1), value: Buffer.alloc(0) }], Status.WRONGTYPE, 'li', 'an empty int64 element');
  bad(t, cur, [{ ...on(FuncOp.SET_UNION, 'si', [1]), value: Buffer.alloc(12) }], Status.WRONGTYPE, 'si', 'a set of 1.5 int64s');
  // Generic datatypes are never an operand.
  bad(t, cur, [{ ...on(FuncOp.SET_UNION, 'ss', ['x']), datatype: Datatype.SET_GENERIC }], Status.WRONGTYPE, 'ss', 'SET_GENERIC');
  bad(t, cur, [{ ...on(FuncOp.LIST_LPUSH, 'ls', 'x'), datatype: Datatype.GARBAGE }], Status.WRONGTYPE, 'ls', 'GARBAGE');
});

// -- scalars ------------------------------------------------------------------------------------

interface ScalarCase {
  readonly op: number;
  readonly start: unknown;
  readonly operand: unknown;
  readonly expect: unknown;
}

/** Each operation on a scalar: the current value, the operand, the result (seed 001's walk among them). */
const SCALAR_CASES: Record<ScalarType, readonly ScalarCase[]> = {
  string: [
    { op: FuncOp.SET, start: 'old', operand: 'new', expect: 'new' },
    { op: FuncOp.STRING_APPEND, start: '->some string', operand: '<-', expect: '->some string<-' },
    { op: FuncOp.STRING_PREPEND, start: 'some string', operand: '->', expect: '->some string' },
    { op: FuncOp.STRING_APPEND, start: '', operand: 'x', expect: 'x' },
    { op: FuncOp.STRING_PREPEND, start: '', operand: 'x', expect: 'x' },
    { op: FuncOp.STRING_APPEND, start: 'x', operand: '', expect: 'x' },
  ],
  int64: [
    { op: FuncOp.SET, start: 12, operand: -4, expect: -4 },
    { op: FuncOp.NUM_ADD, start: 12, operand: 5, expect: 17 },
    { op: FuncOp.NUM_ADD, start: 12, operand: -20, expect: -8 },
    { op: FuncOp.NUM_SUB, start: 12, operand: 5, expect: 7 },
    { op: FuncOp.NUM_SUB, start: 32, operand: -32, expect: 64 },
    { op: FuncOp.NUM_MUL, start: 12, operand: 5, expect: 60 },
    { op: FuncOp.NUM_MUL, start: 12, operand: -2, expect: -24 },
    { op: FuncOp.NUM_DIV, start: 12, operand: 5, expect: 2 },
    { op: FuncOp.NUM_DIV, start: 256, operand: 64, expect: 4 },
    { op: FuncOp.NUM_MOD, start: 12, operand: 5, expect: 2 },
    { op: FuncOp.NUM_AND, start: 12, operand: 10, expect: 8 },
    { op: FuncOp.NUM_OR, start: 12, operand: 3, expect: 15 },
    { op: FuncOp.NUM_XOR, start: 12, operand: 10, expect: 6 },
    { op: FuncOp.NUM_AND, start: 0xdeadbeefcafe, operand: 0xffffffff0000, expect: 0xdeadbeef0000 },
    { op: FuncOp.NUM_OR, start: 0xdeadbeef0000, operand: 0xcafe, expect: 0xdeadbeefcafe },
    { op: FuncOp.NUM_XOR, start: 0xdeadbeefcafe, operand: 0xdea5a0403af3, expect: 0x81eaff00d },
  ],
  float: [
    { op: FuncOp.SET, start: 2.5, operand: -0.125, expect: -0.125 },
    { op: FuncOp.NUM_ADD, start: 0, operand: 0.25, expect: 0.25 },
    { op: FuncOp.NUM_SUB, start: 0.25, operand: 0.5, expect: -0.25 },
    { op: FuncOp.NUM_MUL, start: -0.25, operand: 4, expect: -1 },
    { op: FuncOp.NUM_DIV, start: -1, operand: 4, expect: -0.25 },
    { op: FuncOp.NUM_DIV, start: 1, operand: 3, expect: 1 / 3 },
    { op: FuncOp.NUM_ADD, start: 0.1, operand: 0.2, expect: 0.30000000000000004 },
  ],
};

test('every operation on string, int64 and float attributes', (t) => {
  for (const k of SCALARS) {
    const name = CODE[k];
    for (const c of SCALAR_CASES[k]) {
      const what = `${opName(c.op)} ${String(c.operand)} on ${name} = ${String(c.start)}`;
      const cur = make({ [name]: c.start, j: 99 });
      const next = ok(t, cur, [on(c.op, name, c.operand)], what);
      t.deepEqual(get(next, name), c.expect, what);
      othersUnchanged(t, cur, next, [name], what);
    }
  }
});

test('an operation on an absent object without FAIL_IF_NOT_FOUND starts from the defaults; with it, NOTFOUND', (t) => {
  const created = ok(t, undefined, [on(FuncOp.NUM_ADD, 'i', 5), on(FuncOp.STRING_APPEND, 's', 'x'), on(FuncOp.SET_ADD, 'si', 3), onKey(FuncOp.NUM_SUB, 'msi', 'a', 2)]);
  t.is(created.version, 1);
  t.is(get(created, 'i'), 5);
  t.is(get(created, 's'), 'x');
  t.deepEqual(get(created, 'si'), [3]);
  t.deepEqual(get(created, 'msi'), [['a', -2]]);
  t.is(get(created, 'f'), 0);
  bad(t, undefined, [on(FuncOp.NUM_ADD, 'i', 5)], Status.NOTFOUND, '', 'atomic_add on nothing', AtomicFlag.FAIL_IF_NOT_FOUND);
  bad(t, undefined, [onKey(FuncOp.MAP_REMOVE, 'mss', 'a', '')], Status.NOTFOUND, '', 'map_remove on nothing', AtomicFlag.FAIL_IF_NOT_FOUND);
});

// -- int64 ----------------------------------------------------------------------------------------

const OVERFLOWS: readonly [number, bigint, bigint][] = [
  [FuncOp.NUM_ADD, MAX, 1n],
  [FuncOp.NUM_ADD, MIN, -1n],
  [FuncOp.NUM_ADD, MAX, MAX],
  [FuncOp.NUM_ADD, MIN, MIN],
  [FuncOp.NUM_SUB, MIN, 1n],
  [FuncOp.NUM_SUB, MAX, -1n],
  [FuncOp.NUM_SUB, MIN, MAX],
  [FuncOp.NUM_SUB, 0n, MIN],
  [FuncOp.NUM_MUL, MAX, 2n],
  [FuncOp.NUM_MUL, MIN, 2n],
  [FuncOp.NUM_MUL, MAX, -2n],
  [FuncOp.NUM_MUL, MIN, -1n],
  [FuncOp.NUM_MUL, -1n, MIN],
  [FuncOp.NUM_MUL, 2n ** 32n, 2n ** 31n],
  [FuncOp.NUM_DIV, MIN, -1n],
  [FuncOp.NUM_DIV, 7n, 0n],
  [FuncOp.NUM_DIV, 0n, 0n],
  [FuncOp.NUM_DIV, MIN, 0n],
  [FuncOp.NUM_MOD, 7n, 0n],
  [FuncOp.NUM_MOD, -7n, 0n],
  [FuncOp.NUM_MOD, 0n, 0n],
  [FuncOp.NUM_MOD, MIN, 0n],
  // as in HyperDex 0.4, which computed the remainder beside the quotient 2^63
  [FuncOp.NUM_MOD, MIN, -1n],
];

const IN_RANGE: readonly [number, bigint, bigint, bigint][] = [
  [FuncOp.NUM_ADD, MAX - 1n, 1n, MAX],
  [FuncOp.NUM_ADD, MIN + 1n, -1n, MIN],
  [FuncOp.NUM_ADD, MAX, MIN, -1n],
  [FuncOp.NUM_SUB, MIN + 1n, 1n, MIN],
  [FuncOp.NUM_SUB, -1n, MAX, MIN],
  [FuncOp.NUM_SUB, MAX, MAX, 0n],
  [FuncOp.NUM_MUL, MIN, 1n, MIN],
  [FuncOp.NUM_MUL, MAX, -1n, -MAX],
  [FuncOp.NUM_MUL, -(2n ** 62n), 2n, MIN],
  [FuncOp.NUM_MUL, 2n ** 31n, 2n ** 31n, 2n ** 62n],
  [FuncOp.NUM_DIV, MIN, 1n, MIN],
  [FuncOp.NUM_DIV, MAX, -1n, -MAX],
  [FuncOp.NUM_DIV, MIN, 2n, -(2n ** 62n)],
  [FuncOp.NUM_DIV, MIN, MAX, -2n],
  [FuncOp.NUM_DIV, MAX, MIN, -1n],
  [FuncOp.NUM_DIV, MIN, MIN, 1n],
  [FuncOp.NUM_MOD, MIN, 1n, 0n],
  [FuncOp.NUM_MOD, MIN, MAX, MAX - 1n],
  [FuncOp.NUM_MOD, MAX, MIN, -1n],
  [FuncOp.NUM_MOD, MIN, MIN, 0n],
  [FuncOp.NUM_MOD, MAX, MAX, 0n],
];

test('int64Op: add, sub, mul and div past either end of 64 bits, and division or modulus by zero, are OVERFLOW', (t) => {
  for (const [op, a, b] of OVERFLOWS) t.like(int64Op(op, a, b), { ok: false, status: Status.OVERFLOW }, `${opName(op)} ${a} ${b}`);
});

test('int64Op: results exactly at the ends of 64 bits are fine', (t) => {
  for (const [op, a, b, r] of IN_RANGE) t.deepEqual(int64Op(op, a, b), { ok: true, value: r }, `${opName(op)} ${a} ${b}`);
});

test('int64 overflow through applyAtomic: OVERFLOW naming the attribute, nothing changed; on attributes and map values', (t) => {
  for (const [op, a, b] of OVERFLOWS) {
    const what = `${opName(op)} ${a} ${b}`;
    const cur = make({ i: a, j: 1, msi: new Map<string, bigint>([['x', a], ['y', 1n]]), mii: new Map([[5, a]]), mfi: new Map([[0.5, a]]) });
    bad(t, cur, [on(op, 'i', b)], Status.OVERFLOW, 'i', what);
    bad(t, cur, [onKey(op, 'msi', 'x', b)], Status.OVERFLOW, 'msi', `map value ${what}`);
    bad(t, cur, [onKey(op, 'mii', 5, b)], Status.OVERFLOW, 'mii', `int-keyed map value ${what}`);
    bad(t, cur, [onKey(op, 'mfi', 0.5, b)], Status.OVERFLOW, 'mfi', `float-keyed map value ${what}`);
  }
  for (const [op, a, b, r] of IN_RANGE) {
    const cur = make({ i: a, msi: new Map([['x', a]]) });
    t.is(int(ok(t, cur, [on(op, 'i', b)]), 'i'), r, `${opName(op)} ${a} ${b}`);
    const m = ok(t, cur, [onKey(op, 'msi', 'x', b)]);
    t.is(BigInt((decodeValue(typeOf('msi'), bytesOf(m, 'msi')) as Map<string, number | bigint>).get('x')!), r, `map value ${opName(op)} ${a} ${b}`);
  }
});

test('int64 division floors and modulus takes the sign of the divisor (as HyperDex 0.4 and Python)', (t) => {
  const cases: [bigint, bigint, bigint, bigint][] = [
    // a, b, a div b, a mod b
    [7n, -3n, -3n, -2n],
    [-7n, 3n, -3n, 2n],
    [-7n, 2n, -4n, 1n],
    [7n, 2n, 3n, 1n],
    [-7n, -2n, 3n, -1n],
    [7n, -2n, -4n, -1n],
    [-1n, 2n, -1n, 1n],
    [1n, -2n, -1n, -1n],
    [-6n, 3n, -2n, 0n],
    [6n, -3n, -2n, 0n],
    [0n, -5n, 0n, 0n],
    [MIN, 3n, -3074457345618258603n, 1n],
    [MAX, -2n, -(2n ** 62n), -1n],
  ];
  for (const [a, b, q, r] of cases) {
    t.deepEqual(int64Op(FuncOp.NUM_DIV, a, b), { ok: true, value: q }, `${a} div ${b}`);
    t.deepEqual(int64Op(FuncOp.NUM_MOD, a, b), { ok: true, value: r }, `${a} mod ${b}`);
    const cur = make({ i: a, msi: new Map([['x', a]]) });
    t.is(int(ok(t, cur, [on(FuncOp.NUM_DIV, 'i', b)]), 'i'), q, `atomic_div ${a} div ${b}`);
    t.is(int(ok(t, cur, [on(FuncOp.NUM_MOD, 'i', b)]), 'i'), r, `atomic_mod ${a} mod ${b}`);
    const mapValue = (o: StoredObject) => BigInt((decodeValue(typeOf('msi'), bytesOf(o, 'msi')) as Map<string, number | bigint>).get('x')!);
    t.is(mapValue(ok(t, cur, [onKey(FuncOp.NUM_DIV, 'msi', 'x', b)])), q, `map_atomic_div ${a} div ${b}`);
    t.is(mapValue(ok(t, cur, [onKey(FuncOp.NUM_MOD, 'msi', 'x', b)])), r, `map_atomic_mod ${a} mod ${b}`);
  }
});

test('INT64_MIN div -1 and mod -1, and div and mod by 0, are OVERFLOW', (t) => {
  for (const op of [FuncOp.NUM_DIV, FuncOp.NUM_MOD]) {
    t.like(int64Op(op, MIN, -1n), { ok: false, status: Status.OVERFLOW }, `${opName(op)} MIN -1`);
    for (const a of [MIN, -7n, -1n, 0n, 1n, 7n, MAX]) t.like(int64Op(op, a, 0n), { ok: false, status: Status.OVERFLOW }, `${opName(op)} ${a} 0`);
  }
  // The neighbours of the one overflowing division are fine.
  t.deepEqual(int64Op(FuncOp.NUM_DIV, MIN + 1n, -1n), { ok: true, value: MAX });
  t.deepEqual(int64Op(FuncOp.NUM_MOD, MIN + 1n, -1n), { ok: true, value: 0n });
  t.deepEqual(int64Op(FuncOp.NUM_DIV, MIN, -2n), { ok: true, value: 2n ** 62n });
});

test('property: a == (a div b) * b + (a mod b), |a mod b| < |b|, a mod b has the sign of b or is 0, over all of int64', (t) => {
  const int64 = fc.oneof(
    fc.bigInt({ min: MIN, max: MAX }),
    fc.bigInt({ min: -1000n, max: 1000n }),
    fc.constantFrom(MIN, MIN + 1n, -2n, -1n, 1n, 2n, MAX - 1n, MAX),
  );
  const abs = (x: bigint) => (x < 0n ? -x : x);
  t.log(`fast-check seed ${FC_SEED} (FC_SEED to repeat)`);
  let checked = 0;
  fc.assert(
    fc.property(int64, int64, (a, b) => {
      fc.pre(b !== 0n && !(a === MIN && b === -1n));
      const q = int64Op(FuncOp.NUM_DIV, a, b);
      const r = int64Op(FuncOp.NUM_MOD, a, b);
      if (!q.ok || !r.ok) return false;
      const qv = q.value as bigint;
      const rv = r.value as bigint;
      checked++;
      return a === qv * b + rv && abs(rv) < abs(b) && (rv === 0n || rv < 0n === b < 0n);
    }),
    { seed: FC_SEED, numRuns: 20_000 },
  );
  t.true(checked > 10_000, `${checked} pairs checked`);
});

test('int64 bitwise operations on negative numbers: two’s complement over 64 bits', (t) => {
  const cases: [number, bigint, bigint, bigint][] = [
    [FuncOp.NUM_AND, -1n, 0xffn, 0xffn],
    [FuncOp.NUM_AND, -6n, -3n, -8n],
    [FuncOp.NUM_AND, MIN, -1n, MIN],
    [FuncOp.NUM_AND, MIN, MAX, 0n],
    [FuncOp.NUM_OR, -8n, 3n, -5n],
    [FuncOp.NUM_OR, -6n, -3n, -1n],
    [FuncOp.NUM_OR, MIN, MAX, -1n],
    [FuncOp.NUM_OR, MIN, 1n, MIN + 1n],
    [FuncOp.NUM_XOR, -1n, 5n, -6n],
    [FuncOp.NUM_XOR, -6n, -3n, 7n],
    [FuncOp.NUM_XOR, 12n, -1n, -13n],
    [FuncOp.NUM_XOR, MAX, -1n, MIN],
    [FuncOp.NUM_XOR, MIN, MIN, 0n],
  ];
  for (const [op, a, b, r] of cases) {
    const what = `${opName(op)} ${a} ${b}`;
    t.deepEqual(int64Op(op, a, b), { ok: true, value: r }, what);
    t.is(int(ok(t, make({ i: a }), [on(op, 'i', b)]), 'i'), r, what);
    const m = ok(t, make({ mii: new Map([[-1, a]]) }), [onKey(op, 'mii', -1, b)]);
    t.is(BigInt((decodeValue(typeOf('mii'), bytesOf(m, 'mii')) as Map<number, number | bigint>).get(-1)!), r, `map ${what}`);
  }
});

// -- float --------------------------------------------------------------------------------------

test('floatOp: IEEE-754 arithmetic; division by zero is an infinity or NaN, never an error', (t) => {
  t.deepEqual(floatOp(FuncOp.NUM_ADD, 0.25, 0.5), { ok: true, value: 0.75 });
  t.deepEqual(floatOp(FuncOp.NUM_SUB, 0.25, 0.5), { ok: true, value: -0.25 });
  t.deepEqual(floatOp(FuncOp.NUM_MUL, -0.25, 4), { ok: true, value: -1 });
  t.deepEqual(floatOp(FuncOp.NUM_DIV, -1, 4), { ok: true, value: -0.25 });
  t.deepEqual(floatOp(FuncOp.NUM_DIV, 1, 0), { ok: true, value: Infinity });
  t.deepEqual(floatOp(FuncOp.NUM_DIV, -1, 0), { ok: true, value: -Infinity });
  t.deepEqual(floatOp(FuncOp.NUM_DIV, 1, -0), { ok: true, value: -Infinity });
  const nan = floatOp(FuncOp.NUM_DIV, 0, 0);
  t.true(nan.ok && Number.isNaN(nan.value));
  t.deepEqual(floatOp(FuncOp.NUM_MUL, Number.MAX_VALUE, 2), { ok: true, value: Infinity });
  t.deepEqual(floatOp(FuncOp.NUM_SUB, -Number.MAX_VALUE, Number.MAX_VALUE), { ok: true, value: -Infinity });
  const infMinusInf = floatOp(FuncOp.NUM_SUB, Infinity, Infinity);
  t.true(infMinusInf.ok && Number.isNaN(infMinusInf.value));
});

test('float division by zero through applyAtomic: Infinity, -Infinity, NaN for 0/0; on attributes and map values', (t) => {
  const cases: [number, number][] = [
    [1.5, Infinity],
    [-1.5, -Infinity],
    [0, NaN],
  ];
  for (const [a, r] of cases) {
    const cur = make({ f: a, msf: new Map([['x', a]]), mff: new Map([[-0.5, a]]) });
    const next = ok(t, cur, [on(FuncOp.NUM_DIV, 'f', 0), onKey(FuncOp.NUM_DIV, 'msf', 'x', 0), onKey(FuncOp.NUM_DIV, 'mff', -0.5, 0)], `${a} / 0`);
    t.is(get(next, 'f'), r, `${a} / 0`);
    t.deepEqual(get(next, 'msf'), [['x', r]], `map value ${a} / 0`);
    t.deepEqual(get(next, 'mff'), [[-0.5, r]], `float-keyed map value ${a} / 0`);
  }
  // An infinity goes on being one; a NaN stays NaN.
  const inf = ok(t, make({ f: Infinity }), [on(FuncOp.NUM_ADD, 'f', -1e308)]);
  t.is(get(inf, 'f'), Infinity);
  const nan = ok(t, make({ f: NaN }), [on(FuncOp.NUM_MUL, 'f', 0)]);
  t.true(Number.isNaN(get(nan, 'f') as number));
  // A float that grows past the largest double is Infinity, not OVERFLOW.
  t.is(get(ok(t, make({ f: Number.MAX_VALUE }), [on(FuncOp.NUM_MUL, 'f', 10)]), 'f'), Infinity);
});

test('float precision: 9006104071832581.0 stays exact through put, get and adding 0', (t) => {
  const x = 9006104071832581.0;
  const put = ok(t, make({}), [on(FuncOp.SET, 'f', x)]);
  t.is(get(put, 'f'), x);
  t.is(bytesOf(put, 'f').readDoubleLE(0), 9006104071832581);
  const added = ok(t, put, [on(FuncOp.NUM_ADD, 'f', 0)]);
  t.is(get(added, 'f'), x);
  t.deepEqual(bytesOf(added, 'f'), bytesOf(put, 'f'));
  t.is(get(ok(t, added, [on(FuncOp.NUM_SUB, 'f', 0)]), 'f'), x);
  t.is(get(ok(t, added, [on(FuncOp.NUM_MUL, 'f', 1)]), 'f'), x);
  t.is(get(ok(t, added, [on(FuncOp.NUM_DIV, 'f', 1)]), 'f'), x);
  // Inside containers too, and as an int64.
  const inside = ok(t, make({}), [on(FuncOp.LIST_RPUSH, 'lf', x), on(FuncOp.SET_ADD, 'sf', x), onKey(FuncOp.NUM_ADD, 'msf', 'x', x), on(FuncOp.SET, 'i', x)]);
  t.deepEqual(get(inside, 'lf'), [x]);
  t.deepEqual(get(inside, 'sf'), [x]);
  t.deepEqual(get(inside, 'msf'), [['x', x]]);
  t.is(int(ok(t, inside, [on(FuncOp.NUM_ADD, 'i', 0)]), 'i'), 9006104071832581n);
});

test('float -0: a lone float keeps its sign; in sets and map keys -0 is 0', (t) => {
  const neg = ok(t, make({ f: 0 }), [on(FuncOp.NUM_MUL, 'f', -1)]);
  t.true(Object.is(get(neg, 'f'), -0), 'a float attribute keeps -0');
  const s = ok(t, make({ sf: [0, 1] }), [on(FuncOp.SET_ADD, 'sf', -0)]);
  t.deepEqual(get(s, 'sf'), [0, 1], 'set_add(-0) to a set holding 0 adds nothing');
  const m = ok(t, make({ mfi: new Map([[1, 1]]) }), [onKey(FuncOp.NUM_ADD, 'mfi', -0, 5)]);
  t.deepEqual(get(m, 'mfi'), [[0, 5], [1, 1]], 'a map key -0 is stored as 0');
});

test('float -0 is 0 for set_remove: removing -0 removes 0', (t) => {
  const s = ok(t, make({ sf: [0, 1] }), [on(FuncOp.SET_REMOVE, 'sf', -0)]);
  t.deepEqual(get(s, 'sf'), [1]);
});

test('float -0 is 0 for map_remove: removing key -0 removes key 0', (t) => {
  const m = ok(t, make({ mfi: new Map([[0, 5], [1, 1]]) }), [onKey(FuncOp.MAP_REMOVE, 'mfi', -0, 0)]);
  t.deepEqual(get(m, 'mfi'), [[1, 1]]);
});

test('float -0 is 0 for operations on map values: the value under key 0 is the one changed', (t) => {
  let outcome: { outcome: Outcome; next?: StoredObject } | undefined;
  t.notThrows(() => {
    outcome = apply(make({ mfi: new Map([[0, 5]]), mfs: new Map([[0, 'a']]) }), [onKey(FuncOp.NUM_ADD, 'mfi', -0, 1), onKey(FuncOp.STRING_APPEND, 'mfs', -0, 'b')]);
  });
  t.is(outcome && statusName(outcome.outcome.status), 'SUCCESS');
  if (outcome?.next) {
    t.deepEqual(get(outcome.next, 'mfi'), [[0, 6]]);
    t.deepEqual(get(outcome.next, 'mfs'), [[0, 'ab']]);
  }
});

// -- lists, sets, maps --------------------------------------------------------------------------

test('list_lpush and list_rpush on lists of each scalar: order kept, duplicates kept, empty lists', (t) => {
  for (const k of SCALARS) {
    const [A, B, C, D] = SAMPLES[k];
    const name = `l${CODE[k]}`;
    const cases: ScalarCase[] = [
      { op: FuncOp.SET, start: [], operand: [C, A, C], expect: [C, A, C] },
      { op: FuncOp.SET, start: [A, B], operand: [], expect: [] },
      { op: FuncOp.LIST_LPUSH, start: [B, C], operand: A, expect: [A, B, C] },
      { op: FuncOp.LIST_RPUSH, start: [B, C], operand: D, expect: [B, C, D] },
      { op: FuncOp.LIST_RPUSH, start: [B], operand: B, expect: [B, B] },
      { op: FuncOp.LIST_LPUSH, start: [D], operand: A, expect: [A, D] },
      { op: FuncOp.LIST_LPUSH, start: [], operand: D, expect: [D] },
      { op: FuncOp.LIST_RPUSH, start: [], operand: A, expect: [A] },
    ];
    for (const c of cases) {
      const what = `${opName(c.op)} ${JSON.stringify(c.operand)} on ${name} = ${JSON.stringify(c.start)}`;
      const cur = make({ [name]: c.start });
      const next = ok(t, cur, [on(c.op, name, c.operand)], what);
      t.deepEqual(get(next, name), c.expect, what);
      othersUnchanged(t, cur, next, [name], what);
    }
  }
});

test('set_add, set_remove, set_union and set_intersect on sets of each scalar: sorted, unique, empty sets', (t) => {
  for (const k of SCALARS) {
    const [A, B, C, D] = SAMPLES[k];
    const name = `s${CODE[k]}`;
    const cases: ScalarCase[] = [
      { op: FuncOp.SET, start: [], operand: [D, A, D], expect: [A, D] },
      { op: FuncOp.SET, start: [A], operand: [], expect: [] },
      { op: FuncOp.SET_ADD, start: [B, D], operand: C, expect: [B, C, D] },
      { op: FuncOp.SET_ADD, start: [B, D], operand: B, expect: [B, D] },
      { op: FuncOp.SET_ADD, start: [B, D], operand: A, expect: [A, B, D] },
      { op: FuncOp.SET_ADD, start: [], operand: A, expect: [A] },
      { op: FuncOp.SET_REMOVE, start: [B, D], operand: B, expect: [D] },
      { op: FuncOp.SET_REMOVE, start: [B, D], operand: A, expect: [B, D] },
      { op: FuncOp.SET_REMOVE, start: [B], operand: B, expect: [] },
      { op: FuncOp.SET_REMOVE, start: [], operand: A, expect: [] },
      { op: FuncOp.SET_UNION, start: [B, D], operand: [A, B], expect: [A, B, D] },
      { op: FuncOp.SET_UNION, start: [], operand: [], expect: [] },
      { op: FuncOp.SET_UNION, start: [C], operand: [], expect: [C] },
      { op: FuncOp.SET_UNION, start: [], operand: [D, A], expect: [A, D] },
      { op: FuncOp.SET_INTERSECT, start: [B, D], operand: [B, C], expect: [B] },
      { op: FuncOp.SET_INTERSECT, start: [B, D], operand: [], expect: [] },
      { op: FuncOp.SET_INTERSECT, start: [], operand: [A, B], expect: [] },
      { op: FuncOp.SET_INTERSECT, start: [A, B, C, D], operand: [D, A], expect: [A, D] },
      { op: FuncOp.SET_INTERSECT, start: [A, C], operand: [B, D], expect: [] },
    ];
    for (const c of cases) {
      const what = `${opName(c.op)} ${JSON.stringify(c.operand)} on ${name} = ${JSON.stringify(c.start)}`;
      const cur = make({ [name]: c.start });
      const next = ok(t, cur, [on(c.op, name, c.operand)], what);
      t.deepEqual(get(next, name), c.expect, what);
      othersUnchanged(t, cur, next, [name], what);
    }
  }
});

test('map_add and put on maps of each key and value type: entries inserted or replaced, sorted by key', (t) => {
  for (const k of SCALARS)
    for (const v of SCALARS) {
      const [K0, K1, K2, K3] = SAMPLES[k];
      const [V0, V1, V2, V3] = VALUES[v];
      const name = `m${CODE[k]}${CODE[v]}`;
      const cases: ScalarCase[] = [
        { op: FuncOp.SET, start: new Map(), operand: new Map([[K3, V0], [K0, V1]]), expect: [[K0, V1], [K3, V0]] },
        { op: FuncOp.SET, start: new Map([[K0, V0]]), operand: new Map(), expect: [] },
        { op: FuncOp.MAP_ADD, start: new Map([[K0, V0], [K1, V1]]), operand: new Map([[K2, V3], [K0, V2]]), expect: [[K0, V2], [K1, V1], [K2, V3]] },
        { op: FuncOp.MAP_ADD, start: new Map([[K0, V0]]), operand: new Map(), expect: [[K0, V0]] },
        { op: FuncOp.MAP_ADD, start: new Map(), operand: new Map([[K1, V1]]), expect: [[K1, V1]] },
        { op: FuncOp.MAP_ADD, start: new Map([[K3, V3]]), operand: new Map([[K3, V3]]), expect: [[K3, V3]] },
      ];
      for (const c of cases) {
        const what = `${opName(c.op)} on ${name}: ${JSON.stringify([...(c.operand as Map<unknown, unknown>)])}`;
        const cur = make({ [name]: c.start });
        const next = ok(t, cur, [on(c.op, name, c.operand)], what);
        t.deepEqual(get(next, name), c.expect, what);
        othersUnchanged(t, cur, next, [name], what);
      }
    }
});

test('map_remove on maps of each key and value type; a missing key is a no-op; the operand value is ignored', (t) => {
  for (const k of SCALARS)
    for (const v of SCALARS) {
      const [K0, K1, , K3] = SAMPLES[k];
      const [V0, V1, V2] = VALUES[v];
      const name = `m${CODE[k]}${CODE[v]}`;
      const cur = make({ [name]: new Map([[K0, V0], [K1, V1]]) });
      const removed = ok(t, cur, [onKey(FuncOp.MAP_REMOVE, name, K0, V2)], `${name}: remove ${String(K0)}`);
      t.deepEqual(get(removed, name), [[K1, V1]], name);
      othersUnchanged(t, cur, removed, [name], name);
      const missing = ok(t, cur, [onKey(FuncOp.MAP_REMOVE, name, K3, V0)], `${name}: remove missing ${String(K3)}`);
      t.deepEqual(bytesOf(missing, name), bytesOf(cur, name), `${name}: removing a missing key changes nothing`);
      const empty = ok(t, make({}), [onKey(FuncOp.MAP_REMOVE, name, K1, V0)], `${name}: remove from empty`);
      t.deepEqual(get(empty, name), [], name);
      // Two removes of distinct keys in one request empty the map.
      const both = ok(t, cur, [onKey(FuncOp.MAP_REMOVE, name, K1, V0), onKey(FuncOp.MAP_REMOVE, name, K0, V0)], `${name}: remove both`);
      t.deepEqual(get(both, name), [], name);
    }
});

test('operations on map values, for each key type and each value type they apply to; other entries untouched', (t) => {
  for (const k of SCALARS)
    for (const v of SCALARS) {
      const [K0, K1] = SAMPLES[k];
      const other = VALUES[v][3];
      const name = `m${CODE[k]}${CODE[v]}`;
      for (const c of SCALAR_CASES[v].filter((x) => x.op !== FuncOp.SET)) {
        const what = `${opName(c.op)} ${String(c.operand)} on ${name}[${String(K1)}] = ${String(c.start)}`;
        const cur = make({ [name]: new Map([[K0, other], [K1, c.start]]) });
        const next = ok(t, cur, [onKey(c.op, name, K1, c.operand)], what);
        t.deepEqual(get(next, name), [[K0, other], [K1, c.expect]], what);
        othersUnchanged(t, cur, next, [name], what);
      }
    }
});

/** Each operation on a map value whose key is missing: it starts from '', 0 or 0.0. */
const MISSING_CASES: Record<ScalarType, readonly { op: number; operand: unknown; expect: unknown }[]> = {
  string: [
    { op: FuncOp.STRING_APPEND, operand: 'x', expect: 'x' },
    { op: FuncOp.STRING_PREPEND, operand: 'x', expect: 'x' },
  ],
  int64: [
    { op: FuncOp.NUM_ADD, operand: 5, expect: 5 },
    { op: FuncOp.NUM_SUB, operand: 5, expect: -5 },
    { op: FuncOp.NUM_MUL, operand: 5, expect: 0 },
    { op: FuncOp.NUM_DIV, operand: 5, expect: 0 },
    { op: FuncOp.NUM_MOD, operand: 5, expect: 0 },
    { op: FuncOp.NUM_AND, operand: 5, expect: 0 },
    { op: FuncOp.NUM_OR, operand: 5, expect: 5 },
    { op: FuncOp.NUM_XOR, operand: 5, expect: 5 },
  ],
  float: [
    { op: FuncOp.NUM_ADD, operand: 2.5, expect: 2.5 },
    { op: FuncOp.NUM_SUB, operand: 2.5, expect: -2.5 },
    { op: FuncOp.NUM_MUL, operand: 2.5, expect: 0 },
    { op: FuncOp.NUM_DIV, operand: 2.5, expect: 0 },
  ],
};

test('operations on a missing map key start from the default: string "", int 0, float 0.0', (t) => {
  for (const k of SCALARS)
    for (const v of SCALARS) {
      const [K0, , K2] = SAMPLES[k];
      const other = VALUES[v][3];
      const name = `m${CODE[k]}${CODE[v]}`;
      for (const c of MISSING_CASES[v]) {
        const what = `${opName(c.op)} ${String(c.operand)} on missing ${name}[${String(K2)}]`;
        const next = ok(t, make({ [name]: new Map([[K0, other]]) }), [onKey(c.op, name, K2, c.operand)], what);
        t.deepEqual(get(next, name), [[K0, other], [K2, c.expect]], what);
        const fromEmpty = ok(t, make({}), [onKey(c.op, name, K2, c.operand)], `${what}, empty map`);
        t.deepEqual(get(fromEmpty, name), [[K2, c.expect]], `${what}, empty map`);
      }
    }
  // The manual's upvotes: map_atomic_add on a key that is not there yet.
  const votes = ok(t, make({ msi: new Map([['http://url1.com', 1]]) }), [onKey(FuncOp.NUM_ADD, 'msi', 'http://url2.com', -1)]);
  t.deepEqual(get(votes, 'msi'), [['http://url1.com', 1], ['http://url2.com', -1]]);
  // Dividing a missing int64 value by zero is still division by zero.
  bad(t, make({}), [onKey(FuncOp.NUM_DIV, 'msi', 'nope', 0)], Status.OVERFLOW, 'msi', 'missing / 0');
  bad(t, make({}), [onKey(FuncOp.NUM_MOD, 'mii', 1, 0)], Status.OVERFLOW, 'mii', 'missing % 0');
  bad(t, make({}), [onKey(FuncOp.NUM_SUB, 'msi', 'nope', MIN)], Status.OVERFLOW, 'msi', '0 - MIN');
  // A missing float value divided by zero: 0/0.
  const nan = ok(t, make({}), [onKey(FuncOp.NUM_DIV, 'msf', 'nope', 0)]);
  const got = get(nan, 'msf') as [string, number][];
  t.is(got.length, 1);
  t.true(Number.isNaN(got[0][1]));
});

// -- large containers ---------------------------------------------------------------------------

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const label = (i: number): string => `e${String(i).padStart(6, '0')}`;

test('a 10,000-element list: lpush and rpush keep every element in order', (t) => {
  const cur = make({ li: range(10_000), ls: range(10_000).map(label) });
  const next = ok(t, cur, [on(FuncOp.LIST_LPUSH, 'li', -1), on(FuncOp.LIST_RPUSH, 'ls', 'last')]);
  t.deepEqual(get(next, 'li'), range(10_001, -1));
  t.deepEqual(get(next, 'ls'), [...range(10_000).map(label), 'last']);
});

test('a list built by 2,000 alternating pushes, one request each', (t) => {
  let o = make({});
  const expect: number[] = [];
  for (let i = 0; i < 2000; i++) {
    o = ok(t, o, [on(i % 2 ? FuncOp.LIST_LPUSH : FuncOp.LIST_RPUSH, 'li', i)]);
    if (i % 2) expect.unshift(i);
    else expect.push(i);
  }
  t.deepEqual(get(o, 'li'), expect);
  t.is(o.version, 7 + 2000);
});

test('10,000-element sets: set_add, set_remove, set_union and set_intersect', (t) => {
  const evens = range(10_000).map((i) => i * 2); // 0..19998
  const cur = make({ si: evens, ss: evens.map(label) });
  // set_add of a present and of a new element.
  t.deepEqual(bytesOf(ok(t, cur, [on(FuncOp.SET_ADD, 'si', 4)]), 'si'), bytesOf(cur, 'si'));
  const added = ok(t, cur, [on(FuncOp.SET_ADD, 'si', -1), on(FuncOp.SET_ADD, 'ss', label(3))]);
  t.deepEqual(get(added, 'si'), [-1, ...evens]);
  t.deepEqual((get(added, 'ss') as string[]).slice(0, 4), [label(0), label(2), label(3), label(4)]);
  t.is((get(added, 'ss') as string[]).length, 10_001);
  // set_remove.
  const removed = ok(t, cur, [on(FuncOp.SET_REMOVE, 'si', 19_998)]);
  t.deepEqual(get(removed, 'si'), evens.slice(0, -1));
  // Union with 10,000 multiples of 3, of which the 3,334 multiples of 6 below 20,000 are there already.
  const threes = range(10_000).map((i) => i * 3).reverse(); // given unsorted
  const union = ok(t, cur, [on(FuncOp.SET_UNION, 'si', threes), on(FuncOp.SET_UNION, 'ss', threes.map(label))]);
  const expectUnion = [...new Set([...evens, ...threes])].sort((a, b) => a - b);
  t.is(expectUnion.length, 10_000 + 10_000 - 3_334);
  t.deepEqual(get(union, 'si'), expectUnion);
  t.deepEqual(get(union, 'ss'), expectUnion.map(label));
  // Intersection with the same: the multiples of 6 below 20,000.
  const interInts = ok(t, cur, [on(FuncOp.SET_INTERSECT, 'si', threes)]);
  const interStrings = ok(t, cur, [on(FuncOp.SET_INTERSECT, 'ss', threes.map(label))]);
  const sixes = range(3334).map((i) => i * 6);
  t.deepEqual(get(interInts, 'si'), sixes);
  t.deepEqual(get(interStrings, 'ss'), sixes.map(label));
  // Union from empty to 10,000.
  const fromEmpty = ok(t, make({}), [on(FuncOp.SET_UNION, 'sf', evens.map((x) => x / 4))]);
  t.deepEqual(get(fromEmpty, 'sf'), evens.map((x) => x / 4));
});

test('10,000-entry maps: map_add onto empty and onto a full map, values replaced', (t) => {
  const first = new Map(range(10_000).map((i) => [label(i), i]));
  const filled = ok(t, make({}), [on(FuncOp.MAP_ADD, 'msi', first)]);
  t.deepEqual(get(filled, 'msi'), [...first.entries()]);
  // Half the keys again with new values, and 5,000 new keys.
  const second = new Map(range(10_000, 5_000).map((i) => [label(i), -i]));
  const merged = ok(t, filled, [on(FuncOp.MAP_ADD, 'msi', second)]);
  const expect = [...range(5_000).map((i) => [label(i), i]), ...range(10_000, 5_000).map((i) => [label(i), -i])];
  t.deepEqual(get(merged, 'msi'), expect);
  // An operation on one value of the big map.
  const one = ok(t, merged, [onKey(FuncOp.NUM_ADD, 'msi', label(7_777), 1)]);
  t.deepEqual((get(one, 'msi') as [string, number][])[7_777], [label(7_777), -7_776]);
  // int-keyed: numeric order, negatives first.
  const ints = new Map(range(10_000).map((i) => [5_000 - i, String(i)]));
  const im = ok(t, make({}), [on(FuncOp.MAP_ADD, 'mis', ints)]);
  const keys = (get(im, 'mis') as [number, string][]).map(([kk]) => kk);
  t.deepEqual(keys, range(10_000, -4_999));
});

// -- strings: zero bytes, unicode, size ----------------------------------------------------------

test('strings with zero bytes: append, prepend, and as elements and map keys', (t) => {
  const z = (...bytes: number[]) => Buffer.from(bytes);
  const s = ok(t, make({ s: z(0, 1, 0) }), [on(FuncOp.STRING_APPEND, 's', z(0, 0))]);
  t.deepEqual(bytesOf(s, 's'), z(0, 1, 0, 0, 0));
  const p = ok(t, s, [on(FuncOp.STRING_PREPEND, 's', z(0xff, 0))]);
  t.deepEqual(bytesOf(p, 's'), z(0xff, 0, 0, 1, 0, 0, 0));
  t.deepEqual(decodeValue(typeOf('s'), bytesOf(p, 's')), z(0xff, 0, 0, 1, 0, 0, 0), 'not UTF-8: comes back as a Buffer');

  // Elements that differ only by zero bytes are distinct, sorted bytewise, and the length prefix keeps them apart.
  const set = ok(t, make({ ss: ['a', 'a\0b'] }), [on(FuncOp.SET_UNION, 'ss', ['', '\0', 'a\0', 'a'])]);
  t.deepEqual(get(set, 'ss'), ['', '\0', 'a', 'a\0', 'a\0b']);
  t.deepEqual(get(ok(t, set, [on(FuncOp.SET_REMOVE, 'ss', 'a\0')]), 'ss'), ['', '\0', 'a', 'a\0b']);
  t.deepEqual(get(ok(t, set, [on(FuncOp.SET_INTERSECT, 'ss', ['\0', 'a\0b', 'b'])]), 'ss'), ['\0', 'a\0b']);
  const list = ok(t, make({ ls: ['\0'] }), [on(FuncOp.LIST_RPUSH, 'ls', '')]);
  t.deepEqual(get(ok(t, list, [on(FuncOp.LIST_LPUSH, 'ls', '\0\0')]), 'ls'), ['\0\0', '\0', '']);
  const map = ok(t, make({ mss: new Map([['k', 'plain'], ['k\0', 'nul']]) }), [onKey(FuncOp.STRING_APPEND, 'mss', 'k\0', '\0!')]);
  t.deepEqual(get(map, 'mss'), [['k', 'plain'], ['k\0', 'nul\0!']]);
  t.deepEqual(get(ok(t, map, [onKey(FuncOp.MAP_REMOVE, 'mss', 'k', '')]), 'mss'), [['k\0', 'nul\0!']]);
});

test('unicode strings: UTF-8 bytes, appended and prepended whole, sorted bytewise in sets and map keys', (t) => {
  const s = ok(t, make({ s: 'héllo' }), [on(FuncOp.STRING_APPEND, 's', ' wörld 🎉')]);
  t.is(get(s, 's'), 'héllo wörld 🎉');
  t.deepEqual(bytesOf(s, 's'), Buffer.from('héllo wörld 🎉', 'utf8'));
  t.is(get(ok(t, s, [on(FuncOp.STRING_PREPEND, 's', '日本語 ')]), 's'), '日本語 héllo wörld 🎉');
  // z (0x7a) < é (0xc3 0xa9) < 日 (0xe6 ...) < 🎉 (0xf0 ...)
  const set = ok(t, make({}), [on(FuncOp.SET_UNION, 'ss', ['🎉', '日', 'é', 'z'])]);
  t.deepEqual(get(set, 'ss'), ['z', 'é', '日', '🎉']);
  const map = ok(t, make({}), [on(FuncOp.MAP_ADD, 'mss', new Map([['ключ', 'значение'], ['κλειδί', 'τιμή']]))]);
  t.deepEqual(get(ok(t, map, [onKey(FuncOp.STRING_PREPEND, 'mss', 'ключ', '→')]), 'mss'), [['κλειδί', 'τιμή'], ['ключ', '→значение']]);
  const list = ok(t, make({ ls: ['☃'] }), [on(FuncOp.LIST_LPUSH, 'ls', '𝄞')]);
  t.deepEqual(get(list, 'ls'), ['𝄞', '☃']);
});

test('a 1 MiB value: put, append to 2 MiB, and inside each kind of container', (t) => {
  const mib = 'x'.repeat(1024 * 1024);
  const put = ok(t, make({}), [on(FuncOp.SET, 's', mib)]);
  t.is(bytesOf(put, 's').length, 1024 * 1024);
  const appended = ok(t, put, [on(FuncOp.STRING_APPEND, 's', 'y'.repeat(1024 * 1024))]);
  t.is(bytesOf(appended, 's').length, 2 * 1024 * 1024);
  t.is(bytesOf(appended, 's').toString('latin1', 1024 * 1024 - 1, 1024 * 1024 + 1), 'xy');
  const inside = ok(t, make({ ls: ['a'] }), [
    on(FuncOp.LIST_RPUSH, 'ls', mib),
    on(FuncOp.SET_ADD, 'ss', mib),
    on(FuncOp.MAP_ADD, 'mss', new Map([['big', mib]])),
    onKey(FuncOp.STRING_PREPEND, 'mis', 1, mib),
  ]);
  t.deepEqual(get(inside, 'ls'), ['a', mib]);
  t.deepEqual(get(inside, 'ss'), [mib]);
  t.deepEqual(get(inside, 'mss'), [['big', mib]]);
  t.deepEqual(get(inside, 'mis'), [[1, mib]]);
});

test('growth past LIMITS.valueBytesMax is OVERFLOW naming the attribute, nothing changed; exactly the limit is fine', (t) => {
  const max = LIMITS.valueBytesMax;
  const cur = make({ s: Buffer.alloc(max - 3, 0x61), j: 1 });
  const full = ok(t, cur, [on(FuncOp.STRING_APPEND, 's', 'abc')], 'append to exactly the limit');
  t.is(bytesOf(full, 's').length, max);
  bad(t, full, [on(FuncOp.STRING_APPEND, 's', 'd')], Status.OVERFLOW, 's', 'append one byte past the limit');
  bad(t, full, [on(FuncOp.STRING_PREPEND, 's', 'd')], Status.OVERFLOW, 's', 'prepend one byte past the limit');
  bad(t, cur, [on(FuncOp.STRING_APPEND, 's', 'abcd')], Status.OVERFLOW, 's', 'append 4 to limit-3');
  // Together with another attribute: nothing changes.
  bad(t, cur, [on(FuncOp.NUM_ADD, 'j', 1), on(FuncOp.STRING_APPEND, 's', 'abcd')], Status.OVERFLOW, 's', 'append past the limit beside an add');
  // A put of a value over the limit.
  bad(t, make({}), [on(FuncOp.SET, 's', Buffer.alloc(max + 1))], Status.OVERFLOW, 's', 'put over the limit');
  // Containers and map values grow past it too.
  const half = Buffer.alloc(max / 2, 0x62).toString('latin1');
  bad(t, make({ ls: [half] }), [on(FuncOp.LIST_RPUSH, 'ls', half)], Status.OVERFLOW, 'ls', 'list_rpush past the limit');
  bad(t, make({ ss: [half] }), [on(FuncOp.SET_ADD, 'ss', half.slice(1))], Status.OVERFLOW, 'ss', 'set_add past the limit');
  bad(t, make({ ss: [half] }), [on(FuncOp.SET_UNION, 'ss', [half.slice(1)])], Status.OVERFLOW, 'ss', 'set_union past the limit');
  const bigMap = make({ mss: new Map([['k', half]]) });
  bad(t, bigMap, [onKey(FuncOp.STRING_APPEND, 'mss', 'k', half)], Status.OVERFLOW, 'mss', 'map_string_append past the limit');
  bad(t, bigMap, [onKey(FuncOp.STRING_APPEND, 'mss', 'other', half)], Status.OVERFLOW, 'mss', 'map_string_append on a new key past the limit');
  bad(t, bigMap, [on(FuncOp.MAP_ADD, 'mss', new Map([['other', half]]))], Status.OVERFLOW, 'mss', 'map_add past the limit');
});

// -- several functions in one request ------------------------------------------------------------

test('several operations in one request: all applied together, one new version', (t) => {
  const cur = make({ s: 'a', i: 1, j: 2, f: 0.5, ls: ['x'], ss: ['x'], msi: new Map([['a', 1]]) });
  const next = ok(t, cur, [
    on(FuncOp.STRING_APPEND, 's', 'b'),
    on(FuncOp.NUM_ADD, 'i', 1),
    on(FuncOp.NUM_MUL, 'j', 3),
    on(FuncOp.NUM_DIV, 'f', 2),
    on(FuncOp.LIST_LPUSH, 'ls', 'w'),
    on(FuncOp.SET_UNION, 'ss', ['y']),
    onKey(FuncOp.NUM_ADD, 'msi', 'a', 1),
    onKey(FuncOp.NUM_SUB, 'msi', 'b', 1),
  ]);
  t.is(next.version, cur.version + 1);
  t.is(get(next, 's'), 'ab');
  t.is(get(next, 'i'), 2);
  t.is(get(next, 'j'), 6);
  t.is(get(next, 'f'), 0.25);
  t.deepEqual(get(next, 'ls'), ['w', 'x']);
  t.deepEqual(get(next, 'ss'), ['x', 'y']);
  t.deepEqual(get(next, 'msi'), [['a', 2], ['b', -1]]);
  othersUnchanged(t, cur, next, ['s', 'i', 'j', 'f', 'ls', 'ss', 'msi']);
});

test('all or nothing: one overflowing operation, wherever it comes, leaves every attribute unchanged', (t) => {
  const cur = make({ s: 'a', i: MAX, j: 1, f: 0.5, ls: ['x'], msi: new Map<string, bigint>([['a', 1n], ['big', MAX]]) });
  const good = [on(FuncOp.STRING_APPEND, 's', 'b'), on(FuncOp.NUM_ADD, 'j', 1), on(FuncOp.NUM_ADD, 'f', 1), on(FuncOp.LIST_RPUSH, 'ls', 'y'), onKey(FuncOp.NUM_ADD, 'msi', 'a', 1)];
  const overflows: [WireFunc, string][] = [
    [on(FuncOp.NUM_ADD, 'i', 1), 'i'],
    [on(FuncOp.NUM_DIV, 'i', 0), 'i'],
    [onKey(FuncOp.NUM_MUL, 'mii', 1, 0), ''], // not an overflow: 0 * 0; a control
  ];
  for (const [f, attr] of overflows) {
    for (let at = 0; at <= good.length; at++) {
      const funcs = [...good.slice(0, at), f, ...good.slice(at)];
      if (attr === '') ok(t, cur, funcs, `control at ${at}`);
      else bad(t, cur, funcs, Status.OVERFLOW, attr, `${opName(f.op)} on ${attr} at position ${at}`);
    }
  }
  // An overflow on one value of a map after another value of the same map was changed.
  bad(t, cur, [onKey(FuncOp.NUM_ADD, 'msi', 'a', 1), onKey(FuncOp.NUM_ADD, 'msi', 'big', 1)], Status.OVERFLOW, 'msi', 'second map value overflows');
  bad(t, cur, [onKey(FuncOp.NUM_ADD, 'msi', 'big', 1), onKey(FuncOp.NUM_ADD, 'msi', 'a', 1)], Status.OVERFLOW, 'msi', 'first map value overflows');
  // Division by zero in a map value beside a put.
  bad(t, cur, [on(FuncOp.SET, 's', 'changed'), onKey(FuncOp.NUM_MOD, 'msi', 'a', 0)], Status.OVERFLOW, 'msi', 'mod by zero beside a put');
  // A WRONGTYPE among good operations changes nothing either.
  bad(t, cur, [...good, raw(FuncOp.NUM_ADD, 's', scalar('string'), 'x')], Status.WRONGTYPE, 's', 'atomic_add on a string among good operations');
});

// -- DUPEATTR -------------------------------------------------------------------------------------

test('DUPEATTR: an attribute named twice, whatever the operations; nothing changed', (t) => {
  const cur = make({ s: 'a', i: 1, msi: new Map([['a', 1]]) });
  const cases: [string, WireFunc[], string][] = [
    ['put twice', [on(FuncOp.SET, 's', 'x'), on(FuncOp.SET, 's', 'y')], 's'],
    ['put and append', [on(FuncOp.SET, 's', 'x'), on(FuncOp.STRING_APPEND, 's', 'y')], 's'],
    ['add and sub', [on(FuncOp.NUM_ADD, 'i', 1), on(FuncOp.NUM_SUB, 'i', 1)], 'i'],
    ['add twice with another between', [on(FuncOp.NUM_ADD, 'i', 1), on(FuncOp.SET, 's', 'x'), on(FuncOp.NUM_ADD, 'i', 1)], 'i'],
    ['set_add twice', [on(FuncOp.SET_ADD, 'ss', 'x'), on(FuncOp.SET_ADD, 'ss', 'y')], 'ss'],
    ['map_add then a map value', [on(FuncOp.MAP_ADD, 'msi', new Map([['b', 2]])), onKey(FuncOp.NUM_ADD, 'msi', 'c', 1)], 'msi'],
    ['a map value then map_add', [onKey(FuncOp.NUM_ADD, 'msi', 'c', 1), on(FuncOp.MAP_ADD, 'msi', new Map([['b', 2]]))], 'msi'],
    ['put of a map then a map value', [on(FuncOp.SET, 'msi', new Map()), onKey(FuncOp.NUM_ADD, 'msi', 'a', 1)], 'msi'],
    ['the same map key twice', [onKey(FuncOp.NUM_ADD, 'msi', 'a', 1), onKey(FuncOp.NUM_ADD, 'msi', 'a', 1)], 'msi'],
    ['the same map key: add and mul', [onKey(FuncOp.NUM_ADD, 'msi', 'a', 1), onKey(FuncOp.NUM_MUL, 'msi', 'b', 2), onKey(FuncOp.NUM_MUL, 'msi', 'a', 2)], 'msi'],
    ['the same map key: remove and add', [onKey(FuncOp.MAP_REMOVE, 'msi', 'a', 0), onKey(FuncOp.NUM_ADD, 'msi', 'a', 1)], 'msi'],
    ['the same int map key', [onKey(FuncOp.NUM_ADD, 'mii', -5, 1), onKey(FuncOp.NUM_XOR, 'mii', -5, 1)], 'mii'],
    ['the same float map key', [onKey(FuncOp.STRING_APPEND, 'mfs', 2.5, 'x'), onKey(FuncOp.STRING_PREPEND, 'mfs', 2.5, 'y')], 'mfs'],
  ];
  for (const [what, funcs, attr] of cases) {
    bad(t, cur, funcs, Status.DUPEATTR, attr, what);
    t.like(resolveFuncs(SPEC, funcs), { status: Status.DUPEATTR, attr }, `resolveFuncs: ${what}`);
  }
  // A request error comes before the object: DUPEATTR even on an absent object that must exist.
  bad(t, undefined, [on(FuncOp.SET, 's', 'x'), on(FuncOp.SET, 's', 'y')], Status.DUPEATTR, 's', 'absent object', AtomicFlag.FAIL_IF_NOT_FOUND);
});

test('DUPEATTR: map keys 0.0 and -0.0 are one key', (t) => {
  const funcs = [onKey(FuncOp.NUM_ADD, 'mfi', 0, 1), onKey(FuncOp.NUM_ADD, 'mfi', -0, 1)];
  t.like(resolveFuncs(SPEC, funcs), { status: Status.DUPEATTR, attr: 'mfi' });
  t.notThrows(() => bad(t, make({}), funcs, Status.DUPEATTR, 'mfi', '0.0 and -0.0'));
});

test('operations on distinct keys of one map in one request are fine, and all apply', (t) => {
  const cur = make({ msi: new Map([['a', 1], ['b', 2], ['c', 3]]), mfs: new Map([[0.5, 'x']]) });
  const next = ok(t, cur, [
    onKey(FuncOp.NUM_ADD, 'msi', 'a', 10),
    onKey(FuncOp.NUM_MUL, 'msi', 'b', 10),
    onKey(FuncOp.MAP_REMOVE, 'msi', 'c', 0),
    onKey(FuncOp.NUM_SUB, 'msi', 'd', 1),
    onKey(FuncOp.STRING_APPEND, 'mfs', 0.5, 'y'),
    onKey(FuncOp.STRING_PREPEND, 'mfs', -0.5, 'z'),
  ]);
  t.deepEqual(get(next, 'msi'), [['a', 11], ['b', 20], ['d', -1]]);
  t.deepEqual(get(next, 'mfs'), [[-0.5, 'z'], [0.5, 'xy']]);
  othersUnchanged(t, cur, next, ['msi', 'mfs']);
  const r = resolveFuncs(SPEC, [onKey(FuncOp.NUM_ADD, 'mii', 1, 1), onKey(FuncOp.NUM_ADD, 'mii', 2, 1)]);
  t.true(Array.isArray(r) && r.length === 2, 'two int keys of one map resolve');
});

// -- resolveFuncs -------------------------------------------------------------------------------

test('resolveFuncs: one resolved function per wire function, in order, with the schema index and canonical operand', (t) => {
  const unsorted = encodeValue(listOf('int64'), [5, -1, 5, 3]); // a list's bytes are an unsorted set's
  const funcs: WireFunc[] = [
    on(FuncOp.STRING_APPEND, 's', 'x'),
    { op: FuncOp.SET_UNION, name: 'si', datatype: Datatype.SET_INT64, value: unsorted },
    onKey(FuncOp.NUM_ADD, 'mii', -7, 3),
    on(FuncOp.NUM_XOR, 'j', 1),
  ];
  const r = resolveFuncs(SPEC, funcs);
  if (!Array.isArray(r)) {
    t.fail(`resolveFuncs refused: ${statusName(r.status)} ${r.message}`);
    return;
  }
  const rs = r as ResolvedFunc[];
  t.deepEqual(
    rs.map((f) => [f.op, f.index, f.attr.name]),
    [
      [FuncOp.STRING_APPEND, NAMES.indexOf('s'), 's'],
      [FuncOp.SET_UNION, NAMES.indexOf('si'), 'si'],
      [FuncOp.NUM_ADD, NAMES.indexOf('mii'), 'mii'],
      [FuncOp.NUM_XOR, NAMES.indexOf('j'), 'j'],
    ],
  );
  t.deepEqual(rs[0].value, Buffer.from('x'));
  t.deepEqual(rs[1].value, encodeValue(setOf('int64'), [-1, 3, 5]), 'the set operand is sorted and unique');
  t.deepEqual(rs[2].mapKey, encodeValue(scalar('int64'), -7));
  t.deepEqual(rs[2].value, encodeValue(scalar('int64'), 3));
  t.is(rs[0].mapKey, undefined);
  t.deepEqual(resolveFuncs(SPEC, []), []);
});

test('resolveFuncs: errors name the attribute', (t) => {
  t.like(resolveFuncs(SPEC, [on(FuncOp.SET, 's', 'x'), { op: FuncOp.NUM_ADD, name: 'nope', datatype: Datatype.INT64, value: Buffer.alloc(8) }]), { status: Status.UNKNOWNATTR, attr: 'nope' });
  t.like(resolveFuncs(SPEC, [{ op: FuncOp.SET, name: 'k', datatype: Datatype.STRING, value: Buffer.from('x') }]), { status: Status.UNKNOWNATTR, attr: 'k' });
  t.like(resolveFuncs(SPEC, [raw(FuncOp.STRING_APPEND, 'i', scalar('string'), 'x')]), { status: Status.WRONGTYPE, attr: 'i' });
  t.like(resolveFuncs(SPEC, [raw(FuncOp.NUM_MOD, 'f', scalar('float'), 2)]), { status: Status.WRONGTYPE, attr: 'f' });
  t.like(resolveFuncs(SPEC, [raw(FuncOp.NUM_ADD, 'i', scalar('int64'), 1, 'k')]), { status: Status.WRONGTYPE, attr: 'i' });
  t.like(resolveFuncs(SPEC, [{ ...on(FuncOp.SET, 's', 'x'), op: 77 }]), { status: Status.BADREQUEST, attr: 's' });
});

// -- micro-operations: LIMITS.microOpsPerRequestMax ---------------------------------------------

test('funcMicroOps: a MAP_ADD counts its entries (at least 1), any other func 1', (t) => {
  const msi = typeOf('msi');
  const entries = (n: number) => encodeValue(msi, new Map(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
  t.is(funcMicroOps(FuncOp.MAP_ADD, msi, entries(0), false), 1);
  t.is(funcMicroOps(FuncOp.MAP_ADD, msi, entries(1), false), 1);
  t.is(funcMicroOps(FuncOp.MAP_ADD, msi, entries(1000), false), 1000);
  t.is(funcMicroOps(FuncOp.MAP_ADD, typeOf('mff'), encodeValue(typeOf('mff'), new Map([[1.5, 2], [-0.5, 3]])), false), 2);
  t.is(funcMicroOps(FuncOp.MAP_ADD, msi, Buffer.from([1, 2, 3]), false), 1, 'malformed: refused later as WRONGTYPE');
  t.is(funcMicroOps(FuncOp.NUM_ADD, msi, encodeValue(typeOf('i'), 1), true), 1);
  t.is(funcMicroOps(FuncOp.SET, msi, entries(1000), false), 1, 'a put of a whole map is one');
  t.is(funcMicroOps(FuncOp.SET_UNION, typeOf('si'), encodeValue(typeOf('si'), [1, 2, 3]), false), 1);
});

test('applyAtomic: up to LIMITS.microOpsPerRequestMax micro-operations apply; one more is BADREQUEST, nothing changed', (t) => {
  const limit = LIMITS.microOpsPerRequestMax;
  const cur = make({ i: 1, msi: new Map([['a', 1]]) });
  const adds = (n: number) => Array.from({ length: n }, (_, k) => onKey(FuncOp.NUM_ADD, 'msi', `k${k}`, 1));
  const mapAdd = (n: number) => on(FuncOp.MAP_ADD, 'msi', new Map(Array.from({ length: n }, (_, k) => [`m${k}`, k])));
  const check = { op: 1, name: 'i', datatype: Datatype.INT64, value: encodeValue(typeOf('i'), 1) };
  const run = (checks: (typeof check)[], funcs: WireFunc[]) => applyAtomic(SPEC, KEY, cur, { flags: 0, checks, funcs });

  const full = ok(t, cur, adds(limit), 'the limit of funcs on map values');
  t.is((get(full, 'msi') as unknown[]).length, limit + 1);
  t.is(statusName(run([check], adds(limit - 1)).outcome.status), 'SUCCESS', 'one check and LIMIT - 1 funcs');
  t.is(statusName(run([check], [mapAdd(limit - 1)]).outcome.status), 'SUCCESS', 'one check and a MAP_ADD of LIMIT - 1 entries');
  bad(t, cur, adds(limit + 1), Status.BADREQUEST, '', 'LIMIT + 1 funcs on map values');
  bad(t, cur, [mapAdd(limit + 1)], Status.BADREQUEST, '', 'a MAP_ADD of LIMIT + 1 entries');
  bad(t, cur, [mapAdd(limit), on(FuncOp.NUM_ADD, 'i', 1)], Status.BADREQUEST, '', 'a MAP_ADD of LIMIT entries and one more func');
  const over = run([check], [mapAdd(limit)]);
  t.is(statusName(over.outcome.status), 'BADREQUEST', 'one check and a MAP_ADD of LIMIT entries');
  t.is(over.next, undefined);
});

test('property: applyFuncs, with each map decoded once, equals applying the funcs one by one', (t) => {
  const MAPS = ['msi', 'mii', 'mfi', 'mss'] as const;
  const opOn = (name: string) =>
    name === 'mss'
      ? fc.constantFrom(FuncOp.STRING_APPEND, FuncOp.STRING_PREPEND, FuncOp.MAP_REMOVE)
      : fc.constantFrom(FuncOp.NUM_ADD, FuncOp.NUM_SUB, FuncOp.NUM_MUL, FuncOp.NUM_DIV, FuncOp.NUM_MOD, FuncOp.NUM_XOR, FuncOp.MAP_REMOVE);
  const keyOf = (name: string, k: number): unknown => (name === 'msi' || name === 'mss' ? `k${k}` : name === 'mfi' ? k / 2 : k);
  const operand = (name: string, x: number): unknown => (name === 'mss' ? `s${x}` : x);
  // Funcs on distinct keys of a few maps (what resolveFuncs lets through), with whole-attribute funcs beside them.
  const request = fc
    .tuple(
      fc.uniqueArray(fc.tuple(fc.constantFrom(...MAPS), fc.integer({ min: -6, max: 6 })), { maxLength: 30, selector: ([n, k]) => `${n}/${k}` }),
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 30, maxLength: 30 }),
      fc.array(fc.nat(6), { minLength: 30, maxLength: 30 }),
      fc.boolean(),
    )
    .chain(([slots, operands, opPicks, withWhole]) =>
      fc.tuple(...slots.map(([name]) => opOn(name))).map((ops) => {
        const funcs = slots.map(([name, k], i) => onKey(ops[i], name, keyOf(name, k), operand(name, operands[i] + opPicks[i])));
        return withWhole ? [on(FuncOp.NUM_ADD, 'i', 2), ...funcs, on(FuncOp.STRING_APPEND, 's', 'x')] : funcs;
      }),
    );
  const start = make({
    i: 1,
    s: 'a',
    msi: new Map([['k0', 5], ['k1', -7], ['k-2', 9]]),
    mii: new Map([[0, 3], [2, -4]]),
    mfi: new Map([[0.5, 8], [-1, 1]]),
    mss: new Map([['k0', 'x'], ['k3', '']]),
  });
  t.log(`fast-check seed ${FC_SEED} (FC_SEED to repeat)`);
  fc.assert(
    fc.property(request, (funcs) => {
      const resolved = resolveFuncs(SPEC, funcs);
      if (!Array.isArray(resolved)) return false;
      const together = [...start.values];
      const failedTogether = applyFuncs(resolved, together);
      // The naive way: each func decodes and re-encodes its attribute.
      const oneByOne = [...start.values];
      let failedOne: FuncError | undefined;
      for (const f of resolved) {
        const r = applyFunc(f, oneByOne[f.index]);
        if (!('bytes' in r)) {
          failedOne = r;
          break;
        }
        oneByOne[f.index] = r.bytes;
      }
      if (failedTogether || failedOne) return failedTogether?.status === failedOne?.status && failedTogether?.attr === failedOne?.attr && failedTogether?.message === failedOne?.message;
      return together.every((b, i) => b.equals(oneByOne[i]));
    }),
    { seed: FC_SEED + 1, numRuns: 2000 },
  );
  t.pass();
});
