// The daemon's core driven directly: events in, effects out, no I/O.

import test from 'ava';
import { ClusterConfig, keyRegion, regionOf } from '../src/common/config';
import { Datatype } from '../src/common/datatypes';
import { AtomicFlag, FuncOp, Status } from '../src/common/protocol';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { addSpace, INITIAL_STATE, registerServer } from '../src/coordinator/state';
import { DaemonCore } from '../src/daemon/core/core';
import { ClientRequest, CoreEvent, Ready } from '../src/daemon/core/types';
import { SimDisk } from '../src/sim/disk';

function oneDaemonConfig(): ClusterConfig {
  const { state } = registerServer(INITIAL_STATE, 'token-1', '127.0.0.1', 2012, Buffer.alloc(32, 1));
  const r = addSpace(state, parseSpaceDescription('space kv key k attributes int n subspace n create 2 partitions tolerate 0 failures'));
  if (!r.ok) throw new Error(r.reason);
  return r.state.config;
}

/** Servers 1 and 2 registered, and a space of `description` laid out over them. */
function twoDaemonConfig(description: string): ClusterConfig {
  let state = registerServer(INITIAL_STATE, 'token-1', '127.0.0.1', 2012, Buffer.alloc(32, 1)).state;
  state = registerServer(state, 'token-2', '127.0.0.1', 2013, Buffer.alloc(32, 2)).state;
  const added = addSpace(state, parseSpaceDescription(description));
  if (!added.ok) throw new Error(added.reason);
  return added.state.config;
}

/** A core on a disk that completes every batch at once: the shell's job, done inline. */
function harness(disk = new SimDisk(), incarnation = 1) {
  const config = oneDaemonConfig();
  const core = new DaemonCore({ serverId: 1, incarnation, store: disk, intents: disk.intentsHeld() });
  const replies: Ready['replies'] = [];
  const sent: Ready['send'][number]['message'][] = [];
  const run = (r: Ready) => {
    for (const p of r.persist) {
      disk.begin(p.token, p.writes);
      disk.complete(p.token);
    }
    const later: CoreEvent[] = [
      ...r.persist.map((p) => ({ type: 'persisted' as const, token: p.token, ok: true })),
      ...r.loads.map((l) => ({ type: 'loaded' as const, token: l.token, record: disk.read(l.region, l.key) })),
      ...r.scans.map((s) => ({ type: 'scanned' as const, token: s.token, rows: disk.scan(s.region.regionId) })),
    ];
    replies.push(...r.replies);
    sent.push(...r.send.map((s) => s.message));
    for (const ev of later) run(core.step(ev));
  };
  /** Steps an event and all it leads to; the messages sent meanwhile. */
  const deliver = (ev: CoreEvent) => {
    const from = sent.length;
    run(core.step(ev));
    return sent.slice(from);
  };
  run(core.step({ type: 'config', config }));
  const spaceId = config.spaces[0].id;
  let id = 1;
  const request = (req: ClientRequest) => {
    const requestId = id++;
    run(core.step({ type: 'request', client: 0, requestId, request: req }));
    return replies.find((r) => r.requestId === requestId)?.reply;
  };
  const n = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    return b;
  };
  const put = (key: string, v: number) => request({ kind: 'write', configVersion: config.version, spaceId, key: Buffer.from(key), flags: 0, checks: [], funcs: [{ name: 'n', datatype: Datatype.INT64, value: n(v), op: FuncOp.SET }] });
  const del = (key: string) => request({ kind: 'write', configVersion: config.version, spaceId, key: Buffer.from(key), flags: AtomicFlag.ERASE | AtomicFlag.FAIL_IF_NOT_FOUND, checks: [], funcs: [] });
  const get = (key: string) => request({ kind: 'get', configVersion: config.version, spaceId, key: Buffer.from(key) });
  const search = () => request({ kind: 'search', configVersion: config.version, spaceId, checks: [], subspace: 1, regions: config.spaces[0].subspaces[1].regions.map((r) => r.id) });
  return { core, disk, config, put, del, get, search, n, deliver };
}

test('put, get, search and delete through the core alone', (t) => {
  const h = harness();
  t.is(h.put('a', 5)?.status, Status.SUCCESS);
  const got = h.get('a');
  t.is(got?.status, Status.SUCCESS);
  t.deepEqual(got?.kind === 'get' ? got.values : undefined, [h.n(5)]);
  const found = h.search();
  t.is(found?.kind === 'search' ? found.objects.length : -1, 1);
  t.is(h.del('a')?.status, Status.SUCCESS);
  t.is(h.get('a')?.status, Status.NOTFOUND);
  t.is(h.del('a')?.status, Status.NOTFOUND);
  const none = h.search();
  t.is(none?.kind === 'search' ? none.objects.length : -1, 0);
  t.deepEqual(h.core.stats(), { slots: 0, parked: 0, outstanding: 0, moves: 0, awaitingHandoff: 0 });
});

test("a key's version never goes backwards, across deletes and restarts", (t) => {
  const h = harness();
  h.put('k', 1);
  h.put('k', 2);
  h.del('k');
  const space = h.config.spaces[0];
  const region = space.subspaces[0].regions.map((r) => ({ spaceId: space.id, subspace: 0, regionId: r.id })).find((a) => h.disk.peek(a, Buffer.from('k')))!;
  t.deepEqual(h.disk.peek(region, Buffer.from('k')), { version: 3, values: null }, 'a tombstone keeps the version');
  // A new life on the same disk continues from there.
  const again = harness(h.disk, 2);
  again.put('k', 7);
  t.is(again.disk.peek(region, Buffer.from('k'))?.version, 4);
});

test('a duplicate update is answered again, not applied again; an earlier life of the sender is ignored', (t) => {
  const h = harness();
  h.put('x', 1);
  const region = h.config.spaces[0].subspaces[1].regions[0];
  const address = { spaceId: h.config.spaces[0].id, subspace: 1, regionId: region.id };
  /** Delivers an update from server 9 and everything it leads to; what went back, and what was written. */
  const update = (seq: number, incarnation: number, version: number) => {
    const written = h.disk.written;
    const sent = h.deliver({
      type: 'peer',
      from: 9,
      message: { type: 'update', id: { incarnation, seq }, configVersion: h.config.version, spaceId: address.spaceId, subspace: 1, regionId: region.id, key: Buffer.from('z'), record: { version, values: [h.n(3)] }, transfer: false },
    });
    return { written: h.disk.written - written, acks: sent.map((m) => (m.type === 'ack' ? m.status : -1)) };
  };
  t.deepEqual(update(1, 5, 10), { written: 1, acks: [Status.SUCCESS] });
  t.deepEqual(update(1, 5, 10), { written: 0, acks: [Status.SUCCESS] }, 'a resend is answered again, not applied twice');
  t.deepEqual(update(2, 5, 4), { written: 0, acks: [Status.SUCCESS] }, 'an older version changes nothing');
  t.deepEqual(update(99, 4, 50), { written: 0, acks: [] }, 'a message from an earlier life of the sender is dropped');
  t.is(h.disk.read(address, Buffer.from('z'))?.version, 10);
});

test('a request from a newer configuration waits, bounded, then is refused', (t) => {
  const h = harness();
  const r = h.core.step({ type: 'request', client: 0, requestId: 1, request: { kind: 'get', configVersion: h.config.version + 5, spaceId: h.config.spaces[0].id, key: Buffer.from('a') } });
  t.is(r.replies.length, 0);
  t.is(h.core.stats().parked, 1);
  let reply;
  for (let i = 0; i < 100 && !reply; i++) reply = h.core.step({ type: 'tick' }).replies[0];
  t.is(reply?.reply.status, Status.RECONFIGURE);
  t.is(h.core.stats().parked, 0);
});

test('after a restart, a get of a key whose intent is being redone waits until its chain is carried out', (t) => {
  // Two daemons; the space's key region of the key and the region its new value maps to in the
  // secondary subspace are headed by different servers, so the redo's chain needs server 2's ack.
  const config = twoDaemonConfig('space kv key k attributes int n subspace n create 2 partitions tolerate 0 failures');
  const space = config.spaces[0];
  // Values spread over the int64 axis (which keeps order: small numbers share one region).
  const n = (i: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt.asIntN(64, BigInt(i) << 59n));
    return b;
  };
  // A key led by server 1, and a value whose secondary region server 2 heads.
  const key = [...Array(100).keys()].map((i) => Buffer.from(`k${i}`)).find((k) => keyRegion(space, k).replicas[0] === 1)!;
  const after = [...Array(32).keys()].map((i) => [n(i)]).find((v) => regionOf(space, 1, key, v).replicas[0] === 2)!;
  t.truthy(key && after, 'the layout has such a key and value');
  // What the point leader left on disk when it stopped: the record at version 2 and its intent.
  const disk = new SimDisk();
  const intent = { spaceId: space.id, key, version: 2, before: null, after };
  disk.begin(1, [
    { op: 'put', regionId: keyRegion(space, key).id, spaceId: space.id, subspace: 0, key, record: { version: 2, values: after } },
    { op: 'intent', spaceId: space.id, key, intent },
  ]);
  disk.complete(1);
  const core = new DaemonCore({ serverId: 1, incarnation: 2, store: disk, intents: disk.intentsHeld() });
  const run = (r: Ready): Ready => {
    for (const p of r.persist) {
      disk.begin(p.token, p.writes);
      disk.complete(p.token);
    }
    return r;
  };
  run(core.step({ type: 'config', config }));
  const get = run(core.step({ type: 'request', client: 7, requestId: 1, request: { kind: 'get', configVersion: config.version, spaceId: space.id, key } }));
  t.deepEqual(get.replies, [], 'no answer while the chain of the intent is not carried out');
  const update = [...get.send, ...run(core.step({ type: 'tick' })).send].find((s) => s.message.type === 'update');
  // The redo sent server 2 its update (at the config step); it comes again at the resend.
  let sent = update?.message;
  for (let i = 0; i < 100 && !sent; i++) sent = run(core.step({ type: 'tick' })).send.find((s) => s.message.type === 'update')?.message;
  t.is(sent?.type, 'update');
  if (sent?.type !== 'update') return;
  t.is(sent.record.version, 2);
  const acked = run(core.step({ type: 'peer', from: 2, message: { type: 'ack', id: sent.id, status: Status.SUCCESS, message: '' } }));
  t.is(acked.replies.length, 1, 'answered once the chain is done');
  t.deepEqual(acked.replies[0].reply, { kind: 'get', status: Status.SUCCESS, message: '', values: after });
});

test('a copy reported done is not begun again at a reconnection; it is when the configuration says the move began again', (t) => {
  const base = twoDaemonConfig('space kv key k attributes int n create 2 partitions tolerate 0 failures');
  const space = base.spaces[0];
  const R = space.subspaces[0].regions.find((r) => r.replicas[0] === 1)!;
  /** `base` with region R moving to server 2 since `since`, as configuration `version`. */
  const moving = (version: number, since: number): ClusterConfig => ({
    ...base,
    version,
    spaces: [{ ...space, subspaces: [{ ...space.subspaces[0], regions: space.subspaces[0].regions.map((r) => (r.id === R.id ? { ...r, moving: 2, movingSince: since } : r)) }] }],
  });
  const disk = new SimDisk();
  const core = new DaemonCore({ serverId: 1, incarnation: 1, store: disk });
  /** Steps an event, completing every batch, scan and load at once and acking every message from server 2; what was sent and reported. */
  const drive = (ev: CoreEvent): { sent: string[]; reports: number } => {
    const sent: string[] = [];
    let reports = 0;
    const queue: CoreEvent[] = [ev];
    for (let i = 0; i < 1000 && queue.length > 0; i++) {
      const r = core.step(queue.shift()!);
      for (const p of r.persist) {
        disk.begin(p.token, p.writes);
        disk.complete(p.token);
        queue.push({ type: 'persisted', token: p.token, ok: true });
      }
      for (const s of r.scans) queue.push({ type: 'scanned', token: s.token, rows: disk.scan(s.region.regionId) });
      for (const l of r.loads) queue.push({ type: 'loaded', token: l.token, record: disk.read(l.region, l.key) });
      for (const s of r.send) {
        sent.push(s.message.type);
        if (s.message.type !== 'ack') queue.push({ type: 'peer', from: 2, message: { type: 'ack', id: s.message.id, status: Status.SUCCESS, message: '' } });
      }
      reports += r.toCoordinator.length;
    }
    return { sent, reports };
  };
  drive({ type: 'config', config: base });
  const first = drive({ type: 'config', config: moving(base.version + 1, base.version + 1) });
  t.deepEqual(first.sent, ['reset'], 'the copy: a reset (the region is empty), then the report');
  t.is(first.reports, 1);
  const again = drive({ type: 'coordinator-link' });
  t.false(again.sent.includes('reset'), 'no second reset: the report may have completed the move already');
  t.is(again.reports, 1, 'the report is sent again at once');
  const restarted = drive({ type: 'config', config: moving(base.version + 3, base.version + 3) });
  t.deepEqual(restarted.sent, ['reset'], 'the move began again after the copy: copied again');
});
