import test, { ExecutionContext } from 'ava';

import { AttrType, Datatype, datatypeOf } from '../src/common/datatypes';
import { WireCheck, WireFunc } from '../src/common/messages';
import { AtomicFlag, CheckOp, FuncOp, Status } from '../src/common/protocol';
import { findAttribute } from '../src/common/schema';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { AtomicInput, applyAtomic, checkKey, Outcome, StoredObject, validateAtomic } from '../src/daemon/apply';
import { decodeValue, encodeValue } from '../src/common/values';

// -- helpers ------------------------------------------------------------------------------------

const SPACE = parseSpaceDescription(
  'space people key username attributes first, int64 age, float score, list(string) tags, set(string) groups, map(string, int64) counts, set(int64) nums',
);
const NUMS = parseSpaceDescription('space nums key int64 k attributes v');
const KEY = Buffer.from('jane');
const NAMES = SPACE.attributes.map((a) => a.name);

function typeOf(name: string, spec = SPACE): AttrType {
  const a = findAttribute(spec, name);
  if (!a) throw new Error(`no attribute ${name}`);
  return a.type;
}

function fn(name: string, value: unknown, extra: Partial<WireFunc> = {}): WireFunc {
  const type = typeOf(name);
  return { op: FuncOp.SET, name, datatype: datatypeOf(type), value: encodeValue(type, value), ...extra };
}

function chk(name: string, value: unknown, spec = SPACE, extra: Partial<WireCheck> = {}): WireCheck {
  const type = typeOf(name, spec);
  return { op: CheckOp.EQUALS, name, datatype: datatypeOf(type), value: encodeValue(type, value), ...extra };
}

/** A func or check with raw fields, for names the schema does not know and for malformed bytes. */
function raw(name: string, datatype: number, value: Buffer, op = 1): WireFunc {
  return { op, name, datatype, value };
}

function req(funcs: WireFunc[], flags = 0, checks: WireCheck[] = []): AtomicInput {
  return { flags, checks, funcs };
}

function value(obj: StoredObject, name: string): unknown {
  return decodeValue(typeOf(name), obj.values[NAMES.indexOf(name)]);
}

function succeeds(t: ExecutionContext, current: StoredObject | undefined, r: AtomicInput, key: Buffer = KEY, spec = SPACE): StoredObject {
  const { outcome, next } = applyAtomic(spec, key, current, r);
  t.deepEqual(outcome, { status: Status.SUCCESS, attr: '', message: '' });
  if (!next) throw new Error('no next object on success');
  t.is(next.values.length, spec.attributes.length);
  return next;
}

function fails(t: ExecutionContext, current: StoredObject | undefined, r: AtomicInput, status: number, attr: string, key: Buffer = KEY, spec = SPACE): Outcome {
  const { outcome, next } = applyAtomic(spec, key, current, r);
  t.is(outcome.status, status, outcome.message);
  t.is(outcome.attr, attr);
  t.true(outcome.message.length > 0, 'a failure says why');
  t.is(next, undefined, 'a failure writes nothing');
  return outcome;
}

/** An object with every attribute set. */
function full(t: ExecutionContext): StoredObject {
  return succeeds(
    t,
    undefined,
    req([
      fn('first', 'Jane'),
      fn('age', 41),
      fn('score', 2.5),
      fn('tags', ['x', 'y']),
      fn('groups', ['admins']),
      fn('counts', { logins: 3 }),
      fn('nums', [1, 2]),
    ]),
  );
}

// -- puts ---------------------------------------------------------------------------------------

test('put on an absent object: named attributes set, the others take their defaults; version 1', (t) => {
  const obj = succeeds(t, undefined, req([fn('first', 'Jane')]));
  t.is(obj.version, 1);
  t.deepEqual(obj.values, [
    Buffer.from('Jane'),
    Buffer.alloc(8), // int64 0
    Buffer.alloc(8), // float 0.0
    Buffer.alloc(0),
    Buffer.alloc(0),
    Buffer.alloc(0),
    Buffer.alloc(0),
  ]);
  t.is(value(obj, 'age'), 0);
  t.is(value(obj, 'score'), 0);
  t.deepEqual(value(obj, 'tags'), []);

  const empty = succeeds(t, undefined, req([]));
  t.is(empty.version, 1);
  t.deepEqual(empty.values[0], Buffer.alloc(0), 'an unnamed string is empty');
});

test('put on a present object changes only the named attributes; version 2', (t) => {
  const first = full(t);
  t.is(first.version, 1);
  const before = first.values.map((b) => Buffer.from(b));
  const second = succeeds(t, first, req([fn('age', 42), fn('tags', ['z'])]));
  t.is(second.version, 2);
  t.is(value(second, 'age'), 42);
  t.deepEqual(value(second, 'tags'), ['z']);
  for (const name of NAMES.filter((n) => n !== 'age' && n !== 'tags')) t.deepEqual(second.values[NAMES.indexOf(name)], before[NAMES.indexOf(name)], name);
  t.deepEqual(first.values, before, 'the current object is not modified');
  t.is(first.version, 1);
  t.is(succeeds(t, second, req([])).version, 3, 'an empty put still makes a new version');
});

// -- flags --------------------------------------------------------------------------------------

test('FAIL_IF_FOUND: CMPFAIL on a present object, success on an absent one', (t) => {
  fails(t, full(t), req([fn('first', 'x')], AtomicFlag.FAIL_IF_FOUND), Status.CMPFAIL, '');
  t.is(succeeds(t, undefined, req([fn('first', 'x')], AtomicFlag.FAIL_IF_FOUND)).version, 1);
});

test('FAIL_IF_NOT_FOUND: NOTFOUND on an absent object, success on a present one', (t) => {
  fails(t, undefined, req([fn('first', 'x')], AtomicFlag.FAIL_IF_NOT_FOUND), Status.NOTFOUND, '');
  const obj = succeeds(t, full(t), req([fn('first', 'x')], AtomicFlag.FAIL_IF_NOT_FOUND));
  t.is(value(obj, 'first'), 'x');
  t.is(obj.version, 2);
});

// -- checks -------------------------------------------------------------------------------------

test('checks that all hold: success', (t) => {
  const checks = [chk('first', 'Jane'), chk('age', 41), chk('score', 2.5), chk('groups', new Set(['admins'])), chk('counts', new Map([['logins', 3]]))];
  const obj = succeeds(t, full(t), req([fn('age', 42)], AtomicFlag.FAIL_IF_NOT_FOUND, checks));
  t.is(value(obj, 'age'), 42);
});

test('one check that differs: CMPFAIL naming it, nothing written', (t) => {
  const obj = full(t);
  const o = fails(t, obj, req([fn('age', 42)], AtomicFlag.FAIL_IF_NOT_FOUND, [chk('first', 'Jane'), chk('age', 40), chk('score', 2.5)]), Status.CMPFAIL, 'age');
  t.regex(o.message, /age/);
  fails(t, obj, req([], 0, [chk('tags', ['y', 'x'])]), Status.CMPFAIL, 'tags');
});

test('a check on the key attribute compares the key bytes', (t) => {
  const obj = full(t);
  succeeds(t, obj, req([fn('age', 1)], 0, [chk('username', 'jane')]));
  fails(t, obj, req([fn('age', 1)], 0, [chk('username', 'john')]), Status.CMPFAIL, 'username');
  fails(t, obj, req([], 0, [chk('username', 'Jane')]), Status.CMPFAIL, 'username');

  const key = encodeValue(typeOf('k', NUMS), -5);
  t.is(checkKey(NUMS, key), undefined);
  const num = succeeds(t, undefined, req([]), key, NUMS);
  succeeds(t, num, { flags: 0, funcs: [], checks: [chk('k', -5, NUMS)] }, key, NUMS);
  fails(t, num, { flags: 0, funcs: [], checks: [chk('k', 5, NUMS)] }, Status.CMPFAIL, 'k', key, NUMS);
});

// -- request errors -----------------------------------------------------------------------------

test('UNKNOWNATTR names the attribute, in a func or a check', (t) => {
  const r = req([raw('nope', Datatype.STRING, Buffer.from('x'))]);
  fails(t, undefined, r, Status.UNKNOWNATTR, 'nope');
  t.like(validateAtomic(SPACE, r), { status: Status.UNKNOWNATTR, attr: 'nope' });
  fails(t, full(t), req([], 0, [raw('Age', Datatype.INT64, Buffer.alloc(8))]), Status.UNKNOWNATTR, 'Age');
});

test('writing the key attribute: UNKNOWNATTR', (t) => {
  const o = fails(t, undefined, req([raw('username', Datatype.STRING, Buffer.from('x'))]), Status.UNKNOWNATTR, 'username');
  t.regex(o.message, /key/);
});

test('DUPEATTR on a repeated name in funcs; checks may repeat a name (a range is two checks); a name in both is fine', (t) => {
  fails(t, undefined, req([fn('first', 'a'), fn('age', 1), fn('first', 'b')]), Status.DUPEATTR, 'first');
  succeeds(t, full(t), req([], 0, [chk('age', 41), chk('age', 41)]));
  succeeds(t, full(t), req([], 0, [chk('username', 'jane'), chk('username', 'jane')]));
  fails(t, full(t), req([], 0, [chk('age', 41), chk('age', 40)]), Status.CMPFAIL, 'age');
  succeeds(t, full(t), req([fn('age', 42)], 0, [chk('age', 41)]));
});

test('WRONGTYPE when the datatype number disagrees with the schema', (t) => {
  fails(t, undefined, req([fn('age', 1, { datatype: Datatype.STRING })]), Status.WRONGTYPE, 'age');
  fails(t, undefined, req([fn('age', 1, { datatype: Datatype.FLOAT })]), Status.WRONGTYPE, 'age');
  fails(t, undefined, req([raw('tags', Datatype.LIST_GENERIC, Buffer.alloc(0))]), Status.WRONGTYPE, 'tags');
  fails(t, undefined, req([raw('groups', Datatype.LIST_STRING, Buffer.alloc(0))]), Status.WRONGTYPE, 'groups');
  fails(t, undefined, req([raw('counts', Datatype.MAP_STRING_STRING, Buffer.alloc(0))]), Status.WRONGTYPE, 'counts');
  fails(t, undefined, req([raw('first', 12345, Buffer.from('x'))]), Status.WRONGTYPE, 'first');
  fails(t, full(t), req([], 0, [{ ...chk('age', 41), datatype: Datatype.SET_INT64 }]), Status.WRONGTYPE, 'age');
  fails(t, full(t), req([], 0, [{ ...chk('username', 'jane'), datatype: Datatype.INT64 }]), Status.WRONGTYPE, 'username');
});

test('WRONGTYPE when the value bytes are malformed', (t) => {
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n, 0);
    return b;
  };
  const cases: [string, number, Buffer][] = [
    ['age', Datatype.INT64, Buffer.alloc(7)],
    ['age', Datatype.INT64, Buffer.alloc(9)],
    ['age', Datatype.INT64, Buffer.alloc(0)],
    ['score', Datatype.FLOAT, Buffer.alloc(4)],
    ['tags', Datatype.LIST_STRING, Buffer.concat([len(1), Buffer.from('a'), len(10), Buffer.from('abc')])], // runs past the end
    ['tags', Datatype.LIST_STRING, Buffer.from([1, 0])], // a cut length
    ['groups', Datatype.SET_STRING, Buffer.concat([len(0xffffffff)])],
    ['nums', Datatype.SET_INT64, Buffer.alloc(12)],
    ['counts', Datatype.MAP_STRING_INT64, Buffer.concat([len(1), Buffer.from('k')])], // a key without its value
    ['counts', Datatype.MAP_STRING_INT64, Buffer.concat([len(1), Buffer.from('k'), Buffer.alloc(8), len(1), Buffer.from('k'), Buffer.alloc(8)])], // a key twice
  ];
  for (const [name, datatype, bytes] of cases) {
    fails(t, undefined, req([raw(name, datatype, bytes)]), Status.WRONGTYPE, name);
    fails(t, full(t), req([], 0, [raw(name, datatype, bytes, CheckOp.EQUALS)]), Status.WRONGTYPE, name);
  }
});

test('checkKey: a key that is not a valid value of its type is WRONGTYPE', (t) => {
  t.is(checkKey(SPACE, Buffer.from([0xff, 0x00])), undefined, 'any bytes are a string key');
  t.is(checkKey(SPACE, Buffer.alloc(0)), undefined);
  t.is(checkKey(NUMS, Buffer.alloc(8)), undefined);
  for (const n of [0, 7, 9]) t.like(checkKey(NUMS, Buffer.alloc(n)), { status: Status.WRONGTYPE, attr: 'k' });
});

test('sets are stored canonically: sorted, without duplicates', (t) => {
  // Elements of a list and of a set are laid out alike, so a list encoding is an unsorted set.
  const unsorted = encodeValue({ kind: 'list', elem: 'string' }, ['b', 'a', 'c', 'b', 'a']);
  const obj = succeeds(t, undefined, req([raw('groups', Datatype.SET_STRING, unsorted)]));
  t.deepEqual(obj.values[NAMES.indexOf('groups')], encodeValue(typeOf('groups'), ['a', 'b', 'c']));
  t.deepEqual([...(value(obj, 'groups') as Set<string>)], ['a', 'b', 'c']);

  const nums = encodeValue({ kind: 'list', elem: 'int64' }, [5, -1, 5, 3]);
  const obj2 = succeeds(t, obj, req([raw('nums', Datatype.SET_INT64, nums)]));
  t.deepEqual([...(value(obj2, 'nums') as Set<number>)], [-1, 3, 5]);

  // A check with the same set in another order holds.
  succeeds(t, obj2, req([], 0, [raw('groups', Datatype.SET_STRING, encodeValue({ kind: 'list', elem: 'string' }, ['c', 'a', 'b']), CheckOp.EQUALS)]));

  // Maps too: sorted by key.
  const m = Buffer.concat([encodeValue({ kind: 'list', elem: 'string' }, ['z']), Buffer.alloc(8), encodeValue({ kind: 'list', elem: 'string' }, ['a']), Buffer.alloc(8)]);
  const obj3 = succeeds(t, obj2, req([raw('counts', Datatype.MAP_STRING_INT64, m)]));
  t.deepEqual([...(value(obj3, 'counts') as Map<string, number>).keys()], ['a', 'z']);
});

test('an unknown func or check op: BADREQUEST', (t) => {
  for (const op of [0, 20, 99]) {
    fails(t, undefined, req([fn('first', 'x', { op })]), Status.BADREQUEST, 'first');
    fails(t, full(t), req([], 0, [chk('first', 'Jane', SPACE, { op: op === 20 ? 6 : op })]), Status.BADREQUEST, 'first');
    t.like(validateAtomic(SPACE, req([fn('age', 1, { op })])), { status: Status.BADREQUEST, attr: 'age' });
  }
});

test('validateAtomic accepts a well-formed request, and comes before the object', (t) => {
  t.is(validateAtomic(SPACE, req([fn('first', 'x'), fn('nums', [3, 1])], AtomicFlag.FAIL_IF_NOT_FOUND, [chk('username', 'jane'), chk('age', 3)])), undefined);
  // A bad request is reported as such even when the flags would fail too.
  fails(t, full(t), req([raw('nope', Datatype.STRING, Buffer.alloc(0))], AtomicFlag.FAIL_IF_FOUND), Status.UNKNOWNATTR, 'nope');
  fails(t, undefined, req([fn('age', 1, { datatype: Datatype.STRING })], AtomicFlag.FAIL_IF_NOT_FOUND), Status.WRONGTYPE, 'age');
});
