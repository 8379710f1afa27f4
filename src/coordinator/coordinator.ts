// The coordinator process: holds the cluster state, persists it, and pushes every new configuration
// to the daemons and clients that subscribed. The state transitions themselves live in state.ts.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { FramedConnection } from '../common/connection';
import { decodeBody, encodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { proofMatches, registerCoordinatorProof, registerDaemonProof } from '../common/peer-auth';
import { MsgType, msgTypeName, PEER_AUTH, Status } from '../common/protocol';
import { parseSpaceDescription, SchemaParseError } from '../common/schema-parser';
import {
  addSpace,
  completeMove,
  CoordinatorState,
  INITIAL_STATE,
  judgeMoveReport,
  peerKeyTable,
  registerServer,
  rmSpace,
  serverOffline,
  withPeerKeys,
} from './state';

export interface CoordinatorOptions {
  readonly host: string;
  /** Ports to listen on, all speaking the same protocol (0.4 has a host and a control port). 0 picks one. */
  readonly ports: readonly number[];
  /** Where the state is kept across restarts; without it the state lives in memory only. */
  readonly dataDir?: string;
  readonly frameBytesMax?: number;
  /**
   * With a cluster secret, a daemon registers only once it has proven that it knows the secret
   * (REGISTER_HELLO, REGISTER_CHALLENGE, then DAEMON_REGISTER with its proof). Without one,
   * registration is open to anyone who can connect.
   */
  readonly clusterSecret?: Buffer;
  readonly log?: (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;
}

const STATE_FILE = 'coordinator.state';

function loadState(dataDir: string | undefined): CoordinatorState {
  if (!dataDir) return INITIAL_STATE;
  const file = path.join(dataDir, STATE_FILE);
  if (!fs.existsSync(file)) return INITIAL_STATE;
  const raw = decodeBody(fs.readFileSync(file)) as CoordinatorState;
  // Region bounds travel as bigint; msgpack gives small ones back as numbers.
  const big = (x: unknown) => (typeof x === 'bigint' ? x : BigInt(x as number));
  // A state written before peer keys and move starts existed has neither (withPeerKeys fills the keys in).
  const peerKeys: Record<number, Buffer> = {};
  for (const [id, key] of Object.entries(raw.peerKeys ?? {})) peerKeys[Number(id)] = Buffer.from(key as Uint8Array);
  const moveStarts: Record<number, number> = {};
  for (const [id, v] of Object.entries(raw.moveStarts ?? {})) moveStarts[Number(id)] = Number(v);
  return {
    ...raw,
    peerKeys,
    moveStarts,
    config: {
      ...raw.config,
      spaces: raw.config.spaces.map((s) => ({
        ...s,
        subspaces: s.subspaces.map((ss) => ({ ...ss, regions: ss.regions.map((r) => ({ ...r, lower: r.lower.map(big), upper: r.upper.map(big) })) })),
      })),
    },
  };
}

/** Writes the state durably: temp file, fsync, rename. */
function saveState(dataDir: string, state: CoordinatorState): void {
  const file = path.join(dataDir, STATE_FILE);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, encodeBody(state));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function newPeerKey(): Buffer {
  return crypto.randomBytes(PEER_AUTH.keyBytes);
}

export class Coordinator {
  private state: CoordinatorState;
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<FramedConnection>();
  private readonly subscribers = new Set<FramedConnection>();
  /** Which connection registered each server, so a stale connection's close does not mark it offline. */
  private readonly daemonLinks = new Map<number, FramedConnection>();
  /** The registration challenge each connection was given (one at a time), with a cluster secret. */
  private readonly challenges = new Map<FramedConnection, { daemonNonce: Buffer; coordinatorNonce: Buffer }>();
  private stopping = false;

  private constructor(private readonly opts: CoordinatorOptions) {
    if (opts.dataDir) {
      const stat = fs.statSync(opts.dataDir, { throwIfNoEntry: false });
      if (!stat || !stat.isDirectory()) throw new Error(`data directory ${opts.dataDir} does not exist (create it first)`);
    }
    if (opts.clusterSecret !== undefined && opts.clusterSecret.length < PEER_AUTH.secretBytesMin)
      throw new Error(`the cluster secret has ${opts.clusterSecret.length} bytes; it needs at least ${PEER_AUTH.secretBytesMin}`);
    this.state = withPeerKeys(loadState(opts.dataDir), newPeerKey);
    // Every daemon must register again after a restart: until then it is offline.
    for (const s of this.state.config.servers) this.state = serverOffline(this.state, s.id);
  }

  static async start(opts: CoordinatorOptions): Promise<Coordinator> {
    if (opts.ports.length === 0) throw new Error('coordinator: no port to listen on');
    const c = new Coordinator(opts);
    try {
      for (const port of opts.ports) await c.listen(port);
    } catch (e) {
      await c.stop();
      throw e;
    }
    c.persist();
    return c;
  }

  private log(line: string, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): void {
    if (this.opts.log) this.opts.log(line, level);
    else process.stderr.write(`coordinator ${level}: ${line}\n`);
  }

  get ports(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  get configVersion(): number {
    return this.state.config.version;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', (err) => reject(new Error(`cannot listen on ${this.opts.host}:${port}: ${err.message}`)));
      server.listen(port, this.opts.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.log(`server error: ${err.message}`, 'error'));
        this.servers.push(server);
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) return void socket.destroy();
    const conn: FramedConnection = new FramedConnection(
      socket,
      { onFrame: (f) => this.onFrame(conn, f), onClose: () => this.onClose(conn) },
      this.opts.frameBytesMax,
    );
    this.connections.add(conn);
  }

  private onClose(conn: FramedConnection): void {
    this.connections.delete(conn);
    this.subscribers.delete(conn);
    this.challenges.delete(conn);
    for (const [id, link] of this.daemonLinks) {
      if (link !== conn) continue;
      this.daemonLinks.delete(id);
      if (!this.stopping) {
        this.log(`daemon ${id} disconnected`, 'warn');
        this.update(serverOffline(this.state, id));
      }
    }
  }

  private onFrame(conn: FramedConnection, f: Frame): void {
    const reply = (type: number, body: unknown[]) => conn.send(type, f.id, body);
    try {
      switch (f.type) {
        case MsgType.CONFIG_SUBSCRIBE:
          m.decodeSubscribe(f.body);
          this.subscribers.add(conn);
          reply(MsgType.CONFIG, [this.state.config]);
          return;
        case MsgType.REGISTER_HELLO:
          return this.onRegisterHello(conn, f);
        case MsgType.DAEMON_REGISTER:
          return this.onRegister(conn, f);
        case MsgType.SPACE_ADD:
          return void reply(MsgType.COORD_RESP, this.handleSpaceAdd(m.decodeSpaceAdd(f.body)));
        case MsgType.SPACE_RM: {
          const result = rmSpace(this.state, m.decodeSpaceRm(f.body));
          if (!result.ok) return void reply(MsgType.COORD_RESP, [Status.UNKNOWNSPACE, result.reason]);
          this.update(result.state);
          return void reply(MsgType.COORD_RESP, [Status.SUCCESS, '']);
        }
        case MsgType.REGION_MOVED:
          return this.onRegionMoved(conn, f);
        case MsgType.SPACE_LIST:
          m.decodeSpaceList(f.body);
          return void reply(MsgType.SPACE_LIST_RESP, [this.state.config.spaces.map((s) => s.name)]);
        default:
          return void reply(MsgType.ERROR, [Status.BADREQUEST, `unknown message type ${msgTypeName(f.type)}`]);
      }
    } catch (e) {
      const status = e instanceof m.ProtocolError ? Status.BADREQUEST : Status.SERVERERROR;
      if (status === Status.SERVERERROR) this.log(`${(e as Error).stack}`, 'error');
      reply(MsgType.ERROR, [status, (e as Error).message]);
    }
  }

  /** REGISTER_HELLO: a daemon that knows the cluster secret asks for a challenge, and for proof that this coordinator knows it too. */
  private onRegisterHello(conn: FramedConnection, f: Frame): void {
    const { nonce: daemonNonce } = m.decodeRegisterHello(f.body);
    const secret = this.opts.clusterSecret;
    if (!secret)
      return void conn.send(MsgType.ERROR, f.id, [
        Status.UNAUTHORIZED,
        'this coordinator has no cluster secret: start the daemon without --cluster-secret-file, or the coordinator with the same one',
      ]);
    const coordinatorNonce = crypto.randomBytes(PEER_AUTH.nonceBytes);
    // One challenge per connection: a new hello replaces the one not yet answered.
    this.challenges.set(conn, { daemonNonce, coordinatorNonce });
    conn.send(MsgType.REGISTER_CHALLENGE, f.id, [coordinatorNonce, registerCoordinatorProof(secret, daemonNonce, coordinatorNonce)]);
  }

  /** Why a registration may not proceed (with a cluster secret), or undefined when it may. */
  private registrationRefusal(conn: FramedConnection, r: m.RegisterRequest): string | undefined {
    const secret = this.opts.clusterSecret;
    if (!secret) return undefined; // open registration: a proof, if any, is not looked at
    if (!r.proof) return 'the cluster secret is missing: this coordinator requires proof of it (start the daemon with --cluster-secret-file)';
    const challenge = this.challenges.get(conn);
    if (!challenge) return 'no registration challenge on this connection: send REGISTER_HELLO first';
    // A challenge answers one registration, right or wrong: a proof is never tried twice.
    this.challenges.delete(conn);
    const expected = registerDaemonProof(secret, challenge.daemonNonce, challenge.coordinatorNonce, r.token, r.host, r.port);
    if (!proofMatches(expected, r.proof)) return 'wrong cluster secret: the proof does not match';
    return undefined;
  }

  private onRegister(conn: FramedConnection, f: Frame): void {
    const r = m.decodeRegister(f.body);
    const refusal = this.registrationRefusal(conn, r);
    if (refusal) {
      this.log(`refused a registration as ${r.host}:${r.port}: ${refusal}`, 'warn');
      return void conn.send(MsgType.ERROR, f.id, [Status.UNAUTHORIZED, `registration refused: ${refusal}`]);
    }
    const before = this.state;
    const { state, serverId, keysChanged } = registerServer(before, r.token, r.host, r.port, newPeerKey());
    const previous = this.daemonLinks.get(serverId);
    this.daemonLinks.set(serverId, conn);
    if (previous && previous !== conn) previous.close('replaced by a newer registration');
    // Persisted before anyone learns the key: a key handed out is never lost in a restart.
    this.persistState(state);
    conn.send(MsgType.DAEMON_REGISTERED, f.id, [serverId, state.peerKeys[serverId]]);
    this.log(`daemon ${serverId} at ${r.host}:${r.port}`);
    // The keys go out before any configuration that names the new server (update, below), so that a
    // daemon that sees it there can already check it; each connection sends its frames in order.
    const table = m.encodePeerKeys(peerKeyTable(state));
    for (const [, link] of this.daemonLinks) if (keysChanged || link === conn) link.send(MsgType.PEER_KEYS, 0n, table);
    if (state.config !== before.config) this.pushConfig();
  }

  /** REGION_MOVED: one-way; completes a move when the region's head reports it (judgeMoveReport). */
  private onRegionMoved(conn: FramedConnection, f: Frame): void {
    const report = m.decodeRegionMoved(f.body);
    let sender: number | undefined;
    for (const [id, link] of this.daemonLinks) if (link === conn) sender = id;
    const verdict = judgeMoveReport(this.state, report, sender);
    if (verdict.kind === 'refused') {
      this.log(`refused REGION_MOVED of region ${report.regionId} to server ${report.to}: ${verdict.message}`, 'warn');
      return void conn.send(MsgType.ERROR, f.id, [verdict.status, verdict.message]);
    }
    if (verdict.kind === 'stale') return void this.log(`ignored REGION_MOVED of region ${report.regionId} to server ${report.to}: ${verdict.why}`, 'debug');
    this.update(completeMove(this.state, report.regionId, report.to));
  }

  private handleSpaceAdd(description: string): unknown[] {
    let spec;
    try {
      spec = parseSpaceDescription(description);
    } catch (e) {
      if (e instanceof SchemaParseError) return [Status.BADSPACE, e.message];
      throw e;
    }
    const result = addSpace(this.state, spec);
    if (!result.ok) return [Status.BADSPACE, result.reason];
    this.update(result.state);
    for (const note of result.notes) this.log(`space ${spec.name}: ${note}`, 'warn');
    return [Status.SUCCESS, result.notes.join('\n')];
  }

  /** Installs a new state: persist first, then tell everyone whose configuration changed. */
  private update(next: CoordinatorState): void {
    if (next === this.state) return;
    const configChanged = next.config !== this.state.config;
    this.persistState(next);
    if (configChanged) this.pushConfig();
  }

  /** Only the configuration goes to subscribers: the peer keys stay in the coordinator's state. */
  private pushConfig(): void {
    for (const s of this.subscribers) s.send(MsgType.CONFIG, 0n, [this.state.config]);
  }

  /** Persists a state and makes it the current one (a no-op when it already is). */
  private persistState(next: CoordinatorState): void {
    if (next === this.state) return;
    this.state = next;
    this.persist();
  }

  private persist(): void {
    if (this.opts.dataDir) saveState(this.opts.dataDir, this.state);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of [...this.connections]) c.close('coordinator stopping');
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
