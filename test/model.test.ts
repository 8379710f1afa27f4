// A randomized test against a model. Random schemas (mixtures of string, int64, float and lists,
// sets and maps of scalars) and random sequences of put, put_if_not_exist, cond_put, del and every
// atomic operation run through the TypeScript client against a real coordinator and three daemons,
// and against a small in-memory model of the documented semantics written here on plain values:
//   - int64 is exact (bigint); a result outside 64 bits, division or modulus by zero and INT64_MIN
//     mod -1 fail with
//     OVERFLOW and change nothing; division floors, % takes the divisor's sign (0.4, Python);
//   - floats follow IEEE-754 (x / 0 is an infinity, 0 / 0 NaN);
//   - lists keep order; sets are sorted without duplicates (-0 and 0 one element); maps are sorted
//     by key (a missing key starts from the value type's default);
//   - each call changes all the attributes it names or none, and atomic operations, cond_put and del
//     return false when there is no object; put_if_not_exist returns false when there is one.
// After every step the touched object (and the call's result or error) is compared with the model;
// every few steps a random search and count; at the end a full search({}).
//
// The seed is printed; replay with HYPERDEX_MODEL_SEED=<seed> npx ava dist/test/model.test.js

import test, { ExecutionContext } from 'ava';
import * as crypto from 'node:crypto';
import { AtomicMethod, Client, HyperClientError, HyperObject } from '../src/client/client';
import { SharedScope, startCoordinator, startDaemon } from './helpers/cluster';
import { Rng } from './helpers/rng';

const scope = new SharedScope();
let client: Client;

const SEED = process.env.HYPERDEX_MODEL_SEED !== undefined ? Number(process.env.HYPERDEX_MODEL_SEED) >>> 0 : crypto.randomBytes(4).readUInt32LE(0);
const SCHEMAS = 5;
const STEPS_PER_SCHEMA = 400;
const SEARCH_EVERY = 25;
const TIME_BUDGET_MS = 45_000;
const DIVERGENCES_REPORTED_MAX = 5;


// ---- the model's values -------------------------------------------------------------------------

type S = 'string' | 'int64' | 'float';
type Type = { kind: S } | { kind: 'list'; elem: S } | { kind: 'set'; elem: S } | { kind: 'map'; key: S; value: S };
/** A scalar: string bytes, int64 as bigint, float as number. */
type El = Buffer | bigint | number;
/** A value: a scalar, a list or set (sets sorted, unique) or a map (entries sorted by key, unique keys). */
type MV = El | El[] | [El, El][];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const isScalarType = (t: Type): t is { kind: S } => t.kind === 'string' || t.kind === 'int64' || t.kind === 'float';
const typeName = (t: Type): string => (isScalarType(t) ? t.kind : t.kind === 'map' ? `map(${t.key}, ${t.value})` : `${t.kind}(${t.elem})`);

function cmpEl(t: S, a: El, b: El): number {
  if (t === 'string') return Buffer.compare(a as Buffer, b as Buffer);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Set elements and map keys: -0 is 0. */
const normEl = (v: El): El => (typeof v === 'number' && v === 0 ? 0 : v);

function makeSet(t: S, items: readonly El[]): El[] {
  const sorted = items.map(normEl).sort((a, b) => cmpEl(t, a, b));
  return sorted.filter((x, i) => i === 0 || cmpEl(t, sorted[i - 1], x) !== 0);
}

function defaultEl(t: S): El {
  return t === 'string' ? Buffer.alloc(0) : t === 'int64' ? 0n : 0;
}

function defaultValue(t: Type): MV {
  return isScalarType(t) ? defaultEl(t.kind) : [];
}

function showEl(t: S, v: El): string {
  if (t === 'string') return `s:${(v as Buffer).toString('hex')}`;
  if (t === 'int64') return `i:${v}`;
  return `f:${Object.is(v, -0) ? '-0' : String(v)}`;
}

function showValue(t: Type, v: MV): string {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return showEl(t.kind, v as El);
    case 'list':
      return `[${(v as El[]).map((e) => showEl(t.elem, e)).join(',')}]`;
    case 'set':
      return `{${(v as El[]).map((e) => showEl(t.elem, e)).join(',')}}`;
    case 'map':
      return `<${(v as [El, El][]).map(([k, x]) => `${showEl(t.key, k)}=>${showEl(t.value, x)}`).join(',')}>`;
  }
}

function hasNaN(t: Type, v: MV): boolean {
  if (isScalarType(t)) return typeof v === 'number' && Number.isNaN(v);
  if (t.kind === 'map') return (v as [El, El][]).some(([k, x]) => Number.isNaN(k) || Number.isNaN(x));
  return (v as El[]).some((e) => typeof e === 'number' && Number.isNaN(e));
}

/** A scalar as the client returns it (strings as Buffers: the client runs with strings: 'buffer'). */
function elFromServer(t: S, v: unknown): El {
  if (t === 'string') {
    if (!Buffer.isBuffer(v)) throw new Error(`expected a Buffer, got ${typeof v}`);
    return v;
  }
  if (t === 'int64') {
    // int64 comes back as a number, or as a bigint beyond 2^53
    const safe = (n: bigint) => n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
    if (typeof v === 'bigint' && !safe(v)) return v;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    throw new Error(`expected a number, or a bigint beyond 2^53, got ${typeof v} ${String(v)}`);
  }
  if (typeof v !== 'number') throw new Error(`expected a number, got ${typeof v}`);
  return v;
}

/** A value as the client returns it, in the order it came (so that a wrong order shows). */
function fromServer(t: Type, v: unknown): MV {
  if (isScalarType(t)) return elFromServer(t.kind, v);
  if (t.kind === 'list') {
    if (!Array.isArray(v)) throw new Error('expected an array');
    return v.map((e) => elFromServer(t.elem, e));
  }
  if (t.kind === 'set') {
    if (!(v instanceof Set)) throw new Error('expected a Set');
    return [...v].map((e) => elFromServer(t.elem, e));
  }
  if (!(v instanceof Map)) throw new Error('expected a Map');
  return [...v.entries()].map(([k, x]) => [elFromServer(t.key, k), elFromServer(t.value, x)] as [El, El]);
}

/** A scalar as a program may hand it over, in one of its accepted spellings. */
function elToClient(rng: Rng, t: S, v: El): unknown {
  if (t === 'string') {
    const b = v as Buffer;
    const s = b.toString('utf8');
    return Buffer.from(s, 'utf8').equals(b) && rng.chance(0.5) ? s : Buffer.from(b);
  }
  if (t === 'int64') {
    const n = v as bigint;
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) && rng.chance(0.5) ? Number(n) : n;
  }
  return v;
}

function toClient(rng: Rng, t: Type, v: MV): unknown {
  if (isScalarType(t)) return elToClient(rng, t.kind, v as El);
  if (t.kind === 'list') return (v as El[]).map((e) => elToClient(rng, t.elem, e));
  if (t.kind === 'set') {
    const items = (v as El[]).map((e) => elToClient(rng, t.elem, e));
    // Sets may be given unsorted and with repetitions.
    if (items.length > 0 && rng.chance(0.3)) items.push(elToClient(rng, t.elem, rng.pick(v as El[])));
    const shuffled = rng.shuffle(items);
    return rng.chance(0.5) ? new Set(shuffled) : shuffled;
  }
  const entries = rng.shuffle(v as [El, El][]).map(([k, x]) => [elToClient(rng, t.key, k), elToClient(rng, t.value, x)] as [unknown, unknown]);
  if (t.key === 'string' && entries.every(([k]) => typeof k === 'string') && rng.chance(0.3)) return Object.fromEntries(entries);
  return new Map(entries);
}

// ---- random values ---------------------------------------------------------------------------------

const STRINGS: readonly Buffer[] = ['', 'a', 'b', 'ab', 'ba', 'zz', 'hello world', '\u00e9'].map((s) => Buffer.from(s, 'utf8')).concat([Buffer.from([0]), Buffer.from([0xff]), Buffer.from([0xff, 0x00, 0x80])]);
const INTS: readonly bigint[] = [
  0n, 1n, -1n, 2n, -2n, 3n, -3n, 7n, -7n, 10n, 100n, 255n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n,
  2n ** 62n, -(2n ** 62n), 3037000499n, 3037000500n, -3037000500n, INT64_MAX, INT64_MIN, INT64_MAX - 1n, INT64_MIN + 1n,
];
const FLOATS: readonly number[] = [0, -0, 1, -1, 0.5, -0.5, 2, 3, -2.25, 1.5, 10, 0.1, 1e300, -1e300, 1e-300, 5e-324, Number.MAX_VALUE, Infinity, -Infinity];

function randomEl(rng: Rng, t: S): El {
  if (t === 'string') {
    if (rng.chance(0.85)) return Buffer.from(rng.pick(STRINGS));
    return Buffer.from(Array.from({ length: rng.int(5) }, () => rng.int(256)));
  }
  if (t === 'int64') return rng.chance(0.8) ? rng.pick(INTS) : rng.chance(0.5) ? BigInt(rng.int(2001) - 1000) : rng.i64();
  return rng.chance(0.8) ? rng.pick(FLOATS) : Math.round((rng.float() - 0.5) * 2000) / 8;
}

function randomEntries(rng: Rng, t: { key: S; value: S }, n: number, existing: readonly [El, El][] = []): [El, El][] {
  const out: [El, El][] = [];
  for (let i = 0; i < n; i++) {
    const k = normEl(existing.length > 0 && rng.chance(0.5) ? rng.pick(existing)[0] : randomEl(rng, t.key));
    if (out.some(([x]) => cmpEl(t.key, x, k) === 0)) continue;
    out.push([k, randomEl(rng, t.value)]);
  }
  return out;
}

function sortEntries(t: { key: S }, es: readonly [El, El][]): [El, El][] {
  return [...es].sort((a, b) => cmpEl(t.key, a[0], b[0]));
}

function randomValue(rng: Rng, t: Type): MV {
  if (isScalarType(t)) return randomEl(rng, t.kind);
  const n = rng.int(5);
  if (t.kind === 'list') return Array.from({ length: n }, () => randomEl(rng, t.elem));
  if (t.kind === 'set') return makeSet(t.elem, Array.from({ length: n }, () => randomEl(rng, t.elem)));
  return sortEntries(t, randomEntries(rng, t, n));
}

/** A value no attribute of this type accepts. */
function badValue(t: Type): unknown {
  if (isScalarType(t)) return t.kind === 'string' ? 5 : 'x';
  return 5;
}

// ---- schemas ---------------------------------------------------------------------------------------

interface Attr {
  readonly name: string;
  readonly type: Type;
}
interface Schema {
  readonly space: string;
  readonly keyName: string;
  readonly keyType: S;
  readonly attrs: readonly Attr[];
}

function randomType(rng: Rng): Type {
  const s = (): S => rng.pick(['string', 'int64', 'float'] as const);
  switch (rng.int(6)) {
    case 0:
    case 1:
      return { kind: s() };
    case 2:
      return { kind: 'list', elem: s() };
    case 3:
      return { kind: 'set', elem: s() };
    default:
      return { kind: 'map', key: s(), value: s() };
  }
}

function randomSchema(rng: Rng, space: string): Schema {
  const types: Type[] = [{ kind: 'int64' }]; // every schema can overflow
  const n = 2 + rng.int(5);
  for (let i = 0; i < n; i++) types.push(randomType(rng));
  const attrs = rng.shuffle(types).map((type, i) => ({ name: `${type.kind[0]}${i}`, type }));
  return { space, keyName: 'key', keyType: rng.pick(['string', 'string', 'int64'] as const), attrs };
}

function describeSchema(s: Schema): string {
  return `space ${s.space} key ${s.keyType} ${s.keyName} attributes ${s.attrs.map((a) => `${typeName(a.type)} ${a.name}`).join(', ')} create 8 partitions`;
}

function keysFor(s: Schema): El[] {
  if (s.keyType === 'int64') return [INT64_MIN, -1n, 0n, 7n, 123456789012n, INT64_MAX];
  return ['k1', 'k2', 'k3', 'key four', '\u00e9'].map((x) => Buffer.from(x, 'utf8')).concat([Buffer.from([0xff, 0x01])]);
}

// ---- operations -------------------------------------------------------------------------------------

/** One attribute named in a call: the value the program passes and what the model makes of it. */
interface Pair {
  readonly name: string;
  readonly client: unknown;
  /** The operand as the model sees it; absent when `bad` (a value of the wrong type) or unused. */
  readonly operand?: MV;
  readonly bad?: boolean;
}

type Method = 'put' | 'put_if_not_exist' | 'cond_put' | 'del' | AtomicMethod;

const NUM_OPS = ['add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor'] as const;
type NumOp = (typeof NUM_OPS)[number];
const ATOMIC_METHODS: readonly Method[] = [
  ...NUM_OPS.map((o) => `atomic_${o}` as Method),
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
  ...NUM_OPS.map((o) => `map_atomic_${o}` as Method),
  'map_string_prepend',
  'map_string_append',
];

/** Does an atomic method apply to an attribute of type t? (The README's list, by type.) */
function applies(method: Method, t: Type): boolean {
  const num = /^atomic_(add|sub|mul|div)$/.test(method);
  const intOnly = /^atomic_(mod|and|or|xor)$/.test(method);
  if (num) return t.kind === 'int64' || t.kind === 'float';
  if (intOnly) return t.kind === 'int64';
  if (method === 'string_prepend' || method === 'string_append') return t.kind === 'string';
  if (method.startsWith('list_')) return t.kind === 'list';
  if (method.startsWith('set_')) return t.kind === 'set';
  if (method === 'map_add' || method === 'map_remove') return t.kind === 'map';
  if (t.kind !== 'map') return false;
  if (/^map_atomic_(add|sub|mul|div)$/.test(method)) return t.value === 'int64' || t.value === 'float';
  if (/^map_atomic_(mod|and|or|xor)$/.test(method)) return t.value === 'int64';
  return t.value === 'string'; // map_string_prepend / map_string_append
}

interface Op {
  readonly method: Method;
  readonly key: El;
  readonly pairs: readonly Pair[];
  /** cond_put's condition: each pair's operand is compared for equality (the key may be named). */
  readonly cond?: readonly Pair[];
}

type Outcome = { result: boolean } | { error: string; attr?: string };

function showOutcome(o: Outcome): string {
  return 'result' in o ? String(o.result) : `${o.error}${o.attr !== undefined ? ` (${o.attr})` : ''}`;
}

function showPairs(schema: Schema, pairs: readonly Pair[]): string {
  return pairs
    .map((p) => {
      const t = p.name === schema.keyName ? ({ kind: schema.keyType } as Type) : schema.attrs.find((a) => a.name === p.name)?.type;
      return `${p.name}: ${p.bad || !t || p.operand === undefined ? describeRaw(p.client) : showOperand(t, p.operand)}`;
    })
    .join(', ');
}

/** An operand: a whole value (put, set_union, map_add, ...) or one element (list_lpush, set_add, ...). */
function showOperand(t: Type, v: MV): string {
  if (Array.isArray(v)) return showValue(t, v);
  return showEl(isScalarType(t) ? t.kind : t.kind === 'map' ? t.value : t.elem, v);
}

function describeRaw(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? `Buffer<${v.toString('hex')}>` : JSON.stringify(v) ?? String(v);
}

function showOp(schema: Schema, op: Op): string {
  const key = showEl(schema.keyType, op.key);
  const cond = op.cond ? ` if {${showPairs(schema, op.cond)}}` : '';
  return `${op.method}(${key}${cond}, {${showPairs(schema, op.pairs)}})`;
}

// ---- the model ---------------------------------------------------------------------------------------

type Obj = MV[]; // attribute values in schema order

type ElResult = { ok: true; v: El } | { ok: false };

function int64Op(op: NumOp, a: bigint, b: bigint): ElResult {
  let r: bigint;
  switch (op) {
    case 'add':
      r = a + b;
      break;
    case 'sub':
      r = a - b;
      break;
    case 'mul':
      r = a * b;
      break;
    case 'div':
    case 'mod': {
      // Floored, as HyperDex 0.4: q = floor(a / b) on the exact rationals, r = a - q * b.
      if (b === 0n || (a === INT64_MIN && b === -1n)) return { ok: false };
      const sameSign = a < 0n === b < 0n;
      const mag = (a < 0n ? -a : a) / (b < 0n ? -b : b); // floor of |a / b|
      const exact = mag * (b < 0n ? -b : b) === (a < 0n ? -a : a);
      const q = sameSign ? mag : exact ? -mag : -mag - 1n;
      r = op === 'div' ? q : a - q * b;
      break;
    }
    case 'and':
    case 'or':
    case 'xor': {
      // on the 64-bit two's complement patterns
      const x = BigInt.asUintN(64, a);
      const y = BigInt.asUintN(64, b);
      r = BigInt.asIntN(64, op === 'and' ? x & y : op === 'or' ? x | y : x ^ y);
      break;
    }
  }
  return r < INT64_MIN || r > INT64_MAX ? { ok: false } : { ok: true, v: r };
}

function floatOp(op: NumOp, a: number, b: number): ElResult {
  switch (op) {
    case 'add':
      return { ok: true, v: a + b };
    case 'sub':
      return { ok: true, v: a - b };
    case 'mul':
      return { ok: true, v: a * b };
    case 'div':
      return { ok: true, v: a / b };
  }
  throw new Error(`floatOp ${op}`);
}

function scalarOp(method: string, t: S, cur: El, operand: El): ElResult {
  if (method.endsWith('string_append')) return { ok: true, v: Buffer.concat([cur as Buffer, operand as Buffer]) };
  if (method.endsWith('string_prepend')) return { ok: true, v: Buffer.concat([operand as Buffer, cur as Buffer]) };
  const op = method.slice(method.lastIndexOf('_') + 1) as NumOp;
  return t === 'int64' ? int64Op(op, cur as bigint, operand as bigint) : floatOp(op, cur as number, operand as number);
}

/** One atomic function on one attribute's value; undefined when it fails (OVERFLOW). */
function applyAtomic(method: Method, t: Type, cur: MV, operand: MV): MV | undefined {
  if (isScalarType(t)) {
    const r = scalarOp(method, t.kind, cur as El, operand as El);
    return r.ok ? r.v : undefined;
  }
  if (t.kind === 'list') return method === 'list_lpush' ? [operand as El, ...(cur as El[])] : [...(cur as El[]), operand as El];
  if (t.kind === 'set') {
    const items = cur as El[];
    switch (method) {
      case 'set_add':
        return makeSet(t.elem, [...items, operand as El]);
      case 'set_remove':
        return items.filter((x) => cmpEl(t.elem, x, normEl(operand as El)) !== 0);
      case 'set_union':
        return makeSet(t.elem, [...items, ...(operand as El[])]);
      default:
        return items.filter((x) => (operand as El[]).some((y) => cmpEl(t.elem, x, y) === 0));
    }
  }
  const entries = cur as [El, El][];
  const given = operand as [El, El][];
  if (method === 'map_add') return sortEntries(t, [...entries.filter(([k]) => !given.some(([g]) => cmpEl(t.key, g, k) === 0)), ...given]);
  if (method === 'map_remove') return entries.filter(([k]) => !given.some(([g]) => cmpEl(t.key, g, k) === 0));
  // on values inside the map, one entry after the other
  let out = [...entries];
  for (const [k, x] of given) {
    const i = out.findIndex(([y]) => cmpEl(t.key, y, k) === 0);
    const r = scalarOp(method, t.value, i >= 0 ? out[i][1] : defaultEl(t.value), x);
    if (!r.ok) return undefined;
    out = i >= 0 ? out.map((e, j) => (j === i ? ([e[0], r.v] as [El, El]) : e)) : sortEntries(t, [...out, [k, r.v]]);
  }
  return out;
}

class Model {
  readonly objects = new Map<string, { key: El; values: Obj }>();
  constructor(readonly schema: Schema) {}

  id(key: El): string {
    return showEl(this.schema.keyType, key);
  }

  get(key: El): Obj | undefined {
    return this.objects.get(this.id(key))?.values;
  }

  private attr(name: string): { index: number; attr: Attr } | undefined {
    const index = this.schema.attrs.findIndex((a) => a.name === name);
    return index < 0 ? undefined : { index, attr: this.schema.attrs[index] };
  }

  /** What the client refuses before sending: unknown attributes, repetitions, wrong types. */
  private validate(pairs: readonly Pair[], method: Method | 'condition'): Outcome | undefined {
    const seen = new Set<string>();
    for (const p of pairs) {
      const isKey = p.name === this.schema.keyName && method === 'condition';
      const found = this.attr(p.name);
      if (!isKey && !found) return { error: 'UNKNOWNATTR', attr: p.name };
      if (seen.has(p.name)) return { error: 'DUPEATTR', attr: p.name };
      seen.add(p.name);
      if (found && method !== 'condition' && method !== 'put' && method !== 'put_if_not_exist' && method !== 'cond_put' && !applies(method, found.attr.type))
        return { error: 'WRONGTYPE', attr: p.name };
      if (p.bad) return { error: 'WRONGTYPE', attr: p.name };
    }
    return undefined;
  }

  apply(op: Op): Outcome {
    if (op.cond) {
      const bad = this.validate(op.cond, 'condition');
      if (bad) return bad;
    }
    const bad = this.validate(op.pairs, op.method);
    if (bad) return bad;
    const id = this.id(op.key);
    const current = this.objects.get(id)?.values;
    switch (op.method) {
      case 'del':
        if (!current) return { result: false };
        this.objects.delete(id);
        return { result: true };
      case 'put_if_not_exist':
        if (current) return { result: false };
        break;
      case 'cond_put':
        if (!current) return { result: false };
        for (const c of op.cond ?? []) {
          const stored = c.name === this.schema.keyName ? op.key : current[this.attr(c.name)!.index];
          const t = c.name === this.schema.keyName ? ({ kind: this.schema.keyType } as Type) : this.attr(c.name)!.attr.type;
          if (showValue(t, stored) !== showValue(t, c.operand!)) return { result: false };
        }
        break;
      case 'put':
        break;
      default:
        if (!current) return { result: false };
    }
    const next: Obj = current ? [...current] : this.schema.attrs.map((a) => defaultValue(a.type));
    for (const p of op.pairs) {
      const { index, attr } = this.attr(p.name)!;
      if (op.method === 'put' || op.method === 'put_if_not_exist' || op.method === 'cond_put') {
        next[index] = p.operand!;
        continue;
      }
      const r = applyAtomic(op.method, attr.type, next[index], p.operand!);
      if (r === undefined) return { error: 'OVERFLOW', attr: p.name };
      next[index] = r;
    }
    this.objects.set(id, { key: op.key, values: next });
    return { result: true };
  }
}

// ---- generating operations ------------------------------------------------------------------------------

function operandFor(rng: Rng, method: Method, t: Type, cur: MV | undefined): Pair['operand'] {
  const zeroish = /_(div|mod)$/.test(method) && rng.chance(0.25);
  if (isScalarType(t)) {
    if (zeroish) return t.kind === 'int64' ? 0n : rng.pick([0, -0]);
    if (t.kind === 'int64' && /_(add|sub|mul)$/.test(method) && rng.chance(0.3)) return rng.pick([INT64_MAX, INT64_MIN, 2n ** 62n, 3037000500n, -1n]);
    return randomEl(rng, t.kind);
  }
  if (t.kind === 'list') return randomEl(rng, t.elem);
  if (t.kind === 'set') {
    const items = (cur as El[] | undefined) ?? [];
    if (method === 'set_add' || method === 'set_remove') return items.length > 0 && rng.chance(0.5) ? items[rng.int(items.length)] : randomEl(rng, t.elem);
    const some = items.filter(() => rng.chance(0.5));
    return makeSet(t.elem, [...some, ...(randomValue(rng, t) as El[]).slice(0, rng.int(3))]);
  }
  const entries = (cur as [El, El][] | undefined) ?? [];
  const given = randomEntries(rng, t, 1 + rng.int(3), entries);
  if (method === 'map_remove') return given.map(([k]) => [k, defaultEl(t.value)] as [El, El]);
  if (/^map_atomic_(div|mod)$/.test(method)) return given.map(([k, x]) => [k, rng.chance(0.3) ? defaultEl(t.value) : x] as [El, El]);
  if (/^map_atomic_(add|sub|mul)$/.test(method) && t.value === 'int64') return given.map(([k, x]) => [k, rng.chance(0.3) ? rng.pick([INT64_MAX, INT64_MIN, 2n ** 62n]) : x] as [El, El]);
  return method === 'map_add' ? sortEntries(t, given) : given;
}

/** The operand as the client takes it: an element, a container, or a map of map keys to operands. */
function operandToClient(rng: Rng, method: Method, t: Type, v: MV): unknown {
  if (isScalarType(t)) return elToClient(rng, t.kind, v as El);
  if (t.kind === 'list') return elToClient(rng, t.elem, v as El);
  if (t.kind === 'set') return method === 'set_add' || method === 'set_remove' ? elToClient(rng, t.elem, v as El) : toClient(rng, t, v);
  return toClient(rng, t, v);
}

function generate(rng: Rng, model: Model, keys: readonly El[]): Op {
  const schema = model.schema;
  const key = rng.pick(keys);
  const current = model.get(key);
  const roll = rng.float();
  const valuePairs = (names: readonly Attr[]): Pair[] =>
    names.map((a) => {
      const v = randomValue(rng, a.type);
      return { name: a.name, client: toClient(rng, a.type, v), operand: v };
    });
  const someAttrs = (p: number) => schema.attrs.filter(() => rng.chance(p));
  const inject = (pairs: Pair[], t: (a: Attr) => unknown): Pair[] => {
    const r = rng.float();
    if (r < 0.015) return [...pairs, { name: 'nope', client: 1, bad: true }];
    if (r < 0.025) return [...pairs, { name: schema.keyName, client: 1, bad: true }];
    if (r < 0.04 && pairs.length > 0) return [...pairs, pairs[0]];
    if (r < 0.07) {
      const a = rng.pick(schema.attrs);
      return [...pairs.filter((p) => p.name !== a.name), { name: a.name, client: t(a), bad: true }];
    }
    return pairs;
  };
  if (roll < 0.18) return { method: 'put', key, pairs: inject(valuePairs(someAttrs(0.4)), (a) => badValue(a.type)) };
  if (roll < 0.23) return { method: 'put_if_not_exist', key, pairs: inject(valuePairs(someAttrs(0.5)), (a) => badValue(a.type)) };
  if (roll < 0.28) return { method: 'del', key, pairs: [] };
  if (roll < 0.38) {
    // a condition on one or two attributes (or the key): mostly the stored values, sometimes not
    const cond: Pair[] = [];
    const candidates = [{ name: schema.keyName, type: { kind: schema.keyType } as Type }, ...schema.attrs];
    for (const a of rng.shuffle(candidates).slice(0, 1 + rng.int(2))) {
      const isKey = a.name === schema.keyName;
      const stored = isKey ? key : current?.[schema.attrs.findIndex((x) => x.name === a.name)];
      let v: MV = stored !== undefined && rng.chance(0.7) ? stored : isKey ? rng.pick(keys) : randomValue(rng, a.type);
      if (hasNaN(a.type, v)) v = defaultValue(a.type); // NaN has more than one spelling in bytes
      cond.push({ name: a.name, client: toClient(rng, a.type, v), operand: v });
    }
    return { method: 'cond_put', key, cond, pairs: inject(valuePairs(someAttrs(0.4)), (a) => badValue(a.type)) };
  }
  // an atomic operation on one to three attributes it applies to
  for (let tries = 0; tries < 20; tries++) {
    const method = rng.pick(ATOMIC_METHODS);
    const fits = schema.attrs.filter((a) => applies(method, a.type));
    if (fits.length === 0) {
      if (rng.chance(0.1)) {
        const a = rng.pick(schema.attrs);
        return { method, key, pairs: [{ name: a.name, client: 1, bad: true }] }; // WRONGTYPE: the method does not apply
      }
      continue;
    }
    const chosen = rng.chance(0.03) ? [] : rng.shuffle(fits).slice(0, 1 + rng.int(Math.min(3, fits.length)));
    const pairs = chosen.map((a) => {
      const cur = current?.[schema.attrs.indexOf(a)];
      const v = operandFor(rng, method, a.type, cur)!;
      return { name: a.name, client: operandToClient(rng, method, a.type, v), operand: v };
    });
    return {
      method,
      key,
      pairs: inject(pairs, (a) => {
        if (!applies(method, a.type)) return 1;
        if (a.type.kind === 'map' && method !== 'map_add' && method !== 'map_remove') {
          const m = a.type;
          return new Map([[elToClient(rng, m.key, randomEl(rng, m.key)), m.value === 'string' ? 5 : 'x']]);
        }
        if (a.type.kind === 'list' || ((method === 'set_add' || method === 'set_remove') && a.type.kind === 'set')) return a.type.elem === 'string' ? 5 : 'x';
        return badValue(a.type);
      }),
    };
  }
  return { method: 'del', key, pairs: [] };
}

// ---- running an operation against the cluster -----------------------------------------------------------

function pairsToClient(pairs: readonly Pair[]): ReadonlyArray<readonly [string, never]> {
  return pairs.map((p) => [p.name, p.client as never] as const);
}

function keyToClient(t: S, key: El): string | Buffer | bigint {
  return t === 'int64' ? (key as bigint) : Buffer.from(key as Buffer);
}

async function run(space: string, schema: Schema, op: Op): Promise<Outcome> {
  const key = keyToClient(schema.keyType, op.key);
  try {
    let r: boolean;
    if (op.method === 'del') r = await client.del(space, key);
    else if (op.method === 'cond_put') r = await client.cond_put(space, key, pairsToClient(op.cond!), pairsToClient(op.pairs));
    else {
      const f = (client as unknown as Record<string, (s: string, k: unknown, a: unknown) => Promise<boolean>>)[op.method];
      r = await f.call(client, space, key, pairsToClient(op.pairs));
    }
    return { result: r };
  } catch (e) {
    if (e instanceof HyperClientError) return { error: e.statusName, attr: e.attr };
    throw e;
  }
}

function showObject(schema: Schema, values: readonly MV[] | undefined): string {
  if (!values) return 'absent';
  return schema.attrs.map((a, i) => `${a.name}=${showValue(a.type, values[i])}`).join(' ');
}

function serverObject(schema: Schema, o: HyperObject | null): MV[] | undefined | string {
  if (o === null) return undefined;
  const names = new Set(Object.keys(o));
  for (const a of schema.attrs) if (!names.delete(a.name)) return `attribute ${a.name} missing`;
  names.delete(schema.keyName);
  if (names.size > 0) return `unexpected attributes ${[...names].join(',')}`;
  try {
    return schema.attrs.map((a) => fromServer(a.type, o[a.name]));
  } catch (e) {
    return `undecodable: ${(e as Error).message}`;
  }
}

const showServer = (schema: Schema, v: MV[] | undefined | string) => (typeof v === 'string' ? v : showObject(schema, v));

// ---- random predicates -------------------------------------------------------------------------------------

interface PredPart {
  readonly name: string;
  readonly type: Type;
  readonly eq?: MV;
  readonly range?: [El, El];
}

function randomPredicate(rng: Rng, model: Model): PredPart[] {
  const schema = model.schema;
  const objs = [...model.objects.values()];
  const candidates: Attr[] = [{ name: schema.keyName, type: { kind: schema.keyType } }, ...schema.attrs];
  const parts: PredPart[] = [];
  for (const a of rng.shuffle(candidates).slice(0, rng.int(3))) {
    const valueOf = (o: { key: El; values: Obj }) => (a.name === schema.keyName ? o.key : o.values[schema.attrs.indexOf(a)]);
    const values = objs.map(valueOf);
    if (isScalarType(a.type) && rng.chance(0.6)) {
      if (values.some((v) => hasNaN(a.type, v))) continue; // where NaN sorts is not documented
      const t = a.type.kind;
      const bound = (): El => {
        for (let i = 0; i < 10; i++) {
          const v = values.length > 0 && rng.chance(0.5) ? (rng.pick(values) as El) : randomEl(rng, t);
          if (!(t === 'float' && v === 0)) return v; // nor whether -0 sorts before 0
        }
        return t === 'float' ? 1 : randomEl(rng, t);
      };
      const lo = bound();
      const hi = bound();
      parts.push({ name: a.name, type: a.type, range: cmpEl(t, lo, hi) <= 0 || rng.chance(0.1) ? [lo, hi] : [hi, lo] });
    } else {
      let v: MV = values.length > 0 && rng.chance(0.7) ? rng.pick(values) : randomValue(rng, a.type);
      if (hasNaN(a.type, v)) v = defaultValue(a.type);
      parts.push({ name: a.name, type: a.type, eq: v });
    }
  }
  return parts;
}

function predicateToClient(rng: Rng, parts: readonly PredPart[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parts) {
    if (p.range) out[p.name] = [elToClient(rng, (p.type as { kind: S }).kind, p.range[0]), elToClient(rng, (p.type as { kind: S }).kind, p.range[1])];
    else out[p.name] = toClient(rng, p.type, p.eq!);
  }
  return out;
}

function modelMatches(schema: Schema, o: { key: El; values: Obj }, parts: readonly PredPart[]): boolean {
  for (const p of parts) {
    const v = p.name === schema.keyName ? o.key : o.values[schema.attrs.findIndex((a) => a.name === p.name)];
    if (p.range) {
      const t = (p.type as { kind: S }).kind;
      if (cmpEl(t, v as El, p.range[0]) < 0 || cmpEl(t, v as El, p.range[1]) >= 0) return false;
    } else if (showValue(p.type, v) !== showValue(p.type, p.eq!)) return false;
  }
  return true;
}

function showPredicate(parts: readonly PredPart[]): string {
  return `{${parts
    .map((p) => (p.range ? `${p.name}: [${showEl((p.type as { kind: S }).kind, p.range[0])}, ${showEl((p.type as { kind: S }).kind, p.range[1])})` : `${p.name} = ${showValue(p.type, p.eq!)}`))
    .join(', ')}}`;
}

async function searchAll(space: string, predicate: Record<string, unknown>): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  const deadline = Date.now() + 20_000;
  for await (const o of client.search(space, predicate as never)) {
    out.push(o);
    if (out.length > 10_000 || Date.now() > deadline) throw new Error('search did not end');
  }
  return out;
}

/** Every object of a search as strings "key: attributes", sorted. */
function showResults(schema: Schema, results: readonly HyperObject[]): string[] {
  return results
    .map((o) => {
      let key: string;
      try {
        key = showEl(schema.keyType, elFromServer(schema.keyType, o[schema.keyName]));
      } catch (e) {
        key = `bad key: ${(e as Error).message}`;
      }
      return `${key}: ${showServer(schema, serverObject(schema, o))}`;
    })
    .sort();
}

function showModel(model: Model, parts: readonly PredPart[]): string[] {
  return [...model.objects.values()]
    .filter((o) => modelMatches(model.schema, o, parts))
    .map((o) => `${showEl(model.schema.keyType, o.key)}: ${showObject(model.schema, o.values)}`)
    .sort();
}

// ---- the tests ------------------------------------------------------------------------------------------------

test.before(async () => {
  const coord = await startCoordinator(scope);
  for (let i = 0; i < 3; i++) await startDaemon(scope, coord);
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000, strings: 'buffer' });
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

async function runSchema(t: ExecutionContext, index: number): Promise<void> {
  const rng = new Rng(SEED ^ Math.imul(index + 1, 0x9e3779b9));
  const schema = randomSchema(rng, `model${index}`);
  const replay = `seed ${SEED} (replay: HYPERDEX_MODEL_SEED=${SEED} npx ava dist/test/model.test.js), schema ${index}`;
  t.log(replay);
  t.log(describeSchema(schema));
  await client.addSpace(describeSchema(schema));
  const model = new Model(schema);
  const keys = keysFor(schema);
  const deadline = Date.now() + TIME_BUDGET_MS;
  const divergences: string[] = [];
  const diverge = (what: string) => {
    divergences.push(what);
    if (divergences.length <= DIVERGENCES_REPORTED_MAX) t.log(what);
  };
  const outcomes = new Map<string, number>();
  let searches = 0;
  let searchMatches = 0;
  for (let step = 0; step < STEPS_PER_SCHEMA && divergences.length < DIVERGENCES_REPORTED_MAX; step++) {
    if (Date.now() > deadline) {
      t.fail(`out of time after ${step} steps; ${replay}`);
      return;
    }
    const op = generate(rng, model, keys);
    const want = model.apply(op);
    const got = await run(schema.space, schema, op);
    const tag = `${op.method} -> ${'result' in want ? want.result : want.error}`;
    outcomes.set(tag, (outcomes.get(tag) ?? 0) + 1);
    const stored = serverObject(schema, await client.get(schema.space, keyToClient(schema.keyType, op.key)));
    const expectObj = showObject(schema, model.get(op.key));
    const gotObj = showServer(schema, stored);
    if (showOutcome(got) !== showOutcome(want) || gotObj !== expectObj) {
      diverge(
        `step ${step}: ${showOp(schema, op)}\n  returned ${showOutcome(got)}, model says ${showOutcome(want)}\n  stored   ${gotObj}\n  model    ${expectObj}`,
      );
      // Carry on from what the server holds, to see whether more goes wrong.
      if (typeof stored !== 'string') {
        if (stored) model.objects.set(model.id(op.key), { key: op.key, values: stored });
        else model.objects.delete(model.id(op.key));
      }
    }
    if (step % SEARCH_EVERY === SEARCH_EVERY - 1) {
      const parts = randomPredicate(rng, model);
      const predicate = predicateToClient(rng, parts);
      const want = showModel(model, parts);
      searches++;
      searchMatches += want.length;
      let got: string[];
      let count: number | string;
      try {
        got = showResults(schema, await searchAll(schema.space, predicate));
        count = await client.count(schema.space, predicate as never);
      } catch (e) {
        got = [`error ${(e as Error).message}`];
        count = 'error';
      }
      if (JSON.stringify(got) !== JSON.stringify(want) || count !== want.length)
        diverge(`step ${step}: search ${showPredicate(parts)}\n  server (count ${count}):\n    ${got.join('\n    ')}\n  model (${want.length}):\n    ${want.join('\n    ')}`);
    }
  }
  t.log(`outcomes: ${[...outcomes].sort().map(([k, n]) => `${k} x${n}`).join(', ')}`);
  t.log(`${searches} random searches matched ${searchMatches} objects in all`);
  const all = showResults(schema, await searchAll(schema.space, {}));
  const want = showModel(model, []);
  t.deepEqual(all, want, `the final search({}) against the model; ${replay}`);
  t.is(await client.count(schema.space, {}), want.length);
  t.deepEqual(divergences.slice(0, 1), [], `${divergences.length} divergence(s) from the model; ${replay}`);
}

for (let i = 0; i < SCHEMAS; i++) test(`random schema ${i} and ${STEPS_PER_SCHEMA} random operations agree with the model`, (t) => runSchema(t, i));

test('cond_put conditions may be ranges, as the README says, and agree with the model', async (t) => {
  // README: "cond_put's condition is a predicate as well: ranges are allowed there."
  const rng = new Rng(SEED ^ 0x5bd1e995);
  const schema: Schema = {
    space: 'condrange',
    keyName: 'key',
    keyType: 'string',
    attrs: [
      { name: 'n', type: { kind: 'int64' } },
      { name: 'f', type: { kind: 'float' } },
      { name: 's', type: { kind: 'string' } },
    ],
  };
  const replay = `seed ${SEED} (replay: HYPERDEX_MODEL_SEED=${SEED} npx ava dist/test/model.test.js)`;
  t.log(replay);
  await client.addSpace(describeSchema(schema));
  const model = new Model(schema);
  const keys = keysFor(schema).slice(0, 3);
  const deadline = Date.now() + 20_000;
  const divergences: string[] = [];
  for (let step = 0; step < 150 && divergences.length < 3 && Date.now() < deadline; step++) {
    const key = rng.pick(keys);
    const current = model.get(key);
    const pairs: Pair[] = schema.attrs
      .filter(() => rng.chance(0.6))
      .map((a) => {
        const v = randomValue(rng, a.type);
        return { name: a.name, client: toClient(rng, a.type, v), operand: v };
      });
    let op: Op;
    const ranges: { name: string; t: S; lo: El; hi: El }[] = [];
    if (rng.chance(0.4)) op = { method: 'put', key, pairs };
    else {
      const cond: Pair[] = [];
      for (const a of rng.shuffle(schema.attrs).slice(0, 1 + rng.int(2))) {
        const t0 = (a.type as { kind: S }).kind;
        const stored = current?.[schema.attrs.indexOf(a)] as El | undefined;
        const near = (): El => {
          for (let i = 0; i < 10; i++) {
            const v = stored !== undefined && rng.chance(0.5) ? stored : randomEl(rng, t0);
            if (!(t0 === 'float' && (v === 0 || Number.isNaN(v)))) return v;
          }
          return t0 === 'float' ? 1 : randomEl(rng, t0);
        };
        let lo = near();
        let hi = near();
        if (cmpEl(t0, lo, hi) > 0) [lo, hi] = [hi, lo];
        if (rng.chance(0.2) && t0 === 'int64' && (hi as bigint) < INT64_MAX) hi = (hi as bigint) + 1n; // include an upper value
        ranges.push({ name: a.name, t: t0, lo, hi });
        cond.push({ name: a.name, client: [elToClient(rng, t0, lo), elToClient(rng, t0, hi)], operand: undefined });
      }
      op = { method: 'cond_put', key, cond, pairs };
    }
    // the model, with ranges: lower <= stored < upper for every condition
    let want: Outcome;
    if (op.method === 'cond_put') {
      const holds = current !== undefined && ranges.every((r) => {
        const v = current[schema.attrs.findIndex((a) => a.name === r.name)] as El;
        return cmpEl(r.t, v, r.lo) >= 0 && cmpEl(r.t, v, r.hi) < 0;
      });
      want = { result: holds };
      if (holds) model.apply({ method: 'put', key, pairs });
    } else want = model.apply(op);
    const got = await run(schema.space, schema, op);
    const stored = serverObject(schema, await client.get(schema.space, keyToClient(schema.keyType, key)));
    const expectObj = showObject(schema, model.get(key));
    const gotObj = showServer(schema, stored);
    if (showOutcome(got) !== showOutcome(want) || gotObj !== expectObj) {
      const conds = ranges.map((r) => `${r.name} in [${showEl(r.t, r.lo)}, ${showEl(r.t, r.hi)})`).join(', ');
      const what = `step ${step}: ${op.method}(${showEl(schema.keyType, key)}${op.method === 'cond_put' ? ` if {${conds}}` : ''}, {${showPairs(schema, pairs)}})\n  returned ${showOutcome(got)}, model says ${showOutcome(want)}\n  stored   ${gotObj}\n  model    ${expectObj}`;
      divergences.push(what);
      t.log(what);
      if (typeof stored !== 'string') {
        if (stored) model.objects.set(model.id(key), { key, values: stored });
        else model.objects.delete(model.id(key));
      }
    }
  }
  t.deepEqual(divergences.slice(0, 1), [], `${divergences.length} divergence(s) from the model; ${replay}`);
});
