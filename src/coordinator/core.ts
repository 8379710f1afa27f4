// The coordinator's deterministic core: every decision the coordinator makes, with no I/O. Who may
// do what on which connection, which state transition (state.ts) a request makes, what to persist,
// and what to tell whom, in which order. The shell (coordinator.ts, or the simulator) feeds it
// events with step() and carries out the Ready it returns (core-types.ts).
//
// The one rule about time: nothing leaves the core before the state it reflects is durable. A step
// that changes the state asks for it to be persisted, and every send and close from then until
// that persist is acknowledged is held back; `persisted` releases them, in the order they were
// made. So a daemon never holds a peer key, and nobody a configuration, that a restart of the
// coordinator could take back.
//
// Failure detection: time is the shell's ticks. Every registered daemon is sent a HEARTBEAT every
// few ticks and answers it; anything that arrives on its connection (its registration included)
// is hearing from it. A server not heard from for longer than the failure timeout is FAILED in a
// new version (failServers), and its connection, if still open, is closed: a daemon that was
// frozen or cut off must register again, like a restarted one, to be AVAILABLE again. A
// connection that closes changes nothing by itself: a daemon restarted within the timeout comes
// back without a new configuration, and one that does not is failed by the same rule as a frozen one.

import { ClusterConfig, ServerId } from '../common/config';
import { LogFields } from '../common/log';
import { proofMatches, registerCoordinatorProof, registerDaemonProof } from '../common/peer-auth';
import { PEER_AUTH, ServerState, serverStateName, Status } from '../common/protocol';
import { parseSpaceDescription, SchemaParseError } from '../common/schema-parser';
import {
  ConnectionId,
  CoordinatorEvent,
  CoordinatorLogLine,
  CoordinatorOutgoing,
  CoordinatorReady,
  CoordinatorRequest,
  CoordinatorSend,
  FAILURE_TIMEOUT_MS,
  failureDetection,
  FailureDetection,
  LogLevel,
} from './core-types';
import {
  addSpace,
  bringServerOnline,
  completeMove,
  CoordinatorState,
  failServers,
  failsWhenSilent,
  forgetServer,
  judgeMoveReport,
  peerKeyTable,
  registerServer,
  rmSpace,
  ServerChange,
  takeServerOffline,
} from './state';

/** Connections known at once (open, or closing until the shell says they closed); more are closed at once. */
export const CONNECTIONS_MAX = 65_536;
/**
 * Persists asked for and not yet acknowledged, at most. Every step that changes the state asks
 * for one; a shell that falls this far behind its disk has broken its contract (the process's
 * shell writes each one before feeding the next event, so it never has more than one).
 */
export const PERSISTS_IN_FLIGHT_MAX = 1024;

export class CoordinatorCoreAssertionError extends Error {}

function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CoordinatorCoreAssertionError(`coordinator core invariant: ${what}`);
}

interface Link {
  /** The registration challenge this connection was given and has not answered (one at a time). */
  challenge?: { readonly daemonNonce: Buffer; readonly coordinatorNonce: Buffer };
  /** The core closed it: whatever it still sends is not read, and nothing more goes to it. */
  closing: boolean;
  /**
   * The servers that registered on it (one, unless a connection registers under several tokens):
   * while it is such a server's link, what arrives on it is hearing from the server.
   */
  readonly servers: Set<ServerId>;
}

interface Close {
  readonly conn: ConnectionId;
  readonly reason: string;
}

/** What a step produced for the outside while a persist was outstanding, with the persist it waits for. */
interface Held {
  readonly token: number;
  readonly send: CoordinatorSend[];
  readonly close: Close[];
}

export interface CoordinatorCoreOptions {
  /**
   * The state as recovered from disk (INITIAL_STATE on a first start). Every listed server must
   * have a peer key: a shell reading a state written before peer keys existed fills them in first
   * (withPeerKeys), since the random bytes are its to draw.
   */
  readonly state: CoordinatorState;
  /**
   * With a cluster secret, a daemon registers only once it has proven that it knows the secret
   * (REGISTER_HELLO, REGISTER_CHALLENGE, then DAEMON_REGISTER with its proof). Without one,
   * registration is open to anyone who can connect.
   */
  readonly clusterSecret?: Buffer;
  /** How silent servers are told (default: FAILURE_TIMEOUT_MS.default on the process's tick). */
  readonly failure?: FailureDetection;
}

export class CoordinatorCore {
  private current: CoordinatorState;
  private readonly clusterSecret: Buffer | undefined;
  private readonly failure: FailureDetection;
  /** Ticks since the start. */
  private now = 0;
  /** The tick at which each listed server was last heard from (its registration, anything on its connection). */
  private readonly lastHeard = new Map<ServerId, number>();
  private started = false;
  private stopping = false;
  private readonly links = new Map<ConnectionId, Link>();
  /** Connections that subscribed, in the order they did: configurations go to them in that order. */
  private readonly subscribers = new Set<ConnectionId>();
  /** Which connection registered each server: a stale connection's close does not mark it offline. */
  private readonly daemonLinks = new Map<ServerId, ConnectionId>();
  private lastOpened: ConnectionId | undefined;
  /** The last persist asked for, and the last one acknowledged (0: none). */
  private issued = 0;
  private durable = 0;
  private held: Held[] = [];
  // What the step in progress produces.
  private send: CoordinatorSend[] = [];
  private close: Close[] = [];
  private log: CoordinatorLogLine[] = [];

  constructor(opts: CoordinatorCoreOptions) {
    const secret = opts.clusterSecret;
    assert(secret === undefined || secret.length >= PEER_AUTH.secretBytesMin, `a cluster secret has at least ${PEER_AUTH.secretBytesMin} bytes`);
    for (const s of opts.state.config.servers) assert(opts.state.peerKeys[s.id] !== undefined, `server ${s.id} has a peer key (withPeerKeys)`);
    const failure = opts.failure ?? failureDetection(FAILURE_TIMEOUT_MS.default);
    assert(Number.isInteger(failure.timeoutTicks) && failure.timeoutTicks > 0, 'the failure timeout is a positive number of ticks');
    assert(Number.isInteger(failure.heartbeatTicks) && failure.heartbeatTicks > 0 && failure.heartbeatTicks <= failure.timeoutTicks, 'heartbeats go out within the failure timeout');
    this.current = opts.state;
    this.clusterSecret = secret;
    this.failure = failure;
  }

  /** The state now: what the last persist asked for holds, or will hold once acknowledged. */
  get state(): CoordinatorState {
    return this.current;
  }

  /** Daemons registered on a connection that is still open (for metrics). */
  get daemonsConnected(): number {
    return this.daemonLinks.size;
  }

  step(ev: CoordinatorEvent): CoordinatorReady {
    assert(this.started !== (ev.type === 'start'), this.started ? 'one start event' : 'the start event comes first');
    this.send = [];
    this.close = [];
    this.log = [];
    const before = this.current;
    let released: Held | undefined;
    switch (ev.type) {
      case 'start':
        this.onStart();
        break;
      case 'opened':
        this.onOpened(ev.conn);
        break;
      case 'closed':
        this.onClosed(ev.conn);
        break;
      case 'tick':
        this.onTick();
        break;
      case 'request':
        this.onRequest(ev.conn, ev.id, ev.request);
        break;
      case 'persisted':
        released = this.onPersisted(ev.token);
        break;
      case 'stop':
        this.onStop();
        break;
    }
    if (this.current.config !== before.config) this.noteConfigChange(before.config, this.current.config);
    let persist: CoordinatorReady['persist'];
    // The start persists even an unchanged state: a first start creates the file.
    if (this.current !== before || ev.type === 'start') {
      this.issued++;
      assert(this.issued - this.durable <= PERSISTS_IN_FLIGHT_MAX, `at most ${PERSISTS_IN_FLIGHT_MAX} persists in flight`);
      persist = { token: this.issued, state: this.current };
    }
    const send = released?.send ?? [];
    const close = released?.close ?? [];
    if (this.issued > this.durable) this.hold(this.send, this.close);
    else {
      send.push(...this.send);
      close.push(...this.close);
    }
    this.checkInvariants();
    return { persist, send, close, log: this.log };
  }

  /** Keeps a step's output until the newest persist asked for is durable. */
  private hold(send: CoordinatorSend[], close: Close[]): void {
    if (send.length === 0 && close.length === 0) return;
    const last = this.held[this.held.length - 1];
    if (last && last.token === this.issued) {
      last.send.push(...send);
      last.close.push(...close);
    } else this.held.push({ token: this.issued, send, close });
  }

  private checkInvariants(): void {
    assert(this.durable <= this.issued, 'no persist acknowledged before it was asked for');
    for (const h of this.held) assert(h.token > this.durable, 'nothing held for a persist already durable');
    for (const conn of this.subscribers) assert(this.links.get(conn)?.closing === false, `subscriber ${conn} is open`);
    for (const [id, conn] of this.daemonLinks) assert(this.links.get(conn)?.closing === false, `server ${id}'s connection ${conn} is open`);
    if (this.started) for (const s of this.current.config.servers) assert(this.lastHeard.has(s.id), `server ${s.id} has a last heard tick`);
    assert(this.lastHeard.size === this.current.config.servers.length || !this.started, 'a last heard tick only for listed servers');
  }

  // ---- outputs ---------------------------------------------------------------------------------

  private sendTo(conn: ConnectionId, id: bigint, message: CoordinatorOutgoing): void {
    assert(this.links.get(conn)?.closing === false, `nothing is sent to connection ${conn}, closed or unknown`);
    this.send.push({ conn, id, message });
  }

  private note(line: string, level: LogLevel = 'info', fields?: LogFields): void {
    this.log.push(fields ? { level, line, fields } : { level, line });
  }

  /** Logs every new configuration's version, and every server whose state it changed. */
  private noteConfigChange(before: ClusterConfig, after: ClusterConfig): void {
    this.note(`configuration version ${after.version}`, 'info', { event: 'config-version', version: after.version });
    const was = new Map(before.servers.map((s) => [s.id, s.state]));
    for (const s of after.servers) {
      const from = was.get(s.id);
      was.delete(s.id);
      // A server new to the configuration was logged as it joined (onRegister).
      if (from === undefined || from === s.state) continue;
      const to = serverStateName(s.state);
      this.note(`server ${s.id} is now ${to}`, 'info', { event: 'server-state', server: s.id, from: serverStateName(from), to });
    }
    for (const id of was.keys()) this.note(`server ${id} is forgotten`, 'info', { event: 'server-forgotten', server: id });
  }

  /** Installs a new state (persisted at the end of the step) and tells the subscribers of a new configuration. */
  private update(next: CoordinatorState): void {
    if (next === this.current) return;
    const configChanged = next.config !== this.current.config;
    this.current = next;
    if (configChanged) this.pushConfig();
  }

  /** Only the configuration goes to subscribers: the peer keys stay in the coordinator's state. */
  private pushConfig(): void {
    for (const conn of this.subscribers) this.sendTo(conn, 0n, { kind: 'config', config: this.current.config });
  }

  /**
   * Closes a connection: from now on it is as gone (no longer a subscriber nor a daemon's link),
   * and the shell closes it after what was sent to it before.
   */
  private closeLink(conn: ConnectionId, reason: string): void {
    const link = this.links.get(conn);
    assert(link && !link.closing, `connection ${conn} is open`);
    this.forget(conn, link, reason);
    link.closing = true;
    this.close.push({ conn, reason });
  }

  /**
   * A connection is gone: no longer a subscriber, nor the link of the server it registered as.
   * The server's state does not change: it is failed if it stays silent (failSilent).
   */
  private forget(conn: ConnectionId, link: Link, reason?: string): void {
    this.subscribers.delete(conn);
    for (const id of link.servers) {
      if (this.daemonLinks.get(id) !== conn) continue;
      this.daemonLinks.delete(id);
      if (this.stopping) continue;
      this.note(`daemon ${id} disconnected${reason ? ` (${reason})` : ''}`, 'warn', { event: 'daemon-disconnected', server: id });
    }
  }

  private ms(ticks: number): number {
    return ticks * this.failure.tickMs;
  }

  /** Every silent server: its connection closed if open, and those that fail when silent FAILED, in one new version. */
  private failSilent(): void {
    const failing: ServerId[] = [];
    const timeoutMs = this.ms(this.failure.timeoutTicks);
    for (const s of this.current.config.servers) {
      const silentMs = this.ms(this.now - this.lastHeard.get(s.id)!);
      if (silentMs <= timeoutMs) continue;
      // Open, but nothing comes (a frozen daemon, or one cut off): the daemon must register again.
      const conn = this.daemonLinks.get(s.id);
      if (conn !== undefined) this.closeLink(conn, `not heard from for ${silentMs} ms`);
      if (!failsWhenSilent(s.state)) continue;
      failing.push(s.id);
      this.note(`server ${s.id} failed: not heard from for ${silentMs} ms (failure timeout ${timeoutMs} ms)`, 'info', { event: 'server-failed', server: s.id, silentMs, timeoutMs });
    }
    if (failing.length > 0) this.update(failServers(this.current, failing));
  }

  // ---- events ----------------------------------------------------------------------------------

  /**
   * Servers keep their states across a restart of the coordinator; each has one failure timeout,
   * from now, to register again (else it is failed).
   */
  private onStart(): void {
    this.started = true;
    const { version, servers, spaces } = this.current.config;
    this.note(`recovered configuration version ${version}: ${servers.length} server(s), ${spaces.length} space(s)`, 'info', {
      event: 'config-recovered',
      version,
      servers: servers.length,
      spaces: spaces.length,
    });
    for (const server of this.current.config.servers) this.lastHeard.set(server.id, this.now);
  }

  private onTick(): void {
    this.now++;
    if (this.stopping) return;
    if (this.now % this.failure.heartbeatTicks === 0) {
      const failureTimeoutMs = this.ms(this.failure.timeoutTicks);
      for (const conn of this.daemonLinks.values()) this.sendTo(conn, 0n, { kind: 'heartbeat', failureTimeoutMs });
    }
    this.failSilent();
  }

  private onOpened(conn: ConnectionId): void {
    assert(this.lastOpened === undefined || conn > this.lastOpened, `connection numbers grow (${conn} after ${this.lastOpened})`);
    this.lastOpened = conn;
    this.links.set(conn, { closing: false, servers: new Set() });
    if (this.stopping) this.closeLink(conn, 'coordinator stopping');
    else if (this.links.size > CONNECTIONS_MAX) this.closeLink(conn, `too many connections (${CONNECTIONS_MAX})`);
  }

  private onClosed(conn: ConnectionId): void {
    const link = this.links.get(conn);
    assert(link, `connection ${conn} closed once, after it opened`);
    this.links.delete(conn);
    if (!link.closing) this.forget(conn, link);
  }

  private onPersisted(token: number): Held {
    assert(token > this.durable && token <= this.issued, `persist ${token} is in flight (durable ${this.durable}, asked ${this.issued})`);
    this.durable = token;
    const out: Held = { token, send: [], close: [] };
    let i = 0;
    for (; i < this.held.length && this.held[i].token <= token; i++) {
      // A connection that closed while its messages waited gets nothing: its number is never reused.
      for (const s of this.held[i].send) if (this.links.has(s.conn)) out.send.push(s);
      for (const c of this.held[i].close) if (this.links.has(c.conn)) out.close.push(c);
    }
    this.held = this.held.slice(i);
    return out;
  }

  private onStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const [conn, link] of this.links) if (!link.closing) this.closeLink(conn, 'coordinator stopping');
  }

  private onRequest(conn: ConnectionId, id: bigint, r: CoordinatorRequest): void {
    const link = this.links.get(conn);
    assert(link, `a request on connection ${conn}, open`);
    if (link.closing) return;
    // The shell's random bytes: a wrong size is the shell's bug, not the peer's.
    if (r.kind === 'register-hello') assert(r.freshNonce.length === PEER_AUTH.nonceBytes, `a fresh nonce has ${PEER_AUTH.nonceBytes} bytes`);
    if (r.kind === 'register') assert(r.freshKey.length === PEER_AUTH.keyBytes, `a fresh peer key has ${PEER_AUTH.keyBytes} bytes`);
    // Anything on a daemon's connection is hearing from it.
    for (const id of link.servers) if (this.daemonLinks.get(id) === conn) this.lastHeard.set(id, this.now);
    try {
      this.handle(conn, link, id, r);
    } catch (e) {
      if (e instanceof CoordinatorCoreAssertionError) throw e;
      // A transition that threw left the state as it was (they are pure): answer and go on.
      this.note(`${(e as Error).stack}`, 'error');
      this.sendTo(conn, id, { kind: 'error', status: Status.SERVERERROR, message: (e as Error).message });
    }
  }

  private handle(conn: ConnectionId, link: Link, id: bigint, r: CoordinatorRequest): void {
    switch (r.kind) {
      case 'subscribe':
        this.subscribers.add(conn);
        return this.sendTo(conn, id, { kind: 'config', config: this.current.config });
      case 'register-hello':
        return this.onRegisterHello(conn, link, id, r);
      case 'register':
        return this.onRegister(conn, link, id, r);
      case 'space-add':
        return this.sendTo(conn, id, this.onSpaceAdd(r.description));
      case 'space-rm': {
        const result = rmSpace(this.current, r.name);
        if (!result.ok) return this.sendTo(conn, id, { kind: 'coord-resp', status: Status.UNKNOWNSPACE, message: result.reason });
        this.update(result.state);
        this.note(`space ${r.name} removed`, 'info', { event: 'space-removed', space: r.name });
        return this.sendTo(conn, id, { kind: 'coord-resp', status: Status.SUCCESS, message: '' });
      }
      case 'space-list':
        return this.sendTo(conn, id, { kind: 'space-list', names: this.current.config.spaces.map((s) => s.name) });
      case 'region-moved':
        return this.onRegionMoved(conn, id, r);
      case 'server-offline':
      case 'server-online':
      case 'server-forget':
        return this.onServerRequest(conn, id, r);
      case 'heartbeat':
        return; // one-way; hearing from the daemon was noted (onRequest). On another connection it means nothing.
      case 'malformed':
        return this.sendTo(conn, id, { kind: 'error', status: r.status, message: r.message });
    }
  }

  /** REGISTER_HELLO: a daemon that knows the cluster secret asks for a challenge, and for proof that this coordinator knows it too. */
  private onRegisterHello(conn: ConnectionId, link: Link, id: bigint, r: Extract<CoordinatorRequest, { kind: 'register-hello' }>): void {
    const secret = this.clusterSecret;
    if (!secret)
      return this.sendTo(conn, id, {
        kind: 'error',
        status: Status.UNAUTHORIZED,
        message: 'this coordinator has no cluster secret: start the daemon without --cluster-secret-file, or the coordinator with the same one',
      });
    // One challenge per connection: a new hello replaces the one not yet answered.
    link.challenge = { daemonNonce: r.nonce, coordinatorNonce: r.freshNonce };
    this.sendTo(conn, id, { kind: 'register-challenge', nonce: r.freshNonce, proof: registerCoordinatorProof(secret, r.nonce, r.freshNonce) });
  }

  /** Why a registration may not proceed (with a cluster secret), or undefined when it may. */
  private registrationRefusal(link: Link, r: Extract<CoordinatorRequest, { kind: 'register' }>): string | undefined {
    const secret = this.clusterSecret;
    if (!secret) return undefined; // open registration: a proof, if any, is not looked at
    if (!r.proof) return 'the cluster secret is missing: this coordinator requires proof of it (start the daemon with --cluster-secret-file)';
    const challenge = link.challenge;
    if (!challenge) return 'no registration challenge on this connection: send REGISTER_HELLO first';
    // A challenge answers one registration, right or wrong: a proof is never tried twice.
    link.challenge = undefined;
    const expected = registerDaemonProof(secret, challenge.daemonNonce, challenge.coordinatorNonce, r.token, r.host, r.port);
    if (!proofMatches(expected, r.proof)) return 'wrong cluster secret: the proof does not match';
    return undefined;
  }

  private onRegister(conn: ConnectionId, link: Link, id: bigint, r: Extract<CoordinatorRequest, { kind: 'register' }>): void {
    const refusal = this.registrationRefusal(link, r);
    if (refusal) {
      this.note(`refused a registration as ${r.host}:${r.port}: ${refusal}`, 'warn', { event: 'registration-refused', host: r.host, port: r.port });
      return this.sendTo(conn, id, { kind: 'error', status: Status.UNAUTHORIZED, message: `registration refused: ${refusal}` });
    }
    const before = this.current;
    const { state, serverId, keysChanged } = registerServer(before, r.token, r.host, r.port, r.freshKey);
    this.current = state;
    const previous = this.daemonLinks.get(serverId);
    this.daemonLinks.set(serverId, conn);
    link.servers.add(serverId);
    const heardBefore = this.lastHeard.get(serverId);
    this.lastHeard.set(serverId, this.now);
    this.sendTo(conn, id, { kind: 'registered', serverId, peerKey: state.peerKeys[serverId] });
    // A known token is a daemon restarted on the data directory it had: the same server, its regions and objects.
    const rejoined = before.identities[r.token] !== undefined;
    const event = rejoined ? 'daemon-rejoined' : 'daemon-joined';
    this.note(`daemon ${serverId} ${rejoined ? 'rejoined' : 'joined'} at ${r.host}:${r.port}`, 'info', { event, server: serverId, host: r.host, port: r.port });
    const stateOf = (s: CoordinatorState) => s.config.servers.find((x) => x.id === serverId)?.state;
    if (stateOf(before) === ServerState.FAILED && heardBefore !== undefined) {
      const silentMs = this.ms(this.now - heardBefore);
      this.note(`server ${serverId} is back: it had failed, not heard from for ${silentMs} ms`, 'info', { event: 'server-back', server: serverId, silentMs });
    }
    // The keys go out before any configuration that names the new server, so that a daemon that
    // sees it there can already check it; each connection receives its messages in order.
    const keys = peerKeyTable(state);
    for (const [, daemon] of this.daemonLinks) if (keysChanged || daemon === conn) this.sendTo(daemon, 0n, { kind: 'peer-keys', keys });
    if (state.config !== before.config) this.pushConfig();
    // The connection this server registered on before is stale: closed, last, so that whatever its
    // close changes (other servers it was the link of) comes after the keys above.
    if (previous !== undefined && previous !== conn) this.closeLink(previous, 'replaced by a newer registration');
  }

  /** REGION_MOVED: one-way; completes a move when the region's head reports it (judgeMoveReport). */
  private onRegionMoved(conn: ConnectionId, id: bigint, report: Extract<CoordinatorRequest, { kind: 'region-moved' }>): void {
    let sender: ServerId | undefined;
    for (const [server, link] of this.daemonLinks) if (link === conn) sender = server;
    const verdict = judgeMoveReport(this.current, report, sender);
    if (verdict.kind === 'refused') {
      this.note(`refused REGION_MOVED of region ${report.regionId} to server ${report.to}: ${verdict.message}`, 'warn');
      return this.sendTo(conn, id, { kind: 'error', status: verdict.status, message: verdict.message });
    }
    if (verdict.kind === 'stale') return this.note(`ignored REGION_MOVED of region ${report.regionId} to server ${report.to}: ${verdict.why}`, 'debug');
    this.update(completeMove(this.current, report.regionId, report.to));
  }

  /**
   * SERVER_OFFLINE, SERVER_ONLINE, SERVER_FORGET: as SPACE_ADD, the new configuration is pushed
   * before the answer. A forgotten server's key leaves every registered daemon's table.
   */
  private onServerRequest(conn: ConnectionId, id: bigint, r: Extract<CoordinatorRequest, { kind: 'server-offline' | 'server-online' | 'server-forget' }>): void {
    const connected = this.daemonLinks.has(r.serverId);
    const heardAt = this.lastHeard.get(r.serverId);
    const heard = heardAt !== undefined && this.now - heardAt <= this.failure.timeoutTicks;
    let result: ServerChange;
    if (r.kind === 'server-offline') result = takeServerOffline(this.current, r.serverId);
    else if (r.kind === 'server-online') result = bringServerOnline(this.current, r.serverId, heard);
    else result = forgetServer(this.current, r.serverId, connected);
    if (!result.ok) {
      this.note(`refused ${r.kind} ${r.serverId}: ${result.reason}`, 'warn', { event: 'request-refused', request: r.kind, server: r.serverId });
      return this.sendTo(conn, id, { kind: 'coord-resp', status: result.status, message: result.reason });
    }
    const keysBefore = this.current.peerKeys;
    this.update(result.state);
    if (r.kind === 'server-forget') this.lastHeard.delete(r.serverId);
    if (this.current.peerKeys !== keysBefore) {
      const keys = peerKeyTable(this.current);
      for (const [, daemon] of this.daemonLinks) this.sendTo(daemon, 0n, { kind: 'peer-keys', keys });
    }
    this.sendTo(conn, id, { kind: 'coord-resp', status: Status.SUCCESS, message: result.message });
  }

  /** SPACE_ADD: the space is created and pushed before the answer. */
  private onSpaceAdd(description: string): CoordinatorOutgoing {
    let spec;
    try {
      spec = parseSpaceDescription(description);
    } catch (e) {
      if (e instanceof SchemaParseError) return { kind: 'coord-resp', status: Status.BADSPACE, message: e.message };
      throw e;
    }
    const result = addSpace(this.current, spec);
    if (!result.ok) return { kind: 'coord-resp', status: Status.BADSPACE, message: result.reason };
    this.update(result.state);
    const regions = result.state.config.spaces[result.state.config.spaces.length - 1].subspaces.reduce((n, ss) => n + ss.regions.length, 0);
    this.note(`space ${spec.name} created, ${regions} regions`, 'info', { event: 'space-created', space: spec.name, regions });
    for (const note of result.notes) this.note(`space ${spec.name}: ${note}`, 'warn');
    return { kind: 'coord-resp', status: Status.SUCCESS, message: result.notes.join('\n') };
  }
}
