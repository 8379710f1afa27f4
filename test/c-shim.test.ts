// libhyperclient called in-process through the Node addon (native/node/client_wrap.cc), against a
// real coordinator and three daemons: the manual's phonebook session (0.4 manual §3.4 and ch. 7),
// the -1 - idx rule, NONEPENDING and TIMEOUT, the storage the shim keeps for pending operations,
// and every atomic operation. What the shim writes is read back with the TypeScript client and
// the other way round.

import test, { type ExecutionContext } from 'ava';
import { Client, HyperObject } from '../src/client/client';
import { AttrType } from '../src/common/datatypes';
import {
  attribute,
  check,
  complete,
  completeAll,
  decodeObject,
  floatBytes,
  int64Bytes,
  mapAttribute,
  NativeCall,
  NativeHyperClient,
  NativeLoopResult,
  nativeStatusName,
  openNativeClient,
  Predicate,
  range,
  readFloat,
  readInt64,
  stringBytes,
} from '../src/common/hyperclient-native';
import { loadNative } from '../src/common/native';
import { Status } from '../src/common/protocol';
import { Value } from '../src/common/values';
import { SharedScope, startCluster, startDaemon } from './helpers/cluster';

const OP_TIMEOUT_MS = 10_000;

const STRING: AttrType = { kind: 'string' };
const INT64: AttrType = { kind: 'int64' };
const FLOAT: AttrType = { kind: 'float' };
const LIST_STRING: AttrType = { kind: 'list', elem: 'string' };
const SET_STRING: AttrType = { kind: 'set', elem: 'string' };
const MAP_STRING_INT64 = { kind: 'map', key: 'string', value: 'int64' } as const;
const MAP_STRING_STRING = { kind: 'map', key: 'string', value: 'string' } as const;

// The manual's space (§3.3), with the 0.4 grammar; three daemons, so every region has its 3 replicas.
const PHONEBOOK = `space phonebook
dimensions username, first, last, phone (int64)
key username auto 1 3
subspace first, last, phone auto 2 3
`;

const scope = new SharedScope();
let port: number;
let ts: Client;

test.before(async () => {
  const { coord } = await startCluster(scope);
  await startDaemon(scope, coord);
  await startDaemon(scope, coord);
  port = coord.port;
  ts = await Client.connect('127.0.0.1', port, { timeoutMs: OP_TIMEOUT_MS });
  scope.teardown(() => ts.close());
  await ts.addSpace(PHONEBOOK);
});

test.after.always(async () => {
  await scope.close();
});

function open(t: ExecutionContext, p = port): NativeHyperClient {
  const c = openNativeClient('127.0.0.1', p);
  t.teardown(() => c.close());
  return c;
}

const key = (k: string): Buffer => Buffer.from(k, 'utf8');

/** Waits for a key operation the call started; fails the test if the call itself failed. */
function finish(t: ExecutionContext, c: NativeHyperClient, call: NativeCall): NativeLoopResult {
  if (call.id < 0) t.fail(`the call returned ${call.id} with status ${nativeStatusName(call.status)}`);
  const r = complete(c, call.id, OP_TIMEOUT_MS);
  t.is(r.loopStatus, Status.SUCCESS);
  t.true(r.done);
  return r;
}

/** The operation's final status name. */
function statusOf(t: ExecutionContext, c: NativeHyperClient, call: NativeCall): string {
  return nativeStatusName(finish(t, c, call).opStatus);
}

/** get through the shim: the object, or the status name when it is not SUCCESS. */
function shimGet(t: ExecutionContext, c: NativeHyperClient, space: string, k: string): HyperObject | string {
  const r = finish(t, c, c.get(space, key(k)));
  if (r.opStatus !== Status.SUCCESS) {
    t.is(r.attrs, undefined);
    return nativeStatusName(r.opStatus);
  }
  return decodeObject(r.attrs!);
}

/** Every object a search started by `call` yields, sorted by `keyAttr`; fails unless it ends with SEARCHDONE. */
function searchAll(t: ExecutionContext, c: NativeHyperClient, call: NativeCall, keyAttr: string): HyperObject[] {
  if (call.id < 0) t.fail(`the search returned ${call.id} with status ${nativeStatusName(call.status)}`);
  const results = completeAll(c, [call.id], OP_TIMEOUT_MS).get(call.id)!;
  const last = results[results.length - 1];
  t.is(nativeStatusName(last.opStatus), 'SEARCHDONE');
  t.is(last.attrs, undefined);
  const objects = results.slice(0, -1).map((r) => {
    t.is(r.opStatus, Status.SUCCESS);
    t.false(r.done);
    return decodeObject(r.attrs!);
  });
  return objects.sort((a, b) => String(a[keyAttr]).localeCompare(String(b[keyAttr])));
}

async function tsSearch(space: string, predicate: Parameters<Client['search']>[1], keyAttr: string): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  for await (const o of ts.search(space, predicate)) out.push(o);
  return out.sort((a, b) => String(a[keyAttr]).localeCompare(String(b[keyAttr])));
}

const person = (first: string, last: string, phone: number | bigint) => [
  attribute('first', STRING, first),
  attribute('last', STRING, last),
  attribute('phone', INT64, phone),
];

test.serial('the phonebook session of the manual through the shim, read back by the TypeScript client and the other way round', async (t) => {
  const c = open(t);

  // put, then get from both sides
  t.is(statusOf(t, c, c.put('phonebook', key('jsmith1'), person('John', 'Smith', 6075551024))), 'SUCCESS');
  const john = { first: 'John', last: 'Smith', phone: 6075551024 };
  t.deepEqual(await ts.get('phonebook', 'jsmith1'), john);
  t.deepEqual(shimGet(t, c, 'phonebook', 'jsmith1'), john);

  // searches with equality on one, two and three attributes; each object carries its key
  const johnWithKey = { username: 'jsmith1', ...john };
  t.deepEqual(searchAll(t, c, c.search('phonebook', [attribute('first', STRING, 'John')], []), 'username'), [johnWithKey]);
  t.deepEqual(searchAll(t, c, c.search('phonebook', [attribute('last', STRING, 'Smith')], []), 'username'), [johnWithKey]);
  t.deepEqual(searchAll(t, c, c.search('phonebook', [attribute('phone', INT64, 6075551024)], []), 'username'), [johnWithKey]);
  t.deepEqual(searchAll(t, c, c.search('phonebook', person('John', 'Smith', 6075551024), []), 'username'), [johnWithKey]);

  // John Doe, written by the TypeScript client, found by the shim's search
  t.true(await ts.put('phonebook', 'jd', { first: 'John', last: 'Doe', phone: 6075557878 }));
  const johns = searchAll(t, c, c.search('phonebook', [attribute('first', STRING, 'John')], []), 'username');
  t.deepEqual(johns, [{ username: 'jd', first: 'John', last: 'Doe', phone: 6075557878 }, johnWithKey]);
  t.deepEqual(johns, await tsSearch('phonebook', { first: 'John' }, 'username'));
  t.deepEqual(searchAll(t, c, c.search('phonebook', [attribute('last', STRING, 'Doe')], []), 'username'), [
    { username: 'jd', first: 'John', last: 'Doe', phone: 6075557878 },
  ]);

  // del: gone for both; a second del and a get say NOTFOUND
  t.is(statusOf(t, c, c.del('phonebook', key('jd'))), 'SUCCESS');
  t.is(await ts.get('phonebook', 'jd'), null);
  t.is(statusOf(t, c, c.del('phonebook', key('jd'))), 'NOTFOUND');
  t.is(shimGet(t, c, 'phonebook', 'jd'), 'NOTFOUND');
  t.deepEqual(searchAll(t, c, c.search('phonebook', [attribute('first', STRING, 'John')], []), 'username'), [johnWithKey]);

  // a put naming one attribute keeps the others
  t.is(statusOf(t, c, c.put('phonebook', key('jsmith1'), [attribute('phone', INT64, 6075552048)])), 'SUCCESS');
  t.deepEqual(await ts.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });

  // the Rochester John Smith, then the range query for area code 607 (lower inclusive, upper exclusive)
  t.true(await ts.put('phonebook', 'jsmith2', { first: 'John', last: 'Smith', phone: 5855552048 }));
  t.deepEqual(shimGet(t, c, 'phonebook', 'jsmith2'), { first: 'John', last: 'Smith', phone: 5855552048 });
  const ithaca = searchAll(
    t,
    c,
    c.search('phonebook', [attribute('last', STRING, 'Smith')], [range('phone', 6070000000, 6080000000)]),
    'username',
  );
  t.deepEqual(ithaca, [{ username: 'jsmith1', first: 'John', last: 'Smith', phone: 6075552048 }]);
  t.deepEqual(ithaca, await tsSearch('phonebook', { last: 'Smith', phone: [6070000000, 6080000000] }, 'username'));
  t.deepEqual(
    searchAll(t, c, c.search('phonebook', [], [range('phone', 5855552048, 5855552049)]), 'username'),
    [{ username: 'jsmith2', first: 'John', last: 'Smith', phone: 5855552048 }],
  );
  t.deepEqual(searchAll(t, c, c.search('phonebook', [], [range('phone', 5855552049, 6075552048)]), 'username'), []);

  // condput (§4.3): succeeds while the condition holds, then CMPFAIL; NOTFOUND without an object
  t.is(statusOf(t, c, c.put('phonebook', key('jsmith1'), [attribute('phone', INT64, 6075551024)])), 'SUCCESS');
  const cond = [attribute('phone', INT64, 6075551024)];
  t.is(statusOf(t, c, c.condput('phonebook', key('jsmith1'), cond, [attribute('phone', INT64, 6075552048)])), 'SUCCESS');
  t.deepEqual(await ts.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });
  t.is(statusOf(t, c, c.condput('phonebook', key('jsmith1'), cond, [attribute('phone', INT64, 6075552048)])), 'CMPFAIL');
  t.is(statusOf(t, c, c.condput('phonebook', key('nobody'), cond, [attribute('first', STRING, 'X')])), 'NOTFOUND');
  t.true(await ts.condput('phonebook', 'jsmith1', { phone: 6075552048 }, { first: 'James' }));
  t.deepEqual(shimGet(t, c, 'phonebook', 'jsmith1'), { first: 'James', last: 'Smith', phone: 6075552048 });

  // put_if_not_exist and cond_put with a range check
  t.is(statusOf(t, c, c.put_if_not_exist('phonebook', key('jsmith1'), person('A', 'B', 1))), 'CMPFAIL');
  t.is(statusOf(t, c, c.put_if_not_exist('phonebook', key('new1'), person('A', 'B', 1))), 'SUCCESS');
  t.deepEqual(await ts.get('phonebook', 'new1'), { first: 'A', last: 'B', phone: 1 });
  const below2 = [check('phone', INT64, 2, Predicate.LESS_THAN)];
  t.is(statusOf(t, c, c.cond_put('phonebook', key('new1'), below2, [attribute('phone', INT64, 2)])), 'SUCCESS');
  t.is(statusOf(t, c, c.cond_put('phonebook', key('new1'), below2, [attribute('phone', INT64, 3)])), 'CMPFAIL');
  t.deepEqual(await ts.get('phonebook', 'new1'), { first: 'A', last: 'B', phone: 2 });

  // int64 beyond 2^53 and negative, both ways
  const big = 2n ** 62n + 3n;
  t.is(statusOf(t, c, c.put('phonebook', key('big'), person('Big', 'Number', big))), 'SUCCESS');
  t.deepEqual(await ts.get('phonebook', 'big'), { first: 'Big', last: 'Number', phone: big });
  t.true(await ts.put('phonebook', 'neg', { first: 'Neg', last: 'Number', phone: -5 }));
  const neg = finish(t, c, c.get('phonebook', key('neg')));
  t.is(readInt64(neg.attrs!.find((a) => a.attr === 'phone')!.value), -5n);
  t.deepEqual(
    searchAll(t, c, c.search('phonebook', [attribute('last', STRING, 'Number')], [range('phone', -10n, 0n)]), 'username'),
    [{ username: 'neg', first: 'Neg', last: 'Number', phone: -5 }],
  );

  t.is(c.pendingCount(), 0, 'every operation handed back for the last time released its storage');
});

test.serial('a bad attribute is named by the return value -1 - idx, across the argument arrays; nothing is kept', (t) => {
  const c = open(t);
  const first = attribute('first', STRING, 'x');
  const bogus = attribute('bogus', STRING, 'x');
  const phoneAsString = { attr: 'phone', value: Buffer.from('607'), datatype: attribute('x', STRING, '').datatype };

  let r = c.put('phonebook', key('k'), [first, bogus]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-2, 'UNKNOWNATTR']);
  r = c.put('phonebook', key('k'), [first, attribute('last', STRING, 'y'), phoneAsString]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-3, 'WRONGTYPE']);
  r = c.put('phonebook', key('k'), [first, first]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-2, 'DUPEATTR']);
  // condput: condattrs then attrs
  r = c.condput('phonebook', key('k'), [first], [first, bogus]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-3, 'UNKNOWNATTR']);
  r = c.condput('phonebook', key('k'), [bogus], [first]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-1, 'UNKNOWNATTR']);
  // search: eq then rn
  r = c.search('phonebook', [first], [range('bogus', 0, 1)]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-2, 'UNKNOWNATTR']);
  r = c.search('phonebook', [attribute('last', STRING, 'y'), phoneAsString], []);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-2, 'WRONGTYPE']);
  // cond_put: checks then attrs
  r = c.cond_put('phonebook', key('k'), [check('phone', INT64, 1)], [first, first]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-3, 'DUPEATTR']);
  // atomic operations: an int64 operation on a string attribute
  r = c.atomic_add('phonebook', key('k'), [attribute('phone', INT64, 1), attribute('first', INT64, 1)]);
  t.deepEqual([r.id, nativeStatusName(r.status)], [-2, 'WRONGTYPE']);
  // a space that does not exist
  r = c.get('nospace', key('k'));
  t.deepEqual([r.id, nativeStatusName(r.status)], [-1, 'UNKNOWNSPACE']);

  t.is(c.pendingCount(), 0);
  const l = c.loop(0);
  t.deepEqual([l.id, nativeStatusName(l.loopStatus)], [-1, 'NONEPENDING'], 'no request was made');
});

test.serial('loop says NONEPENDING with nothing outstanding and TIMEOUT while the daemon is stopped; the storage waits for the answer', async (t) => {
  // A cluster of its own: stopping its only daemon must not disturb the other tests. A client's view
  // of a stopped daemon, not failure detection: the coordinator must not fail it meanwhile.
  const { coord, daemon } = await startCluster(t, { failureTimeoutMs: 600_000 });
  const admin = await Client.connect('127.0.0.1', coord.port, { timeoutMs: OP_TIMEOUT_MS });
  t.teardown(() => admin.close());
  await admin.addSpace('space kv key k attributes string v');
  t.true(await admin.put('kv', 'a', { v: 'before' }));

  const c = open(t, coord.port);
  const idle = c.loop(1000);
  t.deepEqual([idle.id, nativeStatusName(idle.loopStatus)], [-1, 'NONEPENDING']);

  process.kill(daemon.pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(daemon.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  });
  const get = c.get('kv', key('a'));
  t.true(get.id > 0);
  t.is(get.status, 0, 'the call itself wrote no status');
  const started = Date.now();
  const waited = c.loop(300);
  t.deepEqual([waited.id, nativeStatusName(waited.loopStatus)], [-1, 'TIMEOUT']);
  t.true(Date.now() - started >= 250, 'loop waited about its timeout');
  t.is(c.pendingCount(), 1, 'the get keeps its storage while unanswered');

  process.kill(daemon.pid, 'SIGCONT');
  const r = complete(c, get.id, OP_TIMEOUT_MS);
  t.is(nativeStatusName(r.opStatus), 'SUCCESS');
  t.deepEqual(decodeObject(r.attrs!), { v: 'before' });
  t.is(c.pendingCount(), 0);
  const after = c.loop(0);
  t.deepEqual([after.id, nativeStatusName(after.loopStatus)], [-1, 'NONEPENDING']);
});

test.serial('a search comes back once per object, then SEARCHDONE; its storage lives until then', async (t) => {
  await ts.addSpace('space people key name attributes string city, int age subspace city, age');
  const n = 40;
  await Promise.all(Array.from({ length: n }, (_, i) => ts.put('people', `p${String(i).padStart(2, '0')}`, { city: i % 2 ? 'Ithaca' : 'Rochester', age: i })));
  const c = open(t);
  const call = c.search('people', [attribute('city', STRING, 'Ithaca')], [range('age', 10, 30)]);
  t.true(call.id > 0);
  let objects = 0;
  let ended: NativeLoopResult | undefined;
  const seen: HyperObject[] = [];
  for (let i = 0; i < 2 * n && !ended; i++) {
    t.is(c.pendingCount(), 1);
    const r = c.loop(OP_TIMEOUT_MS);
    t.is(r.id, call.id);
    if (r.done) ended = r;
    else {
      objects++;
      seen.push(decodeObject(r.attrs!));
    }
  }
  t.is(nativeStatusName(ended?.opStatus), 'SEARCHDONE');
  t.is(objects, 10);
  t.is(c.pendingCount(), 0);
  seen.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  t.deepEqual(seen, await tsSearch('people', { city: 'Ithaca', age: [10, 30] }, 'name'));
});

test.serial('many operations in flight: each id is handed back once with its own result', async (t) => {
  const c = open(t);
  const ids = new Map<number, string>();
  for (let i = 0; i < 100; i++) {
    const call = c.put('phonebook', key(`many${i}`), person(`F${i}`, 'Many', i));
    t.true(call.id > 0);
    ids.set(call.id, `many${i}`);
  }
  t.is(c.pendingCount(), 100);
  const done = completeAll(c, [...ids.keys()], OP_TIMEOUT_MS);
  for (const id of ids.keys()) t.deepEqual(done.get(id)!.map((r) => nativeStatusName(r.opStatus)), ['SUCCESS']);
  const gets = new Map<number, number>();
  for (let i = 0; i < 100; i++) gets.set(c.get('phonebook', key(`many${i}`)).id, i);
  const got = completeAll(c, [...gets.keys()], OP_TIMEOUT_MS);
  for (const [id, i] of gets) t.deepEqual(decodeObject(got.get(id)![0].attrs!), { first: `F${i}`, last: 'Many', phone: i });
  t.is(c.pendingCount(), 0);
  t.is(await ts.count('phonebook', { last: 'Many' }), 100);
});

test.serial('close releases pending storage; calls after it throw; bad arguments throw TypeError or RangeError', (t) => {
  const c = open(t);
  t.true(c.get('phonebook', key('jsmith1')).id > 0);
  t.true(c.search('phonebook', [], []).id > 0);
  t.is(c.pendingCount(), 2);
  c.close();
  t.is(c.pendingCount(), 0);
  t.throws(() => c.get('phonebook', key('jsmith1')), { message: /closed/ });
  t.throws(() => c.loop(0), { message: /closed/ });
  t.notThrows(() => c.close());

  const d = open(t);
  const bad = (f: () => unknown, re: RegExp, type: typeof TypeError | typeof RangeError = TypeError) =>
    t.throws(f, { instanceOf: type, message: re });
  const call = d as unknown as Record<string, (...args: unknown[]) => unknown>;
  bad(() => call.get('phonebook', 'jsmith1'), /key must be a Buffer/);
  bad(() => call.get(42, key('k')), /space must be a string/);
  bad(() => call.put('phonebook', key('k'), {}), /attrs must be an array/);
  bad(() => call.put('phonebook', key('k'), [null]), /attrs\[0\] must be an object/);
  bad(() => call.put('phonebook', key('k'), [{ attr: 'a\0b', value: Buffer.alloc(0), datatype: 8960 }]), /attrs\[0\]\.attr must not contain a NUL/);
  bad(() => call.put('phonebook', key('k'), [{ attr: 'first', value: 'John', datatype: 8960 }]), /attrs\[0\]\.value must be a Buffer/);
  bad(() => call.put('phonebook', key('k'), [{ attr: 'first', value: Buffer.alloc(0), datatype: 1.5 }]), /datatype must be an integer/, RangeError);
  bad(() => call.search('phonebook', [], [{ attr: 'phone', lower: 2n ** 64n, upper: 0n }]), /lower must fit in 64 bits/, RangeError);
  bad(() => call.loop('soon'), /timeoutMs must be a number/);
  bad(() => call.sorted_search('phonebook', [], 'phone', 1, 'max'), /maxmin must be a boolean/);
  t.is(d.pendingCount(), 0);
  // JavaScript run while the arguments are read (a getter) closes the client: the call must not reach C
  const closing = { get attr() { d.close(); return 'first'; }, value: Buffer.from('x'), datatype: 8960 };
  t.throws(() => d.put('phonebook', key('k'), [closing]), { message: /closed/ });

  t.throws(() => openNativeClient('127.0.0.1', 1), { message: /hyperclient_create\("127\.0\.0\.1", 1\) returned NULL/ });
  t.throws(() => openNativeClient('127.0.0.1', 70000), { instanceOf: RangeError, message: /port/ });
});

test.serial('the predicates table of the addon is enum hyperpredicate as the wrapper has it', (t) => {
  t.deepEqual({ ...loadNative().predicates }, { ...Predicate });
});

// ---- the atomic operations: each applied by the shim to one key and by the TypeScript client to
// another holding the same object; both objects must then be equal.

const KINDS_SPACE = `space kinds key k attributes int64 i, float f, string s, list(string) ls, set(string) ss,
  map(string, int64) mi, map(string, string) ms`;

const START: Record<string, Value> = {
  i: 12,
  f: 1.5,
  s: 'mid',
  ls: ['b'],
  ss: new Set(['b', 'c']),
  mi: new Map([['x', 6]]),
  ms: new Map([['x', 'mid']]),
};

type AtomicCase = {
  method: string;
  shim: (c: NativeHyperClient, k: Buffer) => NativeCall;
  ts: (k: string) => Promise<boolean>;
};

const attrsCase = (method: string, attr: string, type: AttrType, operand: unknown, tsOperand: Value = operand as Value): AtomicCase => ({
  method,
  shim: (c, k) => (c as unknown as Record<string, (s: string, k: Buffer, a: unknown[]) => NativeCall>)[method]('kinds', k, [attribute(attr, type, operand)]),
  ts: (k) => (ts as unknown as Record<string, (s: string, k: string, a: object) => Promise<boolean>>)[method]('kinds', k, { [attr]: tsOperand }),
});

const mapCase = (method: string, attr: string, type: typeof MAP_STRING_INT64 | typeof MAP_STRING_STRING, mk: string, v: unknown): AtomicCase => ({
  method,
  shim: (c, k) => (c as unknown as Record<string, (s: string, k: Buffer, a: unknown[]) => NativeCall>)[method]('kinds', k, [mapAttribute(attr, type, mk, v)]),
  ts: (k) => (ts as unknown as Record<string, (s: string, k: string, a: object) => Promise<boolean>>)[method]('kinds', k, { [attr]: { [mk]: v } }),
});

const ATOMIC_CASES: AtomicCase[] = [
  attrsCase('atomic_add', 'i', INT64, 5),
  attrsCase('atomic_sub', 'i', INT64, 20),
  attrsCase('atomic_mul', 'i', INT64, -3),
  attrsCase('atomic_div', 'i', INT64, 5),
  attrsCase('atomic_mod', 'i', INT64, 5),
  attrsCase('atomic_and', 'i', INT64, 10),
  attrsCase('atomic_or', 'i', INT64, 3),
  attrsCase('atomic_xor', 'i', INT64, 6),
  attrsCase('atomic_add', 'f', FLOAT, 0.25),
  attrsCase('atomic_div', 'f', FLOAT, 4),
  attrsCase('string_prepend', 's', STRING, 'pre-'),
  attrsCase('string_append', 's', STRING, '-post'),
  attrsCase('list_lpush', 'ls', STRING, 'a'),
  attrsCase('list_rpush', 'ls', STRING, 'c'),
  attrsCase('set_add', 'ss', STRING, 'a'),
  attrsCase('set_remove', 'ss', STRING, 'b'),
  attrsCase('set_intersect', 'ss', SET_STRING, ['c', 'd'], new Set(['c', 'd'])),
  attrsCase('set_union', 'ss', SET_STRING, ['d', 'e'], new Set(['d', 'e'])),
  mapCase('map_add', 'mi', MAP_STRING_INT64, 'y', 9),
  attrsCase('map_remove', 'mi', STRING, 'x', { x: 0 }),
  mapCase('map_atomic_add', 'mi', MAP_STRING_INT64, 'x', 4),
  mapCase('map_atomic_sub', 'mi', MAP_STRING_INT64, 'new', 4),
  mapCase('map_atomic_mul', 'mi', MAP_STRING_INT64, 'x', 7),
  mapCase('map_atomic_div', 'mi', MAP_STRING_INT64, 'x', 4),
  mapCase('map_atomic_mod', 'mi', MAP_STRING_INT64, 'x', 4),
  mapCase('map_atomic_and', 'mi', MAP_STRING_INT64, 'x', 3),
  mapCase('map_atomic_or', 'mi', MAP_STRING_INT64, 'x', 8),
  mapCase('map_atomic_xor', 'mi', MAP_STRING_INT64, 'x', 5),
  mapCase('map_string_prepend', 'ms', MAP_STRING_STRING, 'x', 'pre-'),
  mapCase('map_string_append', 'ms', MAP_STRING_STRING, 'x', '-post'),
];

test.serial('every atomic operation through the shim does what the TypeScript client does', async (t) => {
  await ts.addSpace(KINDS_SPACE);
  const c = open(t);
  for (const [n, op] of ATOMIC_CASES.entries()) {
    const viaShim = `shim${n}`;
    const viaTs = `ts${n}`;
    t.true(await ts.put('kinds', viaShim, START));
    t.true(await ts.put('kinds', viaTs, START));
    t.is(statusOf(t, c, op.shim(c, key(viaShim))), 'SUCCESS', op.method);
    t.true(await op.ts(viaTs), op.method);
    const expected = await ts.get('kinds', viaTs);
    t.notDeepEqual(expected, START, `${op.method} changed something`);
    t.deepEqual(await ts.get('kinds', viaShim), expected, op.method);
    t.deepEqual(shimGet(t, c, 'kinds', viaShim), expected, op.method);
  }
  // on a key with no object, NOTFOUND, as the TypeScript client's false
  for (const op of ATOMIC_CASES) {
    t.is(statusOf(t, c, op.shim(c, key('absent'))), 'NOTFOUND', op.method);
    t.false(await op.ts('absent'), op.method);
  }
  // division by zero and int64 overflow change nothing
  t.true(await ts.put('kinds', 'edge', START));
  t.is(statusOf(t, c, c.atomic_div('kinds', key('edge'), [attribute('i', INT64, 0)])), 'OVERFLOW');
  t.is(statusOf(t, c, c.atomic_add('kinds', key('edge'), [attribute('i', INT64, 2n ** 63n - 1n)])), 'OVERFLOW');
  t.deepEqual(await ts.get('kinds', 'edge'), START);
  t.is(c.pendingCount(), 0);
});

// ---- count, group_del, sorted_search, add_space and rm_space -----------------------------------

test.serial('count, sorted_search and group_del through the shim agree with the TypeScript client', async (t) => {
  await ts.addSpace('space scores key player attributes string team, int points subspace team, points');
  const teams = ['red', 'blue'];
  await Promise.all(Array.from({ length: 30 }, (_, i) => ts.put('scores', `pl${i}`, { team: teams[i % 2], points: (i * 37) % 101 })));
  const c = open(t);

  const red = [check('team', STRING, 'red')];
  const counted = finish(t, c, c.count('scores', red));
  t.is(nativeStatusName(counted.opStatus), 'SUCCESS');
  t.is(counted.count, BigInt(await ts.count('scores', { team: 'red' })));
  t.is(counted.count, 15n);
  const fewPoints = [check('points', INT64, 50, Predicate.LESS_THAN)];
  t.is(finish(t, c, c.count('scores', fewPoints)).count, BigInt(await ts.count('scores', { points: [-(2 ** 53), 50] })));

  for (const maxmin of [true, false]) {
    const call = c.sorted_search('scores', red, 'points', 5, maxmin);
    const results = completeAll(c, [call.id], OP_TIMEOUT_MS).get(call.id)!;
    t.is(nativeStatusName(results[results.length - 1].opStatus), 'SEARCHDONE');
    const got = results.slice(0, -1).map((r) => decodeObject(r.attrs!));
    const want: HyperObject[] = [];
    for await (const o of ts.sortedSearch('scores', { team: 'red' }, 'points', 5, maxmin ? 'descending' : 'ascending')) want.push(o);
    t.deepEqual(got, want, `maxmin ${maxmin}`);
    t.is(got.length, 5);
  }

  t.is(statusOf(t, c, c.group_del('scores', red)), 'SUCCESS');
  t.is(await ts.count('scores', { team: 'red' }), 0);
  t.is(await ts.count('scores', {}), 15);
  t.is(c.pendingCount(), 0);
});

test.serial('add_space and rm_space through the shim', async (t) => {
  const c = open(t);
  t.is(statusOf(t, c, c.add_space('space shimmade key k attributes int n')), 'SUCCESS');
  t.true((await ts.listSpaces()).includes('shimmade'));
  t.is(statusOf(t, c, c.put('shimmade', key('one'), [attribute('n', INT64, 1)])), 'SUCCESS');
  t.deepEqual(await ts.get('shimmade', 'one'), { n: 1 });
  t.is(statusOf(t, c, c.add_space('space shimmade key k attributes int n')), 'BADSPACE');
  t.is(statusOf(t, c, c.add_space('space broken key')), 'BADSPACE');
  t.is(statusOf(t, c, c.rm_space('shimmade')), 'SUCCESS');
  t.false((await ts.listSpaces()).includes('shimmade'));
  t.is(statusOf(t, c, c.rm_space('shimmade')), 'UNKNOWNSPACE');
});

// Informational: operations per second through the shim, one request in flight and 64.
test.serial('throughput of put and get through the shim (informational)', (t) => {
  const c = open(t);
  const value = [attribute('first', STRING, 'Bench'), attribute('last', STRING, 'Mark'), attribute('phone', INT64, 1)];
  const total = 2000;
  for (const inFlight of [1, 64]) {
    for (const op of ['put', 'get'] as const) {
      const started = process.hrtime.bigint();
      let next = 0;
      let finished = 0;
      const open = new Set<number>();
      const start = () => {
        const k = key(`bench${next++ % 500}`);
        const call = op === 'put' ? c.put('phonebook', k, value) : c.get('phonebook', k);
        if (call.id < 0) throw new Error(`${op}: ${nativeStatusName(call.status)}`);
        open.add(call.id);
      };
      while (next < total && open.size < inFlight) start();
      // bounded: one loop return per operation, each loop waiting at most OP_TIMEOUT_MS
      for (let i = 0; i < total && finished < total; i++) {
        const r = c.loop(OP_TIMEOUT_MS);
        if (r.id < 0 || !open.delete(r.id) || r.opStatus !== Status.SUCCESS) {
          throw new Error(`${op}: loop returned ${r.id}, ${nativeStatusName(r.loopStatus)} / ${nativeStatusName(r.opStatus)}`);
        }
        finished++;
        if (next < total) start();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      t.log(`${op} with ${inFlight} in flight: ${Math.round(total / seconds)} ops/s (${total} ops)`);
      t.is(finished, total);
    }
  }
  t.is(c.pendingCount(), 0);
  // the last get read what the puts wrote
  t.deepEqual(shimGet(t, c, 'phonebook', 'bench7'), { first: 'Bench', last: 'Mark', phone: 1 });
});

test('the wrapper\'s value helpers give the bytes of docs/protocol.md §7.1', (t) => {
  t.deepEqual(int64Bytes(5551234), Buffer.from('82b4540000000000', 'hex'));
  t.deepEqual(int64Bytes(-1n), Buffer.from('ffffffffffffffff', 'hex'));
  t.is(readInt64(Buffer.from('ffffffffffffffff', 'hex')), -1n);
  t.deepEqual(floatBytes(-2.5), Buffer.from('00000000000004c0', 'hex'));
  t.is(readFloat(Buffer.from('000000000000f03f', 'hex')), 1);
  t.deepEqual(stringBytes('John'), Buffer.from('4a6f686e', 'hex'));
  t.deepEqual(attribute('ls', LIST_STRING, ['a', 'bc']).value, Buffer.from('0100000061' + '020000006263', 'hex'));
  t.deepEqual(mapAttribute('m', MAP_STRING_INT64, 'a', 1), { attr: 'm', mapKey: Buffer.from('a'), value: int64Bytes(1), datatype: 8961 });
  t.deepEqual(range('phone', -1, 2n ** 63n - 1n), { attr: 'phone', lower: -1n, upper: 2n ** 63n - 1n });
  t.deepEqual(decodeObject([{ attr: 'ss', value: Buffer.from('0100000061', 'hex'), datatype: 8993 }]), { ss: new Set(['a']) });
  t.throws(() => decodeObject([{ attr: 'g', value: Buffer.alloc(0), datatype: 9087 }]), { message: /datatype 9087/ });
});
