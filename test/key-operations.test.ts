// Key operations and their errors through the TypeScript client, against a real coordinator and
// daemon (1.0 spelling) on loopback.

import test from 'ava';
import { Client, HyperClientError } from '../src/client/client';
import { Status } from '../src/common/protocol';
import { SharedScope, startCluster } from './helpers/cluster';
import { statusOf } from './helpers/status';

const scope = new SharedScope();
let client: Client;
let port: number;

test.before(async () => {
  const { coord } = await startCluster(scope);
  port = coord.port;
  client = await Client.connect('127.0.0.1', port, { timeoutMs: 10_000 });
  await client.addSpace(`space kv key k attributes string s, int64 i, float f, list(string) ls, set(int64) si, map(string, int64) msi`);
  await client.addSpace(`space intkeys key int64 id attributes string name`);
  await client.addSpace(`space floatkeys key float x attributes string name`);
  // Made here, not in its test: a space added or removed while other tests run changes the
  // configuration under them (rm_space's test expects its own change to be the one seen).
  await client.addSpace('space hotsub key k attributes string s, int64 g subspace g create 8 partitions');
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

test('get of an absent key is null', async (t) => {
  t.is(await client.get('kv', 'absent'), null);
});

test('put creates with defaults for the attributes it does not name', async (t) => {
  t.true(await client.put('kv', 'defaults', { s: 'hello' }));
  t.deepEqual(await client.get('kv', 'defaults'), { s: 'hello', i: 0, f: 0, ls: [], si: new Set(), msi: new Map() });
});

test('put changes only the named attributes', async (t) => {
  t.true(await client.put('kv', 'partial', { s: 'a', i: 5, f: 1.5 }));
  t.true(await client.put('kv', 'partial', { i: 7 }));
  t.deepEqual(await client.get('kv', 'partial'), { s: 'a', i: 7, f: 1.5, ls: [], si: new Set(), msi: new Map() });
});

test('every type round-trips', async (t) => {
  const big = 2n ** 62n + 1n;
  t.true(
    await client.put('kv', 'types', {
      s: Buffer.from([0xff, 0x00, 0x80]),
      i: big,
      f: -2.25,
      ls: ['b', 'a', 'b'],
      si: new Set([3, -1, 2]),
      msi: { x: 1, y: -2 },
    }),
  );
  const got = await client.get('kv', 'types');
  t.deepEqual(got, {
    s: Buffer.from([0xff, 0x00, 0x80]),
    i: big,
    f: -2.25,
    ls: ['b', 'a', 'b'],
    si: new Set([-1, 2, 3]),
    msi: new Map([
      ['x', 1],
      ['y', -2],
    ]),
  });
  t.deepEqual([...(got!.si as Set<number>)], [-1, 2, 3], 'sets come back sorted');
});

test('put_if_not_exist is false when the object exists and changes nothing', async (t) => {
  t.true(await client.put_if_not_exist('kv', 'pine', { s: 'first' }));
  t.false(await client.putIfNotExist('kv', 'pine', { s: 'second' }));
  t.is((await client.get('kv', 'pine'))!.s, 'first');
});

test('condput succeeds only when every condition attribute is equal', async (t) => {
  t.true(await client.put('kv', 'cond', { s: 'x', i: 1 }));
  t.true(await client.condput('kv', 'cond', { s: 'x', i: 1 }, { s: 'y' }));
  t.false(await client.cond_put('kv', 'cond', { s: 'y', i: 2 }, { s: 'z' }), 'one unequal attribute fails');
  t.is((await client.get('kv', 'cond'))!.s, 'y');
  t.true(await client.condPut('kv', 'cond', {}, { i: 3 }), 'an empty condition holds for an existing object');
  t.is((await client.get('kv', 'cond'))!.i, 3);
});

test('condput on an absent object fails and creates nothing', async (t) => {
  t.false(await client.condput('kv', 'cond-absent', { s: '' }, { s: 'x' }));
  t.is(await client.get('kv', 'cond-absent'), null);
});

test('condput may compare the key itself and containers', async (t) => {
  t.true(await client.put('kv', 'cond-key', { si: new Set([1, 2]) }));
  t.true(await client.condput('kv', 'cond-key', { k: 'cond-key', si: [2, 1] }, { i: 9 }));
  t.false(await client.condput('kv', 'cond-key', { si: new Set([1]) }, { i: 10 }));
  t.is((await client.get('kv', 'cond-key'))!.i, 9);
});

test('del and delete are false when the object is absent', async (t) => {
  t.true(await client.put('kv', 'gone', { s: 'x' }));
  t.true(await client.del('kv', 'gone'));
  t.is(await client.get('kv', 'gone'), null);
  t.false(await client.delete('kv', 'gone'));
});

test('integer and float keys', async (t) => {
  t.true(await client.put('intkeys', 42, { name: 'forty-two' }));
  t.true(await client.put('intkeys', -7n, { name: 'minus seven' }));
  t.deepEqual(await client.get('intkeys', 42), { name: 'forty-two' });
  t.deepEqual(await client.get('intkeys', -7), { name: 'minus seven' });
  t.true(await client.put('floatkeys', 0.5, { name: 'half' }));
  t.deepEqual(await client.get('floatkeys', 0.5), { name: 'half' });
  t.deepEqual(await statusOf(client.get('intkeys', 'not a number')), { status: 'WRONGTYPE', attr: 'id' });
});

test('an integer key for a string-keyed space is packed as 8 bytes, as in 0.4', async (t) => {
  t.true(await client.put('kv', 12345, { s: 'int key' }));
  const packed = Buffer.alloc(8);
  packed.writeBigInt64LE(12345n);
  t.is((await client.get('kv', packed))!.s, 'int key');
});

test('UNKNOWNSPACE', async (t) => {
  t.deepEqual(await statusOf(client.get('nosuchspace', 'k')), { status: 'UNKNOWNSPACE', attr: undefined });
  t.deepEqual(await statusOf(client.put('nosuchspace', 'k', { s: 'x' })), { status: 'UNKNOWNSPACE', attr: undefined });
});

test('UNKNOWNATTR, WRONGTYPE and DUPEATTR name the attribute and change nothing', async (t) => {
  t.true(await client.put('kv', 'errs', { s: 'kept', i: 1 }));
  t.deepEqual(await statusOf(client.put('kv', 'errs', { s: 'x', nope: 1 })), { status: 'UNKNOWNATTR', attr: 'nope' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', { s: 'x', i: 'one' })), { status: 'WRONGTYPE', attr: 'i' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', { s: 'x', f: 'x' })), { status: 'WRONGTYPE', attr: 'f' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', { ls: 'not a list' })), { status: 'WRONGTYPE', attr: 'ls' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', { i: 2n ** 64n })), { status: 'WRONGTYPE', attr: 'i' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', [['s', 'a'], ['s', 'b']])), { status: 'DUPEATTR', attr: 's' });
  t.deepEqual(await statusOf(client.put('kv', 'errs', { k: 'other' })), { status: 'UNKNOWNATTR', attr: 'k' });
  t.deepEqual(await statusOf(client.condput('kv', 'errs', { zz: 1 }, { s: 'x' })), { status: 'UNKNOWNATTR', attr: 'zz' });
  t.deepEqual(await client.get('kv', 'errs'), { s: 'kept', i: 1, f: 0, ls: [], si: new Set(), msi: new Map() });
});

test('many requests in flight on one connection', async (t) => {
  const n = 500;
  const puts = await Promise.all(Array.from({ length: n }, (_, i) => client.put('kv', `many${i}`, { i })));
  t.true(puts.every((x) => x === true));
  const gets = await Promise.all(Array.from({ length: n }, (_, i) => client.get('kv', `many${i}`)));
  t.deepEqual(
    gets.map((g) => g!.i),
    Array.from({ length: n }, (_, i) => i),
  );
});

test('concurrent condputs on one key: exactly one wins', async (t) => {
  t.true(await client.put('kv', 'race', { i: 0 }));
  const results = await Promise.all(Array.from({ length: 20 }, (_, w) => client.condput('kv', 'race', { i: 0 }, { i: w + 1 })));
  t.is(results.filter((x) => x).length, 1);
  const winner = results.indexOf(true) + 1;
  t.is((await client.get('kv', 'race'))!.i, winner);
});

// Writes of one key that arrive while an earlier one holds the key are applied together, in
// arrival order, and committed once (daemon atomicAt): each must still count, and answer, alone.
test('writes of one key in flight together: each applied once, in arrival order', async (t) => {
  t.true(await client.put('kv', 'hot', { i: 0, s: 'start' }));
  const n = 300;
  const adds = await Promise.all(Array.from({ length: n }, () => client.atomic_add('kv', 'hot', { i: 1 })));
  t.true(adds.every((x) => x === true));
  t.is((await client.get('kv', 'hot'))!.i, n);
  // Puts of one connection reach the daemon in order: the last one sent is the one kept.
  const puts = await Promise.all(Array.from({ length: n }, (_, w) => client.put('kv', 'hot', { s: `w${w}` })));
  t.true(puts.every((x) => x === true));
  t.is((await client.get('kv', 'hot'))!.s, `w${n - 1}`);
});

test('a delete between writes of one key in flight together: what follows it starts afresh', async (t) => {
  t.true(await client.put('kv', 'hotdel', { i: 5, s: 'old' }));
  const [add, del, addGone, create, condFails, add2] = await Promise.all([
    client.atomic_add('kv', 'hotdel', { i: 1 }),
    client.del('kv', 'hotdel'),
    client.atomic_add('kv', 'hotdel', { i: 1 }),
    client.putIfNotExist('kv', 'hotdel', { s: 'new' }),
    client.condPut('kv', 'hotdel', { s: 'old' }, { i: 100 }),
    client.atomic_add('kv', 'hotdel', { i: 2 }),
  ]);
  t.deepEqual([add, del, addGone, create, condFails, add2], [true, true, false, true, false, true]);
  t.deepEqual(await client.get('kv', 'hotdel'), { s: 'new', i: 2, f: 0, ls: [], si: new Set(), msi: new Map() });
});

test('writes of one key in flight together move it between secondary regions: searches find only the last state', async (t) => {
  const n = 64;
  // g spread over the int64 range so that the states fall into different regions of g's subspace.
  const g = (w: number) => BigInt(w) * 0x0400_0000_0000_0000n - 2n ** 63n;
  const puts = await Promise.all(Array.from({ length: n }, (_, w) => client.put('hotsub', 'one', { s: `w${w}`, g: g(w) })));
  t.true(puts.every((x) => x === true));
  t.deepEqual(await client.get('hotsub', 'one'), { s: `w${n - 1}`, g: g(n - 1) });
  for (let w = 0; w < n; w++) t.is(await client.count('hotsub', { g: g(w) }), w === n - 1 ? 1 : 0, `g of write ${w}`);
  t.is(await client.count('hotsub', {}), 1);
});

test('a second client sees a space added by the first, and rm_space removes it', async (t) => {
  const other = await Client.connect('127.0.0.1', port);
  t.teardown(() => other.close());
  await client.add_space('space fresh key k attributes v');
  t.true(await other.put('fresh', 'a', { v: 'b' }));
  t.true((await other.listSpaces()).includes('fresh'));
  await other.rm_space('fresh');
  // The coordinator pushes the new configuration before it answers, but the daemon and `client`
  // hear of it on their own connections: a get sent at once may still find the space there. Within
  // a bounded number of tries (each a round trip), it no longer does.
  let gone = await statusOf(client.get('fresh', 'a'));
  for (let i = 0; i < 200 && gone.status !== 'UNKNOWNSPACE'; i++) gone = await statusOf(client.get('fresh', 'a'));
  t.deepEqual(gone, { status: 'UNKNOWNSPACE', attr: undefined });
  t.false((await client.list_spaces()).includes('fresh'));
});

test('add_space refuses a duplicate name and a description that does not parse', async (t) => {
  const dup = await statusOf(client.addSpace('space kv key k'));
  t.is(dup.status, 'BADSPACE');
  const err = await t.throwsAsync(client.addSpace('space broken\nkey k\nattributes\n  strang s'), { instanceOf: HyperClientError });
  t.is(err!.status, Status.BADSPACE);
  t.regex(err!.message, /line 4, column 3/);
  t.deepEqual(await statusOf(client.rmSpace('never-was')), { status: 'UNKNOWNSPACE', attr: undefined });
});

test('oversized values and requests are refused with OVERFLOW, and the connection keeps working', async (t) => {
  t.true(await client.put('kv', 'big', { s: 'small' }));
  const sixMiB = 'x'.repeat(6 * 1024 * 1024);
  const inFlight = client.get('kv', 'big');
  // Each value is under the 8 MiB value limit; together they pass the 16 MiB frame limit.
  const tooMuch = { s: sixMiB, ls: ['a'.repeat(7 * 1024 * 1024)], msi: { ['b'.repeat(5 * 1024 * 1024)]: 1 } };
  t.deepEqual(await statusOf(client.put('kv', 'big', tooMuch)), { status: 'OVERFLOW', attr: undefined });
  t.deepEqual(await statusOf(client.put('kv', 'big', { s: 'y'.repeat(9 * 1024 * 1024) })), { status: 'OVERFLOW', attr: 's' });
  t.is((await inFlight)!.s, 'small', 'a request in flight on the same connection is unaffected');
  t.true(await client.put('kv', 'big', { s: sixMiB }), 'a large value under the limits is stored');
  t.is(((await client.get('kv', 'big'))!.s as string).length, sixMiB.length);
});
