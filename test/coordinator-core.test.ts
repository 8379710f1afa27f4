// The coordinator's core driven directly: events in, one Ready out per step, no I/O. The shell's
// part (writing the state, acknowledging it) is done by the harness, inline or on demand.

import test from 'ava';
import { ServerId } from '../src/common/config';
import { registerCoordinatorProof, registerDaemonProof } from '../src/common/peer-auth';
import { PEER_AUTH, ServerState, Status } from '../src/common/protocol';
import { CoordinatorCore, CoordinatorCoreAssertionError } from '../src/coordinator/core';
import {
  ConnectionId,
  CoordinatorEvent,
  CoordinatorOutgoing,
  CoordinatorReady,
  CoordinatorRequest,
  CoordinatorSend,
  FailureDetection,
  failureDetection,
} from '../src/coordinator/core-types';
import { CoordinatorState, INITIAL_STATE, registerServer } from '../src/coordinator/state';
import { Rng } from '../src/sim/rng';

const SECRET = Buffer.alloc(32, 's');
const KV = 'space kv key k attributes int n subspace n create 4 partitions tolerate 0 failures';

function key(n: number): Buffer {
  return Buffer.alloc(PEER_AUTH.keyBytes, n);
}

function nonce(n: number): Buffer {
  return Buffer.alloc(PEER_AUTH.nonceBytes, n);
}

/**
 * A core after its start. `step` hands it one event and acknowledges every persist at once (as
 * the process's shell does), collecting what goes out; `raw` hands it one event and leaves the
 * persists to the test.
 */
function harness(opts: { secret?: Buffer; state?: CoordinatorState; failure?: FailureDetection } = {}) {
  const core = new CoordinatorCore({ state: opts.state ?? INITIAL_STATE, clusterSecret: opts.secret, failure: opts.failure });
  const sent: CoordinatorSend[] = [];
  const closed: { conn: ConnectionId; reason: string }[] = [];
  const logs: string[] = [];
  /** The state of the last persist acknowledged. */
  let durable: CoordinatorState | undefined;
  const record = (r: CoordinatorReady) => {
    sent.push(...r.send);
    closed.push(...r.close);
    logs.push(...r.log.map((l) => `${l.level}: ${l.line}`));
  };
  const raw = (ev: CoordinatorEvent): CoordinatorReady => {
    const r = core.step(ev);
    record(r);
    return r;
  };
  const acknowledge = (r: CoordinatorReady): CoordinatorReady | undefined => {
    if (!r.persist) return undefined;
    durable = r.persist.state;
    return raw({ type: 'persisted', token: r.persist.token });
  };
  const step = (ev: CoordinatorEvent): CoordinatorReady => {
    const r = raw(ev);
    acknowledge(r);
    return r;
  };
  step({ type: 'start' });
  let next = 1;
  const open = (): ConnectionId => {
    const conn = next++;
    step({ type: 'opened', conn });
    return conn;
  };
  const request = (conn: ConnectionId, request: CoordinatorRequest, id = 7n) => step({ type: 'request', conn, id, request });
  const register = (conn: ConnectionId, token: string, fresh = 1, proof?: Buffer) =>
    request(conn, { kind: 'register', token, host: '10.0.0.1', port: 2012, freshKey: key(fresh), ...(proof ? { proof } : {}) });
  /** What went to one connection since `from` (an index into `sent`). */
  const to = (conn: ConnectionId, from = 0): CoordinatorOutgoing[] => sent.slice(from).filter((s) => s.conn === conn).map((s) => s.message);
  /** `n` ticks, each persist acknowledged at once. */
  const tick = (n = 1) => {
    for (let i = 0; i < n; i++) step({ type: 'tick' });
  };
  return { core, sent, closed, logs, raw, step, acknowledge, open, request, register, to, tick, durable: () => durable };
}

const kinds = (ms: readonly CoordinatorOutgoing[]) => ms.map((m) => m.kind);

function only<K extends CoordinatorOutgoing['kind']>(ms: readonly CoordinatorOutgoing[], kind: K): Extract<CoordinatorOutgoing, { kind: K }> {
  const found = ms.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${kinds(ms).join(', ')}`);
  return found[0] as Extract<CoordinatorOutgoing, { kind: K }>;
}

// ---- the start --------------------------------------------------------------------------------

test('the start comes first, persists even an unchanged state, and keeps every server as it was', (t) => {
  const fresh = new CoordinatorCore({ state: INITIAL_STATE });
  t.throws(() => fresh.step({ type: 'opened', conn: 1 }), { instanceOf: CoordinatorCoreAssertionError });
  const first = fresh.step({ type: 'start' });
  t.is(first.persist?.token, 1, 'a first start writes the file');
  t.is(first.persist?.state, INITIAL_STATE);
  t.throws(() => fresh.step({ type: 'start' }), { instanceOf: CoordinatorCoreAssertionError });

  const { state } = registerServer(INITIAL_STATE, 'daemon-a', '10.0.0.1', 2012, key(1));
  const restarted = new CoordinatorCore({ state });
  const r = restarted.step({ type: 'start' });
  // Its daemon gets one failure timeout to register again (below): no new configuration meanwhile.
  t.is(r.persist?.state, state);
  // A listed server without a peer key is the shell's to fix (withPeerKeys) before the core starts.
  t.throws(() => new CoordinatorCore({ state: { ...state, peerKeys: {} } }), { instanceOf: CoordinatorCoreAssertionError });
});

// ---- registration -----------------------------------------------------------------------------

test('open registration: the server id and the fresh key, then the keys, then the configuration', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const a = h.open();
  const r = h.register(a, 'daemon-a', 1);
  t.truthy(r.persist, 'the registration is persisted');
  t.deepEqual(r.send, [], 'nothing goes out before it is');
  t.deepEqual(kinds(h.to(a)), ['registered', 'peer-keys']);
  const registered = only(h.to(a), 'registered');
  t.is(registered.serverId, 1);
  t.deepEqual(registered.peerKey, key(1));
  t.deepEqual([...only(h.to(a), 'peer-keys').keys], [[1, key(1)]]);
  t.deepEqual(
    h.to(watcher).map((m) => (m.kind === 'config' ? m.config.servers.map((s) => s.id) : m.kind)),
    [[], [1]],
    'the subscriber has the configuration before and then with the new server',
  );
  t.true(h.logs.includes('info: daemon 1 joined at 10.0.0.1:2012'));

  // The same token on a new connection: the same id and key, whatever key is offered; the old connection is closed.
  const again = h.open();
  h.register(again, 'daemon-a', 9);
  t.deepEqual(only(h.to(again), 'registered').peerKey, key(1));
  t.deepEqual(h.closed, [{ conn: a, reason: 'replaced by a newer registration' }]);
  // Its close is stale: the server stays available.
  h.step({ type: 'closed', conn: a });
  t.is(h.core.state.config.servers[0].state, ServerState.AVAILABLE);
});

test('with a cluster secret: the challenge proves the secret, and the right proof registers', (t) => {
  const h = harness({ secret: SECRET });
  const a = h.open();
  h.request(a, { kind: 'register-hello', nonce: nonce(1), freshNonce: nonce(2) }, 3n);
  const challenge = h.sent.at(-1)!;
  t.is(challenge.id, 3n, 'the reply carries the request id');
  t.deepEqual(challenge.message, { kind: 'register-challenge', nonce: nonce(2), proof: registerCoordinatorProof(SECRET, nonce(1), nonce(2)) });
  const proof = registerDaemonProof(SECRET, nonce(1), nonce(2), 'daemon-a', '10.0.0.1', 2012);
  h.register(a, 'daemon-a', 1, proof);
  t.is(only(h.to(a), 'registered').serverId, 1);
  t.is(h.core.state.config.servers.length, 1);
});

test('with a cluster secret: a wrong proof is refused and uses up the challenge', (t) => {
  const h = harness({ secret: SECRET });
  const a = h.open();
  h.request(a, { kind: 'register-hello', nonce: nonce(1), freshNonce: nonce(2) });
  const wrong = registerDaemonProof(Buffer.alloc(32, 'w'), nonce(1), nonce(2), 'daemon-a', '10.0.0.1', 2012);
  const r = h.register(a, 'daemon-a', 1, wrong);
  t.is(r.persist, undefined, 'nothing changes');
  t.deepEqual(h.sent.at(-1)!.message, { kind: 'error', status: Status.UNAUTHORIZED, message: 'registration refused: wrong cluster secret: the proof does not match' });
  t.true(h.logs.some((l) => l.startsWith('warn: refused a registration as 10.0.0.1:2012: wrong cluster secret')));
  // The right proof for the same challenge now finds none: a challenge answers one registration.
  const right = registerDaemonProof(SECRET, nonce(1), nonce(2), 'daemon-a', '10.0.0.1', 2012);
  h.register(a, 'daemon-a', 1, right);
  const refusal = h.sent.at(-1)!.message;
  t.is(refusal.kind === 'error' ? refusal.message : '', 'registration refused: no registration challenge on this connection: send REGISTER_HELLO first');
  t.is(h.core.state.config.servers.length, 0);
});

test('with a cluster secret: a replayed proof is refused, on its own connection and on another', (t) => {
  const h = harness({ secret: SECRET });
  const a = h.open();
  h.request(a, { kind: 'register-hello', nonce: nonce(1), freshNonce: nonce(2) });
  const proof = registerDaemonProof(SECRET, nonce(1), nonce(2), 'daemon-a', '10.0.0.1', 2012);
  h.register(a, 'daemon-a', 1, proof);
  t.is(only(h.to(a), 'registered').serverId, 1);
  const version = h.core.state.config.version;

  // Replayed on the same connection: the challenge was used.
  h.register(a, 'daemon-a', 1, proof);
  t.is(h.sent.at(-1)!.message.kind, 'error');
  // Replayed by someone who saw it, on a connection of their own, after asking for a challenge
  // with the same daemon nonce: the coordinator's nonce is new, so the proof does not match.
  const eve = h.open();
  h.request(eve, { kind: 'register-hello', nonce: nonce(1), freshNonce: nonce(3) });
  h.register(eve, 'daemon-a', 1, proof);
  t.deepEqual(h.to(eve).map((m) => (m.kind === 'error' ? m.status : m.kind)), ['register-challenge', Status.UNAUTHORIZED]);
  // A proof made for another address is no proof for this one.
  const other = h.open();
  h.request(other, { kind: 'register-hello', nonce: nonce(4), freshNonce: nonce(5) });
  const forAnother = registerDaemonProof(SECRET, nonce(4), nonce(5), 'daemon-a', '10.9.9.9', 2012);
  h.register(other, 'daemon-a', 1, forAnother);
  t.is(h.to(other).at(-1)!.kind, 'error');
  t.is(h.core.state.config.version, version, 'no refused registration changed anything');
  t.deepEqual(h.closed, [], 'the daemon connection was not replaced');
});

test('with a cluster secret, no proof is refused; without one, a hello is refused and a proof ignored', (t) => {
  const s = harness({ secret: SECRET });
  const a = s.open();
  s.register(a, 'daemon-a');
  const m = s.sent.at(-1)!.message;
  t.is(m.kind === 'error' ? m.message : '', 'registration refused: the cluster secret is missing: this coordinator requires proof of it (start the daemon with --cluster-secret-file)');

  const open = harness();
  const b = open.open();
  open.request(b, { kind: 'register-hello', nonce: nonce(1), freshNonce: nonce(2) });
  const e = open.sent.at(-1)!.message;
  t.is(e.kind === 'error' ? e.status : 0, Status.UNAUTHORIZED);
  open.register(b, 'daemon-b', 1, Buffer.alloc(PEER_AUTH.proofBytes));
  t.is(only(open.to(b), 'registered').serverId, 1);
});

test('the shell must give fresh bytes of the right size', (t) => {
  const h = harness();
  const a = h.open();
  t.throws(() => h.request(a, { kind: 'register', token: 'x', host: 'h', port: 1, freshKey: Buffer.alloc(3) }), { instanceOf: CoordinatorCoreAssertionError });
  t.throws(() => h.request(a, { kind: 'register-hello', nonce: nonce(1), freshNonce: Buffer.alloc(3) }), { instanceOf: CoordinatorCoreAssertionError });
});

// ---- peer keys --------------------------------------------------------------------------------

test('PEER_KEYS go only to daemons, and before the configuration that names a new server', (t) => {
  const h = harness();
  const client = h.open();
  h.request(client, { kind: 'subscribe' });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  h.request(a, { kind: 'subscribe' });
  const from = h.sent.length;
  const b = h.open();
  h.register(b, 'daemon-b', 2);

  // A, registered earlier, gets the new table before the configuration naming B.
  t.deepEqual(kinds(h.to(a, from)), ['peer-keys', 'config']);
  t.deepEqual([...only(h.to(a, from), 'peer-keys').keys.keys()], [1, 2]);
  t.deepEqual(only(h.to(a, from), 'config').config.servers.map((s) => s.id), [1, 2]);
  t.deepEqual(kinds(h.to(b, from)), ['registered', 'peer-keys']);
  // The client gets configurations, and never a key.
  t.deepEqual(kinds(h.to(client)), ['config', 'config', 'config']);
  t.false(h.sent.some((s) => s.conn === client && s.message.kind === 'peer-keys'));
  t.false(JSON.stringify(h.to(client)).includes(key(1).toString('hex')));

  // A daemon registering again after a disconnection: no key changed, so only it gets the table.
  h.step({ type: 'closed', conn: b });
  const again = h.sent.length;
  const b2 = h.open();
  h.register(b2, 'daemon-b', 3);
  t.deepEqual(kinds(h.to(b2, again)), ['registered', 'peer-keys']);
  t.deepEqual(kinds(h.to(a, again)), [], 'A hears nothing: no key changed, and B came back within the failure timeout, as it was');
});

// ---- persistence ------------------------------------------------------------------------------

test('nothing goes out before the state it reflects is persisted, and then in order', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const admin = h.open();
  const add = h.raw({ type: 'request', conn: admin, id: 1n, request: { kind: 'space-add', description: KV } });
  t.truthy(add.persist);
  t.deepEqual(add.send, []);
  t.true(add.persist!.state.config.spaces.length === 1);
  // Requests that change nothing wait too: they would tell of the state not yet on disk.
  const late = h.open();
  const list = h.raw({ type: 'request', conn: late, id: 2n, request: { kind: 'space-list' } });
  t.is(list.persist, undefined);
  t.deepEqual(list.send, []);
  // A second change while the first is in flight: its own persist, and its output waits for it.
  const rm = h.raw({ type: 'request', conn: admin, id: 3n, request: { kind: 'space-rm', name: 'kv' } });
  t.is(rm.persist?.token, add.persist!.token + 1);
  t.deepEqual(rm.send, []);

  // The first persist releases what came before the second, in the order it was made.
  const first = h.raw({ type: 'persisted', token: add.persist!.token });
  t.deepEqual(
    first.send.map((s) => [s.conn, s.id, s.message.kind]),
    [
      [watcher, 0n, 'config'],
      [admin, 1n, 'coord-resp'],
      [late, 2n, 'space-list'],
    ],
    'the push before the answer, as the process always did',
  );
  const second = h.raw({ type: 'persisted', token: rm.persist!.token });
  t.deepEqual(second.send.map((s) => [s.conn, s.id, s.message.kind]), [
    [watcher, 0n, 'config'],
    [admin, 3n, 'coord-resp'],
  ]);
  // Only a persist in flight may be acknowledged.
  t.throws(() => h.raw({ type: 'persisted', token: rm.persist!.token }), { instanceOf: CoordinatorCoreAssertionError });
  t.throws(() => h.raw({ type: 'persisted', token: rm.persist!.token + 1 }), { instanceOf: CoordinatorCoreAssertionError });
});

test('a newer persist acknowledged covers the older ones; what waits for a closed connection is dropped', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const admin = h.open();
  const a = h.raw({ type: 'request', conn: admin, id: 1n, request: { kind: 'space-add', description: KV } });
  const b = h.raw({ type: 'request', conn: admin, id: 2n, request: { kind: 'space-add', description: KV.replace('kv', 'kv2') } });
  h.raw({ type: 'closed', conn: admin });
  const r = h.raw({ type: 'persisted', token: b.persist!.token });
  t.true(a.persist!.token < b.persist!.token);
  t.deepEqual(
    r.send.map((s) => [s.conn, s.message.kind]),
    [
      [watcher, 'config'],
      [watcher, 'config'],
    ],
  );
});

// ---- region moves -----------------------------------------------------------------------------

/** Two daemons with a space, then a third joins: regions move to it. */
function withMoves() {
  const h = harness();
  const conns = new Map<ServerId, ConnectionId>();
  for (const token of ['daemon-a', 'daemon-b']) {
    const c = h.open();
    h.register(c, token, conns.size + 1);
    conns.set(only(h.to(c), 'registered').serverId, c);
  }
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  const c = h.open();
  h.register(c, 'daemon-c', 3);
  conns.set(3, c);
  const regions = h.core.state.config.spaces[0].subspaces.flatMap((ss) => ss.regions);
  const moving = regions.find((r) => r.moving !== undefined);
  if (!moving) throw new Error('no region moves to the new daemon');
  return { h, conns, admin, moving, head: moving.replicas[0] };
}

test('REGION_MOVED from the connection of the region head completes the move', (t) => {
  const { h, conns, moving, head } = withMoves();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const version = h.core.state.config.version;
  const r = h.request(conns.get(head)!, { kind: 'region-moved', regionId: moving.id, to: moving.moving!, configVersion: version }, 0n);
  t.truthy(r.persist);
  const after = h.core.state.config.spaces[0].subspaces.flatMap((ss) => ss.regions).find((x) => x.id === moving.id)!;
  t.is(after.replicas[0] as number | undefined, moving.moving);
  t.is(after.handoffFrom, head);
  const pushed = h.to(watcher).at(-1);
  t.is(pushed?.kind === 'config' ? pushed.config.version : 0, version + 1);
  t.false(h.to(conns.get(head)!).some((m) => m.kind === 'error'), 'a report is one-way: no answer');
  // Sent again (a duplicate): the move is done, and the sender no longer heads the region: refused.
  h.request(conns.get(head)!, { kind: 'region-moved', regionId: moving.id, to: moving.moving!, configVersion: version }, 0n);
  t.is(h.core.state.config.version, version + 1);
});

test('REGION_MOVED from a client or another daemon is refused; a stale one is ignored', (t) => {
  const { h, conns, admin, moving, head } = withMoves();
  const version = h.core.state.config.version;
  const report = { kind: 'region-moved' as const, regionId: moving.id, to: moving.moving!, configVersion: version };

  h.request(admin, report, 5n);
  const fromClient = h.to(admin).at(-1)!;
  t.is(fromClient.kind === 'error' ? fromClient.status : 0, Status.UNAUTHORIZED);
  t.true(fromClient.kind === 'error' && fromClient.message.includes('did not register as a daemon'));

  const other = [...conns].find(([id]) => id !== head)![1];
  h.request(other, report, 6n);
  const fromOther = h.to(other).at(-1)!;
  t.is(fromOther.kind === 'error' ? fromOther.status : 0, Status.UNAUTHORIZED);
  t.true(fromOther.kind === 'error' && fromOther.message.includes(`does not head region ${moving.id}`));

  // From the head, but of a copy begun before this move did: ignored, no answer.
  const sent = h.sent.length;
  h.request(conns.get(head)!, { ...report, configVersion: 1 }, 0n);
  t.is(h.sent.length, sent);
  t.true(h.logs.at(-1)!.startsWith(`debug: ignored REGION_MOVED of region ${moving.id}`));
  t.is(h.core.state.config.version, version, 'nothing changed');
});

// ---- spaces -----------------------------------------------------------------------------------

test('SPACE_ADD, SPACE_RM and SPACE_LIST: answers, and pushes of each change', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const admin = h.open();
  const outcome = () => {
    const m = h.to(admin).at(-1)!;
    return m.kind === 'coord-resp' ? [m.status, m.message] : [m.kind];
  };

  h.request(admin, { kind: 'space-add', description: KV });
  t.deepEqual(outcome(), [Status.SUCCESS, 'no daemon is available yet: regions get servers as daemons join']);
  t.true(h.logs.includes('warn: space kv: no daemon is available yet: regions get servers as daemons join'));
  t.deepEqual(h.to(watcher).map((m) => (m.kind === 'config' ? m.config.spaces.map((s) => s.name) : [])), [[], ['kv']]);
  t.is(h.durable()?.config.spaces.length, 1, 'persisted');

  for (const [description, status] of [
    [KV, Status.BADSPACE], // exists
    ['space', Status.BADSPACE], // does not parse
  ] as const) {
    const r = h.request(admin, { kind: 'space-add', description });
    t.is(r.persist, undefined);
    t.is(outcome()[0], status);
  }
  h.request(admin, { kind: 'space-list' });
  t.deepEqual(h.to(admin).at(-1), { kind: 'space-list', names: ['kv'] });

  h.request(admin, { kind: 'space-rm', name: 'nope' });
  t.deepEqual(outcome(), [Status.UNKNOWNSPACE, 'no space named nope']);
  h.request(admin, { kind: 'space-rm', name: 'kv' });
  t.deepEqual(outcome(), [Status.SUCCESS, '']);
  t.deepEqual(only(h.to(watcher).slice(2), 'config').config.spaces, []);
  t.is(h.to(watcher).length, 3, 'one push per change, none for a refusal');
});

test('a malformed request is answered in its turn, with its status', (t) => {
  const h = harness();
  const c = h.open();
  h.request(c, { kind: 'malformed', status: Status.BADREQUEST, message: 'unknown message type 0x1234' }, 9n);
  t.deepEqual(h.sent.at(-1), { conn: c, id: 9n, message: { kind: 'error', status: Status.BADREQUEST, message: 'unknown message type 0x1234' } });
});

// ---- connections ------------------------------------------------------------------------------

test('a daemon connection that closes changes nothing by itself; its server is failed if it stays silent', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const r = h.raw({ type: 'closed', conn: a });
  t.is(r.persist, undefined, 'no new configuration: a restarted daemon may be back within the timeout');
  t.is(h.core.state.config.servers[0].state, ServerState.AVAILABLE);
  t.true(h.logs.includes('warn: daemon 1 disconnected'));
  // A client's close changes nothing either.
  t.is(h.raw({ type: 'closed', conn: watcher }).persist, undefined);
  // Connection numbers grow; one closes once.
  t.throws(() => h.raw({ type: 'opened', conn: 1 }), { instanceOf: CoordinatorCoreAssertionError });
  t.throws(() => h.raw({ type: 'closed', conn: a }), { instanceOf: CoordinatorCoreAssertionError });
});

// ---- failure detection ------------------------------------------------------------------------

/** 10 ticks of 10 ms: a timeout of 100 ms, heartbeats every 2 ticks. */
const FAST = failureDetection(100, 10);

test('failure detection: heartbeats go to registered daemons only, every heartbeatTicks, with the timeout', (t) => {
  t.deepEqual(FAST, { timeoutTicks: 10, heartbeatTicks: 2, tickMs: 10 });
  t.deepEqual(failureDetection(2000), { timeoutTicks: 40, heartbeatTicks: 10, tickMs: 50 });
  t.deepEqual(failureDetection(30, 50), { timeoutTicks: 1, heartbeatTicks: 1, tickMs: 50 }, 'never less than a tick');
  t.throws(() => failureDetection(0), { instanceOf: RangeError });
  t.throws(() => new CoordinatorCore({ state: INITIAL_STATE, failure: { timeoutTicks: 2, heartbeatTicks: 3, tickMs: 1 } }), { instanceOf: CoordinatorCoreAssertionError });

  const h = harness({ failure: FAST });
  const client = h.open();
  h.request(client, { kind: 'subscribe' });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const from = h.sent.length;
  h.tick(4);
  t.deepEqual(h.to(a, from), [
    { kind: 'heartbeat', failureTimeoutMs: 100 },
    { kind: 'heartbeat', failureTimeoutMs: 100 },
  ]);
  t.deepEqual(h.to(client, from), [], 'a client gets none');
  // A heartbeat from a connection that is no daemon's means nothing, and is not answered.
  const sent = h.sent.length;
  t.is(h.request(client, { kind: 'heartbeat' }).persist, undefined);
  t.is(h.sent.length, sent);
});

test('failure detection: a daemon silent past the timeout is FAILED in a new version, persisted before it is pushed, and its connection closed', (t) => {
  const h = harness({ failure: FAST });
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  const version = h.core.state.config.version;
  const spaces = h.core.state.config.spaces;
  // Silent for exactly the timeout: still available.
  h.tick(10);
  t.is(h.core.state.config.version, version);
  t.deepEqual(h.closed, []);
  const before = h.sent.length;
  const r = h.raw({ type: 'tick' });
  t.truthy(r.persist);
  t.deepEqual(r.send, [], 'nothing goes out before the persist');
  t.deepEqual(r.close, [], 'not even the close');
  t.is(r.persist!.state.config.version, version + 1);
  t.deepEqual(serverStates(r.persist!.state), [[1, ServerState.FAILED]]);
  t.deepEqual(r.persist!.state.config.spaces, spaces, 'its regions stay its own: their objects are only there');
  t.true(h.logs.includes('info: server 1 failed: not heard from for 110 ms (failure timeout 100 ms)'));
  t.true(h.logs.includes('info: server 1 is now failed'));
  const released = h.acknowledge(r)!;
  t.deepEqual(
    h.to(watcher, before).map((m) => (m.kind === 'config' ? serverStates({ ...h.core.state, config: m.config }) : m.kind)),
    [[[1, ServerState.FAILED]]],
  );
  t.deepEqual(released.close, [{ conn: a, reason: 'not heard from for 110 ms' }], 'its connection, open but silent, is closed');
  // Nothing more happens while it stays silent.
  const sent = h.sent.length;
  h.step({ type: 'closed', conn: a });
  h.tick(30);
  t.is(h.core.state.config.version, version + 1);
  t.deepEqual(h.sent.slice(sent), []);
  // A new space places nothing on it.
  h.request(admin, { kind: 'space-add', description: KV.replace('space kv', 'space kv2') });
  const kv2 = h.core.state.config.spaces.find((x) => x.name === 'kv2')!;
  t.true(kv2.subspaces.every((ss) => ss.regions.every((x) => x.replicas.length === 0)));
});

test('failure detection: answers and any request reset the silence; several silent servers fail in one version', (t) => {
  const h = harness({ failure: FAST });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const b = h.open();
  h.request(b, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  const c = h.open();
  h.request(c, { kind: 'register', token: 'daemon-c', host: '10.0.0.3', port: 2012, freshKey: key(3) });
  const version = h.core.state.config.version;
  // a answers every heartbeat; b sends something else now and then; c falls silent.
  for (let i = 0; i < 50; i++) {
    h.tick();
    if (h.to(a).at(-1)?.kind === 'heartbeat' && i % 2 === 1) h.request(a, { kind: 'heartbeat' });
    if (i % 9 === 0) h.request(b, { kind: 'space-list' });
    if (i < 5) h.request(c, { kind: 'heartbeat' });
  }
  t.deepEqual(serverStates(h.core.state), [
    [1, ServerState.AVAILABLE],
    [2, ServerState.AVAILABLE],
    [3, ServerState.FAILED],
  ]);
  t.is(h.core.state.config.version, version + 1);
  // Now a and b both go silent after the same tick: one new version fails them both.
  h.request(a, { kind: 'heartbeat' });
  h.request(b, { kind: 'heartbeat' });
  h.tick(11);
  t.deepEqual(serverStates(h.core.state).map(([, st]) => st), [ServerState.FAILED, ServerState.FAILED, ServerState.FAILED]);
  t.is(h.core.state.config.version, version + 2);
});

test('failure detection: a failed server that registers again is AVAILABLE in a new version, and told so on its new connection', (t) => {
  const h = harness({ failure: FAST });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  h.tick(11);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.FAILED]]);
  const failedVersion = h.core.state.config.version;
  h.step({ type: 'closed', conn: a });
  h.tick(9);
  // The frozen daemon wakes, finds its connection closed, and registers again.
  const a2 = h.open();
  const r = h.register(a2, 'daemon-a', 1);
  t.truthy(r.persist);
  t.is(r.persist!.state.config.version, failedVersion + 1);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
  t.true(h.logs.includes('info: server 1 is back: it had failed, not heard from for 200 ms'));
  h.request(a2, { kind: 'subscribe' });
  const config = h.to(a2).filter((m) => m.kind === 'config').at(-1);
  t.is(config?.kind === 'config' ? config.config.version : undefined, failedVersion + 1, 'the woken daemon learns the new configuration');
  // And it is watched again from now on.
  h.tick(10);
  t.is(serverStates(h.core.state)[0][1], ServerState.AVAILABLE);
});

test('failure detection: a daemon that reconnects within the timeout causes no new configuration', (t) => {
  const h = harness({ failure: FAST });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const version = h.core.state.config.version;
  h.tick(5);
  h.step({ type: 'closed', conn: a });
  h.tick(4);
  h.register(h.open(), 'daemon-a', 1);
  h.tick(9);
  t.is(h.core.state.config.version, version);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
});

test('failure detection: an admin-offline server is neither failed by silence nor made available by heartbeats; server-online decides by the silence', (t) => {
  const h = harness({ failure: FAST });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const admin = h.open();
  h.request(admin, { kind: 'server-offline', serverId: 1 });
  const version = h.core.state.config.version;
  // Heartbeats answered: still admin-offline.
  for (let i = 0; i < 30; i++) {
    h.tick();
    h.request(a, { kind: 'heartbeat' });
  }
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.ADMIN_OFFLINE]]);
  t.is(h.core.state.config.version, version);
  // Heard from within the timeout: server-online makes it available.
  h.request(admin, { kind: 'server-online', serverId: 1 });
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
  // Offline again, then silent past the timeout: its connection is closed, its state kept.
  h.request(admin, { kind: 'server-offline', serverId: 1 });
  const offVersion = h.core.state.config.version;
  h.tick(11);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.ADMIN_OFFLINE]]);
  t.is(h.core.state.config.version, offVersion);
  t.deepEqual(h.closed.at(-1), { conn: a, reason: 'not heard from for 110 ms' });
  // Registering again keeps it admin-offline; server-online then makes it available.
  const a2 = h.open();
  h.register(a2, 'daemon-a', 1);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.ADMIN_OFFLINE]]);
  h.request(admin, { kind: 'server-online', serverId: 1 });
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
});

test('failure detection: after a restart of the coordinator, servers keep their states and get one timeout to register again', (t) => {
  const h = harness({ failure: FAST });
  h.register(h.open(), 'daemon-a', 1);
  h.request(h.open(), { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  const state = h.durable()!;

  const r = harness({ state, failure: FAST });
  t.deepEqual(serverStates(r.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.AVAILABLE]]);
  t.is(r.core.state, state, 'the start made no new configuration');
  r.tick(6);
  r.register(r.open(), 'daemon-a', 1);
  r.tick(5);
  t.deepEqual(serverStates(r.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.FAILED]]);
  t.is(r.core.state.config.version, state.config.version + 1);
  t.true(r.logs.includes('info: server 2 failed: not heard from for 110 ms (failure timeout 100 ms)'));
});

test('failure detection: a stopping coordinator fails nobody; a forgotten server is no longer watched', (t) => {
  const h = harness({ failure: FAST });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const b = h.open();
  h.request(b, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  h.step({ type: 'closed', conn: b });
  const admin = h.open();
  h.request(admin, { kind: 'server-forget', serverId: 2 });
  t.deepEqual(lastResponse(h, admin), [Status.SUCCESS, 'server 2 is forgotten']);
  for (let i = 0; i < 20; i++) {
    h.tick();
    h.request(a, { kind: 'heartbeat' });
  }
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
  h.step({ type: 'stop' });
  h.tick(30);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
});

test('stopping closes every connection, and nobody goes offline for it', (t) => {
  const h = harness();
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const c = h.open();
  const r = h.step({ type: 'stop' });
  t.deepEqual(r.close, [
    { conn: a, reason: 'coordinator stopping' },
    { conn: c, reason: 'coordinator stopping' },
  ]);
  t.is(h.step({ type: 'closed', conn: a }).persist, undefined);
  t.is(h.core.state.config.servers[0].state, ServerState.AVAILABLE);
  // A connection accepted while stopping is closed at once; a request still queued on a closing one is not read.
  const late = h.open();
  t.deepEqual(h.closed.at(-1), { conn: late, reason: 'coordinator stopping' });
  const sent = h.sent.length;
  h.request(c, { kind: 'space-list' });
  t.is(h.sent.length, sent);
});

// ---- an operator's requests about servers ---------------------------------------------------

/** The last COORD_RESP to a connection, as [status, message]. */
function lastResponse(h: ReturnType<typeof harness>, conn: ConnectionId): [number, string] {
  const m = h.to(conn).at(-1);
  if (m?.kind !== 'coord-resp') throw new Error(`expected a COORD_RESP, got ${m?.kind}`);
  return [m.status, m.message];
}

const serverStates = (state: CoordinatorState) => state.config.servers.map((s) => [s.id, s.state]);
const heads = (state: CoordinatorState) => state.config.spaces.flatMap((sp) => sp.subspaces.flatMap((ss) => ss.regions.map((r) => r.replicas[0])));

test('SERVER_OFFLINE: pushed before the answer; its regions stay its own; it gets no new ones; it holds across reconnections and restarts', (t) => {
  const h = harness();
  const watcher = h.open();
  h.request(watcher, { kind: 'subscribe' });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const b = h.open();
  h.request(b, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  const headsBefore = heads(h.core.state);
  t.deepEqual([...new Set(headsBefore)].sort(), [1, 2]);

  const pushedBefore = h.to(watcher).length;
  const version = h.core.state.config.version;
  const r = h.raw({ type: 'request', conn: admin, id: 5n, request: { kind: 'server-offline', serverId: 2 } });
  t.deepEqual(r.send, [], 'held until persisted');
  h.acknowledge(r);
  const [status, message] = lastResponse(h, admin);
  t.is(status, Status.SUCCESS);
  t.regex(message, /^server 2 is offline: it gets no new regions, and the 4 region\(s\) it heads are unavailable to clients until server-online 2/);
  t.is(h.core.state.config.version, version + 1);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.ADMIN_OFFLINE]]);
  t.deepEqual(heads(h.core.state), headsBefore, 'no region moves: its objects are only on server 2');
  const order = h.sent.filter((s) => s.conn === watcher || s.conn === admin).slice(-2).map((s) => s.message.kind);
  t.deepEqual(order, ['config', 'coord-resp'], 'the new configuration reaches subscribers before the answer');
  t.is(h.to(watcher).length, pushedBefore + 1);
  t.true(h.logs.includes('info: server 2 is now admin-offline'));

  // Again: nothing changes.
  t.is(h.request(admin, { kind: 'server-offline', serverId: 2 }).persist, undefined);
  t.deepEqual(lastResponse(h, admin), [Status.SUCCESS, 'server 2 was already taken offline']);
  // A new space's regions all go to the available server.
  h.request(admin, { kind: 'space-add', description: KV.replace('space kv', 'space kv2') });
  t.true(h.core.state.config.spaces[1].subspaces.every((ss) => ss.regions.every((r) => r.replicas[0] === 1)));
  // Its daemon disconnects and registers again: still taken offline.
  h.step({ type: 'closed', conn: b });
  t.deepEqual(serverStates(h.core.state)[1], [2, ServerState.ADMIN_OFFLINE]);
  const b2 = h.open();
  h.request(b2, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2013, freshKey: key(3) });
  t.deepEqual(h.core.state.config.servers[1], { id: 2, host: '10.0.0.2', port: 2013, state: ServerState.ADMIN_OFFLINE });
  // And after a restart of the coordinator, even once its daemon has been silent past the timeout.
  const restarted = harness({ state: h.durable()!, failure: failureDetection(100, 10) });
  restarted.tick(11);
  t.deepEqual(serverStates(restarted.core.state), [[1, ServerState.FAILED], [2, ServerState.ADMIN_OFFLINE]]);
});

test('SERVER_OFFLINE cancels the moves towards the server; SERVER_ONLINE makes it available, or failed until its daemon registers', (t) => {
  const h = harness({ failure: failureDetection(100, 10) });
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  const b = h.open();
  h.request(b, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  const moving = () => h.core.state.config.spaces[0].subspaces.flatMap((ss) => ss.regions.filter((r) => r.moving !== undefined).map((r) => r.moving));
  t.true(moving().length > 0 && moving().every((to) => to === 2), 'server 2 joined: regions move to it');
  h.request(admin, { kind: 'server-offline', serverId: 2 });
  t.deepEqual(moving(), [], 'moves towards it are cancelled');
  t.deepEqual(Object.keys(h.core.state.moveStarts), []);

  h.request(admin, { kind: 'server-online', serverId: 2 });
  t.deepEqual(lastResponse(h, admin), [Status.SUCCESS, 'server 2 is available']);
  t.deepEqual(serverStates(h.core.state)[1], [2, ServerState.AVAILABLE]);
  t.true(moving().length > 0, 'and regions move to it again');
  h.request(admin, { kind: 'server-online', serverId: 2 });
  t.deepEqual(lastResponse(h, admin), [Status.SUCCESS, 'server 2 was not taken offline (it is available); nothing to do']);

  // Taken offline, then its daemon goes away and stays away past the failure timeout (while server 1
  // answers its heartbeats): online makes it FAILED, its registration AVAILABLE.
  h.request(admin, { kind: 'server-offline', serverId: 2 });
  h.step({ type: 'closed', conn: b });
  for (let i = 0; i < 11; i++) {
    h.tick();
    h.request(a, { kind: 'heartbeat' });
  }
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.ADMIN_OFFLINE]], 'silence does not undo an operator\'s offline');
  h.request(admin, { kind: 'server-online', serverId: 2 });
  t.regex(lastResponse(h, admin)[1], /has not heard from its daemon within the failure timeout: it is failed until the daemon registers/);
  t.deepEqual(serverStates(h.core.state)[1], [2, ServerState.FAILED]);
  const b2 = h.open();
  h.request(b2, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  t.deepEqual(serverStates(h.core.state)[1], [2, ServerState.AVAILABLE]);

  h.request(admin, { kind: 'server-online', serverId: 7 });
  t.deepEqual(lastResponse(h, admin), [Status.BADREQUEST, 'no server 7: the servers are 1, 2']);
  t.true(h.logs.includes('warn: refused server-online 7: no server 7: the servers are 1, 2'));
});

test('SERVER_FORGET: refused for an unknown, a connected or a heading server; otherwise it leaves the configuration, the chains and the peer keys', (t) => {
  const h = harness({ failure: FAST });
  const admin = h.open();
  h.request(admin, { kind: 'server-forget', serverId: 1 });
  t.deepEqual(lastResponse(h, admin), [Status.BADREQUEST, 'no server 1: no server is registered']);
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const b = h.open();
  h.request(b, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(2) });
  // Three replicas asked for: the chains hold both servers.
  h.request(admin, { kind: 'space-add', description: KV.replace('tolerate 0 failures', 'tolerate 2 failures') });

  h.request(admin, { kind: 'server-forget', serverId: 2 });
  t.deepEqual(lastResponse(h, admin), [Status.BADREQUEST, "server 2's daemon is connected to the coordinator: stop it before forgetting the server"]);
  h.step({ type: 'closed', conn: b });
  // Its daemon stays away past the failure timeout (server 1's answers its heartbeats): failed.
  for (let i = 0; i < 11; i++) {
    h.tick();
    h.request(a, { kind: 'heartbeat' });
  }
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.FAILED]]);
  const r = h.request(admin, { kind: 'server-forget', serverId: 2 });
  t.is(r.persist, undefined, 'a refusal changes nothing');
  t.regex(lastResponse(h, admin)[1], /^server 2 heads 4 region\(s\), whose objects are only on it: region \d+ of space kv, .*; start its daemon again/);

  // Once the space is gone, it heads nothing and is forgotten; server 1's chains no longer name it.
  h.request(admin, { kind: 'space-add', description: KV.replace('space kv', 'space one').replace('create 4', 'create 1') });
  const one = () => h.core.state.config.spaces.find((s) => s.name === 'one')!;
  t.true(one().subspaces.every((ss) => ss.regions.every((r) => r.replicas[0] === 1)));
  h.request(admin, { kind: 'space-rm', name: 'kv' });
  const sentBefore = h.sent.length;
  h.request(admin, { kind: 'server-forget', serverId: 2 });
  t.deepEqual(lastResponse(h, admin), [Status.SUCCESS, 'server 2 is forgotten']);
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE]]);
  t.deepEqual(Object.keys(h.core.state.peerKeys), ['1']);
  t.true(one().subspaces.every((ss) => ss.regions.every((r) => !r.replicas.includes(2))));
  const keys = h.sent.slice(sentBefore).filter((s) => s.message.kind === 'peer-keys');
  t.deepEqual(
    keys.map((s) => [s.conn, s.message.kind === 'peer-keys' ? [...s.message.keys.keys()] : []]),
    [[a, [1]]],
    'the registered daemons learn that its key is no longer valid',
  );
  t.true(h.logs.includes('info: server 2 is forgotten'));

  // Its daemon started again on its data directory: the same id, a new key, a new member.
  const b2 = h.open();
  h.request(b2, { kind: 'register', token: 'daemon-b', host: '10.0.0.2', port: 2012, freshKey: key(9) });
  t.deepEqual(serverStates(h.core.state), [[1, ServerState.AVAILABLE], [2, ServerState.AVAILABLE]]);
  t.deepEqual(h.core.state.peerKeys[2], key(9));
});

test('the log names each event: joined, rejoined, spaces created and removed, configuration versions, server states', (t) => {
  const h = harness();
  const a = h.open();
  h.register(a, 'daemon-a', 1);
  const admin = h.open();
  h.request(admin, { kind: 'space-add', description: KV });
  h.request(admin, { kind: 'server-offline', serverId: 1 });
  h.request(admin, { kind: 'space-rm', name: 'kv' });
  h.step({ type: 'closed', conn: a });
  h.register(h.open(), 'daemon-a', 1);
  const events: string[] = [];
  const core = new CoordinatorCore({ state: INITIAL_STATE });
  const record = (r: CoordinatorReady) => {
    for (const l of r.log) if (l.fields?.event) events.push(`${l.level} ${l.fields.event}`);
  };
  record(core.step({ type: 'start' }));
  t.deepEqual(events, ['info config-recovered']);
  const lines = h.logs;
  for (const expected of [
    'info: daemon 1 joined at 10.0.0.1:2012',
    'info: space kv created, 8 regions',
    'info: server 1 is now admin-offline',
    'info: space kv removed',
    'warn: daemon 1 disconnected',
    'info: daemon 1 rejoined at 10.0.0.1:2012',
  ])
    t.true(lines.includes(expected), expected);
  const versions = lines.filter((l) => l.startsWith('info: configuration version ')).map((l) => Number(l.split(' ').at(-1)));
  t.deepEqual(versions, [...versions].sort((x, y) => x - y), 'every version, in order');
  t.is(versions.at(-1), h.core.state.config.version);
});

// ---- determinism ------------------------------------------------------------------------------

/** A random run of events (a bounded number), with the Ready of each step, as text. */
function randomRun(seed: number): string[] {
  const rng = new Rng(seed);
  const core = new CoordinatorCore({ state: INITIAL_STATE, failure: FAST });
  const out: string[] = [];
  const inFlight: number[] = [];
  const open: ConnectionId[] = [];
  let next = 1;
  const step = (ev: CoordinatorEvent) => {
    const r = core.step(ev);
    if (r.persist) inFlight.push(r.persist.token);
    for (const c of r.close) if (open.includes(c.conn)) open.splice(open.indexOf(c.conn), 1);
    out.push(JSON.stringify({ ev, persist: r.persist?.token, version: r.persist?.state.config.version, send: r.send, close: r.close }, (_, v) => (typeof v === 'bigint' ? `${v}` : v)));
  };
  step({ type: 'start' });
  const tokens = ['daemon-a', 'daemon-b', 'daemon-c'];
  for (let i = 0; i < 300; i++) {
    const roll = rng.below(9);
    if (roll === 8) step({ type: 'tick' });
    else if (roll === 0 || open.length === 0) {
      open.push(next);
      step({ type: 'opened', conn: next++ });
    } else if (roll === 1 && inFlight.length > 0) step({ type: 'persisted', token: inFlight.splice(0, rng.between(1, inFlight.length)).at(-1)! });
    else if (roll === 2) step({ type: 'closed', conn: open.splice(rng.below(open.length), 1)[0] });
    else {
      const conn = rng.pick(open);
      const request: CoordinatorRequest = rng.pick<CoordinatorRequest>([
        { kind: 'subscribe' },
        { kind: 'register', token: rng.pick(tokens), host: 'h', port: 1, freshKey: key(rng.below(256)) },
        { kind: 'space-add', description: KV },
        { kind: 'space-rm', name: 'kv' },
        { kind: 'region-moved', regionId: rng.between(1, 8), to: rng.between(1, 3), configVersion: core.state.config.version },
        { kind: rng.pick(['server-offline', 'server-online', 'server-forget'] as const), serverId: rng.between(1, 4) },
        { kind: 'heartbeat' },
      ]);
      step({ type: 'request', conn, id: BigInt(i), request });
    }
  }
  return out;
}

test('the same events give the same Readies', (t) => {
  const a = randomRun(11);
  t.deepEqual(randomRun(11), a);
  t.notDeepEqual(randomRun(12), a);
  t.true(a.some((line) => line.includes('"region-moved"')));
  t.true(a.some((line) => line.includes('"kind":"heartbeat"')), 'heartbeats went out');
});
