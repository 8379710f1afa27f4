// The manual's chapter 1 made real (seed 000 §1.2-1.4): the phonebook space with a (first, last,
// phone) subspace cut into 8 regions, on 8 daemons. A search that fully specifies the subspace
// contacts one daemon; first + last contacts only the regions on that line; a phone range only the
// regions overlapping it; a key lookup one region of the key subspace. Objects move between regions
// when their secondary attributes change.

import test from 'ava';
import { Client, HyperObject, Predicate } from '../src/client/client';
import { ClusterConfig } from '../src/common/config';
import { SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const scope = new SharedScope();
let c: Client;
const DAEMONS = 8;

test.before(async () => {
  const coord = await startCoordinator(scope);
  for (let i = 0; i < DAEMONS; i++) await startDaemon(scope, coord);
  c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 20_000 });
  // auto 3 1: 2^3 = 8 regions in each subspace, one replica each.
  await c.add_space(`space phonebook
dimensions username, first, last, phone (int64)
key username auto 3 1
subspace first, last, phone auto 3 1`);
  const people: [string, string, string, number][] = [
    ['jsmith1', 'John', 'Smith', 6075551024],
    ['jsmith2', 'John', 'Smith', 5855552048],
    ['jd', 'John', 'Doe', 6075557878],
    ['jbob', 'Jim', 'Bob', 6075552000],
    ['rescrv', 'Robert', 'Escriva', 6075551212],
  ];
  for (const [username, first, last, phone] of people) await c.put('phonebook', username, { first, last, phone });
  for (let i = 0; i < 200; i++) await c.put('phonebook', `filler${i}`, { first: `F${i % 7}`, last: `L${i % 11}`, phone: 6070000000 + i });
});

test.after.always(async () => {
  await c?.close();
  await scope.close();
});

async function search(predicate: Predicate): Promise<string[]> {
  const out: HyperObject[] = [];
  for await (const o of c.search('phonebook', predicate)) out.push(o);
  return out.map((o) => o.username as string).sort();
}

function config(): ClusterConfig {
  return (c as unknown as { config: ClusterConfig }).config;
}

test.serial('the 8 regions of each subspace are spread over the 8 daemons, one each', (t) => {
  const space = config().spaces.find((s) => s.name === 'phonebook')!;
  t.is(config().servers.length, DAEMONS);
  for (const ss of space.subspaces) {
    t.is(ss.regions.length, 8);
    t.is(new Set(ss.regions.map((r) => r.replicas[0])).size, 8, `subspace ${ss.attributes.join(',')}`);
  }
});

test.serial('a search fully specifying the subspace contacts one region on one daemon', async (t) => {
  t.deepEqual(await search({ first: 'John', last: 'Smith', phone: 6075551024 }), ['jsmith1']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 1, servers: 1 });
});

test.serial('first + last contacts only the regions on that line: 2 of 8', async (t) => {
  t.deepEqual(await search({ first: 'John', last: 'Smith' }), ['jsmith1', 'jsmith2']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 2, servers: 2 });
});

test.serial('one attribute of the subspace: the plane, 4 of 8', async (t) => {
  t.deepEqual(await search({ first: 'John' }), ['jd', 'jsmith1', 'jsmith2']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 4, servers: 4 });
});

test.serial('a phone range contacts only the regions overlapping it', async (t) => {
  // Every phone number is positive, in the upper half of the phone axis: 4 of the 8 regions.
  t.deepEqual(await search({ last: 'Smith', phone: [6070000000, 6080000000] }), ['jsmith1']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 2, servers: 2 });
  t.deepEqual(await search({ phone: [6075551000, 6075553000] }), ['jbob', 'jsmith1', 'rescrv']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 4, servers: 4 });
  // A negative range lies in the other half.
  t.deepEqual(await search({ phone: [-10, 0] }), []);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 4, servers: 4 });
});

test.serial('a key lookup by search contacts one region of the key subspace; an empty predicate every region of one subspace', async (t) => {
  t.deepEqual(await search({ username: 'jd' }), ['jd']);
  t.deepEqual(c.lastSearchContacts(), { subspace: 0, regions: 1, servers: 1 });
  t.is((await search({})).length, 205);
  t.deepEqual(c.lastSearchContacts(), { subspace: 0, regions: 8, servers: 8 });
  t.is(await c.count('phonebook', { first: 'John', last: 'Smith', phone: 5855552048 }), 1);
  t.deepEqual(c.lastSearchContacts(), { subspace: 1, regions: 1, servers: 1 });
});

test.serial('an object moves between regions when its secondary attributes change', async (t) => {
  t.true(await c.put('phonebook', 'mover', { first: 'Ann', last: 'Lee', phone: 1 }));
  t.deepEqual(await search({ first: 'Ann', last: 'Lee', phone: 1 }), ['mover']);
  for (let i = 2; i < 40; i++) {
    t.true(await c.put('phonebook', 'mover', { phone: i * 1_000_003 - 20_000_000 }));
    t.deepEqual(await search({ first: 'Ann', last: 'Lee', phone: (i - 1) * 1_000_003 - 20_000_000 }), [], `old point ${i - 1}`);
    t.deepEqual(await search({ first: 'Ann', last: 'Lee', phone: i * 1_000_003 - 20_000_000 }), ['mover'], `new point ${i}`);
  }
  t.true(await c.atomic_add('phonebook', 'mover', { phone: 7 }));
  t.deepEqual(await search({ first: 'Ann', phone: 39 * 1_000_003 - 20_000_000 + 7 }), ['mover']);
  t.true(await c.delete('phonebook', 'mover'));
  t.deepEqual(await search({ first: 'Ann' }), []);
  t.is(await c.count('phonebook', { last: 'Lee' }), 0);
});

test.serial('group_del removes matches from every subspace', async (t) => {
  for (let i = 0; i < 30; i++) t.true(await c.put('phonebook', `gd${i}`, { first: 'Group', last: `Del${i % 3}`, phone: i }));
  t.is(await c.group_del('phonebook', { first: 'Group', last: 'Del1' }), 10);
  t.deepEqual(await search({ first: 'Group', last: 'Del1' }), []);
  t.is((await search({ first: 'Group' })).length, 20);
  t.is(await c.get('phonebook', 'gd1'), null);
  t.truthy(await c.get('phonebook', 'gd0'));
});
