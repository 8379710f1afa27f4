// The coordinator process: holds the cluster state, persists it, and pushes every new configuration
// to the daemons and clients that subscribed. The state transitions themselves live in state.ts.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { FramedConnection } from '../common/connection';
import { decodeBody, encodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { MsgType, msgTypeName, Status } from '../common/protocol';
import { parseSpaceDescription, SchemaParseError } from '../common/schema-parser';
import { addSpace, completeMove, CoordinatorState, INITIAL_STATE, registerServer, rmSpace, serverOffline } from './state';

export interface CoordinatorOptions {
  readonly host: string;
  /** Ports to listen on, all speaking the same protocol (0.4 has a host and a control port). 0 picks one. */
  readonly ports: readonly number[];
  /** Where the state is kept across restarts; without it the state lives in memory only. */
  readonly dataDir?: string;
  readonly frameBytesMax?: number;
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
  return {
    ...raw,
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

export class Coordinator {
  private state: CoordinatorState;
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<FramedConnection>();
  private readonly subscribers = new Set<FramedConnection>();
  /** Which connection registered each server, so a stale connection's close does not mark it offline. */
  private readonly daemonLinks = new Map<number, FramedConnection>();
  private stopping = false;

  private constructor(private readonly opts: CoordinatorOptions) {
    if (opts.dataDir) {
      const stat = fs.statSync(opts.dataDir, { throwIfNoEntry: false });
      if (!stat || !stat.isDirectory()) throw new Error(`data directory ${opts.dataDir} does not exist (create it first)`);
    }
    this.state = loadState(opts.dataDir);
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
        case MsgType.DAEMON_REGISTER: {
          const { token, host, port } = m.decodeRegister(f.body);
          const { state, serverId } = registerServer(this.state, token, host, port);
          const previous = this.daemonLinks.get(serverId);
          this.daemonLinks.set(serverId, conn);
          if (previous && previous !== conn) previous.close('replaced by a newer registration');
          reply(MsgType.DAEMON_REGISTERED, [serverId]);
          this.log(`daemon ${serverId} at ${host}:${port}`);
          this.update(state);
          return;
        }
        case MsgType.SPACE_ADD:
          return void reply(MsgType.COORD_RESP, this.handleSpaceAdd(m.decodeSpaceAdd(f.body)));
        case MsgType.SPACE_RM: {
          const result = rmSpace(this.state, m.decodeSpaceRm(f.body));
          if (!result.ok) return void reply(MsgType.COORD_RESP, [Status.UNKNOWNSPACE, result.reason]);
          this.update(result.state);
          return void reply(MsgType.COORD_RESP, [Status.SUCCESS, '']);
        }
        case MsgType.REGION_MOVED: {
          // One-way: a daemon finished copying a region; its next head takes over.
          const { regionId, to } = m.decodeRegionMoved(f.body);
          this.update(completeMove(this.state, regionId, to));
          return;
        }
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

  /** Installs a new state: persist first, then tell everyone. */
  private update(next: CoordinatorState): void {
    if (next === this.state) return;
    this.state = next;
    this.persist();
    for (const s of this.subscribers) s.send(MsgType.CONFIG, 0n, [this.state.config]);
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
