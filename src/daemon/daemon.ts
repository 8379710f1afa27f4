// The daemon process: serves key operations on the regions the configuration gives it, stores
// objects in LevelDB under its data directory, and follows the coordinator.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ClusterConfig, EMPTY_CONFIG, findSpaceById, keyRegion, reviveConfig, SpaceLayout } from '../common/config';
import { connectTcp, FramedConnection } from '../common/connection';
import { decodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { datatypeOf, isScalar, typeName } from '../common/datatypes';
import { attributeByName, Check, firstFailingCheck, resolveChecks } from '../common/predicate';
import { MsgType, msgTypeName, SEARCH_BATCH, Status } from '../common/protocol';
import { applyAtomic, checkKey, Outcome, StoredObject, SUCCESS } from './apply';
import { sortObjects } from './sort';
import { ConditionWaiters } from '../common/waiters';
import { KeyedSerializer } from './serializer';
import { LevelObjectStore, ObjectStore } from './storage';

export interface DaemonOptions {
  readonly listenHost: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  readonly coordinatorHost: string;
  readonly coordinatorPort: number;
  readonly dataDir: string;
  readonly frameBytesMax?: number;
  readonly log?: (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;
}

const IDENTITY_FILE = 'hyperdex-identity';
const RECONNECT_DELAY_MS_MIN = 100;
const RECONNECT_DELAY_MS_MAX = 2000;
const CONFIG_CATCH_UP_MS_MAX = 2000;

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
  private readonly configWaiters = new ConditionWaiters();

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
    try {
      await d.listen();
      await new Promise<void>((resolve) => {
        d.registeredOnce = resolve;
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
        onClose: () => this.clients.delete(conn),
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
          onFrame: (f) => this.onCoordinatorFrame(f),
          onClose: (reason) => {
            if (this.coordinator === conn) this.coordinator = undefined;
            if (!this.stopping) {
              this.log(`lost the coordinator (${reason}); reconnecting`, 'warn');
              this.scheduleReconnect();
            }
          },
        });
        this.coordinator = conn;
        const { host: myHost, port: myPort } = this.address;
        conn.send(MsgType.DAEMON_REGISTER, 1n, [this.token, myHost, myPort]);
        conn.send(MsgType.CONFIG_SUBSCRIBE, 2n, []);
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

  private onCoordinatorFrame(f: Frame): void {
    try {
      if (f.type === MsgType.DAEMON_REGISTERED) {
        const [id] = decodeBody(f.body) as [number];
        this.serverId = Number(id);
        this.reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
        this.registeredOnce?.();
        this.registeredOnce = undefined;
      } else if (f.type === MsgType.CONFIG) {
        const [raw] = decodeBody(f.body) as [unknown];
        this.installConfig(reviveConfig(raw));
      } else if (f.type === MsgType.ERROR || f.type === MsgType.COORD_RESP) {
        this.log(`coordinator says: ${JSON.stringify(decodeBody(f.body))}`);
      }
    } catch (e) {
      this.log(`bad message from the coordinator: ${(e as Error).message}`, 'warn');
    }
  }

  private installConfig(next: ClusterConfig): void {
    if (next.version <= this.config.version) return;
    const dropped = this.config.spaces.filter((s) => !findSpaceById(next, s.id));
    this.config = next;
    this.configWaiters.notify();
    for (const s of dropped) {
      this.store.dropSpace(s.id).catch((e: Error) => this.log(`dropping space ${s.name}: ${e.message}`, 'error'));
    }
  }

  // ---- client requests ---------------------------------------------------------------------

  private onClientFrame(conn: FramedConnection, f: Frame): void {
    const reply = (type: number, body: unknown[]) => conn.send(type, f.id, body);
    let work: Promise<void>;
    try {
      switch (f.type) {
        case MsgType.REQ_GET:
          work = this.handleGet(m.decodeGet(f.body)).then((r) => void reply(MsgType.RESP_GET, m.encodeGetResponse(r)));
          break;
        case MsgType.REQ_ATOMIC:
          work = this.handleAtomic(m.decodeAtomic(f.body)).then((r) => void reply(MsgType.RESP_ATOMIC, m.encodeWriteResponse(r)));
          break;
        case MsgType.REQ_DEL:
          work = this.handleDel(m.decodeDel(f.body)).then((r) => void reply(MsgType.RESP_DEL, m.encodeWriteResponse(r)));
          break;
        case MsgType.REQ_SEARCH:
          work = this.handleSearch(m.decodeSearch(f.body), (objects) => reply(MsgType.RESP_SEARCH_ITEMS, m.encodeSearchItems(objects))).then(
            (r) => void reply(MsgType.RESP_SEARCH_DONE, m.encodeCountResponse(r)),
          );
          break;
        case MsgType.REQ_COUNT:
          work = this.handleCount(m.decodePredicateRequest(f.body, 'REQ_COUNT')).then((r) => void reply(MsgType.RESP_COUNT, m.encodeCountResponse(r)));
          break;
        case MsgType.REQ_GROUP_DEL:
          work = this.handleGroupDel(m.decodePredicateRequest(f.body, 'REQ_GROUP_DEL')).then((r) => void reply(MsgType.RESP_GROUP_DEL, m.encodeCountResponse(r)));
          break;
        default:
          reply(MsgType.ERROR, [Status.BADREQUEST, `unknown message type ${msgTypeName(f.type)}`]);
          return;
      }
    } catch (e) {
      const status = e instanceof m.ProtocolError ? Status.BADREQUEST : Status.SERVERERROR;
      reply(MsgType.ERROR, [status, (e as Error).message]);
      return;
    }
    work.catch((e: Error) => {
      this.log(`request ${f.id} failed: ${e.stack ?? e.message}`, 'error');
      reply(MsgType.ERROR, [Status.SERVERERROR, e.message]);
    });
  }

  /**
   * A client may hold a newer configuration than this daemon (the coordinator pushes to both at
   * once): wait, bounded, until this daemon has caught up before judging the request.
   */
  private async configAtLeast(version: number): Promise<void> {
    await this.configWaiters.waitFor(() => this.stopping || this.config.version >= version, CONFIG_CATCH_UP_MS_MAX);
  }

  /** The space, if this daemon heads the key's chain; else the outcome to report. */
  private route(spaceId: number, key: Buffer): SpaceLayout | Outcome {
    const space = findSpaceById(this.config, spaceId);
    if (!space) return { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${spaceId} (configuration ${this.config.version})` };
    const bad = checkKey(space.spec, key);
    if (bad) return bad;
    const region = keyRegion(space, key);
    if (region.replicas[0] !== this.serverId)
      return { status: Status.RECONFIGURE, attr: '', message: `server ${this.serverId} does not head region ${region.id}` };
    return space;
  }

  private async handleGet(req: m.GetRequest): Promise<m.GetResponse> {
    await this.configAtLeast(req.configVersion);
    const space = this.route(req.spaceId, req.key);
    if (!('spec' in space)) return { status: space.status, attrs: [], message: space.message };
    const obj = await this.serializer.run(this.lockName(req), () => this.store.get(req.spaceId, req.key));
    if (!obj) return { status: Status.NOTFOUND, attrs: [], message: '' };
    return {
      status: Status.SUCCESS,
      attrs: space.spec.attributes.map((a, i) => ({ name: a.name, datatype: datatypeOf(a.type), value: obj.values[i] })),
      message: '',
    };
  }

  private async handleAtomic(req: m.AtomicRequest): Promise<Outcome> {
    await this.configAtLeast(req.configVersion);
    const space = this.route(req.spaceId, req.key);
    if (!('spec' in space)) return space;
    return this.serializer.run(this.lockName(req), async () => {
      const current = await this.store.get(req.spaceId, req.key);
      const { outcome, next } = applyAtomic(space.spec, req.key, current, req);
      if (next) await this.store.put(req.spaceId, req.key, next);
      return outcome;
    });
  }

  private async handleDel(req: m.DelRequest): Promise<Outcome> {
    await this.configAtLeast(req.configVersion);
    const space = this.route(req.spaceId, req.key);
    if (!('spec' in space)) return space;
    return this.serializer.run(this.lockName(req), async () => {
      const current = await this.store.get(req.spaceId, req.key);
      if (!current) return { status: Status.NOTFOUND, attr: '', message: '' };
      await this.store.del(req.spaceId, req.key);
      return SUCCESS;
    });
  }

  // ---- search, count, group_del ---------------------------------------------------------------

  /** Resolves a predicate for a space this daemon knows, or says why not. */
  private async predicate(req: m.PredicateRequest): Promise<{ space: SpaceLayout; checks: Check[] } | Outcome> {
    await this.configAtLeast(req.configVersion);
    const space = findSpaceById(this.config, req.spaceId);
    if (!space) return { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${req.spaceId} (configuration ${this.config.version})` };
    const checks = resolveChecks(space.spec, req.checks);
    if (!Array.isArray(checks)) return checks;
    return { space, checks };
  }

  /** The objects this daemon serves (it heads their key region) that satisfy every check. */
  private async *matching(space: SpaceLayout, checks: readonly Check[]): AsyncIterable<[Buffer, StoredObject]> {
    for await (const [key, obj] of this.store.scan(space.id)) {
      if (keyRegion(space, key).replicas[0] !== this.serverId) continue;
      if (!firstFailingCheck(checks, key, obj.values)) yield [key, obj];
    }
  }

  private searchObject(space: SpaceLayout, key: Buffer, obj: StoredObject): m.SearchObject {
    return { key, attrs: space.spec.attributes.map((a, i) => ({ name: a.name, datatype: datatypeOf(a.type), value: obj.values[i] })) };
  }

  /**
   * Streams the matches in batches; for sorted_search, sorts by the attribute and keeps the first
   * `limit` (the client merges the daemons' lists).
   */
  private async handleSearch(req: m.SearchRequest, send: (objects: m.SearchObject[]) => void): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    const { space, checks } = p;
    let sortIndex: number | undefined;
    if (req.sortBy !== '') {
      const found = attributeByName(space.spec, req.sortBy);
      if (!found) return { status: Status.UNKNOWNATTR, attr: req.sortBy, message: `space ${space.name} has no attribute "${req.sortBy}"`, count: 0 };
      if (!isScalar(found.attr.type)) return { status: Status.WRONGTYPE, attr: req.sortBy, message: `cannot sort by "${req.sortBy}" (${typeName(found.attr.type)})`, count: 0 };
      sortIndex = found.index;
    }
    // Batches bounded in objects and bytes, so that no reply frame nears the frame limit.
    let batch: m.SearchObject[] = [];
    let bytes = 0;
    const add = (key: Buffer, obj: StoredObject) => {
      batch.push(this.searchObject(space, key, obj));
      bytes += key.length + obj.values.reduce((n, v) => n + v.length + 16, 16);
      if (batch.length >= SEARCH_BATCH.objectsMax || bytes >= SEARCH_BATCH.bytesMax) flush();
    };
    const flush = () => {
      if (batch.length > 0) send(batch);
      batch = [];
      bytes = 0;
    };
    let count = 0;
    if (sortIndex !== undefined) {
      const all: [Buffer, StoredObject][] = [];
      for await (const match of this.matching(space, checks)) all.push(match);
      const sorted = sortObjects(space, all, sortIndex, req.descending);
      for (const [key, obj] of req.limit > 0 ? sorted.slice(0, req.limit) : sorted) {
        add(key, obj);
        count++;
      }
    } else {
      for await (const [key, obj] of this.matching(space, checks)) {
        add(key, obj);
        count++;
      }
    }
    flush();
    return { ...SUCCESS, count };
  }

  private async handleCount(req: m.PredicateRequest): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    let count = 0;
    for await (const _ of this.matching(p.space, p.checks)) count++;
    return { ...SUCCESS, count };
  }

  /** Deletes the matches, each under its key's lock and only if it still matches then. */
  private async handleGroupDel(req: m.PredicateRequest): Promise<m.CountResponse> {
    const p = await this.predicate(req);
    if (!('space' in p)) return { ...p, count: 0 };
    const keys: Buffer[] = [];
    for await (const [key] of this.matching(p.space, p.checks)) keys.push(key);
    let count = 0;
    for (const key of keys) {
      const deleted = await this.serializer.run(this.lockName({ spaceId: p.space.id, key }), async () => {
        const obj = await this.store.get(p.space.id, key);
        if (!obj || firstFailingCheck(p.checks, key, obj.values)) return false;
        await this.store.del(p.space.id, key);
        return true;
      });
      if (deleted) count++;
    }
    return { ...SUCCESS, count };
  }

  private lockName(req: { spaceId: number; key: Buffer }): string {
    return `${req.spaceId}:${req.key.toString('latin1')}`;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.configWaiters.notify();
    this.coordinator?.close('daemon stopping');
    for (const c of [...this.clients]) c.close('daemon stopping');
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    await this.serializer.drain();
    await this.store.close();
  }
}
