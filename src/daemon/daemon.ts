// The daemon process: the I/O shell around the deterministic core (core/core.ts). It accepts
// connections and decodes their frames into the core's events, carries out the core's effects
// (store writes, loads and scans; messages to other daemons and to the coordinator; replies),
// turns time into ticks, and decides nothing itself.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ClusterConfig, EMPTY_CONFIG, findSpaceById, SpaceLayout } from '../common/config';
import { FramedConnection } from '../common/connection';
import { DataDirLock } from '../common/data-dir-lock';
import { datatypeOf, isScalar, typeName } from '../common/datatypes';
import { countSuccessFrame, decodeAtomicFast, decodeGetFast, decodePredicateFast, decodeSearchFast, GetReplyShape, SearchItemsShape, writeSuccessFrame } from '../common/fastcodec';
import { Frame } from '../common/frame';
import { LogFields, LogFn, LogLevel } from '../common/log';
import * as m from '../common/messages';
import { AtomicFlag, MsgType, msgTypeName, PEER_AUTH, SEARCH_BATCH, Status } from '../common/protocol';
import { attributeByName } from '../common/schema';
import { ConditionWaiters } from '../common/waiters';
import { CoordinatorLink } from './coordinator-link';
import { DaemonCore } from './core/core';
import { leaseTicksFor } from './core/lease';
import { ClientReply, ClientRequest, CoreEvent, PeerMessage, Ready } from './core/types';
import { OpCounts } from './op-counts';
import { LevelDaemonStore } from './store/level';
import { DaemonStore } from './store/types';
import { GateAnswer, PeerGate, PeerIdentity, unprovenMessage } from './peer-gate';
import { PeerLinks } from './peer-links';
import { sortObjects } from './sort';

/** The store the shell carries the core's effects out on (store/types.ts). */
export type ShellStore = DaemonStore;

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
  readonly log?: LogFn;
  /** Opens the store (default: LevelDB under DIR/objects). */
  readonly openStore?: (dir: string) => Promise<ShellStore>;
}

/** Real time per tick of the core. */
const TICK_MS = 10;
/** Ticks handed to the core in one event at most (after a long freeze, say): more than any wait. */
const TICKS_PER_EVENT_MAX = 1_000_000;

/** Ticks between sends of an unacknowledged message to another daemon (TCP delivers; this covers broken links). */
const RESEND_TICKS = 50;
const IDENTITY_FILE = 'hyperdex-identity';
const INCARNATION_FILE = 'hyperdex-incarnation';

/** Writes a small file durably: a temporary file, fsynced, renamed over the old one. */
function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  const fd = fs.openSync(tmp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
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
  writeDurably(file, token + '\n');
  return token;
}

/**
 * A number that grows with every start on this data directory: other daemons drop messages
 * from an earlier life of this one (they may arrive late, after it restarted).
 */
function nextIncarnation(dataDir: string): number {
  const file = path.join(dataDir, INCARNATION_FILE);
  let last = 0;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (!/^\d{1,15}$/.test(text)) throw new Error(`${file} is corrupt; remove it (peers then briefly ignore this daemon's messages)`);
    last = Number(text);
  }
  writeDurably(file, `${last + 1}\n`);
  return last + 1;
}

/** A request the core is working on: where its reply goes, and how it is framed (the core's ClientHandle). */
interface Pending {
  readonly conn: FramedConnection;
  readonly frameId: bigint;
  /** The response type for writes (RESP_ATOMIC or RESP_DEL). */
  readonly type: number;
  /**
   * The request's space, looked up when the reply is framed: a request that came before this
   * daemon knew the configuration waits for it in the core, and is answered under it.
   */
  readonly spaceId: number;
  /** sorted_search: the attribute to sort by, the order and the limit. */
  readonly sort?: { readonly attr: string; readonly descending: boolean; readonly limit: number };
  /** When the request came (performance.now()), if its latency is measured; else 0 (OpCounts.started). */
  readonly started: number;
}

/** A space as a reply is framed under it (findSpaceById at reply time); none: the space is gone. */
function spaceGone(spaceId: number): { status: number; attr: string; message: string } {
  return { status: Status.UNKNOWNSPACE, attr: '', message: `space ${spaceId} was removed before the reply` };
}

/** A space's reply encoders, made once per space layout. */
interface ReplyShapes {
  readonly get: GetReplyShape;
  readonly items: SearchItemsShape;
}

export class Daemon {
  private config: ClusterConfig = EMPTY_CONFIG;
  private core?: DaemonCore;
  private serverId = 0;
  private peerKey?: Buffer;
  private peerKeys = new Map<number, Buffer>();
  private readonly keyWaiters = new ConditionWaiters();
  private server?: net.Server;
  private readonly clients = new Set<FramedConnection>();
  private readonly gates = new Map<FramedConnection, PeerGate>();
  /** Events of this turn, not yet handed to the core (see step). */
  private gathered: CoreEvent[] = [];
  private ticker?: NodeJS.Timeout;
  /** When the core's time began, and the ticks handed to it since (see timePassed). */
  private ticksFrom = 0;
  private ticksGiven = 0;
  private stopping = false;
  private readonly link: CoordinatorLink;
  private readonly peers: PeerLinks;
  private readonly replyShapes = new WeakMap<SpaceLayout, ReplyShapes>();
  /** Encoded get replies by the values they encode (see getBody). */
  private readonly getBodies = new WeakMap<readonly Buffer[], Buffer>();
  /** What searches, counts and group deletes read, since the start: regions scanned, how many through the index, rows read. */
  readonly searchStats = { regions: 0, indexed: 0, examined: 0 };
  /** Replies by operation and status, and latencies, for the metrics (metrics.ts). */
  readonly ops = new OpCounts();
  /** The data directory's lock, held from before anything in it is read until the daemon stops. */
  private lock?: DataDirLock;

  private constructor(
    private readonly opts: DaemonOptions,
    private readonly store: ShellStore,
    token: string,
    private readonly incarnation: number,
  ) {
    this.link = new CoordinatorLink({
      host: opts.coordinatorHost,
      port: opts.coordinatorPort,
      token,
      address: () => this.address,
      clusterSecret: opts.clusterSecret,
      log: (line, level) => this.log(line, level),
      onRegistered: (id, key) => this.onRegistered(id, key),
      onPeerKeys: (keys) => {
        this.peerKeys = keys;
        this.keyWaiters.notify();
      },
      onHeard: (failureTimeoutMs) => this.step({ type: 'coordinator-heard', leaseTicks: failureTimeoutMs === undefined ? undefined : leaseTicksFor(failureTimeoutMs, TICK_MS) }),
      onConfig: (config) => {
        if (config.version <= this.config.version) return;
        this.config = config;
        this.step({ type: 'config', config });
      },
    });
    this.peers = new PeerLinks({
      frameBytesMax: opts.frameBytesMax,
      identity: () => this.ownIdentity(),
      peerKey: (id) => this.peerKeyOf(id),
      log: (line, level) => this.log(line, level),
    });
  }

  private log(line: string, level: LogLevel = 'info', fields?: LogFields): void {
    if (this.opts.log) this.opts.log(line, level, fields);
    else process.stderr.write(`daemon ${level}: ${line}\n`);
  }

  /** Opens storage, listens, registers with the coordinator; resolves once registered. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const stat = fs.statSync(opts.dataDir, { throwIfNoEntry: false });
    if (!stat || !stat.isDirectory()) throw new Error(`data directory ${opts.dataDir} does not exist (create it first)`);
    const lock = DataDirLock.acquire(opts.dataDir, 'daemon');
    let d: Daemon;
    try {
      const token = loadIdentity(opts.dataDir);
      const incarnation = nextIncarnation(opts.dataDir);
      const open = opts.openStore ?? openDefaultStore;
      const store = await open(path.join(opts.dataDir, 'objects'));
      d = new Daemon(opts, store, token, incarnation);
    } catch (e) {
      lock.release();
      throw e;
    }
    d.lock = lock;
    try {
      await d.listen();
      await d.link.start();
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

  /**
   * What the metrics read at scrape time (metrics.ts): the configuration, this daemon's id, the
   * core's counts, the store. Nothing here is kept up to date for them.
   */
  get view(): { config: ClusterConfig; serverId: number; core: ReturnType<DaemonCore['stats']> | undefined; store: ShellStore } {
    return { config: this.config, serverId: this.serverId, core: this.core?.stats(), store: this.store };
  }

  /** Serving: registered with the coordinator, holding a configuration, not stopping. */
  get serving(): boolean {
    return !this.stopping && this.serverId !== 0 && this.core !== undefined && this.config.version > 0;
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
        onFrame: (f) => this.onFrame(conn, f),
        // A read's requests are stepped at once, so that their replies leave in the read's own write.
        onFramesHandled: () => this.stepGathered(),
        onClose: () => {
          this.clients.delete(conn);
          this.gates.delete(conn);
        },
      },
      this.opts.frameBytesMax,
    );
    this.clients.add(conn);
  }

  // ---- the coordinator and peers -----------------------------------------------------------------

  private onRegistered(serverId: number, key: Buffer): void {
    if (this.core && serverId !== this.serverId) {
      this.log(`the coordinator now calls this daemon server ${serverId}, not ${this.serverId}; it keeps the old id until restarted`, 'error');
      return;
    }
    this.log(`registered with the coordinator as server ${serverId}${this.core ? ' again' : ''}`, 'info', { event: 'registered', server: serverId });
    this.serverId = serverId;
    this.peerKey = key;
    this.keyWaiters.notify();
    if (!this.core) {
      this.core = new DaemonCore({ serverId, incarnation: this.incarnation, store: this.store, intents: this.store.intents(), resendTicks: RESEND_TICKS });
      this.ticksFrom = performance.now();
      this.ticker = setInterval(() => this.stepGathered(), TICK_MS);
      this.ticker.unref();
    } else this.step({ type: 'coordinator-link' });
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

  // ---- the core: events in, effects out -----------------------------------------------------------

  /**
   * Events are gathered, then handed to the core together: at the end of a socket read (its
   * requests), or else at the end of the current turn (a microtask: a store batch's completions).
   * One step, one Ready for them all.
   */
  private step(ev: CoreEvent): void {
    if (!this.core || this.stopping) return;
    this.gathered.push(ev);
    if (this.gathered.length === 1) queueMicrotask(() => this.stepGathered());
  }

  private stepGathered(): void {
    if (!this.core || this.stopping) return;
    const passed = this.timePassed();
    if (passed) this.gathered.unshift(passed);
    const events = this.gathered;
    this.gathered = [];
    if (events.length === 0) return;
    this.carryOut(this.core.stepAll(events));
  }

  /**
   * The ticks that real time says have passed since the core was last told, as one event that goes
   * before the step's other events: a daemon that was stopped (SIGSTOP) for seconds sees that time
   * before the requests that waited for it, and its lease (core/lease.ts) has run out.
   */
  private timePassed(): CoreEvent | undefined {
    const due = Math.floor((performance.now() - this.ticksFrom) / TICK_MS) - this.ticksGiven;
    if (due <= 0) return undefined;
    const ticks = Math.min(due, TICKS_PER_EVENT_MAX);
    this.ticksGiven += ticks;
    return { type: 'tick', ticks };
  }

  private carryOut(r: Ready): void {
    if (r.persist.length > 0) this.persist(r.persist);
    for (const l of r.loads)
      this.store.load(l.region, l.key).then(
        (record) => this.step({ type: 'loaded', token: l.token, record }),
        (e: Error) => this.fatal(`reading the store: ${e.message}`),
      );
    for (const s of r.scans) {
      this.searchStats.regions++;
      if (s.interval) this.searchStats.indexed++;
      this.store.scan(s.region, s.interval).then(
        (rows) => {
          this.searchStats.examined += rows.length;
          this.step({ type: 'scanned', token: s.token, rows });
        },
        (e: Error) => this.fatal(`reading the store: ${e.message}`),
      );
    }
    for (const s of r.send) this.sendPeer(s.to, s.message);
    for (const c of r.toCoordinator) this.link.send(MsgType.REGION_MOVED, m.encodeRegionMoved({ regionId: c.regionId, to: c.to, configVersion: c.configVersion }));
    for (const x of r.replies) this.reply(x.client as Pending, x.reply);
  }

  /**
   * A step's batches, written as one (atomically, in order: see Ready.persist): one store write and
   * one completion per turn, however many operations the turn brought.
   */
  private persist(batches: Ready['persist']): void {
    const writes = batches.length === 1 ? batches[0].writes : batches.flatMap((b) => b.writes);
    const done = (ok: boolean, message?: string) => {
      for (const b of batches) this.step({ type: 'persisted', token: b.token, ok, message });
    };
    this.store.write(writes).then(
      () => done(true),
      (e: Error) => {
        this.log(`storage: ${e.message}`, 'error');
        done(false, e.message);
      },
    );
  }

  /** A store that cannot read is no store: stop rather than answer wrongly. */
  private fatal(why: string): void {
    this.log(`${why}; stopping`, 'error');
    void this.stop();
  }

  private sendPeer(to: number, msg: PeerMessage): void {
    switch (msg.type) {
      case 'update': {
        const u: m.PeerUpdate = { id: msg.id, configVersion: msg.configVersion, spaceId: msg.spaceId, subspace: msg.subspace, regionId: msg.regionId, key: msg.key, version: msg.record.version, values: msg.record.values, transfer: msg.transfer };
        return this.peers.send(this.config, to, MsgType.REPLICA_WRITE, m.encodePeerUpdate(u));
      }
      case 'ack':
        return this.peers.send(this.config, to, MsgType.REPLICA_ACK, m.encodePeerAck(msg));
      case 'reset':
        return this.peers.send(this.config, to, MsgType.REGION_RESET, m.encodePeerRegionMessage(msg));
      case 'handoff':
        return this.peers.send(this.config, to, MsgType.REGION_HANDOFF, m.encodePeerRegionMessage(msg));
      case 'erase':
        return this.peers.send(this.config, to, MsgType.PEER_ERASE, m.encodePeerErase(msg));
    }
  }

  // ---- frames -----------------------------------------------------------------------------------

  private onFrame(conn: FramedConnection, f: Frame): void {
    try {
      switch (f.type) {
        case MsgType.REQ_GET: {
          const r = decodeGetFast(f.body) ?? m.decodeGet(f.body);
          return this.request(conn, f.id, MsgType.RESP_GET, { kind: 'get', configVersion: r.configVersion, spaceId: r.spaceId, key: r.key });
        }
        case MsgType.REQ_ATOMIC: {
          const r = decodeAtomicFast(f.body) ?? m.decodeAtomic(f.body);
          return this.request(conn, f.id, MsgType.RESP_ATOMIC, { kind: 'write', configVersion: r.configVersion, spaceId: r.spaceId, key: r.key, flags: r.flags, checks: r.checks, funcs: r.funcs });
        }
        case MsgType.REQ_DEL: {
          // A delete is an erase with no conditions: NOTFOUND when there is nothing to delete.
          const r = decodeGetFast(f.body) ?? m.decodeDel(f.body);
          return this.request(conn, f.id, MsgType.RESP_DEL, { kind: 'write', configVersion: r.configVersion, spaceId: r.spaceId, key: r.key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: [], funcs: [] });
        }
        case MsgType.REQ_SEARCH:
          return this.search(conn, f.id, decodeSearchFast(f.body) ?? m.decodeSearch(f.body));
        case MsgType.REQ_COUNT:
          return this.request(conn, f.id, MsgType.RESP_COUNT, { kind: 'count', ...(decodePredicateFast(f.body) ?? m.decodePredicateRequest(f.body, 'REQ_COUNT')) });
        case MsgType.REQ_GROUP_DEL:
          return this.request(conn, f.id, MsgType.RESP_GROUP_DEL, { kind: 'group-del', ...(decodePredicateFast(f.body) ?? m.decodePredicateRequest(f.body, 'REQ_GROUP_DEL')) });
        case MsgType.PEER_HELLO: {
          const h = m.decodePeerHello(f.body);
          let gate = this.gates.get(conn);
          if (!gate) this.gates.set(conn, (gate = new PeerGate()));
          void gate.hello(h, () => this.ownIdentity(), crypto.randomBytes(PEER_AUTH.nonceBytes)).then((a) => this.answerGate(conn, f.id, a));
          return;
        }
        case MsgType.PEER_PROOF: {
          const p = m.decodePeerProof(f.body);
          const gate = this.gates.get(conn);
          if (!gate) return void conn.send(MsgType.ERROR, f.id, [Status.BADREQUEST, 'PEER_PROOF without a PEER_CHALLENGE before it on this connection: send PEER_HELLO first']);
          void gate.proof(p, (id) => this.peerKeyOf(id)).then((a) => this.answerGate(conn, f.id, a));
          return;
        }
        case MsgType.REPLICA_WRITE:
        case MsgType.REPLICA_ACK:
        case MsgType.REGION_RESET:
        case MsgType.REGION_HANDOFF:
        case MsgType.PEER_ERASE:
          return this.onPeerFrame(conn, f);
        default:
          return void conn.send(MsgType.ERROR, f.id, [Status.BADREQUEST, `unknown message type ${msgTypeName(f.type)}`]);
      }
    } catch (e) {
      const status = e instanceof m.ProtocolError ? Status.BADREQUEST : Status.SERVERERROR;
      if (status === Status.SERVERERROR) this.log(`frame ${msgTypeName(f.type)}: ${(e as Error).stack}`, 'error');
      conn.send(MsgType.ERROR, f.id, [status, (e as Error).message]);
    }
  }

  /**
   * A message between daemons, heard only on a connection that proved which daemon it comes from
   * (PeerGate); the core is told that daemon, not whatever the message might claim.
   */
  private onPeerFrame(conn: FramedConnection, f: Frame): void {
    const from = this.gates.get(conn)?.peer;
    if (from === undefined) return void conn.send(MsgType.ERROR, f.id, [Status.UNAUTHORIZED, unprovenMessage(f.type)]);
    let message: PeerMessage;
    switch (f.type) {
      case MsgType.REPLICA_WRITE: {
        const u = m.decodePeerUpdate(f.body);
        message = { type: 'update', id: u.id, configVersion: u.configVersion, spaceId: u.spaceId, subspace: u.subspace, regionId: u.regionId, key: u.key, record: { version: u.version, values: u.values }, transfer: u.transfer };
        break;
      }
      case MsgType.REPLICA_ACK:
        message = { type: 'ack', ...m.decodePeerAck(f.body) };
        break;
      case MsgType.REGION_RESET:
        message = { type: 'reset', ...m.decodePeerRegionMessage(f.body, 'REGION_RESET') };
        break;
      case MsgType.REGION_HANDOFF:
        message = { type: 'handoff', ...m.decodePeerRegionMessage(f.body, 'REGION_HANDOFF') };
        break;
      default:
        message = { type: 'erase', ...m.decodePeerErase(f.body) };
    }
    this.step({ type: 'peer', from, message });
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

  /** Hands a client's request to the core, remembering where its reply goes. */
  private request(conn: FramedConnection, frameId: bigint, type: number, request: ClientRequest, sort?: Pending['sort']): void {
    if (!this.core) return void conn.send(MsgType.ERROR, frameId, [Status.RECONFIGURE, 'this daemon has not registered with the coordinator yet']);
    const client: Pending = { conn, frameId, type, spaceId: request.spaceId, sort, started: this.ops.started() };
    this.step({ type: 'request', client, requestId: 0, request });
  }

  /** A search, or a sorted_search (sorted and cut here, from what the core found). */
  private search(conn: FramedConnection, frameId: bigint, r: m.SearchRequest): void {
    const sort = r.sortBy === '' ? undefined : { attr: r.sortBy, descending: r.descending, limit: r.limit };
    // A sort attribute that cannot be is refused before any work, when the space is known already.
    const space = findSpaceById(this.config, r.spaceId);
    const bad = sort && space ? sortRefused(space, sort.attr) : undefined;
    if (bad) return this.replyCount(conn, MsgType.RESP_SEARCH_DONE, frameId, { ...bad, count: 0 });
    const request: ClientRequest = { kind: 'search', configVersion: r.configVersion, spaceId: r.spaceId, checks: r.checks, subspace: r.subspace, regions: r.regions };
    this.request(conn, frameId, MsgType.RESP_SEARCH_DONE, request, sort);
  }

  // ---- replies ----------------------------------------------------------------------------------

  private shapesOf(space: SpaceLayout): ReplyShapes {
    let shapes = this.replyShapes.get(space);
    if (!shapes) {
      const attrs = space.spec.attributes.map((a) => ({ name: a.name, datatype: datatypeOf(a.type) }));
      shapes = { get: new GetReplyShape(attrs), items: new SearchItemsShape(attrs) };
      this.replyShapes.set(space, shapes);
    }
    return shapes;
  }

  private reply(p: Pending, r: ClientReply): void {
    const { conn, frameId: id } = p;
    this.ops.record(p.type, r.status, p.started);
    if (conn.isClosed) return;
    switch (r.kind) {
      case 'get': {
        if (!r.values) return void conn.send(MsgType.RESP_GET, id, m.encodeGetResponse({ status: r.status, attrs: [], message: r.message }));
        const space = findSpaceById(this.config, p.spaceId);
        if (!space) return void conn.send(MsgType.RESP_GET, id, m.encodeGetResponse({ ...spaceGone(p.spaceId), attrs: [] }));
        return void conn.sendBody(MsgType.RESP_GET, id, this.getBody(space, r.values));
      }
      case 'write':
        if (r.status === Status.SUCCESS && r.attr === '' && r.message === '') return void conn.sendFrame(writeSuccessFrame(p.type, id));
        return void conn.send(p.type, id, m.encodeWriteResponse({ status: r.status, attr: r.attr, message: r.message }));
      case 'search':
        return this.replySearch(p, r);
      case 'count':
        return this.replyCount(conn, MsgType.RESP_COUNT, id, { status: r.status, attr: r.attr ?? '', message: r.message, count: r.count });
      case 'group-del':
        return void conn.send(MsgType.RESP_GROUP_DEL, id, m.encodeCountResponse({ status: r.status, attr: r.attr ?? '', message: r.message, count: r.count }));
    }
  }

  /**
   * A get's reply body, encoded once per stored object: the store's cache hands out the same values
   * array for an object until it changes, so a hot key's reply is not encoded again.
   */
  private getBody(space: SpaceLayout, values: readonly Buffer[]): Buffer {
    let body = this.getBodies.get(values);
    if (!body) {
      body = this.shapesOf(space).get.body(values);
      this.getBodies.set(values, body);
    }
    return body;
  }

  /** Search results in batches bounded in objects and bytes, then RESP_SEARCH_DONE with the count. */
  private replySearch(p: Pending, r: Extract<ClientReply, { kind: 'search' }>): void {
    const { conn, frameId: id } = p;
    if (r.status !== Status.SUCCESS) return this.replyCount(conn, MsgType.RESP_SEARCH_DONE, id, { status: r.status, attr: r.attr ?? '', message: r.message, count: 0 });
    const space = findSpaceById(this.config, p.spaceId);
    if (!space) return this.replyCount(conn, MsgType.RESP_SEARCH_DONE, id, { ...spaceGone(p.spaceId), count: 0 });
    let objects = r.objects;
    if (p.sort) {
      const bad = sortRefused(space, p.sort.attr);
      if (bad) return this.replyCount(conn, MsgType.RESP_SEARCH_DONE, id, { ...bad, count: 0 });
      const index = attributeByName(space.spec, p.sort.attr)!.index;
      const sorted = sortObjects(space, objects.map((o) => [o.key, { version: 0, values: o.values }] as [Buffer, { version: number; values: readonly Buffer[] }]), index, p.sort.descending);
      const cut = p.sort.limit > 0 ? sorted.slice(0, p.sort.limit) : sorted;
      objects = cut.map(([key, o]) => ({ key, values: o.values }));
    }
    const shape = this.shapesOf(space).items;
    let keys: Buffer[] = [];
    let values: (readonly Buffer[])[] = [];
    let bytes = 0;
    const flush = () => {
      if (keys.length > 0) conn.sendFrame(shape.frame(MsgType.RESP_SEARCH_ITEMS, id, keys, values));
      keys = [];
      values = [];
      bytes = 0;
    };
    for (const o of objects) {
      keys.push(o.key);
      values.push(o.values);
      bytes += o.key.length + 16;
      for (const v of o.values) bytes += v.length + 16;
      if (keys.length >= SEARCH_BATCH.objectsMax || bytes >= SEARCH_BATCH.bytesMax) flush();
    }
    flush();
    this.replyCount(conn, MsgType.RESP_SEARCH_DONE, id, { status: Status.SUCCESS, attr: '', message: '', count: objects.length });
  }

  /** A count's response (and a search's last): a plain success is written by hand. */
  private replyCount(conn: FramedConnection, type: number, id: bigint, r: m.CountResponse): void {
    const fast = r.status === Status.SUCCESS && r.attr === '' && r.message === '' ? countSuccessFrame(type, id, r.count) : undefined;
    if (fast) conn.sendFrame(fast);
    else conn.send(type, id, m.encodeCountResponse(r));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.keyWaiters.notify();
    this.link.stop();
    this.peers.close();
    for (const c of this.clients) c.close('daemon stopping');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.store.close();
    this.lock?.release();
  }
}

/** Why a search cannot be sorted by `attr` in `space`, if it cannot. */
function sortRefused(space: SpaceLayout, attr: string): { status: number; attr: string; message: string } | undefined {
  const found = attributeByName(space.spec, attr);
  if (!found) return { status: Status.UNKNOWNATTR, attr, message: `space ${space.name} has no attribute "${attr}"` };
  if (!isScalar(found.attr.type)) return { status: Status.WRONGTYPE, attr, message: `cannot sort by "${attr}" (${typeName(found.attr.type)})` };
  return undefined;
}

/** The default store: LevelDB under `dir`. */
export function openDefaultStore(dir: string): Promise<ShellStore> {
  return LevelDaemonStore.open(dir);
}
