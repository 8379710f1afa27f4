// The 1.0 tutorial's "comprehensive walk" over alldatatypes (seed 001), every printed result
// reproduced; and the 0.4 manual's datastructure tutorial over socialnetwork (seed 000, ch. 5).

import test from 'ava';
import { Client } from '../src/client/client';
import { runCommand, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const scope = new SharedScope();
let c: Client;
let coordPort: number;

test.before(async () => {
  const coord = await startCoordinator(scope);
  coordPort = coord.port;
  for (let i = 0; i < 3; i++) await startDaemon(scope, coord);
  c = await Client.connect('127.0.0.1', coord.port);
});

test.after.always(async () => {
  await c?.close();
  await scope.close();
});

const m = <V>(entries: [string, V][]) => new Map(entries);

/**
 * Python prints sets and dicts in no particular order; compare contents: Sets become sorted
 * arrays and Maps sorted entry lists (ours come back sorted, which the manual's reprs need not be).
 */
function norm(v: unknown): unknown {
  const byString = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
  if (v instanceof Set) return { set: [...v].sort(byString) };
  if (v instanceof Map) return { map: [...v.entries()].sort((a, b) => byString(a[0], b[0])) };
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

test('1.0 tutorial: a comprehensive walk over alldatatypes', async (t) => {
  await c.add_space(
    `space alldatatypes key k attributes string s, int i, float f, list(string) ls, set(string) ss, map(string, string) mss, map(string, int) msi`,
  );
  const get = () => c.get('alldatatypes', 'somekey');
  const obj = (over: Record<string, unknown>) => ({ f: 0.0, i: 0, mss: m([]), ss: new Set(), s: 'some string', ls: [], msi: m([]), ...over });

  t.true(await c.put_if_not_exist('alldatatypes', 'somekey', { s: 'initial value' }));
  t.false(await c.put_if_not_exist('alldatatypes', 'somekey', { s: 'initial value' }));
  t.true(await c.cond_put('alldatatypes', 'somekey', { s: 'initial value' }, { s: 'some string' }));
  t.false(await c.cond_put('alldatatypes', 'somekey', { s: 'initial value' }, { s: 'some string' }));
  t.deepEqual(norm(await get()), norm(obj({})));

  t.true(await c.atomic_add('alldatatypes', 'somekey', { i: 1, f: 0.25 }));
  t.deepEqual(norm(await get()), norm(obj({ f: 0.25, i: 1 })));
  t.true(await c.atomic_sub('alldatatypes', 'somekey', { i: 2, f: 0.5 }));
  t.deepEqual(norm(await get()), norm(obj({ f: -0.25, i: -1 })));
  t.true(await c.atomic_mul('alldatatypes', 'somekey', { i: 2, f: 4 }));
  t.deepEqual(norm(await get()), norm(obj({ f: -1.0, i: -2 })));
  t.true(await c.atomic_div('alldatatypes', 'somekey', { i: 2, f: 4 }));
  t.deepEqual(norm(await get()), norm(obj({ f: -0.25, i: -1 })));

  t.true(await c.put('alldatatypes', 'somekey', { i: 0xdeadbeefcafe }));
  t.true(await c.atomic_and('alldatatypes', 'somekey', { i: 0xffffffff0000 }));
  t.deepEqual(norm(await get()), norm(obj({ f: -0.25, i: 244837814042624 })));
  t.is(`0x${((await get())!.i as number).toString(16)}`, '0xdeadbeef0000');
  t.true(await c.atomic_or('alldatatypes', 'somekey', { i: 0x00000000cafe }));
  t.is(`0x${((await get())!.i as number).toString(16)}`, '0xdeadbeefcafe');
  t.true(await c.atomic_xor('alldatatypes', 'somekey', { i: 0xdea5a0403af3 }));
  t.is(`0x${((await get())!.i as number).toString(16)}`, '0x81eaff00d');

  t.true(await c.string_prepend('alldatatypes', 'somekey', { s: '->' }));
  t.is((await get())!.s, '->some string');
  t.true(await c.string_append('alldatatypes', 'somekey', { s: '<-' }));
  t.is((await get())!.s, '->some string<-');

  t.true(await c.put('alldatatypes', 'somekey', { ls: ['B'] }));
  t.true(await c.list_lpush('alldatatypes', 'somekey', { ls: 'A' }));
  t.deepEqual((await get())!.ls, ['A', 'B']);
  t.true(await c.list_rpush('alldatatypes', 'somekey', { ls: 'C' }));
  t.deepEqual((await get())!.ls, ['A', 'B', 'C']);

  t.true(await c.set_add('alldatatypes', 'somekey', { ss: 'C' }));
  t.deepEqual(norm((await get())!.ss), norm(new Set(['C'])));
  t.true(await c.set_remove('alldatatypes', 'somekey', { ss: 'C' }));
  t.deepEqual(norm((await get())!.ss), norm(new Set()));
  t.true(await c.set_union('alldatatypes', 'somekey', { ss: new Set(['A', 'B', 'C']) }));
  t.deepEqual(norm((await get())!.ss), norm(new Set(['A', 'C', 'B'])));
  t.true(await c.set_intersect('alldatatypes', 'somekey', { ss: new Set(['A', 'B', 'Z']) }));
  t.deepEqual(norm((await get())!.ss), norm(new Set(['A', 'B'])));

  const base = { f: -0.25, i: 34874585101, ss: new Set(['A', 'B']), s: '->some string<-', ls: ['A', 'B', 'C'] };
  t.true(await c.map_add('alldatatypes', 'somekey', { mss: { mapkey: 'mapvalue' }, msi: { mapkey: 16 } }));
  t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', 'mapvalue']]), msi: m([['mapkey', 16]]) }));
  t.true(await c.map_add('alldatatypes', 'somekey', { mss: { tmp: 'delete me' } }));
  t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', 'mapvalue'], ['tmp', 'delete me']]), msi: m([['mapkey', 16]]) }));
  t.true(await c.map_remove('alldatatypes', 'somekey', { mss: { tmp: 'X' } }));
  t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', 'mapvalue']]), msi: m([['mapkey', 16]]) }));

  const steps: [keyof Client, number][] = [
    ['map_atomic_add', 16],
    ['map_atomic_sub', -32],
    ['map_atomic_mul', 4],
    ['map_atomic_div', 64],
    ['map_atomic_and', 2],
    ['map_atomic_or', 5],
    ['map_atomic_xor', 7],
  ];
  const printed = [32, 64, 256, 4, 0, 5, 2];
  for (let i = 0; i < steps.length; i++) {
    const [method, operand] = steps[i];
    const fn = c[method] as (s: string, k: string, a: object) => Promise<boolean>;
    t.true(await fn.call(c, 'alldatatypes', 'somekey', { msi: { mapkey: operand } }), method);
    t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', 'mapvalue']]), msi: m([['mapkey', printed[i]]]) }), method);
  }
  t.true(await c.map_string_prepend('alldatatypes', 'somekey', { mss: { mapkey: '->' } }));
  t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', '->mapvalue']]), msi: m([['mapkey', 2]]) }));
  t.true(await c.map_string_append('alldatatypes', 'somekey', { mss: { mapkey: '<-' } }));
  t.deepEqual(norm(await get()), norm({ ...base, mss: m([['mapkey', '->mapvalue<-']]), msi: m([['mapkey', 2]]) }));
});

test('0.4 manual ch. 5: the socialnetwork datastructure tutorial', async (t) => {
  const add = await runCommand(
    'hyperdex',
    ['add-space', '-p', String(coordPort)],
    `space socialnetwork
dimensions username, first, last,
    pending_requests (list(string)),
    hobbies (set(string)),
    unread_messages (map(string,string))
    upvotes (map(string,int64))
key username auto 0 3
subspace first, last auto 0 3
`,
  );
  t.is(add.status, 0, add.stderr);
  t.true(await c.put('socialnetwork', 'jsmith1', { first: 'John', last: 'Smith' }));
  t.deepEqual(await c.get('socialnetwork', 'jsmith1'), {
    first: 'John',
    last: 'Smith',
    pending_requests: [],
    hobbies: new Set(),
    unread_messages: m([]),
    upvotes: m([]),
  });
  t.true(await c.list_rpush('socialnetwork', 'jsmith1', { pending_requests: 'bjones1' }));
  t.deepEqual((await c.get('socialnetwork', 'jsmith1'))!.pending_requests, ['bjones1']);

  const hobbies = new Set(['hockey', 'basket weaving', 'hacking', 'air guitar rocking']);
  t.true(await c.set_union('socialnetwork', 'jsmith1', { hobbies }));
  t.true(await c.set_add('socialnetwork', 'jsmith1', { hobbies: 'gaming' }));
  t.deepEqual(norm((await c.get('socialnetwork', 'jsmith1'))!.hobbies), norm(new Set(['hacking', 'air guitar rocking', 'hockey', 'gaming', 'basket weaving'])));
  t.true(await c.set_intersect('socialnetwork', 'jsmith1', { hobbies: new Set(['hacking', 'programming']) }));
  t.deepEqual(norm((await c.get('socialnetwork', 'jsmith1'))!.hobbies), norm(new Set(['hacking'])));

  t.true(await c.map_add('socialnetwork', 'jsmith1', { unread_messages: { bjones1: 'Hi John' } }));
  t.true(await c.map_add('socialnetwork', 'jsmith1', { unread_messages: { timmy: 'Lunch?' } }));
  t.deepEqual(norm((await c.get('socialnetwork', 'jsmith1'))!.unread_messages), norm(m([['timmy', 'Lunch?'], ['bjones1', 'Hi John']])));
  // The manual appends under the key 'bjones' (not 'bjones1') yet prints bjones1's message extended;
  // with the documented semantics a missing map key starts from the empty string, so the append
  // creates 'bjones'. The manual's intent, appending to bjones1's message, is shown with 'bjones1'.
  t.true(await c.map_string_append('socialnetwork', 'jsmith1', { unread_messages: { bjones1: '| Want to hang out?' } }));
  t.deepEqual(norm((await c.get('socialnetwork', 'jsmith1'))!.unread_messages), norm(m([['timmy', 'Lunch?'], ['bjones1', 'Hi John| Want to hang out?']])));
  t.true(await c.map_string_append('socialnetwork', 'jsmith1', { unread_messages: { bjones: '| Want to hang out?' } }));
  t.is(((await c.get('socialnetwork', 'jsmith1'))!.unread_messages as Map<string, string>).get('bjones'), '| Want to hang out?');

  const url1 = 'http://url1.com';
  const url2 = 'http://url2.com';
  t.true(await c.map_add('socialnetwork', 'jsmith1', { upvotes: { [url1]: 1, [url2]: 1 } }));
  t.true(await c.map_atomic_add('socialnetwork', 'jsmith1', { upvotes: { [url1]: 1 } }));
  t.true(await c.map_atomic_add('socialnetwork', 'jsmith1', { upvotes: { [url1]: 1 } }));
  t.true(await c.map_atomic_add('socialnetwork', 'jsmith1', { upvotes: { [url1]: -1, [url2]: -1 } }));
  t.deepEqual(norm((await c.get('socialnetwork', 'jsmith1'))!.upvotes), norm(m([[url1, 2], [url2, 0]])));

  t.true(await c.list_rpush('socialnetwork', 'jsmith1', { pending_requests: 'timmy' }));
  t.deepEqual((await c.get('socialnetwork', 'jsmith1'))!.pending_requests, ['bjones1', 'timmy']);
});

test('0.4 manual §4.3: atomic_add and atomic_sub on the phonebook', async (t) => {
  await c.add_space('space phonebook43 key username attributes first, last, int64 phone');
  t.true(await c.put('phonebook43', 'jsmith1', { first: 'John', last: 'Smith', phone: 6075552048 }));
  t.true(await c.atomic_add('phonebook43', 'jsmith1', { phone: 1 }));
  t.deepEqual(await c.get('phonebook43', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552049 });
  t.true(await c.atomic_sub('phonebook43', 'jsmith1', { phone: 1 }));
  t.deepEqual(await c.get('phonebook43', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });
  t.true(await c.atomic_add('phonebook43', 'jsmith1', { phone: 10 }));
  t.deepEqual(await c.get('phonebook43', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552058 });
  t.true(await c.atomic_sub('phonebook43', 'jsmith1', { phone: 10 }));
  t.deepEqual(await c.get('phonebook43', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });
  t.false(await c.atomic_add('phonebook43', 'nobody', { phone: 1 }), 'an atomic operation on a missing object is not found');
  t.is(await c.get('phonebook43', 'nobody'), null);
});
