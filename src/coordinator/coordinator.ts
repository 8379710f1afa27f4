// The coordinator process: the shell around the coordinator's core (core.ts). It listens, numbers
// the connections, decodes their frames into the core's events, keeps the state file, and carries
// out what each step returns. Every decision (who may do what, what to persist, what goes to whom)
// is the core's; the state transitions themselves are in state.ts. Time reaches the core as ticks
// (COORDINATOR_TICK_MS each), from which it tells daemons that have gone silent.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ClusterConfig } from '../common/config';
import { FramedConnection } from '../common/connection';
import { DataDirLock } from '../common/data-dir-lock';
import { LogFields, LogFn, LogLevel } from '../common/log';
import { decodeBody, encodeBody, Frame } from '../common/frame';
import { PEER_AUTH, Status } from '../common/protocol';
import { CoordinatorCore } from './core';
import { ConnectionId, COORDINATOR_TICK_MS, CoordinatorEvent, CoordinatorReady, CoordinatorRequest, FAILURE_TIMEOUT_MS, failureDetection } from './core-types';
import { CoordinatorState, INITIAL_STATE, withPeerKeys } from './state';
import { decodeCoordinatorRequest, encodeCoordinatorMessage } from './wire';

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
  /**
   * A daemon not heard from for longer than this is failed (FAILURE_TIMEOUT_MS: default 2000,
   * within [min, max]).
   */
  readonly failureTimeoutMs?: number;
  readonly log?: LogFn;
  /**
   * Called when the coordinator stopped because it could not write its state: it cannot promise
   * anything it has not written, so it tells nobody anything more (the process should exit).
   */
  readonly onFailure?: (error: Error) => void;
}

const STATE_FILE = 'coordinator.state';

/**
 * Events one drain of the queue handles at most. An event leads to a bounded number of others (a
 * persist to its acknowledgement, a close to its `closed`): more means the shell and the core
 * feed each other without end.
 */
const DRAIN_EVENTS_MAX = 1_000_000;

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
  private readonly core: CoordinatorCore;
  private readonly servers: net.Server[] = [];
  private readonly connections = new Map<ConnectionId, FramedConnection>();
  private nextConnection: ConnectionId = 1;
  /** Events not yet given to the core: one step at a time, even when carrying out a step causes more. */
  private readonly queue: CoordinatorEvent[] = [];
  private draining = false;
  /** The core has had its start: until then events wait (the first one must be the start). */
  private running = false;
  /** start() returned: a failure from now on is reported to onFailure. */
  private serving = false;
  private stopping = false;
  private stopped = false;
  /** Why the coordinator stopped on its own (a state it could not write), if it did. */
  private failure: Error | undefined;
  /** The data directory's lock, held from before the state is read until the coordinator stops. */
  private readonly lock: DataDirLock | undefined;
  /** Feeds the core its ticks while it runs. */
  private ticker: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: CoordinatorOptions) {
    if (opts.clusterSecret !== undefined && opts.clusterSecret.length < PEER_AUTH.secretBytesMin)
      throw new Error(`the cluster secret has ${opts.clusterSecret.length} bytes; it needs at least ${PEER_AUTH.secretBytesMin}`);
    const timeoutMs = opts.failureTimeoutMs ?? FAILURE_TIMEOUT_MS.default;
    if (!Number.isInteger(timeoutMs) || timeoutMs < FAILURE_TIMEOUT_MS.min || timeoutMs > FAILURE_TIMEOUT_MS.max)
      throw new Error(`the failure timeout must be a whole number of ms from ${FAILURE_TIMEOUT_MS.min} to ${FAILURE_TIMEOUT_MS.max}, got ${timeoutMs}`);
    if (opts.dataDir) {
      const stat = fs.statSync(opts.dataDir, { throwIfNoEntry: false });
      if (!stat || !stat.isDirectory()) throw new Error(`data directory ${opts.dataDir} does not exist (create it first)`);
      this.lock = DataDirLock.acquire(opts.dataDir, 'coordinator');
    }
    try {
      this.core = new CoordinatorCore({
        state: withPeerKeys(loadState(opts.dataDir), newPeerKey),
        clusterSecret: opts.clusterSecret,
        failure: failureDetection(timeoutMs, COORDINATOR_TICK_MS),
      });
    } catch (e) {
      this.lock?.release();
      throw new Error(`cannot read the coordinator's state in ${opts.dataDir}/${STATE_FILE}: ${(e as Error).message}`, { cause: e });
    }
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
    // The start goes first, ahead of what connections sent while the ports opened: its persist
    // (every server offline until it registers again) is written before anything else.
    c.running = true;
    c.queue.unshift({ type: 'start' });
    c.drain();
    if (c.failure) {
      await c.stop();
      throw c.failure;
    }
    // One tick per interval that actually fires: a coordinator that stalls (a slow disk, SIGSTOP)
    // counts no time for it, and so fails nobody for its own silence.
    c.ticker = setInterval(() => c.feed({ type: 'tick' }), COORDINATOR_TICK_MS);
    c.ticker.unref();
    c.serving = true;
    return c;
  }

  private log(line: string, level: LogLevel = 'info', fields?: LogFields): void {
    if (this.opts.log) this.opts.log(line, level, fields);
    else process.stderr.write(`coordinator ${level}: ${line}\n`);
  }

  get ports(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo).port);
  }

  get configVersion(): number {
    return this.core.state.config.version;
  }

  /** The cluster configuration now (for metrics and the status page). */
  get config(): ClusterConfig {
    return this.core.state.config;
  }

  /** Daemons registered on a connection that is still open. */
  get daemonsConnected(): number {
    return this.core.daemonsConnected;
  }

  /**
   * Serving: started (its state read, and the start's persist written) and not stopped, nor
   * stopped on its own for a state it could not write.
   */
  get healthy(): boolean {
    return this.serving && !this.stopping && this.failure === undefined;
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
    const id = this.nextConnection++;
    const conn: FramedConnection = new FramedConnection(
      socket,
      {
        onFrame: (f) => this.onFrame(id, f),
        onClose: () => {
          this.connections.delete(id);
          this.feed({ type: 'closed', conn: id });
        },
      },
      this.opts.frameBytesMax,
    );
    this.connections.set(id, conn);
    this.feed({ type: 'opened', conn: id });
  }

  private onFrame(conn: ConnectionId, f: Frame): void {
    let request: CoordinatorRequest;
    try {
      request = decodeCoordinatorRequest(f, crypto.randomBytes);
    } catch (e) {
      // Not a malformed frame (those decode to a request of their own) but a bug in decoding.
      this.log(`${(e as Error).stack}`, 'error');
      request = { kind: 'malformed', status: Status.SERVERERROR, message: (e as Error).message };
    }
    this.feed({ type: 'request', conn, id: f.id, request });
  }

  private feed(ev: CoordinatorEvent): void {
    if (this.failure) return;
    this.queue.push(ev);
    if (this.running && !this.draining) this.drain();
  }

  private drain(): void {
    this.draining = true;
    try {
      for (let n = 0; this.queue.length > 0 && !this.failure; n++) {
        if (n >= DRAIN_EVENTS_MAX) throw new Error(`coordinator: more than ${DRAIN_EVENTS_MAX} events in one drain`);
        this.carryOut(this.core.step(this.queue.shift()!));
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Carries out a step: its sends and closes do not wait for its own persist (the core held back
   * whatever does), so they go first; then the state is written, and its acknowledgement queued.
   */
  private carryOut(r: CoordinatorReady): void {
    for (const l of r.log) this.log(l.line, l.level, l.fields);
    for (const s of r.send) {
      const { type, body } = encodeCoordinatorMessage(s.message);
      this.connections.get(s.conn)?.send(type, s.id, body);
    }
    for (const c of r.close) this.connections.get(c.conn)?.close(c.reason);
    if (!r.persist) return;
    if (this.opts.dataDir) {
      try {
        saveState(this.opts.dataDir, r.persist.state);
      } catch (e) {
        return this.fail(e as Error);
      }
    }
    this.queue.push({ type: 'persisted', token: r.persist.token });
  }

  /**
   * The state could not be written. What the core holds back for it must never go out, and
   * nothing after it either: the coordinator stops here, and tells its owner.
   */
  private fail(e: Error): void {
    this.failure = new Error(`cannot write the state, ${STATE_FILE} (${e.message}); stopping`);
    this.log(this.failure.message, 'error');
    this.queue.length = 0;
    this.stopping = true;
    clearInterval(this.ticker);
    for (const c of [...this.connections.values()]) c.close('coordinator failed');
    for (const s of this.servers) s.close();
    if (this.serving) this.opts.onFailure?.(this.failure);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopping = true;
    clearInterval(this.ticker);
    // The core closes every connection; before it started (a failed start), the shell does.
    if (this.running && !this.failure) this.feed({ type: 'stop' });
    for (const c of [...this.connections.values()]) c.close('coordinator stopping');
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.lock?.release();
  }
}
