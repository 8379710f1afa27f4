import test, { ExecutionContext } from 'ava';

import { allTypes, AttrType, ScalarType, typeName } from '../src/common/datatypes';
import { canonicalValueBytes, decodeValue, defaultValueBytes, encodeValue, ValueTypeError } from '../src/common/values';

// -- helpers ------------------------------------------------------------------------------------

const S: AttrType = { kind: 'string' };
const I: AttrType = { kind: 'int64' };
const F: AttrType = { kind: 'float' };
const list = (elem: ScalarType): AttrType => ({ kind: 'list', elem });
const set = (elem: ScalarType): AttrType => ({ kind: 'set', elem });
const map = (key: ScalarType, value: ScalarType): AttrType => ({ kind: 'map', key, value });

/** A string element on the wire: u32 LE length, then the bytes. */
function strElem(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length, 0);
  return Buffer.concat([len, b]);
}
function i64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n), 0);
  return b;
}
function f64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n, 0);
  return b;
}

/** encode, decode, and check that encoding the decoded value gives the same bytes again. */
function roundTrip(t: ExecutionContext, type: AttrType, v: unknown, strings: 'auto' | 'buffer' = 'auto') {
  const bytes = encodeValue(type, v);
  const back = decodeValue(type, bytes, strings);
  t.deepEqual(encodeValue(type, back), bytes, `${typeName(type)}: re-encoding the decoded value changes the bytes`);
  t.deepEqual(canonicalValueBytes(type, bytes), bytes, `${typeName(type)}: encoded bytes are not canonical`);
  return { bytes, back };
}

function typeError(t: ExecutionContext, type: AttrType, v: unknown, message: RegExp): void {
  const e = t.throws(() => encodeValue(type, v), { instanceOf: ValueTypeError });
  if (e) t.regex(e.message, message);
}

// -- strings ------------------------------------------------------------------------------------

test('string: text round-trips as text, bytes are the UTF-8 bytes', (t) => {
  for (const s of ['', 'hello', 'héllo ☃ 𝄞', 'with\0nul', 'x'.repeat(10_000)]) {
    const { bytes, back } = roundTrip(t, S, s);
    t.deepEqual(bytes, Buffer.from(s, 'utf8'));
    t.is(back, s);
  }
});

test('string: bytes that are not UTF-8 come back as a Buffer in auto mode', (t) => {
  for (const raw of [[0xff], [0xfe, 0xff, 0x00], [0xc3], [0x80, 0x61], [0xed, 0xa0, 0x80]]) {
    const b = Buffer.from(raw);
    const { bytes, back } = roundTrip(t, S, b);
    t.deepEqual(bytes, b);
    t.true(Buffer.isBuffer(back), `${b.toString('hex')} should come back as a Buffer`);
    t.deepEqual(back, b);
  }
});

test('string: a Uint8Array is accepted like a Buffer', (t) => {
  t.deepEqual(encodeValue(S, new Uint8Array([1, 2, 3])), Buffer.from([1, 2, 3]));
});

test("string: 'buffer' mode always gives Buffers, also for valid UTF-8 and inside containers", (t) => {
  const back = decodeValue(S, encodeValue(S, 'abc'), 'buffer');
  t.true(Buffer.isBuffer(back));
  t.deepEqual(back, Buffer.from('abc'));
  const l = decodeValue(list('string'), encodeValue(list('string'), ['a', 'b']), 'buffer') as unknown[];
  t.deepEqual(l, [Buffer.from('a'), Buffer.from('b')]);
  const m = decodeValue(map('string', 'string'), encodeValue(map('string', 'string'), { k: 'v' }), 'buffer') as Map<unknown, unknown>;
  t.deepEqual([...m], [[Buffer.from('k'), Buffer.from('v')]]);
  // Mode does not matter for numbers.
  t.is(decodeValue(I, encodeValue(I, 7), 'buffer'), 7);
});

test('string: a decoded Buffer does not alias the stored bytes', (t) => {
  const stored = Buffer.from([0xff, 0x01]);
  const back = decodeValue(S, stored) as Buffer;
  back[0] = 0;
  t.is(stored[0], 0xff);
});

// -- int64 --------------------------------------------------------------------------------------

test('int64: 8 bytes little-endian two’s complement', (t) => {
  t.deepEqual(encodeValue(I, 1), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  t.deepEqual(encodeValue(I, -1), Buffer.alloc(8, 0xff));
  t.deepEqual(encodeValue(I, 0x0102n), Buffer.from([2, 1, 0, 0, 0, 0, 0, 0]));
});

test('int64: safe integers come back as numbers', (t) => {
  for (const n of [0, 1, -1, 42, -123456789, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const { back } = roundTrip(t, I, n);
    t.is(back, n);
  }
  t.is(roundTrip(t, I, 5n).back, 5, 'a small bigint comes back as a number');
});

test('int64: beyond 2^53 comes back as a bigint, up to min/max int64', (t) => {
  const cases = [2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
  for (const n of cases) {
    const { bytes, back } = roundTrip(t, I, n);
    t.is(back, n);
    t.is(bytes.readBigInt64LE(0), n);
  }
  t.deepEqual(encodeValue(I, 2n ** 63n - 1n), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
  t.deepEqual(encodeValue(I, -(2n ** 63n)), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]));
  t.is(decodeValue(I, encodeValue(I, 2 ** 60)), 2n ** 60n, 'an exact large number is accepted and comes back as a bigint');
});

test('int64: out of range → ValueTypeError', (t) => {
  for (const n of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, 2 ** 63, -(2 ** 64), 1e300]) typeError(t, I, n, /does not fit in 64 bits/);
});

test('int64: not an integer → ValueTypeError', (t) => {
  typeError(t, I, 1.5, /expected an integer, got number 1\.5/);
  typeError(t, I, NaN, /expected an integer/);
  typeError(t, I, Infinity, /expected an integer/);
  typeError(t, I, '5', /expected an integer, got string 5/);
  typeError(t, I, null, /expected an integer, got null/);
  typeError(t, I, [1], /expected an integer, got an array/);
});

// -- float --------------------------------------------------------------------------------------

test('float: 8 bytes little-endian IEEE-754, round trips bit for bit', (t) => {
  t.deepEqual(encodeValue(F, 1), Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]));
  const cases = [0, 1.5, -1.5, -2.5e-300, 1 / 3, -Math.PI, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, Infinity, -Infinity];
  for (const x of cases) {
    const { bytes, back } = roundTrip(t, F, x);
    t.deepEqual(bytes, f64(x));
    t.is(back, x);
  }
  t.true(Number.isNaN(decodeValue(F, encodeValue(F, NaN))));
});

test('float: -0.0 as a scalar keeps its sign (bytes and value)', (t) => {
  const bytes = encodeValue(F, -0);
  t.deepEqual(bytes, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]));
  t.true(Object.is(decodeValue(F, bytes), -0));
  t.false(bytes.equals(encodeValue(F, 0)), '-0 and 0 are different scalar values');
});

test('float: a bigint is accepted as a number, other things are not', (t) => {
  t.is(decodeValue(F, encodeValue(F, 3n)), 3);
  typeError(t, F, '1.5', /expected a number, got string 1\.5/);
  typeError(t, F, undefined, /expected a number, got undefined$/);
  typeError(t, F, {}, /expected a number, got an object/);
});

// -- lists --------------------------------------------------------------------------------------

test('list: elements keep their order and duplicates', (t) => {
  const ls = roundTrip(t, list('string'), ['b', 'a', 'b', '', 'a']);
  t.deepEqual(ls.back, ['b', 'a', 'b', '', 'a']);
  t.deepEqual(ls.bytes, Buffer.concat(['b', 'a', 'b', '', 'a'].map((s) => strElem(s))));

  const li = roundTrip(t, list('int64'), [3, -1, 3, 2n ** 60n, 0]);
  t.deepEqual(li.back, [3, -1, 3, 2n ** 60n, 0]);
  t.deepEqual(li.bytes, Buffer.concat([i64(3), i64(-1), i64(3), i64(2n ** 60n), i64(0)]));

  const lf = roundTrip(t, list('float'), [1.5, -0, 1.5, -Infinity]);
  t.deepEqual(lf.back, [1.5, -0, 1.5, -Infinity]);
  t.true(Object.is((lf.back as number[])[1], -0), 'a list keeps -0');

  t.deepEqual(roundTrip(t, list('string'), []).back, []);
  t.deepEqual(encodeValue(list('string'), new Set(['x', 'y'])), Buffer.concat([strElem('x'), strElem('y')]), 'a Set is accepted for a list');
});

test('list: a non-UTF-8 element comes back as a Buffer next to strings', (t) => {
  const { back } = roundTrip(t, list('string'), ['a', Buffer.from([0xff])]);
  t.deepEqual(back, ['a', Buffer.from([0xff])]);
});

// -- sets ---------------------------------------------------------------------------------------

test('set(string): sorted bytewise, duplicates dropped', (t) => {
  // Bytewise: U+FFFD (ef bf bd) sorts before U+1F600 (f0 9f 98 80); UTF-16 code units order them the other way.
  const input = ['b', 'a', 'B', 'ab', '', 'a', '😀', '\ufffd', 'é'];
  const want = ['', 'B', 'a', 'ab', 'b', 'é', '\ufffd', '😀'];
  const { bytes, back } = roundTrip(t, set('string'), input);
  t.deepEqual([...(back as Set<string>)], want);
  t.deepEqual(bytes, Buffer.concat(want.map((s) => strElem(s))));
  t.deepEqual(encodeValue(set('string'), new Set(input)), bytes, 'a Set and an array give the same bytes');
  t.deepEqual(encodeValue(set('string'), ['a', Buffer.from('a')]), strElem('a'), 'a string and a Buffer with its bytes are one element');
});

test('set(int64): sorted numerically, negatives first, duplicates dropped', (t) => {
  const input = [10, -5, 2, -5, 0, 2n ** 62n, -(2n ** 62n), 256, 1, 2n];
  const want = [-(2n ** 62n), -5, 0, 1, 2, 10, 256, 2n ** 62n];
  const { bytes, back } = roundTrip(t, set('int64'), input);
  t.deepEqual([...(back as Set<unknown>)], want);
  t.deepEqual(bytes, Buffer.concat(want.map(i64)));
});

test('set(float): sorted numerically, duplicates dropped', (t) => {
  const input = [1.5, -2, 0.25, -Infinity, Infinity, -2, 1e-300, -1e300, 0.25];
  const want = [-Infinity, -1e300, -2, 1e-300, 0.25, 1.5, Infinity];
  const { bytes, back } = roundTrip(t, set('float'), input);
  t.deepEqual([...(back as Set<number>)], want);
  t.deepEqual(bytes, Buffer.concat(want.map(f64)));
});

// In a set, -0 is 0: one element, as JavaScript and Python sets have it, so equal sets have equal bytes.
test('set(float): -0 and 0 are one element', (t) => {
  t.deepEqual(encodeValue(set('float'), [-0]), f64(0));
  t.deepEqual(encodeValue(set('float'), [0, -0, 0, -0]), f64(0));
  t.deepEqual(encodeValue(set('float'), [1, 0, -1, -0]), Buffer.concat([f64(-1), f64(0), f64(1)]));
  t.deepEqual(canonicalValueBytes(set('float'), Buffer.concat([f64(0), f64(-0), f64(0)])), f64(0));
  t.deepEqual([...(decodeValue(set('float'), f64(-0)) as Set<number>)], [0]);
});

// NaN (JavaScript's one NaN) is one element that sorts after +Infinity; it must not disturb the
// other elements.
test('set(float): NaN is one element, sorted last, and leaves the others alone', (t) => {
  for (const input of [[NaN, 1, 2, NaN], [3, NaN, 1, NaN, 2], [1, 2, 3, NaN], [NaN, Infinity, -Infinity]]) {
    const finite = [...new Set(input.filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
    const bytes = encodeValue(set('float'), input);
    t.deepEqual(bytes, Buffer.concat([...finite.map(f64), f64(NaN)]), String(input));
    const back = [...(decodeValue(set('float'), bytes) as Set<number>)];
    t.deepEqual(back, [...finite, NaN]);
  }
});

test('set: wrong container or element → ValueTypeError', (t) => {
  typeError(t, set('string'), 'abc', /expected a Set or an array, got string abc/);
  typeError(t, set('int64'), [1, 'x'], /expected an integer, got string x/);
  typeError(t, list('float'), new Map(), /expected an array, got a Map/);
  typeError(t, list('string'), [1], /expected a string or Buffer, got number 1/);
});

// -- maps ---------------------------------------------------------------------------------------

test('map: pairs sorted by key, given as an object or as a Map', (t) => {
  const type = map('string', 'int64');
  const fromObject = roundTrip(t, type, { b: 2, a: 1, c: -3 });
  const fromMap = roundTrip(t, type, new Map<string, number>([['c', -3], ['a', 1], ['b', 2]]));
  t.deepEqual(fromObject.bytes, fromMap.bytes);
  t.deepEqual(fromObject.bytes, Buffer.concat([strElem('a'), i64(1), strElem('b'), i64(2), strElem('c'), i64(-3)]));
  t.deepEqual([...(fromObject.back as Map<unknown, unknown>)], [['a', 1], ['b', 2], ['c', -3]]);
  t.deepEqual([...(roundTrip(t, map('string', 'string'), {}).back as Map<unknown, unknown>)], []);
});

test('map: int64 keys sort numerically, also when given as object keys', (t) => {
  const type = map('int64', 'string');
  const { bytes, back } = roundTrip(t, type, { '5': 'five', '-3': 'minus three', '10': 'ten', '9223372036854775807': 'max' });
  t.deepEqual([...(back as Map<unknown, unknown>)], [[-3, 'minus three'], [5, 'five'], [10, 'ten'], [2n ** 63n - 1n, 'max']]);
  t.deepEqual(bytes, encodeValue(type, new Map<unknown, string>([[10, 'ten'], [5n, 'five'], [-3, 'minus three'], [2n ** 63n - 1n, 'max']])));
  t.deepEqual(encodeValue(map('int64', 'int64'), { '5': 1 }), Buffer.concat([i64(5), i64(1)]));
});

test('map: float keys sort numerically, also when given as object keys', (t) => {
  const type = map('float', 'float');
  const { back } = roundTrip(t, type, { '0.5': 1, '-1': 2, '1e3': 3, '-Infinity': 4 });
  t.deepEqual([...(back as Map<unknown, unknown>)], [[-Infinity, 4], [-1, 2], [0.5, 1], [1000, 3]]);
});

test('map: a key twice → ValueTypeError', (t) => {
  typeError(t, map('string', 'int64'), new Map<unknown, number>([['a', 1], [Buffer.from('a'), 2]]), /key twice/);
  typeError(t, map('int64', 'string'), new Map<unknown, string>([[5, 'x'], [5n, 'y']]), /key twice/);
  typeError(t, map('int64', 'string'), { '5': 'x', '05': 'y' }, /key twice/);
  typeError(t, map('float', 'int64'), new Map<unknown, number>([[1, 1], [1n, 2]]), /key twice/);
  // -0 and 0 are one key (as in a JS Map), so giving both is giving a key twice.
  typeError(t, map('float', 'int64'), { '0': 2, '-0': 1 }, /key twice/);
  t.deepEqual(encodeValue(map('float', 'int64'), new Map([[-0, 1]])), Buffer.concat([f64(0), i64(1)]));
  t.is(canonicalValueBytes(map('float', 'int64'), Buffer.concat([f64(-0), i64(1), f64(0), i64(2)])), undefined);
});

test('map: an object key that is not a number for a numeric key type → ValueTypeError', (t) => {
  typeError(t, map('int64', 'string'), { '1.5': 'x' }, /expected an integer, got string 1\.5/);
  typeError(t, map('int64', 'string'), { abc: 'x' }, /expected an integer, got string abc/);
  typeError(t, map('int64', 'string'), { '1e3': 'x' }, /expected an integer/);
  typeError(t, map('float', 'string'), { abc: 'x' }, /expected a number, got string abc/);
  typeError(t, map('int64', 'string'), { '': 'x' }, /expected an integer/);
});

test('map: wrong container or value → ValueTypeError', (t) => {
  typeError(t, map('string', 'string'), [['a', 'b']], /expected a Map or an object, got an array/);
  typeError(t, map('string', 'string'), new Set(['a']), /expected a Map or an object, got a Set/);
  typeError(t, map('string', 'string'), null, /expected a Map or an object, got null/);
  typeError(t, map('string', 'string'), Buffer.from('a'), /got a Buffer/);
  typeError(t, map('string', 'int64'), { a: 'x' }, /expected an integer, got string x/);
});

// -- every type ---------------------------------------------------------------------------------

function sample(type: AttrType): unknown {
  const scalar = (s: ScalarType, i: number): unknown => (s === 'string' ? `v${i}` : s === 'int64' ? 1000 - i * 7 : i / 4 - 1);
  switch (type.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return scalar(type.kind, 3);
    case 'list':
    case 'set':
      return [0, 1, 2, 1].map((i) => scalar(type.elem, i));
    case 'map':
      return new Map([0, 1, 2].map((i) => [scalar(type.key, i), scalar(type.value, i + 10)]));
  }
}

test('every type round-trips a sample value to canonical bytes', (t) => {
  const types = allTypes();
  t.is(types.length, 18);
  for (const type of types) roundTrip(t, type, sample(type));
});

test('defaultValueBytes: 8 zero bytes for int64 and float, empty otherwise; decodes to the zero value', (t) => {
  for (const type of allTypes()) {
    const d = defaultValueBytes(type);
    const v = decodeValue(type, d);
    switch (type.kind) {
      case 'string':
        t.is(d.length, 0);
        t.is(v, '');
        break;
      case 'int64':
      case 'float':
        t.deepEqual(d, Buffer.alloc(8));
        t.true(Object.is(v, 0), typeName(type));
        break;
      case 'list':
        t.is(d.length, 0);
        t.deepEqual(v, []);
        break;
      case 'set':
        t.is(d.length, 0);
        t.is((v as Set<unknown>).size, 0);
        break;
      case 'map':
        t.is(d.length, 0);
        t.is((v as Map<unknown, unknown>).size, 0);
        break;
    }
    t.deepEqual(canonicalValueBytes(type, d), d, `${typeName(type)}: the default is canonical`);
  }
});

test('canonicalValueBytes: rejects malformed bytes, sorts sets and maps', (t) => {
  t.is(canonicalValueBytes(I, Buffer.alloc(7)), undefined);
  t.is(canonicalValueBytes(F, Buffer.alloc(9)), undefined);
  t.is(canonicalValueBytes(list('string'), Buffer.concat([strElem('ab'), Buffer.from([10, 0, 0, 0, 1])])), undefined);
  t.is(canonicalValueBytes(list('string'), Buffer.from([1, 0])), undefined);
  t.is(canonicalValueBytes(set('int64'), Buffer.alloc(12)), undefined);
  t.is(canonicalValueBytes(map('string', 'int64'), strElem('k')), undefined, 'a key without its value');
  t.is(canonicalValueBytes(map('int64', 'int64'), Buffer.concat([i64(1), i64(2), i64(1), i64(3)])), undefined, 'a key twice');
  t.deepEqual(canonicalValueBytes(set('int64'), Buffer.concat([i64(3), i64(-1), i64(3)])), Buffer.concat([i64(-1), i64(3)]));
  t.deepEqual(
    canonicalValueBytes(map('string', 'string'), Buffer.concat([strElem('b'), strElem('1'), strElem('a'), strElem('2')])),
    Buffer.concat([strElem('a'), strElem('2'), strElem('b'), strElem('1')]),
  );
});
