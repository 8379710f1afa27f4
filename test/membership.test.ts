// Membership no stranger can forge, against real processes on 127.0.0.1. A plain TCP connection
// (what anyone on the network has) tries what only members may do: replica writes, region resets
// and handoffs sent to a daemon, a registration with the coordinator, a forged proof, a report
// that a region has moved. Each gets an error and changes nothing, which is checked with a
// client. Meanwhile daemons that know the cluster secret form a cluster that works: puts, gets and
// searches across three daemons, a coordinator restart that keeps every key, and a fourth daemon
// joining, so that regions move between daemons that must prove themselves to each other.
// Without a secret, registration stays open and everything works as before. The daemon's command
// line fails with one line when the secret is missing, wrong or unreadable.

import test, { ExecutionContext } from 'ava';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client, encodeKey, HyperObject } from '../src/client/client';
import { ClusterConfig, findSpace, keyRegion, regionOf, reviveConfig, SpaceLayout } from '../src/common/config';
import { decodeBody, encodeFrame, Frame, FrameDecoder } from '../src/common/frame';
import { decodeError, decodePeerChallenge, decodeRegisterChallenge } from '../src/common/messages';
import { registerCoordinatorProof } from '../src/common/peer-auth';
import { MsgType, PEER_AUTH, ServerState, Status, statusName } from '../src/common/protocol';
import {
  CoordinatorProc,
  DaemonProc,
  runCommand,
  SharedScope,
  startCoordinator,
  startDaemon,
  startProcess,
  stopProcess,
  tempDir,
  waitForOutput,
} from './helpers/cluster';

const SPACE = 'members';
const DESCRIPTION = `space ${SPACE} key k attributes string v, int n subspace v create 8 partitions`;
const OBJECTS = 300;
const SETTLE_MS_MAX = 60_000;
const RAW_WAIT_MS = 5000;

// ---- a raw connection: what a stranger has ------------------------------------------------------

class Raw {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Frame[] = [];
  private waiting?: () => void;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.frames.push(...this.decoder.push(d).frames);
      this.waiting?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  send(type: number, id: bigint, body: unknown[]): void {
    this.socket.write(encodeFrame(type, id, body));
  }

  /** The next frame with this request id (frames with other ids, pushes, are kept aside). */
  async next(id: bigint, timeoutMs = RAW_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.id === id);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (this.closed) throw new Error(`connection closed before a reply to request ${id}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply to request ${id} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Every frame received so far, replies and pushes. */
  all(): readonly Frame[] {
    return this.frames;
  }

  /** Resolves true once the other end has closed, false after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends one request on a new raw connection and returns the ERROR it must get: [status, message]. */
async function refusedWith(t: ExecutionContext, raw: Raw, type: number, id: bigint, body: unknown[]): Promise<{ status: number; message: string }> {
  raw.send(type, id, body);
  const f = await raw.next(id);
  t.is(f.type, MsgType.ERROR, `${type.toString(16)}: expected an ERROR frame`);
  return decodeError(f.body);
}

async function rawConfig(port: number): Promise<ClusterConfig> {
  const raw = await Raw.open(port);
  try {
    raw.send(MsgType.CONFIG_SUBSCRIBE, 1n, []);
    return reviveConfig((decodeBody((await raw.next(1n)).body) as unknown[])[0]);
  } finally {
    raw.close();
  }
}

/** The peer keys the coordinator keeps in its state file, by server id. */
function storedKeys(coordDir: string): Map<number, string> {
  const state = decodeBody(fs.readFileSync(path.join(coordDir, 'coordinator.state'))) as { peerKeys: Record<string, Uint8Array> };
  return new Map(Object.entries(state.peerKeys).map(([id, key]) => [Number(id), Buffer.from(key).toString('hex')]));
}

async function collect(it: AsyncIterable<HyperObject>): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  for await (const o of it) {
    out.push(o);
    if (out.length > 10 * OBJECTS) throw new Error('search did not end');
  }
  return out;
}

const keyOf = (i: number) => `m${String(i).padStart(4, '0')}`;
const valueOf = (i: number) => ({ v: `g${i % 7}`, n: i });

/** Waits (bounded) until `holds` is true of the configuration the coordinator publishes. */
async function waitForConfig(port: number, holds: (c: ClusterConfig) => boolean, what: string): Promise<ClusterConfig> {
  const deadline = Date.now() + SETTLE_MS_MAX;
  let c = await rawConfig(port);
  while (!holds(c)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${SETTLE_MS_MAX} ms; configuration ${c.version}: ${JSON.stringify(c.servers)}`);
    await new Promise((r) => setTimeout(r, 100));
    c = await rawConfig(port);
  }
  return c;
}

const regionsOf = (space: SpaceLayout) => space.subspaces.flatMap((ss) => ss.regions);

// ---- the cluster with a secret, shared by the tests of this file ------------------------------

const scope = new SharedScope();
let coord: CoordinatorProc;
const daemons: DaemonProc[] = [];
let client: Client;

test.before(async () => {
  coord = await startCoordinator(scope);
  for (let i = 0; i < 3; i++) daemons.push(await startDaemon(scope, coord));
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 15_000 });
  await client.addSpace(DESCRIPTION);
  for (let i = 0; i < OBJECTS; i++) await client.put(SPACE, keyOf(i), valueOf(i));
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

/** Where an object lives: the space, its key region and that region's head daemon's port. */
async function whereIs(key: string): Promise<{ config: ClusterConfig; space: SpaceLayout; regionId: number; headPort: number }> {
  const config = await rawConfig(coord.port);
  const space = findSpace(config, SPACE)!;
  const region = keyRegion(space, encodeKey(space.spec, key));
  const head = config.servers.find((s) => s.id === region.replicas[0])!;
  return { config, space, regionId: region.id, headPort: head.port };
}

// ---- strangers ----------------------------------------------------------------------------------

test.serial('REPLICA_WRITE, REGION_RESET and REGION_HANDOFF on a plain connection get UNAUTHORIZED and change nothing', async (t) => {
  const key = keyOf(1);
  const before = await client.get(SPACE, key);
  t.deepEqual(before, valueOf(1));
  const { config, space, regionId, headPort } = await whereIs(key);
  const secondary = regionOf(space, 1, encodeKey(space.spec, key), [Buffer.from('forged'), Buffer.alloc(8)]);
  const raw = await Raw.open(headPort);
  t.teardown(() => raw.close());
  const forged = (subspace: number, region: number, transfer: number) => [
    config.version,
    space.id,
    subspace,
    region,
    Buffer.from(key),
    1_000_000,
    [Buffer.from('forged'), Buffer.from('0100000000000000', 'hex')],
    transfer,
  ];
  const attempts: [string, number, unknown[]][] = [
    ['REPLICA_WRITE', MsgType.REPLICA_WRITE, forged(0, regionId, 0)],
    ['REPLICA_WRITE (transfer)', MsgType.REPLICA_WRITE, forged(0, regionId, 1)],
    ['REPLICA_WRITE (delete)', MsgType.REPLICA_WRITE, [config.version, space.id, 0, regionId, Buffer.from(key), 1_000_001, null, 0]],
    ['REPLICA_WRITE (secondary)', MsgType.REPLICA_WRITE, forged(1, secondary.id, 0)],
    ['REGION_RESET', MsgType.REGION_RESET, [config.version, space.id, 0, regionId]],
    ['REGION_HANDOFF', MsgType.REGION_HANDOFF, [config.version, space.id, 0, regionId]],
  ];
  let id = 10n;
  for (const [what, type, body] of attempts) {
    const e = await refusedWith(t, raw, type, id++, body);
    t.is(e.status, Status.UNAUTHORIZED, `${what}: ${statusName(e.status)} ${e.message}`);
    t.regex(e.message, /accepted only from a daemon that has proven its membership/, what);
  }
  // A handshake begun but not finished proves nothing either.
  raw.send(MsgType.PEER_HELLO, id, [daemons[0].serverId, crypto.randomBytes(PEER_AUTH.nonceBytes)]);
  t.is((await raw.next(id++)).type, MsgType.PEER_CHALLENGE);
  t.is((await refusedWith(t, raw, MsgType.REPLICA_WRITE, id++, forged(0, regionId, 0))).status, Status.UNAUTHORIZED, 'after PEER_HELLO alone');
  // Client requests on the same connection work as ever.
  raw.send(MsgType.REQ_GET, id, [config.version, space.id, Buffer.from(key)]);
  t.is((await raw.next(id)).type, MsgType.RESP_GET);

  t.deepEqual(await client.get(SPACE, key), before, 'the object is unchanged');
  const found = await collect(client.search(SPACE, { v: before!.v }));
  t.deepEqual(
    found.filter((o) => o.k === key),
    [{ k: key, ...before }],
    'the secondary subspace still holds it, unchanged',
  );
  t.deepEqual(await collect(client.search(SPACE, { v: 'forged' })), [], 'no forged copy anywhere');
  t.is(await client.count(SPACE, {}), OBJECTS, 'no object lost to a reset');
});

test.serial('a wrong PEER_PROOF is refused with UNAUTHORIZED, the connection closed, and nothing proven', async (t) => {
  const key = keyOf(2);
  const before = await client.get(SPACE, key);
  const { config, space, regionId, headPort } = await whereIs(key);
  const head = config.servers.find((s) => s.port === headPort)!;
  const claimed = config.servers.find((s) => s.id !== head.id)!.id;
  const raw = await Raw.open(headPort);
  t.teardown(() => raw.close());
  raw.send(MsgType.PEER_HELLO, 1n, [claimed, crypto.randomBytes(PEER_AUTH.nonceBytes)]);
  const challenge = await raw.next(1n);
  t.is(challenge.type, MsgType.PEER_CHALLENGE);
  t.is(decodePeerChallenge(challenge.body).serverId, head.id, 'the daemon names itself');
  const e = await refusedWith(t, raw, MsgType.PEER_PROOF, 2n, [crypto.randomBytes(PEER_AUTH.proofBytes)]);
  t.is(e.status, Status.UNAUTHORIZED, e.message);
  t.regex(e.message, new RegExp(`wrong PEER_PROOF: this connection did not prove that it comes from server ${claimed}`));
  t.true(await raw.closedWithin(RAW_WAIT_MS), 'the daemon closes the connection');

  // A server id nobody registered is refused too, on a new connection.
  const raw2 = await Raw.open(headPort);
  t.teardown(() => raw2.close());
  raw2.send(MsgType.PEER_HELLO, 1n, [4242, crypto.randomBytes(PEER_AUTH.nonceBytes)]);
  t.is((await raw2.next(1n)).type, MsgType.PEER_CHALLENGE);
  const e2 = await refusedWith(t, raw2, MsgType.PEER_PROOF, 2n, [crypto.randomBytes(PEER_AUTH.proofBytes)]);
  t.is(e2.status, Status.UNAUTHORIZED);
  t.regex(e2.message, /server 4242 is not a registered server/);

  const raw3 = await Raw.open(headPort);
  t.teardown(() => raw3.close());
  const w = [config.version, space.id, 0, regionId, Buffer.from(key), 1_000_000, [Buffer.from('forged'), Buffer.alloc(8)], 0];
  t.is((await refusedWith(t, raw3, MsgType.REPLICA_WRITE, 1n, w)).status, Status.UNAUTHORIZED);
  t.deepEqual(await client.get(SPACE, key), before, 'the object is unchanged');
});

test.serial('a forged DAEMON_REGISTER is refused by a coordinator with a secret, and no region goes to it', async (t) => {
  const before = await rawConfig(coord.port);
  const raw = await Raw.open(coord.port);
  t.teardown(() => raw.close());
  const token = crypto.randomBytes(16).toString('hex');

  // No proof at all: what a daemon without the secret (or the measurement of the brief) sends.
  const missing = await refusedWith(t, raw, MsgType.DAEMON_REGISTER, 1n, [token, '127.0.0.1', 9]);
  t.is(missing.status, Status.UNAUTHORIZED);
  t.regex(missing.message, /registration refused: the cluster secret is missing/);

  // A proof without a challenge first.
  const unasked = await refusedWith(t, raw, MsgType.DAEMON_REGISTER, 2n, [token, '127.0.0.1', 9, crypto.randomBytes(32)]);
  t.is(unasked.status, Status.UNAUTHORIZED);
  t.regex(unasked.message, /send REGISTER_HELLO first/);

  // The challenge, whose proof shows that the coordinator knows the secret; then a wrong proof.
  const daemonNonce = crypto.randomBytes(PEER_AUTH.nonceBytes);
  raw.send(MsgType.REGISTER_HELLO, 3n, [daemonNonce]);
  const f = await raw.next(3n);
  t.is(f.type, MsgType.REGISTER_CHALLENGE);
  const ch = decodeRegisterChallenge(f.body);
  const secret = Buffer.from(fs.readFileSync(coord.secretFile!, 'utf8').trim());
  t.deepEqual(ch.proof, registerCoordinatorProof(secret, daemonNonce, ch.nonce), "the coordinator's proof is made with the secret");
  const wrong = await refusedWith(t, raw, MsgType.DAEMON_REGISTER, 4n, [token, '127.0.0.1', 9, crypto.randomBytes(PEER_AUTH.proofBytes)]);
  t.is(wrong.status, Status.UNAUTHORIZED);
  t.regex(wrong.message, /registration refused: wrong cluster secret/);
  // The challenge was spent on the wrong proof: another try needs another hello.
  const again = await refusedWith(t, raw, MsgType.DAEMON_REGISTER, 5n, [token, '127.0.0.1', 9, crypto.randomBytes(PEER_AUTH.proofBytes)]);
  t.regex(again.message, /send REGISTER_HELLO first/);

  // Nothing was registered: no server at port 9, no push of peer keys, no region moves.
  t.false(raw.all().some((x) => x.type === MsgType.PEER_KEYS || x.type === MsgType.DAEMON_REGISTERED));
  const after = await rawConfig(coord.port);
  t.is(after.version, before.version, 'the configuration did not change');
  t.false(after.servers.some((s) => s.port === 9));
  const heads = new Set(regionsOf(findSpace(after, SPACE)!).flatMap((r) => [r.replicas[0], r.moving]));
  t.deepEqual([...heads].filter((h) => h !== undefined && !daemons.some((d) => d.serverId === h)), []);
  t.deepEqual(await client.get(SPACE, keyOf(3)), valueOf(3));
});

test.serial('a forged REGION_MOVED from a client connection is refused and the configuration is unchanged', async (t) => {
  const before = await rawConfig(coord.port);
  const region = regionsOf(findSpace(before, SPACE)!)[0];
  const other = before.servers.find((s) => s.id !== region.replicas[0])!.id;
  const raw = await Raw.open(coord.port);
  t.teardown(() => raw.close());
  raw.send(MsgType.CONFIG_SUBSCRIBE, 1n, []);
  await raw.next(1n);
  for (const [id, body] of [
    [2n, [region.id, other, before.version]],
    [0n, [region.id, other, before.version]],
  ] as const) {
    const e = await refusedWith(t, raw, MsgType.REGION_MOVED, id, [...body]);
    t.is(e.status, Status.UNAUTHORIZED, e.message);
    t.regex(e.message, /this connection did not register as a daemon/);
  }
  const malformed = await refusedWith(t, raw, MsgType.REGION_MOVED, 3n, [region.id, other]);
  t.is(malformed.status, Status.BADREQUEST, 'the version is required');
  const after = await rawConfig(coord.port);
  t.is(after.version, before.version);
  t.deepEqual(findSpace(after, SPACE), findSpace(before, SPACE));
});

test.serial('the peer keys reach no client: not in CONFIG, and no PEER_KEYS on a client connection', async (t) => {
  const keys = storedKeys(coord.dataDir);
  t.is(keys.size, 3, 'one key per daemon in the state file');
  const raw = await Raw.open(coord.port);
  t.teardown(() => raw.close());
  raw.send(MsgType.CONFIG_SUBSCRIBE, 1n, []);
  const f = await raw.next(1n);
  for (const [id, key] of keys) t.is(f.body.indexOf(Buffer.from(key, 'hex')), -1, `server ${id}'s key in the configuration`);
  t.false(raw.all().some((x) => x.type === MsgType.PEER_KEYS));
});

// ---- members ------------------------------------------------------------------------------------

test.serial('daemons with the secret: puts, gets and searches across three daemons; a coordinator restart keeps every key; a fourth daemon joins and regions move to it', async (t) => {
  t.timeout(180_000);
  const config = await rawConfig(coord.port);
  const space = findSpace(config, SPACE)!;
  const heads = new Set(regionsOf(space).map((r) => r.replicas[0]));
  t.is(heads.size, 3, 'every daemon heads regions');
  // Searches in the secondary subspace gather objects from every daemon, written there by peers.
  for (let g = 0; g < 7; g++) {
    const got = await collect(client.search(SPACE, { v: `g${g}` }));
    t.is(got.length, Array.from({ length: OBJECTS }, (_, i) => i).filter((i) => i % 7 === g).length, `search v=g${g}`);
  }
  // Writes that move objects between secondary regions: replica writes and removals between daemons.
  for (let i = 0; i < 50; i++) t.true(await client.put(SPACE, keyOf(i), { v: `h${i % 5}` }));

  // The coordinator restarts: every daemon registers again and keeps its key.
  const keys = storedKeys(coord.dataDir);
  t.is(await stopProcess(coord, 'SIGTERM'), 0);
  coord = await startCoordinator(scope, { dataDir: coord.dataDir, port: coord.port });
  await waitForConfig(coord.port, (c) => c.servers.length === 3 && c.servers.every((s) => s.state === ServerState.AVAILABLE), 'the daemons register again');
  t.deepEqual(storedKeys(coord.dataDir), keys, 'the same keys after the restart');

  // A client connection subscribed all along sees configurations, never keys.
  const watcher = await Raw.open(coord.port);
  t.teardown(() => watcher.close());
  watcher.send(MsgType.CONFIG_SUBSCRIBE, 1n, []);
  await watcher.next(1n);

  const fourth = await startDaemon(scope, coord);
  daemons.push(fourth);
  const moved = await waitForConfig(
    coord.port,
    (c) => {
      const regions = regionsOf(findSpace(c, SPACE)!);
      return regions.every((r) => r.moving === undefined) && regions.some((r) => r.replicas[0] === fourth.serverId);
    },
    'regions move to the fourth daemon',
  );
  t.log(`configuration ${moved.version}: the fourth daemon (server ${fourth.serverId}) heads ${regionsOf(findSpace(moved, SPACE)!).filter((r) => r.replicas[0] === fourth.serverId).length} regions`);
  t.is(storedKeys(coord.dataDir).size, 4);
  t.false(watcher.all().some((x) => x.type === MsgType.PEER_KEYS), 'no PEER_KEYS to a client');
  const fourthKey = Buffer.from(storedKeys(coord.dataDir).get(fourth.serverId)!, 'hex');
  t.false(watcher.all().some((x) => x.body.indexOf(fourthKey) >= 0), "the new daemon's key in no frame to a client");
  t.true(watcher.all().some((x) => x.type === MsgType.CONFIG && x.id === 0n), 'the client saw configurations pushed');

  // Every object reads back from wherever it is now, and searches find each once.
  for (let i = 0; i < OBJECTS; i++) {
    const want = i < 50 ? { v: `h${i % 5}`, n: i } : valueOf(i);
    t.deepEqual(await client.get(SPACE, keyOf(i)), want, keyOf(i));
  }
  const all = await collect(client.search(SPACE, {}));
  t.is(all.length, OBJECTS);
  t.is(new Set(all.map((o) => o.k)).size, OBJECTS);
  t.is((await collect(client.search(SPACE, { v: 'h0' }))).length, 10);
  t.true(await client.put(SPACE, 'after-join', { v: 'g0', n: 1 }));
  t.deepEqual(await client.get(SPACE, 'after-join'), { v: 'g0', n: 1 });
});

test('a daemon started without the secret, or with a wrong one, or with none on disk, exits non-zero with one line', async (t) => {
  const dir = tempDir(t, 'refused');
  const args = (dataDir: string) => ['daemon', `--data=${dataDir}`, '--listen-port=0', `--coordinator-port=${coord.port}`];
  const fresh = () => {
    const d = path.join(dir, crypto.randomBytes(4).toString('hex'));
    fs.mkdirSync(d);
    return d;
  };
  const oneLine = (r: { status: number | null; stderr: string }, pattern: RegExp, what: string) => {
    t.not(r.status, 0, what);
    t.regex(r.stderr, pattern, what);
    t.is(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
  };
  oneLine(await runCommand('hyperdex', args(fresh())), /registration refused: the cluster secret is missing/, 'no secret');
  const wrongFile = path.join(dir, 'wrong-secret');
  fs.writeFileSync(wrongFile, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  oneLine(await runCommand('hyperdex', [...args(fresh()), `--cluster-secret-file=${wrongFile}`]), /the secret is wrong/, 'a wrong secret');
  oneLine(
    await runCommand('hyperdex-daemon', ['--port', String(coord.port), '--data', fresh(), '--cluster-secret-file', wrongFile]),
    /the secret is wrong/,
    'a wrong secret, 0.4 spelling',
  );
  oneLine(await runCommand('hyperdex', [...args(fresh()), `--cluster-secret-file=${path.join(dir, 'nothing')}`]), /cluster secret file .* does not exist/, 'no file');
  const short = path.join(dir, 'short');
  fs.writeFileSync(short, 'tiny\n', { mode: 0o600 });
  oneLine(await runCommand('hyperdex', [...args(fresh()), `--cluster-secret-file=${short}`]), /needs at least 16/, 'a secret too short');
  const c = await rawConfig(coord.port);
  t.is(c.servers.length, daemons.length, 'none of them registered');
});

// ---- without a secret ------------------------------------------------------------------------------

test('without --cluster-secret-file: registration is open, the cluster works as before, and a daemon with a secret is told the coordinator has none', async (t) => {
  const local = new SharedScope();
  t.teardown(() => local.close());
  const open = await startCoordinator(local, { secret: false });
  t.is(open.secretFile, undefined);
  t.false(fs.existsSync(path.join(open.dataDir, 'cluster-secret')));
  // Both spellings of the manual, exactly as written there.
  const d1 = await startDaemon(local, open);
  const d2 = await startDaemon(local, open, { legacy: true });
  const c = await Client.connect('127.0.0.1', open.port, { timeoutMs: 15_000 });
  t.teardown(() => c.close());
  await c.addSpace(DESCRIPTION);
  for (let i = 0; i < 40; i++) t.true(await c.put(SPACE, keyOf(i), valueOf(i)));
  for (let i = 0; i < 40; i++) t.deepEqual(await c.get(SPACE, keyOf(i)), valueOf(i));
  t.is((await collect(c.search(SPACE, { v: 'g1' }))).length, 6);
  t.is(await c.count(SPACE, {}), 40);
  const layout = findSpace(await rawConfig(open.port), SPACE)!;
  t.deepEqual(new Set(regionsOf(layout).map((r) => r.replicas[0])), new Set([d1.serverId, d2.serverId]));

  // Open registration: a raw DAEMON_REGISTER is taken (that is what the option is for), and it
  // gets its key; but a REGION_MOVED from it for a region it does not head is still refused.
  const fake = await Raw.open(open.port);
  t.teardown(() => fake.close());
  fake.send(MsgType.DAEMON_REGISTER, 1n, [crypto.randomBytes(16).toString('hex'), '127.0.0.1', 9]);
  const reg = await fake.next(1n);
  t.is(reg.type, MsgType.DAEMON_REGISTERED);
  const [fakeId] = decodeBody(reg.body) as [number];
  const towards = await waitForConfig(open.port, (cfg) => regionsOf(findSpace(cfg, SPACE)!).some((r) => r.moving === Number(fakeId)), 'regions start moving to the registered stranger');
  const target = regionsOf(findSpace(towards, SPACE)!).find((r) => r.moving === Number(fakeId))!;
  const e = await refusedWith(t, fake, MsgType.REGION_MOVED, 2n, [target.id, Number(fakeId), towards.version]);
  t.is(e.status, Status.UNAUTHORIZED, e.message);
  t.regex(e.message, new RegExp(`server ${fakeId} does not head region ${target.id}`));
  const still = findSpace(await rawConfig(open.port), SPACE)!;
  t.is(regionsOf(still).find((r) => r.id === target.id)!.replicas[0], target.replicas[0], 'the region keeps its head');
  fake.close();
  await waitForConfig(open.port, (cfg) => regionsOf(findSpace(cfg, SPACE)!).every((r) => r.moving === undefined), 'the moves to the stranger are cancelled when it leaves');
  for (let i = 0; i < 40; i++) t.deepEqual(await c.get(SPACE, keyOf(i)), valueOf(i));

  // A daemon given a secret refuses a coordinator that has none.
  const secretFile = path.join(tempDir(t, 'secret-only'), 'secret');
  fs.writeFileSync(secretFile, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  const dataDir = tempDir(t, 'secret-daemon');
  const r = await runCommand('hyperdex', ['daemon', `--data=${dataDir}`, '--listen-port=0', `--coordinator-port=${open.port}`, `--cluster-secret-file=${secretFile}`]);
  t.not(r.status, 0);
  t.regex(r.stderr, /this coordinator has no cluster secret/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('the coordinator creates the secret file (mode 0600, 32 random bytes as hex) and reads it again on a restart', async (t) => {
  const local = new SharedScope();
  t.teardown(() => local.close());
  const dir = tempDir(t, 'secret-file');
  const file = path.join(dir, 'cluster-secret');
  const p = startProcess(local, 'hyperdex-coordinator', ['--host-port', '0', '--control-port', '0', '--data', dir, '--cluster-secret-file', file]);
  await waitForOutput(p, /serving on/);
  t.regex(p.output(), /created the cluster secret file/);
  const st = fs.statSync(file);
  t.is(st.mode & 0o777, 0o600);
  const secret = fs.readFileSync(file, 'utf8');
  t.regex(secret, /^[0-9a-f]{64}\n$/);
  t.deepEqual(
    fs.readdirSync(dir).filter((n) => n.includes('.tmp')),
    [],
    'no temporary file left',
  );
  t.is(await stopProcess(p, 'SIGTERM'), 0);
  const again = startProcess(local, 'hyperdex', ['coordinator', '-p', '0', '-D', dir, '--cluster-secret-file', file]);
  await waitForOutput(again, /serving on/);
  t.notRegex(again.output(), /created/);
  t.is(fs.readFileSync(file, 'utf8'), secret, 'the same secret');
});
