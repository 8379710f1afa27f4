// The coordinator's status page endpoints on a live cluster (a coordinator with --http-port and two
// daemons): the page and its assets, the configuration JSON the page polls, and /api/plan, whose
// regions are checked against the bounds in that JSON (computed here, not by the planner) and
// against what a real client's search contacted; bad queries get a 400 that says why.

import test from 'ava';
import { Client } from '../src/client/client';
import { CoordinatorProc, DaemonProc, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const scope = new SharedScope();
let coord: CoordinatorProc;
let daemons: DaemonProc[];
let client: Client;
let url: string;

test.before(async () => {
  coord = await startCoordinator(scope, { httpPort: 0 });
  daemons = [await startDaemon(scope, coord), await startDaemon(scope, coord)];
  url = coord.httpUrl!;
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  await client.addSpace('space people key name attributes first, int age subspace first, age create 8 partitions tolerate 0 failures');
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

interface Region {
  id: number;
  bounds: { attribute: string; lower: string; upper: string }[];
  chain: number[];
  moving?: number;
  unavailable: boolean;
}

interface ConfigJson {
  version: number;
  daemonsConnected: number;
  note: string;
  stable: boolean;
  servers: { id: number; address: string; state: string; heads: number }[];
  spaces: { name: string; subspaces: { index: number; attributes: string[]; regions: number }[]; layout: { index: number; regions: Region[] }[] }[];
}

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + path, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function planPath(space: string, q: string): string {
  return `/api/plan?space=${encodeURIComponent(space)}&q=${encodeURIComponent(q)}`;
}

/** An int64's place on its axis: order kept, the sign bit flipped (the manual's hyperspace hashing of numbers). */
const int64Coordinate = (n: bigint) => BigInt.asUintN(64, n) ^ (1n << 63n);

/** The regions of a subspace whose box on `attribute`'s axis meets [lo, hi], from the JSON. */
function regionsMeeting(regions: readonly Region[], attribute: string, lo: bigint, hi: bigint): number[] {
  return regions
    .filter((r) => {
      const b = r.bounds.find((x) => x.attribute === attribute)!;
      return BigInt(b.lower) <= hi && lo <= BigInt(b.upper);
    })
    .map((r) => r.id);
}

test('GET / serves the page, its script and its style sheet from the package', async (t) => {
  const page = await fetch(url + '/');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  t.regex(html, /<script src="\/status-page\/status\.js"><\/script>/);
  t.regex(html, /href="\/status-page\/status\.css"/);
  t.notRegex(html, /https?:\/\//, 'nothing from a CDN');
  const js = await fetch(url + '/status-page/status.js');
  t.is(js.status, 200);
  t.regex(js.headers.get('content-type') ?? '', /^text\/javascript/);
  t.regex(await js.text(), /\/api\/config/);
  const css = await fetch(url + '/status-page/status.css');
  t.is(css.status, 200);
  t.regex(css.headers.get('content-type') ?? '', /^text\/css/);
  t.is((await fetch(url + '/status-page/nothing.js')).status, 404);
});

test('/api/config: servers with their state, spaces, subspaces, regions with bounds and chains', async (t) => {
  const { status, body } = await getJson('/api/config');
  t.is(status, 200);
  const c = body as unknown as ConfigJson;
  t.true(c.version > 0);
  t.is(c.daemonsConnected, 2);
  t.regex(c.note, /replication is not implemented yet/);
  t.deepEqual(
    c.servers.map((s) => [s.id, s.state]),
    daemons.map((d) => [d.serverId, 'available']),
  );
  t.deepEqual(
    c.servers.map((s) => s.address),
    daemons.map((d) => `127.0.0.1:${d.port}`),
  );
  const people = c.spaces.find((s) => s.name === 'people')!;
  t.deepEqual(
    people.subspaces.map((ss) => [ss.index, ss.attributes, ss.regions]),
    [
      [0, ['name'], 8],
      [1, ['first', 'age'], 8],
    ],
  );
  const ids = new Set(daemons.map((d) => d.serverId));
  for (const ss of people.layout) {
    t.is(ss.regions.length, 8);
    for (const r of ss.regions) {
      t.is(r.bounds.length, people.subspaces[ss.index].attributes.length);
      for (const b of r.bounds) {
        t.regex(b.lower, /^0x[0-9a-f]{16}$/);
        t.true(BigInt(b.lower) <= BigInt(b.upper));
      }
      t.true(ids.has(r.chain[0]), `region ${r.id} is headed by a daemon of the cluster`);
      t.false(r.unavailable);
    }
  }
  // Every point of the 2-D subspace lies in exactly one region: the boxes tile the square.
  const area = people.layout[1].regions.reduce((sum, r) => sum + r.bounds.reduce((p, b) => p * (BigInt(b.upper) - BigInt(b.lower) + 1n), 1n), 0n);
  t.is(area, 1n << 128n);
});

test('/api/plan: a search on a secondary attribute contacts the regions whose box holds its value, as a client does', async (t) => {
  const c = (await getJson('/api/config')).body as unknown as ConfigJson;
  const layout = c.spaces.find((s) => s.name === 'people')!.layout[1].regions;

  const eq = await getJson(planPath('people', 'age = 30'));
  t.is(eq.status, 200, JSON.stringify(eq.body));
  const at30 = int64Coordinate(30n);
  const expected = regionsMeeting(layout, 'age', at30, at30);
  t.like(eq.body, { space: 'people', query: 'age = 30', subspace: 1, attributes: ['first', 'age'], subspaceRegions: 8, spaceRegions: 16 });
  t.deepEqual(eq.body.regions, expected);
  t.true(expected.length > 0 && expected.length < 8, `a point on one axis of two meets some regions, not all: ${expected.length}`);

  // The client, searching for real, chose the same subspace and as many regions.
  await client.put('people', 'ann', { first: 'Ann', age: 30 });
  await client.put('people', 'bob', { first: 'Bob', age: 31 });
  const found: unknown[] = [];
  for await (const o of client.search('people', { age: 30 })) found.push(o);
  t.deepEqual(found, [{ name: 'ann', first: 'Ann', age: 30 }]);
  t.like(client.lastSearchContacts(), { subspace: 1, regions: expected.length });

  // Both attributes of the subspace: one region.
  const both = await getJson(planPath('people', 'first = Ann and age = 30'));
  t.is(both.status, 200);
  t.is((both.body.regions as number[]).length, 1);
  t.true(expected.includes((both.body.regions as number[])[0]));

  // An inclusive int64 range: [20, 40] is 20 <= age <= 40.
  const range = await getJson(planPath('people', 'age in [20, 40]'));
  t.is(range.status, 200);
  t.like(range.body, { subspace: 1, regions: regionsMeeting(layout, 'age', int64Coordinate(20n), int64Coordinate(40n)) });
  const halfOpen = await getJson(planPath('people', 'age in [20, 41)'));
  t.deepEqual(halfOpen.body.regions, range.body.regions);
  // Across zero the range meets every region of subspace 1: the planner keeps the key subspace on a tie.
  const wide = await getJson(planPath('people', 'age in [-5, 40]'));
  t.deepEqual(regionsMeeting(layout, 'age', int64Coordinate(-5n), int64Coordinate(40n)).length, 8);
  t.like(wide.body, { subspace: 0, regions: [1, 2, 3, 4, 5, 6, 7, 8] });

  // The key, or nothing: the key subspace, all of it for no predicate.
  const none = await getJson(planPath('people', ''));
  t.like(none.body, { subspace: 0, regions: [1, 2, 3, 4, 5, 6, 7, 8] });
  const key = await getJson(planPath('people', 'name = "ann"'));
  t.like(key.body, { subspace: 0 });
  t.is((key.body.regions as number[]).length, 1);
});

test('/api/plan: bad input is a 400 (404 for an unknown space) with a message that says what is wrong', async (t) => {
  const cases: [string, number, RegExp][] = [
    [planPath('people', 'height = 3'), 400, /"height" is not an attribute of space people/],
    [planPath('people', 'age = thirty'), 400, /"age" is int64: thirty is not a number/],
    [planPath('people', 'age = 1.5'), 400, /"age" is int64/],
    [planPath('people', 'first in [a, b]'), 400, /\[A, B\] is for int64 attributes/],
    [planPath('people', 'age in [1, 2'), 400, /expected \] or \) after the upper bound/],
    [planPath('people', 'age = 1 age = 2'), 400, /expected 'and' between terms/],
    [planPath('people', 'age = 1 and age = 2'), 400, /"age" appears twice/],
    [planPath('people', 'age > 3'), 400, /expected = or in after "age"/],
    [planPath('people', 'x'.repeat(3000)), 400, /over the limit of 2000/],
    [planPath('nowhere', 'age = 1'), 404, /there is no space named nowhere/],
    ['/api/plan?q=age%20%3D%201', 400, /say which space/],
    ['/api/plan?space=people&q=a&q=b', 400, /give one query/],
  ];
  for (const [path, status, message] of cases) {
    const r = await getJson(path);
    t.is(r.status, status, path);
    t.regex(String(r.body.error), message, path);
  }
  // Still serving.
  t.is((await getJson(planPath('people', 'age = 1'))).status, 200);
});
