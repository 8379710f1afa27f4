// The daemon process: serves key operations on the regions the configuration gives it, stores
// objects in LevelDB under its data directory, and follows the coordinator.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { axisCoordinate, ClusterConfig, EMPTY_CONFIG, findServer, findSpaceById, keyRegion, RegionLayout, regionOf, reviveConfig, SpaceLayout } from '../common/config';
import { attributeByName } from '../common/schema';
import { HyperClientError } from '../client/errors';
import { Link } from '../client/link';
import { connectTcp, FramedConnection } from '../common/connection';
import { decodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { datatypeOf, isScalar, typeName } from '../common/datatypes';
import { Check, firstFailingCheck, resolveChecks } from '../common/predicate';
import { AtomicFlag, MsgType, msgTypeName, PEER_AUTH, SEARCH_BATCH, Status, statusName } from '../common/protocol';
import { proofMatches, registerCoordinatorProof, registerDaemonProof } from '../common/peer-auth';
import { GateAnswer, PeerGate, PeerIdentity, provePeer, unprovenMessage } from './peer-gate';
import { applyAtomic, checkKey, Outcome, StoredObject, SUCCESS } from './apply';
import { RegionRef, regionChanges } from './changes';
import { sortObjects } from './sort';
import { ConditionWaiters } from '../common/waiters';
import { KeyedSerializer } from './serializer';
import { forwardTargetOf } from './forwarding';
import { countSuccessFrame, decodeAtomicFast, decodeGetFast, decodePredicateFast, decodeSearchFast, GetReplyShape, SearchItemsShape, writeSuccessFrame } from '../common/fastcodec';
import { INDEX_KEY_START, LevelObjectStore, ObjectStore, recordValuesAt } from './storage';
import { MemoryRows } from './memindex';
import { axisInterval } from '../common/planner';

/** The last coordinate of an axis. */
const AXIS_MAX = (1n << 64n) - 1n;

/** A space's reply encoders, made once per space layout: a get's body, a search's items. */
interface ReplyShapes {
  readonly getBody: (obj: StoredObject) => Buffer;
  readonly items: SearchItemsShape;
}

/** Writes of one key waiting for its lock, to be applied and committed together (atomicAt). */
class AtomicGroup {
  readonly writes: { req: m.AtomicRequest; resolve: (o: Outcome) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly space: SpaceLayout,
    readonly regionId: number,
    readonly key: Buffer,
  ) {}
}

/** Where a search sends a batch of matches: given a type and request id, it writes their frame. */
type SearchSink = (frame: (type: number, id: bigint) => Buffer) => void;

export interface DaemonOptions {
  readonly listenHost: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  readonly coordinatorHost: string;
  readonly coordinatorPort: number;
  readonly dataDir: string;
  readonly frameBytesMax?: number;
  /**
   * The cluster secret, when the coordinator requires one: the daemon proves that it knows it to
   * register (and checks that the coordinator knows it too). Without it, registration is open.
   */
  readonly clusterSecret?: Buffer;
  readonly log?: (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;
}

/** Request ids on the coordinator link. */
const REGISTER_HELLO_ID = 1n;
const REGISTER_ID = 2n;
const SUBSCRIBE_ID = 3n;
/** How long the peer handshake may take, the peer's wait for keys included. */
const PEER_HANDSHAKE_MS_MAX = 5000;

const IDENTITY_FILE = 'hyperdex-identity';
const RECONNECT_DELAY_MS_MIN = 100;
const RECONNECT_DELAY_MS_MAX = 2000;
const CONFIG_CATCH_UP_MS_MAX = 2000;
/** How long a new head waits for the old head's handoff before serving a region anyway. */
const HANDOFF_WAIT_MS_MAX = 10_000;
const PEER_TIMEOUT_MS = 20_000;
/** Replica writes retried under newer configurations while a region changes hands. */
const REPLICATE_ATTEMPTS_MAX = 10;
const MOVE_RETRY_DELAY_MS = 1000;
/** Writes of one key committed together at most (see atomicAt). */
const ATOMIC_GROUP_MAX = 256;
/** Objects in flight to the next head while copying a region. */
const TRANSFER_WINDOW = 256;

/** The coordinator refused this daemon's registration (or could not prove that it knows the secret). */
class RegistrationRefused extends Error {}

/** A peer daemon answered with a status other than SUCCESS. */
class PeerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The daemon's identity survives restarts on the same data directory. */
function loadIdentity(dataDir: string): string {
  const file = path.join(dataDir, IDENTITY_FILE);
  if (fs.existsSync(file)) {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(token)) return token;
    throw new Error(`${file} is corrupt; remove it to give this daemon a new identity`);
  }
  const token = crypto.randomBytes(16).toString('hex');
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o644 });
  const fd = fs.openSync(tmp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return token;
}

export class Daemon {
  private config: ClusterConfig = EMPTY_CONFIG;
  private serverId = 0;
  private server?: net.Server;
  private coordinator?: FramedConnection;
  private readonly clients = new Set<FramedConnection>();
  private readonly serializer = new KeyedSerializer();
  private stopping = false;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
  private registeredOnce?: () => void;
  private registrationFailed?: (e: Error) => void;
  /** The nonce of this connection's REGISTER_HELLO, with a cluster secret. */
  private registerNonce?: Buffer;
  /** Counts registrations: a move's report goes only on the coordinator link its copy began under. */
  private coordinatorEpoch = 0;
  /** This daemon's peer key, from DAEMON_REGISTERED. */
  private peerKey?: Buffer;
  /** Every registered server's peer key, from PEER_KEYS. */
  private peerKeys = new Map<number, Buffer>();
  /** Woken when this daemon's key or the table of keys changes. */
  private readonly keyWaiters = new ConditionWaiters();
  /** The peer handshake of each accepted connection that began one (clients never do). */
  private readonly gates = new Map<FramedConnection, PeerGate>();
  private readonly configWaiters = new ConditionWaiters();
  /** Regions this daemon heads but may not serve until their previous head hands them off. */
  private readonly awaitingHandoff = new Map<number, number>();
  /** Handoffs that arrived before the configuration that made this daemon the head. */
  private readonly handoffsReceived = new Set<number>();
  /** Work in progress per region this daemon heads. */
  private readonly inflight = new Map<number, number>();
  /** Copies of regions to their next heads, in progress. */
  private readonly moves = new Map<number, Promise<void>>();
  /**
   * Copies finished and reported, until the configuration shows the move done or cancelled: the
   * destination, the configuration version the copy began under, and the registration (epoch)
   * it was reported on. One reported on an earlier link is copied again rather than repeated.
   */
  private readonly movedReports = new Map<number, { to: number; configVersion: number; epoch: number }>();
  /** Moves begun again (in the configuration) while their copy ran: copied again when it ends. */
  private readonly moveAgain = new Set<number>();
  private readonly peers = new Map<string, Promise<Link>>();
  private nextPeerRequest = 1n;
  /** The constant parts of a space's RESP_GET and RESP_SEARCH_ITEMS, made once per space layout. */
  private readonly replyShapes = new WeakMap<SpaceLayout, ReplyShapes>();
  private readonly regionIndex = new Map<number, { space: SpaceLayout; subspace: number; region: RegionLayout }>();
  private regionIndexVersion = -1;
  private regionIndexConfig?: ClusterConfig;
  /**
   * What searches, counts and group deletes read, since the start: regions scanned, how many of
   * them through the index, objects examined. For tests and diagnostics.
   */
  readonly searchStats = { regions: 0, indexed: 0, examined: 0, fromMemory: 0 };

  private constructor(
    private readonly opts: DaemonOptions,
    private readonly store: ObjectStore,
    private readonly token: string,
  ) {}

  private log(line: string, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): void {
    if (this.opts.log) this.opts.log(line, level);
    else process.stderr.write(`daemon ${level}: ${line}\n`);
  }

  /** Opens storage, listens, registers with the coordinator; resolves once registered. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const stat = fs.statSync(opts.dataDir, { throwIfNoEntry: false });
    if (!stat || !stat.isDirectory()) throw new Error(`data directory ${opts.dataDir} does not exist (create it first)`);
    const token = loadIdentity(opts.dataDir);
    const store = await LevelObjectStore.open(path.join(opts.dataDir, 'objects'));
    const d = new Daemon(opts, store, token);
    if (!store.indexComplete) d.log('this data directory predates the search index: searches read whole regions', 'warn');
    try {
      await d.listen();
      await new Promise<void>((resolve, reject) => {
        d.registeredOnce = resolve;
        d.registrationFailed = reject;
        d.connectCoordinator();
      });
    } catch (e) {
      await d.stop();
      throw e;
    }
    return d;
  }

  get address(): { host: string; port: number } {
    const a = this.server!.address() as net.AddressInfo;
    return { host: this.opts.listenHost, port: a.port };
  }

  get id(): number {
    return this.serverId;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', (err) => reject(new Error(`cannot listen on ${this.opts.listenHost}:${this.opts.listenPort}: ${err.message}`)));
      server.listen(this.opts.listenPort, this.opts.listenHost, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.log(`server error: ${err.message}`, 'error'));
        this.server = server;
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) return void socket.destroy();
    const conn: FramedConnection = new FramedConnection(
      socket,
      {
        onFrame: (f) => this.onClientFrame(conn, f),
        onClose: () => {
          this.clients.delete(conn);
          this.gates.delete(conn);
        },
      },
      this.opts.frameBytesMax,
    );
    this.clients.add(conn);
  }

  // ---- coordinator link ------------------------------------------------------------------

  private connectCoordinator(): void {
    if (this.stopping) return;
    const { coordinatorHost: host, coordinatorPort: port } = this.opts;
    connectTcp(host, port, 5000).then(
      (socket) => {
        if (this.stopping) return void socket.destroy();
        const conn: FramedConnection = new FramedConnection(socket, {
          onFrame: (f) => this.onCoordinatorFrame(conn, f),
          onClose: (reason) => {
            if (this.coordinator === conn) this.coordinator = undefined;
            if (!this.stopping) {
              this.log(`lost the coordinator (${reason}); reconnecting`, 'warn');
              this.scheduleReconnect();
            }
          },
        });
        this.coordinator = conn;
        if (this.opts.clusterSecret) {
          // First the challenge: the proof of the secret covers the coordinator's nonce.
          this.registerNonce = crypto.randomBytes(PEER_AUTH.nonceBytes);
          conn.send(MsgType.REGISTER_HELLO, REGISTER_HELLO_ID, [this.registerNonce]);
        } else {
          const { host, port } = this.address;
          conn.send(MsgType.DAEMON_REGISTER, REGISTER_ID, m.encodeRegister({ token: this.token, host, port }));
        }
      },
      (err: Error) => {
        this.log(`${err.message}; retrying`, 'warn');
        this.scheduleReconnect();
      },
    );
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectCoordinator();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_DELAY_MS_MAX);
  }

  private onCoordinatorFrame(conn: FramedConnection, f: Frame): void {
    try {
      switch (f.type) {
        case MsgType.REGISTER_CHALLENGE:
          return this.onRegisterChallenge(conn, f);
        case MsgType.DAEMON_REGISTERED:
          return this.onRegistered(conn, f);
        case MsgType.PEER_KEYS:
          this.peerKeys = m.decodePeerKeys(f.body);
          this.keyWaiters.notify();
          return;
        case MsgType.CONFIG: {
          const [raw] = decodeBody(f.body) as [unknown];
          this.installConfig(reviveConfig(raw));
          // The answer to this link's subscription reflects every report the coordinator took.
          if (f.id === SUBSCRIBE_ID) this.copyUnreportedAgain();
          return;
        }
        case MsgType.ERROR: {
          const e = m.decodeError(f.body);
          if (f.id === REGISTER_HELLO_ID || f.id === REGISTER_ID) return this.refused(conn, `the coordinator refused the registration: ${e.message}`);
          this.log(`coordinator says: ${statusName(e.status)} ${e.message}`, 'warn');
          return;
        }
        default:
          this.log(`unexpected ${msgTypeName(f.type)} from the coordinator`, 'warn');
      }
    } catch (e) {
      this.log(`bad message from the coordinator: ${(e as Error).message}`, 'warn');
    }
  }

  /** REGISTER_CHALLENGE: checks the coordinator's proof of the secret, then registers with ours. */
  private onRegisterChallenge(conn: FramedConnection, f: Frame): void {
    const secret = this.opts.clusterSecret;
    const daemonNonce = this.registerNonce;
    if (!secret || !daemonNonce || conn !== this.coordinator) return this.log('REGISTER_CHALLENGE that this daemon did not ask for; ignored', 'warn');
    this.registerNonce = undefined;
    const ch = m.decodeRegisterChallenge(f.body);
    if (!proofMatches(registerCoordinatorProof(secret, daemonNonce, ch.nonce), ch.proof))
      return this.refused(conn, `the coordinator at ${this.opts.coordinatorHost}:${this.opts.coordinatorPort} does not know this cluster secret: the secret is wrong (check --cluster-secret-file)`);
    const { host, port } = this.address;
    const proof = registerDaemonProof(secret, daemonNonce, ch.nonce, this.token, host, port);
    conn.send(MsgType.DAEMON_REGISTER, REGISTER_ID, m.encodeRegister({ token: this.token, host, port, proof }));
  }

  private onRegistered(conn: FramedConnection, f: Frame): void {
    if (conn !== this.coordinator) return;
    const { serverId, key } = m.decodeRegistered(f.body);
    this.serverId = serverId;
    this.peerKey = key;
    this.coordinatorEpoch++;
    this.keyWaiters.notify();
    this.reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
    conn.send(MsgType.CONFIG_SUBSCRIBE, SUBSCRIBE_ID, []);
    this.registeredOnce?.();
    this.registeredOnce = undefined;
    this.registrationFailed = undefined;
  }

  /**
   * The registration failed. A daemon still starting fails with the reason; a running one (its
   * coordinator restarted with another secret, say) says so and keeps trying, with backoff.
   */
  private refused(conn: FramedConnection, reason: string): void {
    const fail = this.registrationFailed;
    this.registeredOnce = undefined;
    this.registrationFailed = undefined;
    if (fail) {
      // start() stops the daemon (no reconnection then) and reports the reason.
      fail(new RegistrationRefused(reason));
      return;
    }
    this.log(`${reason}; trying again`, 'error');
    conn.close(reason);
  }

  /**
   * Copies reported on an earlier coordinator link, whose move the configuration still shows
   * pending, are copied again rather than reported again: a report carries the configuration its
   * copy began under, and a move that was cancelled and begun again while this daemon was away
   * (and so unseen here) would ignore it forever. Safe: no report of ours is outstanding now,
   * since the coordinator reads nothing more from a link replaced by a new registration.
   */
  private copyUnreportedAgain(): void {
    for (const [id, r] of [...this.movedReports]) {
      if (r.epoch === this.coordinatorEpoch) continue;
      this.movedReports.delete(id);
      if (this.moves.has(id)) continue;
      this.restartMove(id);
    }
  }

  private installConfig(next: ClusterConfig): void {
    if (next.version <= this.config.version) return;
    const old = this.config;
    const dropped = old.spaces.filter((s) => !findSpaceById(next, s.id));
    const changes = regionChanges(old, next, this.serverId);
    this.config = next;
    for (const g of changes.gained) {
      // The old head may still finish writes it took under the old configuration: wait for its handoff.
      if (g.from !== undefined && g.from !== this.serverId && !this.handoffsReceived.delete(g.region.id)) this.awaitingHandoff.set(g.region.id, Date.now());
    }
    this.configWaiters.notify();
    for (const s of dropped) {
      this.store.dropSpace(s.id).catch((e: Error) => this.log(`dropping space ${s.name}: ${e.message}`, 'error'));
    }
    // Reports of finished copies are kept until the coordinator acts on them.
    for (const [id, r] of [...this.movedReports]) if (this.regionById(id)?.region.moving !== r.to) this.movedReports.delete(id);
    for (const mv of changes.movesStarted) this.startMove(mv, mv.to);
    for (const l of changes.lost) void this.handOff(l, l.to);
  }

  // ---- regions: who serves what --------------------------------------------------------------

  /**
   * Waits (bounded) until this daemon may serve a region it heads: a region it just gained is
   * served once the previous head handed it off, so that no write is applied out of order.
   */
  private async regionReady(regionId: number): Promise<void> {
    if (!this.awaitingHandoff.has(regionId)) return;
    const ok = await this.configWaiters.waitFor(() => this.stopping || !this.awaitingHandoff.has(regionId), HANDOFF_WAIT_MS_MAX);
    if (!ok) {
      this.log(`no handoff for region ${regionId} within ${HANDOFF_WAIT_MS_MAX} ms; serving it anyway`, 'warn');
      this.awaitingHandoff.delete(regionId);
    }
  }

  /** Counts work in progress on a region this daemon heads, so that a handoff can wait for it. */
  private async inRegion<T>(regionId: number, work: () => Promise<T>): Promise<T> {
    // hold() for one region, without its array and closure: this runs for every write.
    this.inflight.set(regionId, (this.inflight.get(regionId) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const n = this.inflight.get(regionId)! - 1;
      if (n === 0) this.inflight.delete(regionId);
      else this.inflight.set(regionId, n);
      this.configWaiters.notify();
    }
  }

  /**
   * Counts work in on regions (synchronously, right after judging that this daemon heads them),
   * so that a handoff waits for it; the returned function counts it out.
   */
  private hold(regionIds: Iterable<number>): () => void {
    const ids = [...regionIds];
    for (const id of ids) this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = this.inflight.get(id)! - 1;
        if (n === 0) this.inflight.delete(id);
        else this.inflight.set(id, n);
      }
      this.configWaiters.notify();
    };
  }

  /** Where writes to a region held here must also go (see forwardTargetOf). */
  private forwardTarget(regionId: number): number | undefined {
    const found = this.regionById(regionId);
    return found ? forwardTargetOf(found.region, this.serverId) : undefined;
  }

  private regionById(regionId: number): { space: SpaceLayout; subspace: number; region: RegionLayout } | undefined {
    // Indexed once per configuration: every write asks (forwardTarget), and a space may have
    // thousands of regions.
    if (this.regionIndexVersion !== this.config.version || this.regionIndexConfig !== this.config) {
      this.regionIndex.clear();
      for (const space of this.config.spaces)
        for (let i = 0; i < space.subspaces.length; i++) for (const region of space.subspaces[i].regions) this.regionIndex.set(region.id, { space, subspace: i, region });
      this.regionIndexVersion = this.config.version;
      this.regionIndexConfig = this.config;
    }
    return this.regionIndex.get(regionId);
  }

  /**
   * A link to another daemon; every message to one peer goes in order over one connection. The
   * link is handed out only once both ends have proven who they are (the peer handshake).
   */
  private peer(id: number): Promise<Link> {
    const s = findServer(this.config, id);
    if (!s) return Promise.reject(new Error(`server ${id} is not in configuration ${this.config.version}`));
    const name = `${id}@${s.host}:${s.port}`;
    let link = this.peers.get(name);
    if (!link) {
      link = Link.open(s.host, s.port, 5000, undefined, () => this.peers.delete(name)).then(async (l) => {
        try {
          const me = await this.ownIdentity();
          if (!me) throw new Error(`this daemon has no peer key yet (not registered): cannot prove itself to server ${id}`);
          const request = (type: number, body: unknown[]) => l.request(type, this.nextPeerRequest++, body, PEER_HANDSHAKE_MS_MAX);
          await provePeer(request, me, id, (peerId) => this.peerKeyOf(peerId), crypto.randomBytes(PEER_AUTH.nonceBytes), `server ${name}`);
          return l;
        } catch (e) {
          l.close();
          throw e;
        }
      });
      link.catch(() => this.peers.delete(name));
      this.peers.set(name, link);
    }
    return link;
  }

  /** This daemon's id and peer key, waiting (bounded) for its registration. */
  private async ownIdentity(): Promise<PeerIdentity | undefined> {
    await this.keyWaiters.waitFor(() => this.stopping || this.peerKey !== undefined, PEER_AUTH.keyWaitMsMax);
    return this.peerKey ? { id: this.serverId, key: this.peerKey } : undefined;
  }

  /** A server's peer key, waiting (bounded) for a PEER_KEYS that names it. */
  private async peerKeyOf(serverId: number): Promise<Buffer | undefined> {
    await this.keyWaiters.waitFor(() => this.stopping || this.peerKeys.has(serverId), PEER_AUTH.keyWaitMsMax);
    return this.peerKeys.get(serverId);
  }

  /** Sends to a peer and waits for its REPLICA_ACK; a non-SUCCESS status is an error. */
  private async toPeer(id: number, type: number, body: unknown[]): Promise<void> {
    const link = await this.peer(id);
    const f = await link.request(type, this.nextPeerRequest++, body, PEER_TIMEOUT_MS);
    const [status, message] = decodeBody(f.body) as [number | bigint, string];
    if (Number(status) !== Status.SUCCESS) throw new PeerError(Number(status), `server ${id}: ${message}`);
  }

  /**
   * Sends one replica write to the head of a region, retrying under newer configurations while
   * the region is changing hands. Applied here directly when this daemon is the head.
   */
  private async replicate(space: SpaceLayout, subspace: number, key: Buffer, version: number, values: readonly Buffer[] | null, regionId: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const found = this.regionById(regionId);
      if (!found) throw new PeerError(Status.RECONFIGURE, `region ${regionId} is gone`);
      const head = found.region.replicas[0];
      if (head === undefined) throw new PeerError(Status.RECONFIGURE, `region ${regionId} has no daemon`);
      const w: m.ReplicaWrite = { configVersion: this.config.version, spaceId: space.id, subspace, regionId, key, version, values, transfer: false };
      try {
        if (head === this.serverId) {
          const r = await this.applyReplicaWrite(w);
          if (r.status !== Status.SUCCESS) throw new PeerError(r.status, r.message);
        } else await this.toPeer(head, MsgType.REPLICA_WRITE, m.encodeReplicaWrite(w));
        return;
      } catch (e) {
        const retry = (e instanceof PeerError || e instanceof HyperClientError) && e.status === Status.RECONFIGURE;
        if (!retry || attempt + 1 >= REPLICATE_ATTEMPTS_MAX || this.stopping) throw e;
        const seen = this.config.version;
        await this.configWaiters.waitFor(() => this.stopping || this.config.version > seen, CONFIG_CATCH_UP_MS_MAX);
      }
    }
  }

  /**
   * Applies a replica write for a region of a secondary subspace (or, during a move, of any
   * subspace) under the key's lock, forwarding it to the region's next head when it moves.
   */
  private async applyReplicaWrite(w: m.ReplicaWrite): Promise<{ status: number; message: string }> {
    await this.configAtLeast(w.configVersion);
    const found = this.regionById(w.regionId);
    if (!found || found.space.id !== w.spaceId || found.subspace !== w.subspace) return { status: Status.RECONFIGURE, message: `no region ${w.regionId} here` };
    const r = found.region;
    const isHead = r.replicas[0] === this.serverId;
    if (w.transfer) {
      // Copies and forwards from the current head while the region moves here, or from the
      // previous head until it has handed the region off.
      if (r.moving !== this.serverId && !(isHead && this.awaitingHandoff.has(w.regionId)))
        return { status: Status.RECONFIGURE, message: `region ${w.regionId} is not moving here` };
      return this.serializer.run(this.lockName(w.spaceId, w.subspace, w.key), async () => {
        await this.writeLocal(w);
        return { status: Status.SUCCESS, message: '' };
      });
    }
    if (!isHead) return { status: Status.RECONFIGURE, message: `server ${this.serverId} does not head region ${w.regionId}` };
    await this.regionReady(w.regionId);
    // Judge again after waiting: nothing may run between this check and counting the work in.
    if (this.regionById(w.regionId)?.region.replicas[0] !== this.serverId)
      return { status: Status.RECONFIGURE, message: `server ${this.serverId} no longer heads region ${w.regionId}` };
    return this.inRegion(w.regionId, () =>
      this.serializer.run(this.lockName(w.spaceId, w.subspace, w.key), async () => {
        await this.writeLocal(w);
        await this.forward(w);
        return { status: Status.SUCCESS, message: '' };
      }),
    );
  }

  private writeLocal(w: m.ReplicaWrite): Promise<void> {
    return new Promise((resolve, reject) => this.writeLocalThen(w, resolve, reject));
  }

  /** writeLocal, with its outcome told to `resolve` or `reject` (writeNow's writes). */
  private writeLocalThen(w: m.ReplicaWrite, resolve: () => void, reject: (e: Error) => void): void {
    // Secondary subspaces are indexed on their first axis (see matching()); the key subspace is
    // not: its searches name a key, and its writes are the ones every put pays for.
    const indexed = w.subspace > 0;
    if (w.values === null) this.store.delThen(w.spaceId, w.subspace, w.regionId, w.key, indexed, resolve, reject);
    else {
      const space = indexed ? this.regionById(w.regionId)?.space : undefined;
      const coord = space ? this.firstAxisCoordinate(space, w.subspace, w.key, w.values) : undefined;
      this.store.putThen(w.spaceId, w.subspace, w.regionId, w.key, { version: w.version, values: w.values }, coord, resolve, reject);
    }
  }

  /** An object's coordinate on the first axis of a subspace. */
  private firstAxisCoordinate(space: SpaceLayout, subspace: number, key: Buffer, values: readonly Buffer[]): bigint {
    return axisCoordinate(space, space.subspaces[subspace].attributes[0], key, values);
  }

  /**
   * Forwards the writes, just applied here, whose region has begun to move since they were
   * judged (a region's copy may have passed their key); undefined when none has.
   */
  private forwardMoved(writes: readonly m.ReplicaWrite[]): Promise<void> | undefined {
    let moved: m.ReplicaWrite[] | undefined;
    for (const w of writes) if (this.forwardTarget(w.regionId) !== undefined) (moved ??= []).push(w);
    return moved && Promise.all(moved.map((w) => this.forward(w))).then(() => undefined);
  }

  /** During a move (or right after it, until the handoff), writes also go to the next head. */
  private async forward(w: m.ReplicaWrite): Promise<void> {
    const to = this.forwardTarget(w.regionId);
    if (to === undefined) return;
    await this.toPeer(to, MsgType.REPLICA_WRITE, m.encodeReplicaWrite({ ...w, configVersion: this.config.version, transfer: true }));
  }

  /** Copies a moving region to its next head, then tells the coordinator. */
  private startMove(ref: RegionRef, to: number): void {
    const id = ref.region.id;
    if (this.moves.has(id)) {
      // Begun again while its copy runs (cancelled and restarted, say): the copy under way began
      // before this move and its report will be ignored, so copy once more when it ends.
      this.moveAgain.add(id);
      return;
    }
    // The configuration and the coordinator link the copy begins under, for its report.
    let begun = { configVersion: this.config.version, epoch: this.coordinatorEpoch };
    const sendReset = () => {
      begun = { configVersion: this.config.version, epoch: this.coordinatorEpoch };
      return this.toPeer(to, MsgType.REGION_RESET, m.encodeRegionMessage({ configVersion: this.config.version, spaceId: ref.space.id, subspace: ref.subspace, regionId: id }));
    };
    // The reset goes out first on the link, before any forwarded write. A region still awaiting
    // the handoff from its previous head is copied only after it: until then that head's late
    // writes arrive here and are applied here only, so a copy begun earlier could pass their key
    // before they come and leave the next head with the older object.
    const reset = this.awaitingHandoff.has(id)
      ? this.regionReady(id).then(() => {
          const cur = this.regionById(id);
          if (this.stopping || !cur || cur.region.replicas[0] !== this.serverId || cur.region.moving !== to) return false;
          return sendReset().then(() => true);
        })
      : sendReset().then(() => true);
    const move = (async () => {
      if (!(await reset)) return; // the move was cancelled while waiting for the handoff
      let sent = 0;
      const window: Promise<void>[] = [];
      for await (const batch of this.store.scanRegion(ref.space.id, ref.subspace, id))
      for (const [key] of batch) {
        if (this.stopping) return;
        const cur = this.regionById(id);
        if (!cur || cur.region.moving !== to) return; // the move was cancelled
        // Under the key's lock: the copy and any write to the key reach the new head in order.
        const p = this.serializer.run(this.lockName(ref.space.id, ref.subspace, key), async () => {
          const obj = await this.store.get(ref.space.id, ref.subspace, id, key);
          if (!obj) return undefined;
          const w: m.ReplicaWrite = { configVersion: this.config.version, spaceId: ref.space.id, subspace: ref.subspace, regionId: id, key, version: obj.version, values: obj.values, transfer: true };
          return this.toPeer(to, MsgType.REPLICA_WRITE, m.encodeReplicaWrite(w));
        });
        window.push(p.then(() => undefined));
        sent++;
        if (window.length >= TRANSFER_WINDOW) await Promise.all(window.splice(0));
      }
      await Promise.all(window);
      if (begun.epoch !== this.coordinatorEpoch) {
        // Begun under an earlier coordinator link: what happened to the move meanwhile is
        // unknown here (see copyUnreportedAgain), so copy again instead of reporting.
        this.moveAgain.add(id);
        return;
      }
      this.movedReports.set(id, { to, ...begun });
      this.coordinator?.send(MsgType.REGION_MOVED, 0n, m.encodeRegionMoved({ regionId: id, to, configVersion: begun.configVersion }));
      this.log(`region ${id} copied to server ${to} (${sent} objects, begun under configuration ${begun.configVersion})`, 'debug');
    })();
    this.moves.set(id, move);
    move.then(
      () => {
        this.moves.delete(id);
        if (this.moveAgain.delete(id)) this.restartMove(id);
      },
      (e: Error) => {
        this.moves.delete(id);
        this.moveAgain.delete(id); // starting over in any case
        this.log(`moving region ${id} to server ${to}: ${e.message}; trying again`, 'warn');
        // Start over (reset, copy) while the configuration still says so.
        setTimeout(() => this.restartMove(id), MOVE_RETRY_DELAY_MS).unref();
      },
    );
  }

  /** Copies a region again (reset, copy, report) if this daemon heads it and it still moves. */
  private restartMove(id: number): void {
    const cur = this.regionById(id);
    if (this.stopping || !cur || cur.region.replicas[0] !== this.serverId || cur.region.moving === undefined) return;
    this.movedReports.delete(id);
    this.startMove(cur, cur.region.moving);
  }

  /** After losing a region: let what is in flight finish, tell the new head, drop the copy. */
  private async handOff(ref: RegionRef, to: number | undefined): Promise<void> {
    const id = ref.region.id;
    await this.configWaiters.waitFor(() => this.stopping || !this.inflight.has(id), HANDOFF_WAIT_MS_MAX);
    if (to !== undefined && !this.stopping) {
      try {
        await this.toPeer(to, MsgType.REGION_HANDOFF, m.encodeRegionMessage({ configVersion: this.config.version, spaceId: ref.space.id, subspace: ref.subspace, regionId: id }));
      } catch (e) {
        this.log(`handing region ${id} to server ${to}: ${(e as Error).message}`, 'warn');
      }
    }
    await this.dropRegion(ref);
  }

  /** Deletes this daemon's objects of a region it no longer holds (unless it holds it again). */
  private async dropRegion(ref: RegionRef): Promise<void> {
    const id = ref.region.id;
    for await (const batch of this.store.scanRegion(ref.space.id, ref.subspace, id))
      for (const [key] of batch) {
        if (this.stopping) return;
        const cur = this.regionById(id);
        if (cur && (cur.region.replicas[0] === this.serverId || cur.region.moving === this.serverId)) return;
        await this.serializer.run(this.lockName(ref.space.id, ref.subspace, key), () => this.store.del(ref.space.id, ref.subspace, id, key, ref.subspace > 0));
      }
  }

  private async onRegionReset(r: m.RegionMessage): Promise<{ status: number; message: string }> {
    await this.configAtLeast(r.configVersion);
    const found = this.regionById(r.regionId);
    if (!found || found.region.moving !== this.serverId)
      return { status: Status.RECONFIGURE, message: `region ${r.regionId} is not moving here` };
    for await (const batch of this.store.scanRegion(r.spaceId, r.subspace, r.regionId))
      for (const [key] of batch)
        await this.serializer.run(this.lockName(r.spaceId, r.subspace, key), () => this.store.del(r.spaceId, r.subspace, r.regionId, key, r.subspace > 0));
    return { status: Status.SUCCESS, message: '' };
  }

  private onRegionHandoff(r: m.RegionMessage): { status: number; message: string } {
    if (!this.awaitingHandoff.delete(r.regionId)) this.handoffsReceived.add(r.regionId);
    this.configWaiters.notify();
    return { status: Status.SUCCESS, message: '' };
  }

  // ---- requests ------------------------------------------------------------------------------

  private onClientFrame(conn: FramedConnection, f: Frame): void {
    const reply = (type: number, body: unknown[]) => conn.send(type, f.id, body);
    let work: Promise<void>;
    try {
      switch (f.type) {
        case MsgType.REQ_GET: {
          const req = decodeGetFast(f.body) ?? m.decodeGet(f.body);
          if (this.getNow(conn, f.id, req)) return;
          work = this.handleGet(req).then((r) => void reply(MsgType.RESP_GET, m.encodeGetResponse(r)));
          break;
        }
        case MsgType.REQ_ATOMIC: {
          const req = decodeAtomicFast(f.body) ?? m.decodeAtomic(f.body);
          if (this.writeNow(conn, MsgType.RESP_ATOMIC, f.id, req)) return;
          work = this.handleAtomic(req).then((r) => void this.replyWrite(conn, MsgType.RESP_ATOMIC, f.id, r));
          break;
        }
        case MsgType.REQ_DEL: {
          const req = this.eraseRequest(decodeGetFast(f.body) ?? m.decodeDel(f.body));
          if (this.writeNow(conn, MsgType.RESP_DEL, f.id, req)) return;
          work = this.handleAtomic(req).then((r) => void this.replyWrite(conn, MsgType.RESP_DEL, f.id, r));
          break;
        }
        case MsgType.REQ_SEARCH: {
          const req = decodeSearchFast(f.body) ?? m.decodeSearch(f.body);
          if (this.searchNow(conn, f.id, req)) return;
          work = this.handleSearch(req, (frame) => conn.sendFrame(frame(MsgType.RESP_SEARCH_ITEMS, f.id))).then((r) => void this.replyCount(conn, MsgType.RESP_SEARCH_DONE, f.id, r));
          break;
        }
        case MsgType.REQ_COUNT: {
          const req = decodePredicateFast(f.body) ?? m.decodePredicateRequest(f.body, 'REQ_COUNT');
          if (this.countNow(conn, f.id, req)) return;
          work = this.handleCount(req).then((r) => void this.replyCount(conn, MsgType.RESP_COUNT, f.id, r));
          break;
        }
        case MsgType.REQ_GROUP_DEL:
          work = this.handleGroupDel(decodePredicateFast(f.body) ?? m.decodePredicateRequest(f.body, 'REQ_GROUP_DEL')).then((r) => void reply(MsgType.RESP_GROUP_DEL, m.encodeCountResponse(r)));
          break;
        case MsgType.PEER_HELLO: {
          const h = m.decodePeerHello(f.body);
          let gate = this.gates.get(conn);
          if (!gate) this.gates.set(conn, (gate = new PeerGate()));
          work = gate.hello(h, () => this.ownIdentity(), crypto.randomBytes(PEER_AUTH.nonceBytes)).then((a) => this.answerGate(conn, f.id, a));
          break;
        }
        case MsgType.PEER_PROOF: {
          const p = m.decodePeerProof(f.body);
          const gate = this.gates.get(conn);
          if (!gate) return void reply(MsgType.ERROR, [Status.BADREQUEST, 'PEER_PROOF without a PEER_CHALLENGE before it on this connection: send PEER_HELLO first']);
          work = gate.proof(p, (id) => this.peerKeyOf(id)).then((a) => this.answerGate(conn, f.id, a));
          break;
        }
        case MsgType.REPLICA_WRITE: {
          if (!this.provenPeer(conn, f)) return;
          const w = m.decodeReplicaWrite(f.body);
          work = this.applyReplicaWrite(w).then((r) => void reply(MsgType.REPLICA_ACK, [r.status, r.message]));
          break;
        }
        case MsgType.REGION_RESET: {
          if (!this.provenPeer(conn, f)) return;
          const r = m.decodeRegionMessage(f.body, 'REGION_RESET');
          work = this.onRegionReset(r).then((x) => void reply(MsgType.REPLICA_ACK, [x.status, x.message]));
          break;
        }
        case MsgType.REGION_HANDOFF: {
          if (!this.provenPeer(conn, f)) return;
          const x = this.onRegionHandoff(m.decodeRegionMessage(f.body, 'REGION_HANDOFF'));
          reply(MsgType.REPLICA_ACK, [x.status, x.message]);
          return;
        }
        default:
          reply(MsgType.ERROR, [Status.BADREQUEST, `unknown message type ${msgTypeName(f.type)}`]);
          return;
      }
    } catch (e) {
      const status = e instanceof m.ProtocolError ? Status.BADREQUEST : Status.SERVERERROR;
      reply(MsgType.ERROR, [status, (e as Error).message]);
      return;
    }
    work.catch((e: Error) => this.replyFailure(conn, f.id, e));
  }

  /**
   * Whether a daemon-to-daemon message may be handled on this connection: only once it has
   * proven itself (PeerGate). Otherwise it is refused with UNAUTHORIZED, and nothing changes.
   */
  private provenPeer(conn: FramedConnection, f: Frame): boolean {
    if (this.gates.get(conn)?.peer !== undefined) return true;
    conn.send(MsgType.ERROR, f.id, [Status.UNAUTHORIZED, unprovenMessage(f.type)]);
    return false;
  }

  /** Sends the peer handshake's answer; after a failed proof, closes the connection. */
  private answerGate(conn: FramedConnection, id: bigint, a: GateAnswer): void {
    if (a.ok) return void conn.send(a.type, id, a.body);
    conn.send(MsgType.ERROR, id, [a.status, a.message]);
    if (a.close) {
      this.log(`peer handshake refused: ${a.message}`, 'warn');
      conn.end(a.message);
    }
  }

  /** A request that failed with an error (not an outcome): its status, or SERVERERROR, logged. */
  private replyFailure(conn: FramedConnection, id: bigint, e: Error): void {
    const status = e instanceof PeerError ? e.status : Status.SERVERERROR;
    if (status === Status.SERVERERROR) this.log(`request ${id} failed: ${e.stack ?? e.message}`, 'error');
    conn.send(MsgType.ERROR, id, [status, e.message]);
  }

  /**
   * A client may hold a newer configuration than this daemon (the coordinator pushes to both at
   * once): wait, bounded, until this daemon has caught up before judging the request.
   */
  private async configAtLeast(version: number): Promise<void> {
    await this.configWaiters.waitFor(() => this.stopping || this.config.version >= version, CONFIG_CATCH_UP_MS_MAX);
  }

  /** The space and key region, if this daemon heads the key's region; else the outcome to report. */
  private async route(configVersion: number, spaceId: number, key: Buffer): Promise<{ space: SpaceLayout; region: RegionLayout } | Outcome> {
    await this.configAtLeast(configVersion);
    const space = findSpaceById(this.config, spaceId);
    if (!space) return { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${spaceId} (configuration ${this.config.version})` };
    const bad = checkKey(space.spec, key);
    if (bad) return bad;
    const region = keyRegion(space, key);
    if (region.replicas[0] !== this.serverId)
      return { status: Status.RECONFIGURE, attr: '', message: `server ${this.serverId} does not head region ${region.id}` };
    await this.regionReady(region.id);
    // The configuration may have moved on while waiting.
    if (keyRegion(findSpaceById(this.config, spaceId) ?? space, key).replicas[0] !== this.serverId)
      return { status: Status.RECONFIGURE, attr: '', message: `server ${this.serverId} no longer heads region ${region.id}` };
    return { space: findSpaceById(this.config, spaceId) ?? space, region };
  }

  /**
   * A get answered at once, without waiting for anything, when everything it needs is at hand: the
   * configuration, a region this daemon heads and serves, and the object in the store's cache.
   * The cache holds the state of the last write that completed, so a get answered from it while a
   * write of the key is in flight sees the object before that write: the write, not yet
   * acknowledged, is ordered after the get. Undefined sends the request the long way.
   */
  private getNow(conn: FramedConnection, id: bigint, req: m.GetRequest): boolean {
    const routed = this.routeNow(req.configVersion, req.spaceId, req.key);
    if (!routed) return false;
    const { space, region } = routed;
    const body = this.store.peekReply(req.spaceId, 0, region.id, req.key, this.shapesOf(space).getBody);
    if (body === undefined) return false;
    if (body === null) conn.send(MsgType.RESP_GET, id, m.encodeGetResponse({ status: Status.NOTFOUND, attrs: [], message: '' }));
    else conn.sendBody(MsgType.RESP_GET, id, body);
    return true;
  }

  private shapesOf(space: SpaceLayout): ReplyShapes {
    let shapes = this.replyShapes.get(space);
    if (!shapes) {
      const attrs = space.spec.attributes.map((a) => ({ name: a.name, datatype: datatypeOf(a.type) }));
      const get = new GetReplyShape(attrs);
      shapes = { getBody: (obj) => get.body(obj.values), items: new SearchItemsShape(attrs) };
      this.replyShapes.set(space, shapes);
    }
    return shapes;
  }

  /** A count's response (and a search's last): a plain success is written by hand. */
  private replyCount(conn: FramedConnection, type: number, id: bigint, r: m.CountResponse): void {
    const fast = r.status === Status.SUCCESS && r.attr === '' && r.message === '' ? countSuccessFrame(type, id, r.count) : undefined;
    if (fast) conn.sendFrame(fast);
    else conn.send(type, id, m.encodeCountResponse(r));
  }

  /** A write's response: a plain success, the common case, is a constant body. */
  private replyWrite(conn: FramedConnection, type: number, id: bigint, r: Outcome): void {
    if (r.status === Status.SUCCESS && r.attr === '' && r.message === '') conn.sendFrame(writeSuccessFrame(type, id));
    else conn.send(type, id, m.encodeWriteResponse(r));
  }

  private getResponse(space: SpaceLayout, obj: StoredObject): m.GetResponse {
    return {
      status: Status.SUCCESS,
      attrs: space.spec.attributes.map((a, i) => ({ name: a.name, datatype: datatypeOf(a.type), value: obj.values[i] })),
      message: '',
    };
  }

  private async handleGet(req: m.GetRequest): Promise<m.GetResponse> {
    const routed = await this.route(req.configVersion, req.spaceId, req.key);
    if (!('space' in routed)) return { status: routed.status, attrs: [], message: routed.message };
    const { space, region } = routed;
    const obj = await this.serializer.run(this.lockName(req.spaceId, 0, req.key), () => this.store.get(req.spaceId, 0, region.id, req.key));
    if (!obj) return { status: Status.NOTFOUND, attrs: [], message: '' };
    return this.getResponse(space, obj);
  }

  private handleAtomic(req: m.AtomicRequest): Promise<Outcome> {
    const now = this.routeNow(req.configVersion, req.spaceId, req.key);
    if (now) return this.atomicAt(now.space, now.region, req);
    return this.route(req.configVersion, req.spaceId, req.key).then((routed) => ('space' in routed ? this.atomicAt(routed.space, routed.region, req) : routed));
  }

  /**
   * Runs a write at the key's point leader. Writes of one key that arrive while an earlier one
   * holds the key's lock wait as one group: when the group's turn comes they are applied in
   * arrival order to the object in memory and committed once, with the last state, and each gets
   * its own outcome. None is acknowledged before the commit, so they are ordered as if committed
   * one by one; a hot key (zipfian puts) pays one chain per group instead of one per write.
   */
  private atomicAt(space: SpaceLayout, region: RegionLayout, req: m.AtomicRequest): Promise<Outcome> {
    const name = this.lockName(req.spaceId, 0, req.key);
    const waiting = this.serializer.lastWaiting(name);
    if (waiting instanceof AtomicGroup && waiting.space === space && waiting.regionId === region.id && waiting.writes.length < ATOMIC_GROUP_MAX)
      return new Promise<Outcome>((resolve, reject) => waiting.writes.push({ req, resolve, reject }));
    const group = new AtomicGroup(space, region.id, req.key);
    const outcome = new Promise<Outcome>((resolve, reject) => group.writes.push({ req, resolve, reject }));
    void this.inRegion(region.id, () => this.serializer.run(name, () => this.applyGroup(group), group));
    return outcome;
  }

  /**
   * A write done without a promise or a wait, when nothing needs waiting for: the key's region is
   * headed and served here and not moving, no write of the key is in flight (so the cache, which
   * must know the object, is current), and every secondary region of its chain is here too, free
   * and able to queue its write at once. Then the outcome is known in this turn: a write that
   * changes nothing is answered at once, one that changes the object queues its whole chain into
   * the store's next batch (as writeTogether) under the locks of its keys, and is answered when
   * that batch is written. False: nothing was done, take the general path (handleAtomic).
   * The daemon's profile of puts showed a dozen promises, async frames and lock maps per write.
   */
  private writeNow(conn: FramedConnection, type: number, id: bigint, req: m.AtomicRequest): boolean {
    const routed = this.routeNow(req.configVersion, req.spaceId, req.key);
    if (!routed) return false;
    const { space, region } = routed;
    const key = req.key;
    const name = this.lockName(space.id, 0, key);
    if (this.serializer.isBusy(name) || this.forwardTarget(region.id) !== undefined) return false;
    const known = this.store.peek(space.id, 0, region.id, key);
    if (known === undefined) return false;
    const current = known ?? undefined;
    const { outcome, next, erase } = applyAtomic(space.spec, key, current, req);
    if (!next && !erase) {
      this.replyWrite(conn, type, id, outcome);
      return true;
    }
    const version = next?.version ?? (current?.version ?? 0) + 1;
    const secondary = this.chainSteps(space, key, current, next, version);
    const keyWrite = this.replicaWrite(space, 0, key, version, next?.values ?? null, region.id);
    const names = [name];
    for (const x of secondary) {
      if (!this.writesHereAtOnce(x)) return false;
      const n = this.lockName(space.id, x.subspace, key);
      if (names.includes(n)) continue;
      if (this.serializer.isBusy(n)) return false;
      names.push(n);
    }
    // Nothing below waits: take the locks and count the regions' work in, queue every write.
    for (const n of names) this.serializer.take(n);
    const release = this.hold([region.id, ...secondary.map((x) => x.regionId)]);
    let pending = secondary.length + 1;
    let failed: Error | undefined;
    const finish = (e?: Error) => {
      for (const n of names) this.serializer.release(n);
      release();
      if (e) this.replyFailure(conn, id, e);
      else this.replyWrite(conn, type, id, outcome);
    };
    const done = () => {
      if (--pending > 0) return;
      if (failed) return finish(failed);
      // A move may have begun while the batch was written: as in the chain step by step, the
      // regions that now move get the write too, before it is acknowledged.
      const forwarded = this.forwardMoved([...secondary, keyWrite]);
      if (forwarded) forwarded.then(() => finish(), finish);
      else finish();
    };
    const fail = (e: Error) => {
      failed ??= e;
      done();
    };
    for (const x of secondary) this.writeLocalThen(x, done, fail);
    this.writeLocalThen(keyWrite, done, fail);
    return true;
  }

  private async applyGroup(group: AtomicGroup): Promise<void> {
    const { space, regionId, key, writes } = group;
    try {
      // Under the key's lock nothing else writes the key: the cache, when it knows, is current.
      let known = this.store.peek(space.id, 0, regionId, key);
      if (known === undefined) known = (await this.store.get(space.id, 0, regionId, key)) ?? null;
      const current = known ?? undefined;
      let state = current;
      let changed = false;
      const outcomes: Outcome[] = [];
      for (const w of writes) {
        const { outcome, next, erase } = applyAtomic(space.spec, key, state, w.req);
        outcomes.push(outcome);
        if (next || erase) {
          state = next;
          changed = true;
        }
      }
      if (changed) await this.commit(space, key, current, state, regionId);
      writes.forEach((w, i) => w.resolve(outcomes[i]));
    } catch (e) {
      for (const w of writes) w.reject(e as Error);
    }
  }

  /**
   * route() without waiting, when nothing needs waiting for: the configuration is recent enough
   * and this daemon heads and serves the key's region. Undefined sends the request through route().
   */
  private routeNow(configVersion: number, spaceId: number, key: Buffer): { space: SpaceLayout; region: RegionLayout } | undefined {
    if (this.config.version < configVersion) return undefined;
    const space = findSpaceById(this.config, spaceId);
    if (!space || checkKey(space.spec, key)) return undefined;
    const region = keyRegion(space, key);
    if (region.replicas[0] !== this.serverId || this.awaitingHandoff.has(region.id)) return undefined;
    return { space, region };
  }

  /** A delete is an erase with no conditions: NOTFOUND when there is nothing to delete. */
  private eraseRequest(req: m.DelRequest): m.AtomicRequest {
    return { configVersion: req.configVersion, spaceId: req.spaceId, key: req.key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: [], funcs: [] };
  }

  /**
   * Carries a write along its value-dependent chain: every secondary subspace's region at the new
   * point gets the object, the region at the old point (when it differs) loses it, then the key
   * subspace stores it here (and at the region's next head, while it moves). The client hears
   * back only after all of them applied it.
   */
  private async commit(space: SpaceLayout, key: Buffer, current: StoredObject | undefined, next: StoredObject | undefined, keyRegionId: number): Promise<void> {
    const version = next?.version ?? (current?.version ?? 0) + 1;
    const secondary = this.chainSteps(space, key, current, next, version);
    const w = this.replicaWrite(space, 0, key, version, next?.values ?? null, keyRegionId);
    const together = secondary.length > 0 ? this.writeTogether(secondary, w) : undefined;
    if (together) await together;
    else {
      if (secondary.length > 0) await Promise.all(secondary.map((x) => this.replicate(space, x.subspace, key, version, x.values, x.regionId)));
      await this.writeLocal(w);
    }
    await this.forwardMoved([w]);
  }

  /**
   * A write's steps in the secondary subspaces: each one's region at the object's new point gets
   * it, and the region at its old point, when that differs, loses it.
   */
  private chainSteps(space: SpaceLayout, key: Buffer, current: StoredObject | undefined, next: StoredObject | undefined, version: number): m.ReplicaWrite[] {
    const steps: m.ReplicaWrite[] = [];
    for (let i = 1; i < space.subspaces.length; i++) {
      const before = current ? regionOf(space, i, key, current.values).id : undefined;
      const after = next ? regionOf(space, i, key, next.values).id : undefined;
      if (after !== undefined) steps.push(this.replicaWrite(space, i, key, version, next!.values, after));
      if (before !== undefined && before !== after) steps.push(this.replicaWrite(space, i, key, version, null, before));
    }
    return steps;
  }

  private replicaWrite(space: SpaceLayout, subspace: number, key: Buffer, version: number, values: readonly Buffer[] | null, regionId: number): m.ReplicaWrite {
    return { configVersion: this.config.version, spaceId: space.id, subspace, regionId, key, version, values, transfer: false };
  }

  /**
   * Whether a step of a chain can be stored here in this turn: its region is headed and served
   * here, not moving, and the store queues the write without reading first.
   */
  private writesHereAtOnce(x: m.ReplicaWrite): boolean {
    const found = this.regionById(x.regionId);
    if (!found || found.space.id !== x.spaceId || found.subspace !== x.subspace) return false;
    if (found.region.replicas[0] !== this.serverId || this.awaitingHandoff.has(x.regionId) || forwardTargetOf(found.region, this.serverId) !== undefined) return false;
    return this.store.writesAtOnce(x.spaceId, x.subspace, x.regionId, x.key);
  }

  /**
   * A write's chain when every region of it is here: the secondary subspaces' writes and the key
   * region's go into one LevelDB batch, in this turn, so that they are stored (or fail) together,
   * one trip through the thread pool instead of one per step. Only when nothing needs waiting for:
   * every secondary region headed here, not moving, not awaiting its handoff, its key's lock free,
   * and the store able to queue each write at once. Undefined: take the chain step by step.
   */
  private writeTogether(secondary: readonly m.ReplicaWrite[], keyWrite: m.ReplicaWrite): Promise<void> | undefined {
    const names = new Set<string>();
    for (const x of secondary) {
      if (!this.writesHereAtOnce(x)) return undefined;
      const name = this.lockName(x.spaceId, x.subspace, x.key);
      if (this.serializer.isBusy(name)) return undefined;
      names.add(name);
    }
    if (!this.store.writesAtOnce(keyWrite.spaceId, 0, keyWrite.regionId, keyWrite.key)) return undefined;
    const release = this.hold(secondary.map((x) => x.regionId));
    // Every lock is free, so each run starts its task at once: the writes are queued in this turn.
    const locked = [...names];
    const under = (i: number): Promise<void> =>
      i < locked.length
        ? this.serializer.run(locked[i], () => under(i + 1))
        : Promise.all([...secondary.map((x) => this.writeLocal(x)), this.writeLocal(keyWrite)]).then(() => this.forwardMoved(secondary));
    return under(0).finally(release);
  }

  // ---- search, count, group_del ---------------------------------------------------------------

  /** Resolves a predicate and checks that this daemon heads the regions asked for. */
  private async predicate(req: m.PredicateRequest): Promise<{ space: SpaceLayout; checks: Check[]; regions: Set<number>; release: () => void } | Outcome> {
    await this.configAtLeast(req.configVersion);
    const space = findSpaceById(this.config, req.spaceId);
    if (!space) return { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${req.spaceId} (configuration ${this.config.version})` };
    if (req.subspace >= space.subspaces.length) return { status: Status.BADREQUEST, attr: '', message: `space ${space.name} has no subspace ${req.subspace}` };
    const checks = resolveChecks(space.spec, req.checks);
    if (!Array.isArray(checks)) return checks;
    for (const id of req.regions) {
      const r = space.subspaces[req.subspace].regions.find((x) => x.id === id);
      if (!r || r.replicas[0] !== this.serverId) return { status: Status.RECONFIGURE, attr: '', message: `server ${this.serverId} does not head region ${id}` };
    }
    await Promise.all(req.regions.map((id) => this.regionReady(id)));
    // Judge again after waiting: the regions may have moved on meanwhile.
    const now = findSpaceById(this.config, req.spaceId);
    for (const id of req.regions)
      if (now?.subspaces[req.subspace]?.regions.find((x) => x.id === id)?.replicas[0] !== this.serverId)
        return { status: Status.RECONFIGURE, attr: '', message: `server ${this.serverId} no longer heads region ${id}` };
    // Reading these regions is work on them: a handoff waits until it is done.
    return { space: now!, checks, regions: new Set(req.regions), release: this.hold(req.regions) };
  }

  /**
   * The objects of the given regions of a subspace that satisfy every check. In a secondary
   * subspace, when the checks narrow its first axis (an equality, or a range of numbers), only
   * the objects whose coordinate there lies in that interval are read, through the index.
   */
  private async *matching(space: SpaceLayout, subspace: number, regions: ReadonlySet<number>, checks: readonly Check[]): AsyncIterable<[Buffer, StoredObject][]> {
    const plan = this.indexPlan(space, subspace, checks);
    // Contradictory checks on the axis: nothing can match.
    if (!plan) return;
    const { interval } = plan;
    const whole = interval[0] === 0n && interval[1] === AXIS_MAX;
    for (const region of regions) {
      this.searchStats.regions++;
      if (!whole) this.searchStats.indexed++;
      const source = whole ? this.store.scanRegion(space.id, subspace, region) : this.store.scanIndex(space.id, subspace, region, interval[0], interval[1]);
      for await (const batch of source) {
        this.searchStats.examined += batch.length;
        const hits = batch.filter(([key, obj]) => !firstFailingCheck(checks, key, obj.values));
        if (hits.length > 0) yield hits;
      }
    }
  }

  /**
   * The interval of a subspace's first axis that the checks allow (everything outside the
   * secondary subspaces, or with no index), undefined when none; `exact` when the interval alone
   * decides every check: all of them are on that axis, an int64 one, whose coordinate is a
   * bijection of the value (see hyperspace.ts). Floats (-0 and 0 share a point) and hashed types
   * are not exact.
   */
  private indexPlan(space: SpaceLayout, subspace: number, checks: readonly Check[]): { interval: [bigint, bigint]; exact: boolean } | undefined {
    if (subspace === 0 || !this.store.indexComplete) return { interval: [0n, AXIS_MAX], exact: false };
    const name = space.subspaces[subspace].attributes[0];
    const type = attributeByName(space.spec, name)!.attr.type;
    const interval = axisInterval(type, checks.filter((c) => c.attr.name === name).map((c) => ({ name, op: c.op, value: c.value })));
    if (!interval) return undefined;
    return { interval, exact: type.kind === 'int64' && checks.length > 0 && checks.every((c) => c.attr.name === name) };
  }

  /**
   * Streams the matches in batches; for sorted_search, sorts by the attribute and keeps the first
   * `limit` (the client merges the daemons' lists).
   */
  private async handleSearch(req: m.SearchRequest, send: SearchSink): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    try {
      return await this.searchRegions(req, p, send);
    } finally {
      p.release();
    }
  }

  private async searchRegions(req: m.SearchRequest, p: { space: SpaceLayout; checks: Check[]; regions: Set<number> }, send: SearchSink): Promise<m.CountResponse> {
    const { space, checks, regions } = p;
    let sortIndex: number | undefined;
    if (req.sortBy !== '') {
      const found = attributeByName(space.spec, req.sortBy);
      if (!found) return { status: Status.UNKNOWNATTR, attr: req.sortBy, message: `space ${space.name} has no attribute "${req.sortBy}"`, count: 0 };
      if (!isScalar(found.attr.type)) return { status: Status.WRONGTYPE, attr: req.sortBy, message: `cannot sort by "${req.sortBy}" (${typeName(found.attr.type)})`, count: 0 };
      sortIndex = found.index;
    }
    // Batches bounded in objects and bytes, so that no reply frame nears the frame limit.
    let keys: Buffer[] = [];
    let values: (readonly Buffer[])[] = [];
    let bytes = 0;
    const add = (key: Buffer, obj: StoredObject) => {
      keys.push(key);
      values.push(obj.values);
      bytes += key.length + 16;
      for (const v of obj.values) bytes += v.length + 16;
      if (keys.length >= SEARCH_BATCH.objectsMax || bytes >= SEARCH_BATCH.bytesMax) flush();
    };
    const flush = () => {
      if (keys.length > 0) {
        const [k, v] = [keys, values];
        send((type, id) => this.shapesOf(space).items.frame(type, id, k, v));
      }
      keys = [];
      values = [];
      bytes = 0;
    };
    let count = 0;
    const plan = sortIndex === undefined ? this.indexPlan(space, req.subspace, checks) : undefined;
    if (plan?.exact) {
      // The index entries in the interval are exactly the matches: send them as stored, with no
      // check to run and so nothing to decode.
      const shape = this.shapesOf(space).items;
      const sendRows = (keys: Buffer[], records: Buffer[]) => send((type, id) => shape.frameRows(type, id, keys, INDEX_KEY_START, records, recordValuesAt));
      const rowBytes = 16 * (1 + space.spec.attributes.length);
      for (const region of regions) {
        this.searchStats.regions++;
        this.searchStats.indexed++;
        // From memory when the store can: at once, as of the last completed write, and with no
        // LevelDB read nor any allocation per row (see memindex.ts).
        const mem = this.store.memoryRows?.(space.id, req.subspace, region, plan.interval[0], plan.interval[1]);
        if (mem) {
          this.searchStats.fromMemory++;
          count += this.sendMemoryRows(space, mem, send);
          continue;
        }
        for await (const rows of this.store.scanIndexRows(space.id, req.subspace, region, plan.interval[0], plan.interval[1])) {
          this.searchStats.examined += rows.length;
          count += rows.length;
          let keys: Buffer[] = [];
          let records: Buffer[] = [];
          let size = 0;
          for (const [k, r] of rows) {
            keys.push(k);
            records.push(r);
            size += k.length + r.length + rowBytes;
            if (keys.length >= SEARCH_BATCH.objectsMax || size >= SEARCH_BATCH.bytesMax) {
              sendRows(keys, records);
              keys = [];
              records = [];
              size = 0;
            }
          }
          if (keys.length > 0) sendRows(keys, records);
        }
      }
      return { ...SUCCESS, count };
    }
    if (sortIndex !== undefined) {
      const all: [Buffer, StoredObject][] = [];
      for await (const hits of this.matching(space, req.subspace, regions, checks)) all.push(...hits);
      const sorted = sortObjects(space, all, sortIndex, req.descending);
      for (const [key, obj] of req.limit > 0 ? sorted.slice(0, req.limit) : sorted) {
        add(key, obj);
        count++;
      }
    } else {
      for await (const hits of this.matching(space, req.subspace, regions, checks))
        for (const [key, obj] of hits) {
          add(key, obj);
          count++;
        }
    }
    flush();
    return { ...SUCCESS, count };
  }

  /** Sends rows of the memory index in batches bounded as any search's; returns how many. */
  private sendMemoryRows(space: SpaceLayout, mem: MemoryRows, send: SearchSink): number {
    const shape = this.shapesOf(space).items;
    const rowBytes = 16 * (1 + space.spec.attributes.length);
    const { arena, pos } = mem;
    this.searchStats.examined += mem.count;
    let from = 0;
    let size = 0;
    for (let i = 0; i < mem.count; i++) {
      size += pos[3 * i + 2] - pos[3 * i] + rowBytes;
      if (i + 1 - from >= SEARCH_BATCH.objectsMax || size >= SEARCH_BATCH.bytesMax) {
        const [a, b] = [from, i + 1];
        send((type, id) => shape.frameArena(type, id, arena, pos, a, b));
        from = i + 1;
        size = 0;
      }
    }
    if (from < mem.count) send((type, id) => shape.frameArena(type, id, arena, pos, from, mem.count));
    return mem.count;
  }

  /**
   * predicate() and an exact indexPlan without waiting, when nothing needs waiting for: the
   * configuration recent enough, the checks valid and exact, every region asked for headed and
   * served here. Then the search or count answers in this turn and needs no hold() on the regions
   * (nothing runs meanwhile). Undefined: take predicate(), which also says what is wrong.
   */
  private exactNow(req: m.PredicateRequest): { space: SpaceLayout; regions: Set<number>; interval: [bigint, bigint] } | undefined {
    if (this.config.version < req.configVersion) return undefined;
    const space = findSpaceById(this.config, req.spaceId);
    if (!space || req.subspace >= space.subspaces.length) return undefined;
    const checks = resolveChecks(space.spec, req.checks);
    if (!Array.isArray(checks)) return undefined;
    for (const id of req.regions) {
      const found = this.regionById(id);
      if (!found || found.space.id !== space.id || found.subspace !== req.subspace || found.region.replicas[0] !== this.serverId || this.awaitingHandoff.has(id)) return undefined;
    }
    const plan = this.indexPlan(space, req.subspace, checks);
    return plan?.exact ? { space, regions: new Set(req.regions), interval: plan.interval } : undefined;
  }

  /**
   * A search answered in this turn, with no promise: an exact one (see indexPlan), unsorted,
   * whose every region the memory index can answer. False: nothing was sent.
   */
  private searchNow(conn: FramedConnection, id: bigint, req: m.SearchRequest): boolean {
    if (req.sortBy !== '') return false;
    const p = this.exactNow(req);
    if (!p) return false;
    const mems: MemoryRows[] = [];
    for (const region of p.regions) {
      const mem = this.store.memoryRows?.(p.space.id, req.subspace, region, p.interval[0], p.interval[1]);
      if (!mem) return false;
      mems.push(mem);
    }
    let count = 0;
    for (const mem of mems) {
      this.searchStats.regions++;
      this.searchStats.indexed++;
      this.searchStats.fromMemory++;
      count += this.sendMemoryRows(p.space, mem, (frame) => conn.sendFrame(frame(MsgType.RESP_SEARCH_ITEMS, id)));
    }
    this.replyCount(conn, MsgType.RESP_SEARCH_DONE, id, { status: Status.SUCCESS, attr: '', message: '', count });
    return true;
  }

  /** A count answered in this turn, as searchNow. */
  private countNow(conn: FramedConnection, id: bigint, req: m.PredicateRequest): boolean {
    const p = this.exactNow(req);
    if (!p) return false;
    let count = 0;
    for (const region of p.regions) {
      const n = this.store.memoryCount?.(p.space.id, req.subspace, region, p.interval[0], p.interval[1]);
      if (n === undefined) return false;
      count += n;
    }
    this.searchStats.regions += p.regions.size;
    this.searchStats.indexed += p.regions.size;
    this.searchStats.fromMemory += p.regions.size;
    this.searchStats.examined += count;
    this.replyCount(conn, MsgType.RESP_COUNT, id, { status: Status.SUCCESS, attr: '', message: '', count });
    return true;
  }

  private async handleCount(req: m.PredicateRequest): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    let count = 0;
    try {
      const plan = this.indexPlan(p.space, req.subspace, p.checks);
      if (plan?.exact) {
        // The index entries in the interval are exactly the matches: count them, read no record.
        for (const region of p.regions) {
          this.searchStats.regions++;
          this.searchStats.indexed++;
          let n = this.store.memoryCount?.(p.space.id, req.subspace, region, plan.interval[0], plan.interval[1]);
          if (n !== undefined) this.searchStats.fromMemory++;
          else n = await this.store.countIndex(p.space.id, req.subspace, region, plan.interval[0], plan.interval[1]);
          this.searchStats.examined += n;
          count += n;
        }
      } else for await (const hits of this.matching(p.space, req.subspace, p.regions, p.checks)) count += hits.length;
    } finally {
      p.release();
    }
    return { ...SUCCESS, count };
  }

  /**
   * Deletes the matches. Each goes through its point leader like any delete: a match found in a
   * secondary subspace is deleted at the daemon heading its key region, and only if it still
   * matches when its turn comes.
   */
  private async handleGroupDel(req: m.PredicateRequest): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    const keys: Buffer[] = [];
    try {
      for await (const hits of this.matching(p.space, req.subspace, p.regions, p.checks)) for (const [key] of hits) keys.push(key);
    } finally {
      // The deletes go through the point leaders, which judge each key again.
      p.release();
    }
    let count = 0;
    for (const key of keys) if (await this.eraseIfMatching(p.space, key, req.checks)) count++;
    return { ...SUCCESS, count };
  }

  /**
   * Deletes one object through its point leader, only if it still matches then. Retried (bounded)
   * while the key's region changes hands; false when the object is gone or no longer matches.
   */
  private async eraseIfMatching(space: SpaceLayout, key: Buffer, checks: readonly m.WireCheck[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const now = findSpaceById(this.config, space.id);
      if (!now) return false;
      const del: m.AtomicRequest = { configVersion: this.config.version, spaceId: space.id, key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks, funcs: [] };
      const head = keyRegion(now, key).replicas[0];
      let status: number;
      try {
        if (head === undefined) status = Status.RECONFIGURE;
        else if (head === this.serverId) status = (await this.handleAtomic(del)).status;
        else {
          const link = await this.peer(head);
          status = m.decodeWriteResponse((await link.request(MsgType.REQ_ATOMIC, this.nextPeerRequest++, m.encodeAtomic(del), PEER_TIMEOUT_MS)).body).status;
        }
      } catch (e) {
        if (!(e instanceof HyperClientError) || e.status !== Status.RECONFIGURE) throw e;
        status = Status.RECONFIGURE;
      }
      if (status === Status.SUCCESS) return true;
      if (status === Status.NOTFOUND || status === Status.CMPFAIL) return false;
      if (status !== Status.RECONFIGURE || attempt + 1 >= REPLICATE_ATTEMPTS_MAX || this.stopping)
        throw new PeerError(status, `deleting a match at its point leader: ${statusName(status)}`);
      const seen = this.config.version;
      await this.configWaiters.waitFor(() => this.stopping || this.config.version > seen, CONFIG_CATCH_UP_MS_MAX);
    }
  }

  private lockName(spaceId: number, subspace: number, key: Buffer): string {
    return `${spaceId}:${subspace}:${key.toString('latin1')}`;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.configWaiters.notify();
    this.keyWaiters.notify();
    this.coordinator?.close('daemon stopping');
    for (const c of [...this.clients]) c.close('daemon stopping');
    for (const p of this.peers.values()) p.then((l) => l.close(), () => {});
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    await this.serializer.drain();
    await this.store.close();
  }
}
