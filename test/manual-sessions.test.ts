// The manuals' interactive sessions as acceptance tests, with their keys, values and results:
// the 0.4 manual's phonebook (§3.1-3.4, every search included, and the condput session of §4.3) with the
// 0.4 command lines, and the 1.0 tutorial's cond_put and put_if_not_exist examples with the 1.0
// command lines.

import test from 'ava';
import { Client, HyperObject, Predicate } from '../src/client/client';
import { runCommand, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

test('0.4 manual: phonebook session with its searches (§3.3-3.4) and condput (§4.3)', async (t) => {
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  // $ hyperdex-coordinator --control-port 6970 --host-port 1234 --logging debug   (ephemeral ports here)
  const coord = await startCoordinator(scope, { legacy: true });
  t.truthy(coord.controlPort);
  // $ hyperdex-daemon --host 127.0.0.1 --port 1234 --bind-to 127.0.0.2 --data /path/to/data
  await startDaemon(scope, coord, { legacy: true });
  // $ hyperdex-coordinator-control --host 127.0.0.1 --port 6970 add-space << EOF
  const add = await runCommand(
    'hyperdex-coordinator-control',
    ['--host', '127.0.0.1', '--port', String(coord.controlPort), 'add-space'],
    'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 1 3\nsubspace first, last, phone auto 2 3\n',
  );
  t.is(add.status, 0, add.stderr);
  t.regex(add.stderr, /note: 3 replicas asked for but 1 daemon\(s\) available/, 'the clamp is reported');

  // >>> c = hyperclient.Client('127.0.0.1', 1234)
  const c = await Client.connect('127.0.0.1', coord.port);
  t.teardown(() => c.close());
  // [x for x in c.search(...)], in the order of the manual's output (the server's order is unspecified).
  const search = async (predicate: Predicate) => {
    const out: HyperObject[] = [];
    for await (const x of c.search('phonebook', predicate)) out.push(x);
    return out.sort((a, b) => (String(a.username) < String(b.username) ? 1 : -1));
  };
  const jsmith1 = { first: 'John', last: 'Smith', phone: 6075551024, username: 'jsmith1' };
  const jd = { first: 'John', last: 'Doe', phone: 6075557878, username: 'jd' };
  t.true(await c.put('phonebook', 'jsmith1', { first: 'John', last: 'Smith', phone: 6075551024 }));
  t.deepEqual(await c.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075551024 });
  t.deepEqual(await search({ first: 'John' }), [jsmith1]);
  t.deepEqual(await search({ last: 'Smith' }), [jsmith1]);
  t.deepEqual(await search({ phone: 6075551024 }), [jsmith1]);
  t.deepEqual(await search({ first: 'John', last: 'Smith', phone: 6075551024 }), [jsmith1]);
  t.true(await c.put('phonebook', 'jd', { first: 'John', last: 'Doe', phone: 6075557878 }));
  t.deepEqual(await search({ first: 'John', last: 'Smith', phone: 6075551024 }), [jsmith1]);
  t.deepEqual(await search({ first: 'John' }), [jsmith1, jd]);
  t.deepEqual(await search({ last: 'Smith' }), [jsmith1]);
  t.deepEqual(await search({ last: 'Doe' }), [jd]);
  t.true(await c.delete('phonebook', 'jd'));
  t.deepEqual(await search({ first: 'John' }), [jsmith1]);
  t.true(await c.put('phonebook', 'jsmith1', { phone: 6075552048 }));
  t.deepEqual(await c.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });
  t.true(await c.put('phonebook', 'jsmith2', { first: 'John', last: 'Smith', phone: 5855552048 }));
  t.deepEqual(await c.get('phonebook', 'jsmith2'), { first: 'John', last: 'Smith', phone: 5855552048 });
  t.deepEqual(await search({ last: 'Smith', phone: [6070000000, 6080000000] }), [{ first: 'John', last: 'Smith', phone: 6075552048, username: 'jsmith1' }]);

  // §4.3, starting from jsmith1's phone 6075551024
  t.true(await c.put('phonebook', 'jsmith1', { phone: 6075551024 }));
  t.deepEqual(await c.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075551024 });
  t.true(await c.condput('phonebook', 'jsmith1', { phone: 6075551024 }, { phone: 6075552048 }));
  t.deepEqual(await c.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075552048 });
  t.false(await c.condput('phonebook', 'jsmith1', { phone: 6075551024 }, { phone: 6075552048 }));
  t.true(await c.condput('phonebook', 'jsmith1', { phone: 6075552048 }, { first: 'James' }));
  t.deepEqual(await c.get('phonebook', 'jsmith1'), { first: 'James', last: 'Smith', phone: 6075552048 });

  // hyperdex-coordinator-control list-spaces and rm-space
  const list = await runCommand('hyperdex-coordinator-control', ['--host', '127.0.0.1', '--port', String(coord.controlPort), 'list-spaces']);
  t.is(list.stdout, 'phonebook\n');
  const rm = await runCommand('hyperdex-coordinator-control', ['--host', '127.0.0.1', '--port', String(coord.controlPort), 'rm-space', 'phonebook']);
  t.is(rm.status, 0, rm.stderr);
  t.is((await runCommand('hyperdex-coordinator-control', ['--port', String(coord.controlPort), 'list-spaces'])).stdout, '');
});

test('1.0 tutorial: friendlists cond_put, userlocks put_if_not_exist, alldatatypes', async (t) => {
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  // $ hyperdex coordinator -f -l 127.0.0.1 -p 1982, and three daemons as in the tutorial
  const coord = await startCoordinator(scope);
  for (let i = 0; i < 3; i++) await startDaemon(scope, coord);
  const c = await Client.connect('127.0.0.1', coord.port);
  t.teardown(() => c.close());

  await c.add_space(`
space friendlists
key username
attributes
   string first,
   string last,
   set(string) friends
`);
  t.true(await c.put('friendlists', 'jsmith1', { first: 'John', last: 'Smith' }));
  t.true(await c.put('friendlists', 'jd', { first: 'John', last: 'Doe' }));
  t.true(await c.put('friendlists', 'bjones1', { first: 'Brian', last: 'Jones' }));
  t.true(await c.put('friendlists', 'jj', { first: 'John', last: 'Jackson' }));
  t.deepEqual(await c.get('friendlists', 'jj'), { first: 'John', last: 'Jackson', friends: new Set() });
  // Asynchronous operations are Promises: start several, then wait for them in any order.
  const d1 = c.set_add('friendlists', 'jj', { friends: 'jsmith1' });
  const d2 = c.set_add('friendlists', 'jsmith1', { friends: 'jj' });
  t.true(await d1);
  t.true(await d2);
  const more = [
    c.set_add('friendlists', 'jsmith1', { friends: 'bjones1' }),
    c.set_add('friendlists', 'bjones1', { friends: 'jsmith1' }),
    c.set_add('friendlists', 'jsmith1', { friends: 'jd' }),
    c.set_add('friendlists', 'jd', { friends: 'jsmith1' }),
  ];
  t.deepEqual(await Promise.all(more), [true, true, true, true]);
  // Fetch the friends' first names in parallel, taking each as it completes.
  const friendNames = (await c.get('friendlists', 'jsmith1'))!.friends as Set<string>;
  const friends = await Promise.all([...friendNames].map(async (u) => (await c.get('friendlists', u))!.first as string));
  t.deepEqual(friends.sort(), ['Brian', 'John', 'John']);
  t.deepEqual(await c.get('friendlists', 'jsmith1'), { first: 'John', last: 'Smith', friends: new Set(['bjones1', 'jd', 'jj']) });
  t.true(await c.cond_put('friendlists', 'jsmith1', { first: 'John', last: 'Smith' }, { first: 'Jon' }));
  t.deepEqual(await c.get('friendlists', 'jsmith1'), { first: 'Jon', last: 'Smith', friends: new Set(['bjones1', 'jd', 'jj']) });
  t.false(await c.cond_put('friendlists', 'jsmith1', { first: 'John', last: 'Smith' }, { first: 'Jon' }));
  t.true(await c.cond_put('friendlists', 'jsmith1', { friends: new Set(['bjones1', 'jd', 'jj']) }, { first: 'John' }));
  t.deepEqual(await c.get('friendlists', 'jsmith1'), { first: 'John', last: 'Smith', friends: new Set(['bjones1', 'jd', 'jj']) });

  await c.add_space(`
space userlocks
key username
`);
  t.true(await c.put_if_not_exist('userlocks', 'jsmith1', {}));
  t.deepEqual(await c.get('userlocks', 'jsmith1'), {});
  t.false(await c.put_if_not_exist('userlocks', 'jsmith1', {}));
  t.true(await c.delete('userlocks', 'jsmith1'));

  // lock() / unlock() as the tutorial writes them, with the busy loop bounded.
  const lock = async (user: string) => {
    for (let i = 0; i < 1000; i++) if (await c.put_if_not_exist('userlocks', user, {})) return;
    throw new Error('lock not acquired');
  };
  const unlock = (user: string) => c.delete('userlocks', user);
  await lock('jsmith1');
  t.false(await c.put_if_not_exist('userlocks', 'jsmith1', {}), 'held');
  await unlock('jsmith1');
  t.is(await c.get('userlocks', 'jsmith1'), null);

  await c.add_space('space rt key x');
  await c.rm_space('rt');

  await c.add_space(`space alldatatypes key k attributes string s, int i, float f, list(string) ls, set(string) ss, map(string, string) mss, map(string, int) msi`);
  t.true(await c.put_if_not_exist('alldatatypes', 'somekey', { s: 'initial value' }));
  t.false(await c.put_if_not_exist('alldatatypes', 'somekey', { s: 'initial value' }));
  t.true(await c.cond_put('alldatatypes', 'somekey', { s: 'initial value' }, { s: 'some string' }));
  t.false(await c.cond_put('alldatatypes', 'somekey', { s: 'initial value' }, { s: 'some string' }));
  t.deepEqual(await c.get('alldatatypes', 'somekey'), { f: 0.0, i: 0, mss: new Map(), ss: new Set(), s: 'some string', ls: [], msi: new Map() });

  await c.rm_space('friendlists');
  await c.rm_space('userlocks');
  t.deepEqual(await c.list_spaces(), ['alldatatypes']);
});
