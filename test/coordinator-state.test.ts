import test, { ExecutionContext } from 'ava';

import { Box, boxContains } from '../src/common/hyperspace';
import { encodeBody } from '../src/common/frame';
import { ServerState, Status } from '../src/common/protocol';
import { parseSpaceDescription } from '../src/common/schema-parser';
import {
  addSpace,
  completeMove,
  CoordinatorState,
  INITIAL_STATE,
  judgeMoveReport,
  peerKeyTable,
  registerServer,
  rmSpace,
  bringServerOnline,
  failServers,
  takeServerOffline,
  withPeerKeys,
} from '../src/coordinator/state';

// -- helpers ------------------------------------------------------------------------------------

const PHONEBOOK = parseSpaceDescription(`space phonebook
dimensions username, first, last, phone (int64)
key username auto 1 3
subspace first, last, phone auto 2 3
`);
const ONE_REPLICA = parseSpaceDescription('space single key k attributes a create 4 partitions tolerate 0 failures');
const RT = parseSpaceDescription('space rt key x attributes a, b subspace a subspace a, b create 8 partitions tolerate 1 failures');

/** A peer key made from the token, so that runs are repeatable. */
function keyOf(token: string): Buffer {
  return Buffer.alloc(32, token);
}

function register(state: CoordinatorState, token: string, port = 2012): { state: CoordinatorState; serverId: number } {
  return registerServer(state, token, '127.0.0.1', port, keyOf(token));
}

/** One server fails (failServers with one id). */
function fail(state: CoordinatorState, serverId: number): CoordinatorState {
  return failServers(state, [serverId]);
}

function withServers(n: number): CoordinatorState {
  let s = INITIAL_STATE;
  for (let i = 1; i <= n; i++) s = register(s, `token-${i}`, 2000 + i).state;
  return s;
}

function added(t: ExecutionContext, state: CoordinatorState, spec = PHONEBOOK): { state: CoordinatorState; notes: string[] } {
  const r = addSpace(state, spec);
  if (!r.ok) throw new Error(`addSpace failed: ${r.reason}`);
  t.true(r.ok);
  return r;
}

function chains(state: CoordinatorState, name = 'phonebook'): number[][][] {
  const space = state.config.spaces.find((s) => s.name === name);
  if (!space) throw new Error(`no space ${name}`);
  return space.subspaces.map((ss) => ss.regions.map((r) => [...r.replicas]));
}

const MAX64 = (1n << 64n) - 1n;

/** Each subspace's regions tile its space: every probe point lies in exactly one region. */
function tiles(regions: readonly Box[], dims: number): boolean {
  const probes: bigint[][] = [new Array(dims).fill(0n), new Array(dims).fill(MAX64)];
  for (const r of regions) probes.push([...r.lower], [...r.upper]);
  return probes.every((p) => regions.filter((r) => boxContains(r, p)).length === 1);
}

// -- servers ------------------------------------------------------------------------------------

test('registerServer gives each new token a new id, and a known token its id again', (t) => {
  const a = register(INITIAL_STATE, 'alpha', 2001);
  const b = register(a.state, 'beta', 2002);
  const c = register(b.state, 'gamma', 2003);
  t.deepEqual([a.serverId, b.serverId, c.serverId], [1, 2, 3]);
  t.deepEqual(
    c.state.config.servers.map((s) => [s.id, s.port, s.state]),
    [
      [1, 2001, ServerState.AVAILABLE],
      [2, 2002, ServerState.AVAILABLE],
      [3, 2003, ServerState.AVAILABLE],
    ],
  );
  // beta restarts on another port: same id, new address, no extra server.
  const again = register(c.state, 'beta', 3002);
  t.is(again.serverId, 2);
  t.is(again.state.config.servers.length, 3);
  t.deepEqual(again.state.config.servers.find((s) => s.id === 2), { id: 2, host: '127.0.0.1', port: 3002, state: ServerState.AVAILABLE });
  t.is(again.state.nextServerId, c.state.nextServerId, 'a known token does not use up an id');
  // A new token after that still gets a fresh id.
  t.is(register(again.state, 'delta').serverId, 4);
});

test('a server that failed and registers again keeps its id and comes back available', (t) => {
  const s = withServers(2);
  const off = fail(s, 1);
  const back = register(off, 'token-1', 2001);
  t.is(back.serverId, 1);
  t.is(back.state.config.servers.length, 2);
  t.is(back.state.config.servers.find((x) => x.id === 1)!.state, ServerState.AVAILABLE);
  t.true(back.state.config.version > off.config.version);
});

test('the version goes up by one on every change', (t) => {
  let s = INITIAL_STATE;
  const versions = [s.config.version];
  const step = (next: CoordinatorState) => {
    s = next;
    versions.push(s.config.version);
  };
  step(register(s, 'a', 1).state);
  step(register(s, 'b', 2).state);
  step(added(t, s).state);
  step(fail(s, 1));
  step(register(s, 'a', 1).state);
  step(register(s, 'b', 9).state); // new address
  step(added(t, s, RT).state);
  const r = rmSpace(s, 'phonebook');
  if (r.ok) step(r.state);
  else t.fail(r.reason);
  t.deepEqual(
    versions,
    versions.map((_, i) => versions[0] + i),
  );
});

test('the version stays when nothing changes', (t) => {
  const s = added(t, withServers(2)).state;
  const v = s.config.version;
  // Failed operations change nothing.
  const dup = addSpace(s, PHONEBOOK);
  t.false(dup.ok);
  t.false(rmSpace(s, 'nothing').ok);
  // Failing an unknown server, or a failed one, is no change.
  t.is(fail(s, 99), s);
  const off = fail(s, 2);
  t.is(off.config.version, v + 1);
  t.is(fail(off, 2), off);
  t.is(fail(off, 2).config.version, v + 1);
  // A server that registers again exactly as it is listed changes nothing either.
  const same = register(s, 'token-1', 2001);
  t.is(same.serverId, 1);
  t.is(same.state.config.version, v);
  t.deepEqual(same.state, s);
});

// -- spaces -------------------------------------------------------------------------------------

/** The notes of addSpace other than the one that says replication is not built yet. */
const placementNotes = (notes: readonly string[]) => notes.filter((n) => !/replication is not built yet/.test(n));

test('addSpace says that replicas asked for are not built yet, and only when more than one is asked for', (t) => {
  const { notes } = added(t, withServers(3));
  t.deepEqual(notes, ['replication is not built yet: each region is stored by the head of its chain alone, so this space tolerates no failure today']);
  t.deepEqual(added(t, withServers(3), ONE_REPLICA).notes, []);
});

test('addSpace: one region per partition in the key subspace and each secondary subspace', (t) => {
  t.deepEqual(PHONEBOOK.keySubspace, { partitions: 2, replicas: 3 });
  const before = withServers(3);
  const { state, notes } = added(t, before);
  t.deepEqual(placementNotes(notes), []);
  t.is(state.config.version, before.config.version + 1);
  const space = state.config.spaces[0];
  t.is(space.name, 'phonebook');
  t.is(space.id, 1);
  t.deepEqual(space.spec, PHONEBOOK);
  t.deepEqual(
    space.subspaces.map((ss) => [ss.attributes, ss.regions.length]),
    [
      [['username'], 2],
      [['first', 'last', 'phone'], 4],
    ],
  );
  for (const ss of space.subspaces) t.true(tiles(ss.regions, ss.attributes.length), `subspace ${ss.attributes} is not tiled`);
  // Region ids are unique across the space.
  const ids = space.subspaces.flatMap((ss) => ss.regions.map((r) => r.id));
  t.is(new Set(ids).size, 6);
  // Every chain has 3 distinct servers, and the heads spread over the servers; each subspace starts
  // its round one server further on, so that small subspaces do not pile up on the first server.
  for (const subspace of chains(state)) for (const chain of subspace) t.is(new Set(chain).size, 3);
  t.deepEqual(
    chains(state)[0].map((c) => c[0]),
    [1, 2],
  );
  t.deepEqual(
    chains(state)[1].map((c) => c[0]),
    [2, 3, 1, 2],
  );

  const rt = added(t, state, RT).state.config.spaces[1];
  t.deepEqual(
    rt.subspaces.map((ss) => [ss.attributes, ss.regions.length, ss.regions[0].replicas.length]),
    [
      [['x'], 8, 2],
      [['a'], 8, 2],
      [['a', 'b'], 8, 2],
    ],
  );
  t.is(rt.id, 2);
  t.false(ids.some((id) => rt.subspaces.some((ss) => ss.regions.some((r) => r.id === id))), 'region ids are not reused across spaces');
});

test('addSpace rejects a name that exists, and leaves the state alone', (t) => {
  const s = added(t, withServers(1)).state;
  const r = addSpace(s, PHONEBOOK);
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /phonebook.*exists/);
  t.is(s.config.spaces.length, 1);
});

test('addSpace clamps replicas to the available servers and says so', (t) => {
  for (const n of [1, 2]) {
    const { state, notes } = added(t, withServers(n));
    for (const subspace of chains(state)) for (const chain of subspace) t.is(chain.length, n);
    t.is(placementNotes(notes).length, 1);
    t.regex(placementNotes(notes)[0], new RegExp(`3 replicas asked for but ${n} daemon\\(s\\) available: each region's chain lists ${n} daemon\\(s\\)`));
  }
  // Enough servers, or one replica asked for: no note.
  t.deepEqual(placementNotes(added(t, withServers(4)).notes), []);
  t.deepEqual(added(t, withServers(1), ONE_REPLICA).notes, []);
  // Failed servers do not count.
  const { state, notes } = added(t, fail(withServers(3), 2));
  t.is(placementNotes(notes).length, 1);
  for (const subspace of chains(state)) for (const chain of subspace) t.deepEqual([...chain].sort(), [1, 3]);
});

test('addSpace with no server: empty chains and a note; the first server to register fills them', (t) => {
  const { state, notes } = added(t, INITIAL_STATE);
  t.is(placementNotes(notes).length, 1);
  t.regex(notes[0], /no daemon is available/);
  t.deepEqual(chains(state), [
    [[], []],
    [[], [], [], []],
  ]);
  const joined = register(state, 'first');
  t.is(joined.state.config.version, state.config.version + 1, 'one change, one version');
  t.deepEqual(chains(joined.state), [
    [[1], [1]],
    [[1], [1], [1], [1]],
  ]);
  // Regions and their bounds are those that were made before.
  const strip = (s: CoordinatorState) => s.config.spaces[0].subspaces.map((ss) => ss.regions.map(({ id, lower, upper }) => ({ id, lower, upper })));
  t.deepEqual(strip(joined.state), strip(state));
});

test('addSpace while every server has failed: empty chains, filled when one comes back', (t) => {
  const s = fail(fail(withServers(2), 1), 2);
  const { state, notes } = added(t, s);
  t.regex(notes[0], /no daemon is available/);
  t.true(chains(state).flat().every((c) => c.length === 0));
  const back = register(state, 'token-2', 2002);
  t.is(back.serverId, 2);
  t.true(chains(back.state).flat().every((c) => c.length === 1 && c[0] === 2));
});

test('failServers keeps the regions and marks the server FAILED', (t) => {
  const s = added(t, withServers(3)).state;
  const off = fail(s, 2);
  t.is(off.config.version, s.config.version + 1);
  t.deepEqual(off.config.spaces, s.config.spaces, 'regions and chains unchanged');
  t.deepEqual(
    off.config.servers.map((x) => [x.id, x.state]),
    [
      [1, ServerState.AVAILABLE],
      [2, ServerState.FAILED],
      [3, ServerState.AVAILABLE],
    ],
  );
  t.is(off.identities['token-2'], 2, 'the identity stays');
  // Coming back: same id, same chains.
  const back = register(off, 'token-2', 2002);
  t.deepEqual(back.state.config.spaces, s.config.spaces);
  t.deepEqual(back.state.config.servers, s.config.servers);
});

test('failServers: several servers in one version; only available (or old offline) servers fail; server-online of a failed-while-offline server', (t) => {
  const s = added(t, withServers(4)).state;
  const adminOff = takeServerOffline(s, 3);
  if (!adminOff.ok) return t.fail(adminOff.reason);
  // An OFFLINE server, as an older coordinator wrote it, fails too.
  const legacy: CoordinatorState = {
    ...adminOff.state,
    config: { ...adminOff.state.config, servers: adminOff.state.config.servers.map((x) => (x.id === 4 ? { ...x, state: ServerState.OFFLINE } : x)) },
  };
  const failed = failServers(legacy, [1, 2, 3, 4, 99]);
  t.is(failed.config.version, legacy.config.version + 1, 'one version for them all');
  t.deepEqual(
    failed.config.servers.map((x) => [x.id, x.state]),
    [
      [1, ServerState.FAILED],
      [2, ServerState.FAILED],
      [3, ServerState.ADMIN_OFFLINE],
      [4, ServerState.FAILED],
    ],
  );
  t.deepEqual(failed.config.spaces, legacy.config.spaces, 'no region leaves a failed server: its objects are only there');
  t.is(failServers(failed, [1, 2, 3, 4]), failed, 'nothing left to fail: no new version');
  // server-online: available if its daemon was heard from within the timeout, failed otherwise.
  const heard = bringServerOnline(failed, 3, true);
  const silent = bringServerOnline(failed, 3, false);
  if (!heard.ok || !silent.ok) return t.fail();
  t.is(heard.state.config.servers.find((x) => x.id === 3)!.state, ServerState.AVAILABLE);
  t.is(silent.state.config.servers.find((x) => x.id === 3)!.state, ServerState.FAILED);
  t.regex(silent.message, /^server 3 is back online, but the coordinator has not heard from its daemon within the failure timeout: it is failed until the daemon registers$/);
  const noop = bringServerOnline(failed, 1, true);
  t.like(noop, { ok: true, state: failed, message: 'server 1 was not taken offline (it is failed); nothing to do' });
});

test('failServers cancels the moves towards a failed server; a new space places nothing on failed or admin-offline servers', (t) => {
  const { state, region } = withMoves(t);
  const failed = failServers(state, [region.to]);
  const r = failed.config.spaces[0].subspaces[0].regions.find((x) => x.id === region.id)!;
  t.is(r.moving, undefined);
  t.is(r.replicas[0], region.head, 'the region stays with its head');
  const off = takeServerOffline(failed, region.head);
  if (!off.ok) return t.fail(off.reason);
  const { state: withRt } = added(t, off.state, RT);
  const rt = withRt.config.spaces.find((x) => x.name === 'rt')!;
  const used = new Set(rt.subspaces.flatMap((ss) => ss.regions.flatMap((x) => x.replicas)));
  t.false(used.has(region.to), 'not on the failed server');
  t.false(used.has(region.head), 'not on the admin-offline server');
  t.true(used.size > 0);
});

test('rmSpace removes the space; an unknown name fails', (t) => {
  const one = added(t, withServers(1)).state;
  const two = added(t, one, RT).state;
  const r = rmSpace(two, 'phonebook');
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(
    r.state.config.spaces.map((s) => s.name),
    ['rt'],
  );
  t.is(r.state.config.version, two.config.version + 1);
  t.deepEqual(r.state.config.servers, two.config.servers);
  const unknown = rmSpace(r.state, 'phonebook');
  t.false(unknown.ok);
  if (!unknown.ok) t.regex(unknown.reason, /no space named phonebook/);
  // A space added again gets a new id, not the removed one's.
  const readded = added(t, r.state).state;
  t.is(readded.config.spaces.find((s) => s.name === 'phonebook')!.id, 3);
});

test('transitions do not modify the state they are given', (t) => {
  const s = added(t, withServers(2)).state;
  // structuredClone turns the peer keys' Buffers into plain Uint8Arrays: make them Buffers again.
  const cloned = structuredClone(s);
  const snapshot = { ...cloned, peerKeys: Object.fromEntries(Object.entries(cloned.peerKeys).map(([id, key]) => [id, Buffer.from(key)])) };
  register(s, 'token-1', 4000);
  register(s, 'new');
  fail(s, 1);
  addSpace(s, RT);
  rmSpace(s, 'phonebook');
  t.deepEqual(s, snapshot);
  t.deepEqual(INITIAL_STATE, { config: { version: 1, servers: [], spaces: [] }, identities: {}, nextServerId: 1, nextSpaceId: 1, nextRegionId: 1, peerKeys: {}, moveStarts: {} });
});

// -- peer keys ----------------------------------------------------------------------------------

test('registerServer: a new server gets the fresh key; the same token keeps its key, whatever key is offered later', (t) => {
  const a = registerServer(INITIAL_STATE, 'alpha', '127.0.0.1', 2001, Buffer.alloc(32, 1));
  t.true(a.keysChanged);
  t.deepEqual(a.state.peerKeys[a.serverId], Buffer.alloc(32, 1));
  // Failed and back, at another address: same id, same key, no change to the table.
  const off = fail(a.state, a.serverId);
  const back = registerServer(off, 'alpha', '127.0.0.1', 3001, Buffer.alloc(32, 2));
  t.is(back.serverId, a.serverId);
  t.false(back.keysChanged);
  t.deepEqual(back.state.peerKeys[a.serverId], Buffer.alloc(32, 1));
  const b = registerServer(back.state, 'beta', '127.0.0.1', 2002, Buffer.alloc(32, 3));
  t.true(b.keysChanged);
  t.deepEqual(
    [...peerKeyTable(b.state)].map(([id, key]) => [id, key[0]]),
    [
      [1, 1],
      [2, 3],
    ],
  );
  t.throws(() => registerServer(INITIAL_STATE, 'gamma', 'h', 1, Buffer.alloc(16)), { message: /32 bytes/ });
});

test('the peer keys are never part of the configuration', (t) => {
  const s = added(t, withServers(3)).state;
  const keys = Object.values(s.peerKeys);
  t.is(keys.length, 3);
  const config = encodeBody(s.config);
  for (const key of keys) t.is(config.indexOf(key), -1, 'a key inside the encoded configuration');
});

test('withPeerKeys gives a key to every listed server without one (a state from before peer keys)', (t) => {
  const s = withServers(2);
  const old: CoordinatorState = { ...s, peerKeys: {} };
  let n = 0;
  const filled = withPeerKeys(old, () => Buffer.alloc(32, ++n));
  t.deepEqual(Object.keys(filled.peerKeys).sort(), ['1', '2']);
  t.is(withPeerKeys(filled, () => t.fail('no key is missing') as never), filled);
});

// -- REGION_MOVED -------------------------------------------------------------------------------

/** Two servers holding a space, then a third joins: some regions start moving to it. */
function withMoves(t: ExecutionContext): { state: CoordinatorState; region: { id: number; head: number; to: number } } {
  const s = added(t, withServers(2), ONE_REPLICA).state;
  const joined = register(s, 'token-3', 2003).state;
  const moving = joined.config.spaces[0].subspaces[0].regions.find((r) => r.moving !== undefined);
  if (!moving) throw new Error('no region moves after a third server joined');
  return { state: joined, region: { id: moving.id, head: moving.replicas[0], to: moving.moving! } };
}

test('trackMoves notes the version in which each move began', (t) => {
  const { state, region } = withMoves(t);
  t.is(state.moveStarts[region.id], state.config.version);
  for (const r of state.config.spaces[0].subspaces.flatMap((ss) => ss.regions))
    t.is(state.moveStarts[r.id] !== undefined, r.moving !== undefined, `region ${r.id}: an entry only while it moves`);
});

test('judgeMoveReport: the head completes its move; anything else is refused or ignored, and completing changes the head', (t) => {
  const { state, region } = withMoves(t);
  const v = state.config.version;
  const report = { regionId: region.id, to: region.to, configVersion: v };
  t.like(judgeMoveReport(state, report, undefined), { kind: 'refused', status: Status.UNAUTHORIZED }, 'from a connection that is no daemon');
  const other = [1, 2, 3].find((s) => s !== region.head)!;
  t.like(judgeMoveReport(state, report, other), { kind: 'refused', status: Status.UNAUTHORIZED }, 'from a daemon that does not head the region');
  t.like(judgeMoveReport(state, { ...report, configVersion: v + 1 }, region.head), { kind: 'refused', status: Status.BADREQUEST }, 'from the future');
  t.like(judgeMoveReport(state, { ...report, regionId: 99_999 }, region.head), { kind: 'stale' }, 'a region that is gone');
  t.like(judgeMoveReport(state, { ...report, to: other === region.to ? region.head : other }, region.head), { kind: 'stale' }, 'another destination');
  t.like(judgeMoveReport(state, { ...report, configVersion: v - 1 }, region.head), { kind: 'stale' }, 'a copy begun before the move');
  t.like(judgeMoveReport(state, report, region.head), { kind: 'complete' });
  const done = completeMove(state, region.id, region.to);
  t.is(done.config.spaces[0].subspaces[0].regions.find((r) => r.id === region.id)!.replicas[0], region.to);
  t.false(region.id in done.moveStarts, "no move start once the move is done");
  t.like(judgeMoveReport(done, report, region.to), { kind: 'stale' }, 'repeated after completion');
});

test('judgeMoveReport: a move cancelled and begun again ignores the copy of the first time', (t) => {
  const { state, region } = withMoves(t);
  const firstCopy = { regionId: region.id, to: region.to, configVersion: state.config.version };
  // The destination leaves (the move is cancelled) and comes back (it begins again).
  const left = fail(state, region.to);
  t.is(left.config.spaces[0].subspaces[0].regions.find((r) => r.id === region.id)!.moving, undefined);
  t.like(judgeMoveReport(left, firstCopy, region.head), { kind: 'stale' });
  const back = register(left, `token-${region.to}`, 2000 + region.to).state;
  const again = back.config.spaces[0].subspaces[0].regions.find((r) => r.id === region.id)!;
  t.is(again.moving, region.to, 'the same move begins again');
  t.is(back.moveStarts[region.id], back.config.version);
  t.like(judgeMoveReport(back, firstCopy, region.head), { kind: 'stale' });
  t.like(judgeMoveReport(back, { ...firstCopy, configVersion: back.config.version }, region.head), { kind: 'complete' });
});
