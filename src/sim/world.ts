// The whole cluster in one process: the coordinator's core, daemon cores on simulated disks,
// clients, and a seeded network that delays, reorders, duplicates, drops and partitions.
// Time is a count of ticks; every event happens at a tick, in a deterministic order, so that a
// seed replays a run exactly. The coordinator's core gets a tick every tick and fails daemons it
// has not heard from (heartbeats on their connections) within its failure timeout; daemons crash
// and restart, or freeze (a stopped process: nothing reaches it until it resumes).

import { ClusterConfig, EMPTY_CONFIG, findSpace, keyRegion, ServerId, SpaceLayout } from '../common/config';
import { planSearch } from '../common/planner';
import { PEER_AUTH, ServerState, Status } from '../common/protocol';
import { CoordinatorCore } from '../coordinator/core';
import { ConnectionId, CoordinatorEvent, CoordinatorOutgoing, CoordinatorReady, CoordinatorRequest, failureDetection } from '../coordinator/core-types';
import { CoordinatorState, INITIAL_STATE } from '../coordinator/state';
import { DaemonCore } from '../daemon/core/core';
import { leaseTicksFor } from '../daemon/core/lease';
import { ClientReply, ClientRequest, CoordinatorMessage, CoreEvent, PeerMessage, Ready, StoreWrite } from '../daemon/core/types';
import { SimDisk } from './disk';
import { Rng } from './rng';

export interface Faults {
  /** Per message: the chance it is dropped, and that a second copy is delivered too. */
  readonly drop: number;
  readonly duplicate: number;
  /** Delivery takes 1..delayMax ticks (messages overtake each other). */
  readonly delayMax: number;
  /** Per tick: the chance that a live daemon crashes (at most crashedMax down at once). */
  readonly crash: number;
  readonly crashedMax: number;
  /** Per tick: the chance that two servers stop hearing each other for a while. */
  readonly partition: number;
  /** Per batch written: the chance that the disk takes 10 to 60 ticks for it (and those after it). */
  readonly slowDisk: number;
  /** Per tick: the chance that a live daemon freezes for 5 to 60 ticks (counted with the crashed against crashedMax). */
  readonly freeze: number;
}

export const NO_FAULTS: Faults = { drop: 0, duplicate: 0, delayMax: 1, crash: 0, crashedMax: 0, partition: 0, slowDisk: 0, freeze: 0 };

export const DEFAULT_FAULTS: Faults = { drop: 0.02, duplicate: 0.02, delayMax: 4, crash: 0.002, crashedMax: 1, partition: 0.002, slowDisk: 0.01, freeze: 0.002 };

/** The coordinator's failure timeout in random runs, in ticks: shorter than most crashes and freezes (5 to 60 ticks). */
export const SIM_FAILURE_TIMEOUT_TICKS = 25;

export interface WorldOptions {
  /** The coordinator's failure timeout in ticks (default SIM_FAILURE_TIMEOUT_TICKS). */
  readonly failureTimeoutTicks?: number;
}

/** Real time a simulated tick stands for (the daemon's tick), so that the coordinator's log reads in ms. */
const SIM_TICK_MS = 10;

/** One line for a trace. */
function describeEvent(ev: Parameters<DaemonCore['step']>[0]): string {
  switch (ev.type) {
    case 'request': {
      const r = ev.request;
      return `request ${ev.requestId} ${r.kind} c${r.configVersion} ${'key' in r ? JSON.stringify(r.key.toString('latin1')) : `regions ${r.regions.join(',')}`}`;
    }
    case 'peer': {
      const m = ev.message;
      if (m.type === 'ack') return `ack ${m.id.incarnation}.${m.id.seq} from d${ev.from}: ${m.status}`;
      const what = m.type === 'erase' ? ` ${JSON.stringify(m.key.toString('latin1'))}` : m.type === 'update' ? ` region ${m.regionId} ${JSON.stringify(m.key.toString('latin1'))} v${m.record.version}${m.record.values ? '' : ' (none)'}${m.transfer ? ' transfer' : ''}` : ` region ${m.regionId}`;
      return `${m.type} ${m.id.incarnation}.${m.id.seq} c${m.configVersion} from d${ev.from}${what}`;
    }
    case 'config':
      return `config ${ev.config.version}`;
    default:
      return `${ev.type}${'token' in ev ? ` ${ev.token}` : ''}`;
  }
}

/** One line for a trace. */
function describeCoordinatorEvent(ev: CoordinatorEvent): string {
  switch (ev.type) {
    case 'request': {
      const r = ev.request;
      const what =
        r.kind === 'register' ? ` ${r.token}` : r.kind === 'region-moved' ? ` region ${r.regionId} to d${r.to} c${r.configVersion}` : r.kind === 'space-rm' ? ` ${r.name}` : '';
      return `${r.kind}${what} on link ${ev.conn}`;
    }
    case 'opened':
    case 'closed':
      return `${ev.type} link ${ev.conn}`;
    case 'persisted':
      return `persisted ${ev.token}`;
    default:
      return ev.type;
  }
}

/** Who is on the network: the coordinator, a daemon, or a client. */
export type Node = { kind: 'coordinator' } | { kind: 'daemon'; id: ServerId } | { kind: 'client'; id: number };

/**
 * What travels on the network outside the connections to the coordinator. A daemon's report of a
 * finished move goes this way, lossy, although it travels on the daemon's coordinator connection:
 * it stands for the report lost when that connection breaks (the daemon reports again).
 */
export type Payload =
  | { type: 'peer'; message: PeerMessage }
  | { type: 'to-coordinator'; message: CoordinatorMessage }
  | { type: 'request'; requestId: number; request: ClientRequest }
  | { type: 'reply'; requestId: number; reply: ClientReply };

/** A daemon of the simulated cluster, in every life; `addDaemon` returns it before it has a server id. */
export interface SimDaemon {
  /** Its place among the daemons started (1, 2, ...): its address. */
  readonly index: number;
  /** Its identity: the coordinator gives the same server id back to the same token. */
  readonly token: string;
  /** The server id the coordinator gave it at its first registration. */
  id: ServerId | undefined;
  readonly disk: SimDisk;
  core?: DaemonCore;
  /** Grows with every start; messages sent to or from an earlier life are lost with it. */
  incarnation: number;
  alive: boolean;
  /** When the simulated disk completes the last batch begun (batches complete in order). */
  diskFreeAt: number;
  /** Its connection to the coordinator in this life, once it connected. */
  link?: SimLink;
  /** It registered in this life (a later registration is a reconnection, which the core is told of). */
  registered: boolean;
  /** Stopped (SIGSTOP): what reaches it waits in `thawQueue`, in order, until it resumes. */
  frozen: boolean;
  thawQueue: (() => void)[];
  /** When it last froze (its ticks from then on are handed over at once when it resumes). */
  frozenAt: number;
}

/** Who holds the other end of a connection to the coordinator. */
type LinkOwner =
  | { readonly kind: 'daemon'; readonly daemon: SimDaemon; readonly incarnation: number }
  | { readonly kind: 'client'; readonly client: SimClient }
  /** A command line's connection (add-space, rm-space): one request, its answer, closed. */
  | { readonly kind: 'admin'; readonly done: (status: number, message: string) => void };

/**
 * A connection to the coordinator, like TCP: each way in order and without loss while it is
 * open, gone (with what is in flight) when either end closes it. Partitions do not cut it.
 */
interface SimLink {
  readonly conn: ConnectionId;
  readonly owner: LinkOwner;
  open: boolean;
  /** When the last message sent each way is delivered: a later one is not delivered before it. */
  toCoordinatorAt: number;
  fromCoordinatorAt: number;
  /** The servers whose peer keys arrived on it (a daemon's): every configuration it receives names only these. */
  keys: ReadonlySet<ServerId>;
  /**
   * The hold that kept the last message each way, if any: what follows on the connection is kept
   * behind it by the same hold, so that a release never lets a later message overtake.
   */
  keptTo?: Hold;
  keptFrom?: Hold;
}

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A min-heap of events by (time, order of scheduling). */
class Agenda {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  push(at: number, run: () => void): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): Scheduled | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  peekAt(): number | undefined {
    return this.heap[0]?.at;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

/**
 * The other end of a connection to the coordinator, as a hold sees it: a daemon by its server id
 * (once it has one) or a client, as on the network; a daemon not yet registered by its token; a
 * command line's connection.
 */
export type LinkEnd = Node | { readonly kind: 'unregistered'; readonly token: string } | { readonly kind: 'admin' };

/**
 * Something a hold may keep back: a message about to be delivered, on the network or on a
 * connection to the coordinator either way (configuration pushes, DAEMON_REGISTERED, peer keys,
 * registrations, subscriptions, a report of a finished move once it reached the connection), or a
 * batch about to become durable on a daemon's disk.
 */
export type Holdable =
  | { readonly kind: 'message'; readonly from: Node; readonly to: Node; readonly payload: Payload }
  | { readonly kind: 'to-coordinator'; readonly from: LinkEnd; readonly request: CoordinatorRequest }
  | { readonly kind: 'from-coordinator'; readonly to: LinkEnd; readonly message: CoordinatorOutgoing }
  | { readonly kind: 'disk'; readonly daemon: ServerId; readonly writes: readonly StoreWrite[] };

/**
 * Keeps back every delivery or disk completion that `matches` accepts, in order, until released:
 * how a scripted scenario stops the world at a moment of its choosing. Releasing runs what was
 * kept, in the order it was kept, at the current tick, before anything due later. On a connection
 * to the coordinator, a hold that kept a message also keeps what follows it on that connection
 * the same way (TCP delivers in order), whether it matches or not.
 */
export interface Hold {
  readonly what: string;
  readonly matches: (h: Holdable) => boolean;
  /** Everything it kept (for assertions). */
  readonly kept: Holdable[];
  /** Set once released. */
  released: boolean;
}

/** Watches the world for scripted scenarios; every hook is called synchronously. */
export interface WorldObserver {
  /** After a core's step, before its effects are carried out: crashing the daemon here loses them. */
  step?(daemon: ServerId, event: CoreEvent, ready: Ready): void;
  /** A batch became durable on a daemon's disk, while its core followed configuration `configVersion`. */
  durable?(daemon: ServerId, writes: readonly StoreWrite[], configVersion: number): void;
}

export interface FaultCounts {
  dropped: number;
  duplicated: number;
  crashes: number;
  restarts: number;
  partitions: number;
  joins: number;
  slowWrites: number;
  freezes: number;
  /** Servers the coordinator marked FAILED (not heard from within its failure timeout). */
  failed: number;
}

export const NO_FAULT_COUNTS: Readonly<FaultCounts> = { dropped: 0, duplicated: 0, crashes: 0, restarts: 0, partitions: 0, joins: 0, slowWrites: 0, freezes: 0, failed: 0 };

/** A client of the simulated cluster: sends a request and waits, bounded, for the reply. */
export interface SimClient {
  readonly id: number;
  config: ClusterConfig;
  readonly waiting: Map<number, (reply: ClientReply | undefined) => void>;
}

export class World {
  readonly rng: Rng;
  now = 0;
  private readonly agenda = new Agenda();
  readonly coordinator: CoordinatorCore;
  /** The state of the coordinator's last persist acknowledged: nothing it says may be newer. */
  private coordinatorDurable: CoordinatorState = INITIAL_STATE;
  /** When the coordinator's simulated disk completes the last state begun (in order). */
  private coordinatorDiskFreeAt = 0;
  private readonly links = new Map<ConnectionId, SimLink>();
  private nextConnection: ConnectionId = 1;
  /** Every daemon started, registered or not. */
  private readonly machines: SimDaemon[] = [];
  /** The daemons by the server id the coordinator gave them. */
  readonly daemons = new Map<ServerId, SimDaemon>();
  readonly clients: SimClient[] = [];
  private readonly cut = new Set<string>();
  private nextRequestId = 1;
  readonly faultCounts: FaultCounts = { ...NO_FAULT_COUNTS };
  /** The first invariant a core or disk broke, if any: the run fails with it. */
  failure?: Error;
  /** Every event handled, one line each, when tracing. */
  readonly trace: string[] | undefined;
  /** Every configuration the coordinator's core made, by version (daemons name theirs by version). */
  readonly configs = new Map<number, ClusterConfig>([[INITIAL_STATE.config.version, INITIAL_STATE.config]]);
  observer: WorldObserver | undefined;
  private holds: { hold: Hold; runs: (() => void)[] }[] = [];

  constructor(
    seed: number,
    public faults: Faults,
    trace = false,
    opts: WorldOptions = {},
  ) {
    this.rng = new Rng(seed);
    this.trace = trace ? [] : undefined;
    const timeoutTicks = opts.failureTimeoutTicks ?? SIM_FAILURE_TIMEOUT_TICKS;
    this.coordinator = new CoordinatorCore({ state: INITIAL_STATE, failure: failureDetection(timeoutTicks * SIM_TICK_MS, SIM_TICK_MS) });
    this.coordinatorStep({ type: 'start' });
    const tick = () => {
      this.coordinatorStep({ type: 'tick' });
      this.at(1, tick);
    };
    this.at(1, tick);
  }

  private log(line: string): void {
    this.trace?.push(`${this.now} ${line}`);
  }

  at(delay: number, run: () => void): void {
    this.agenda.push(this.now + Math.max(0, delay), run);
  }

  /** Runs events until `until` (a tick) or until nothing is left. */
  runUntil(until: number): void {
    for (let i = 0; !this.failure; i++) {
      const next = this.agenda.peekAt();
      if (next === undefined || next > until) break;
      const ev = this.agenda.pop()!;
      this.now = ev.at;
      try {
        ev.run();
      } catch (e) {
        this.failure = e as Error;
      }
    }
    if (!this.failure) this.now = Math.max(this.now, until);
  }

  // ---- the network ------------------------------------------------------------------------------

  // A server id that no daemon has yet: the daemon the coordinator gave it has not heard so (its
  // DAEMON_REGISTERED is on its way) and serves nobody yet; what is sent to it is lost.
  private epochOf(n: Node): number {
    return n.kind === 'daemon' ? (this.daemons.get(n.id)?.incarnation ?? 0) : 0;
  }

  private aliveNode(n: Node): boolean {
    return n.kind !== 'daemon' || this.daemons.get(n.id)?.alive === true;
  }

  private nodeName(n: Node): string {
    return n.kind === 'coordinator' ? 'c' : n.kind === 'daemon' ? `d${n.id}` : `k${n.id}`;
  }

  partitioned(a: Node, b: Node): boolean {
    return this.cut.has(`${this.nodeName(a)}|${this.nodeName(b)}`);
  }

  /**
   * Sends a payload. Messages between servers and replies may be lost, duplicated and reordered.
   * A message sent to or from an earlier life of a daemon is lost with that life, as a TCP
   * connection would be. (The connections to the coordinator are SimLinks, below.)
   */
  send(from: Node, to: Node, payload: Payload): void {
    if (!this.aliveNode(from)) return;
    const fromEpoch = this.epochOf(from);
    const toEpoch = this.epochOf(to);
    const deliver = () => {
      if (this.kept({ kind: 'message', from, to, payload }, deliver)) return;
      if (this.epochOf(from) !== fromEpoch || this.epochOf(to) !== toEpoch || !this.aliveNode(to)) return;
      if (this.partitioned(from, to)) return;
      this.receive(from, to, payload);
    };
    if (this.rng.chance(this.faults.drop)) {
      this.faultCounts.dropped++;
      return;
    }
    this.at(this.rng.between(1, this.faults.delayMax), deliver);
    // A client's request travels on its own TCP connection: lost (the connection breaks) or late,
    // but never delivered twice. Messages between daemons may be (resent after a reconnection).
    if (payload.type !== 'request' && this.rng.chance(this.faults.duplicate)) {
      this.faultCounts.duplicated++;
      this.at(this.rng.between(1, this.faults.delayMax * 3), deliver);
    }
  }

  private receive(from: Node, to: Node, p: Payload): void {
    if (to.kind === 'coordinator') {
      if (p.type === 'to-coordinator' && from.kind === 'daemon') this.onCoordinatorMessage(from.id, p.message);
      return;
    }
    if (to.kind === 'client') {
      const c = this.clients[to.id];
      if (p.type === 'reply') {
        const waiter = c.waiting.get(p.requestId);
        if (waiter) {
          c.waiting.delete(p.requestId);
          waiter(p.reply);
        }
      }
      return;
    }
    const d = this.daemons.get(to.id)!;
    if (p.type === 'peer' && from.kind === 'daemon') this.feed(d, { type: 'peer', from: from.id, message: p.message });
    else if (p.type === 'request' && from.kind === 'client') this.feed(d, { type: 'request', client: from.id, requestId: p.requestId, request: p.request });
  }

  // ---- daemons ----------------------------------------------------------------------------------

  /** Hands a core an event and carries out what it returns. */
  private feed(d: SimDaemon, ev: Parameters<DaemonCore['step']>[0]): void {
    if (!d.alive || !d.core) return;
    // A stopped process takes nothing; when it resumes, the shell tells its core the time that
    // passed (thaw) before anything that waited.
    if (d.frozen) return ev.type === 'tick' ? undefined : this.whenThawed(d, () => this.feed(d, ev));
    const core = d.core;
    if (this.trace && ev.type !== 'tick') this.log(`d${core.serverId} <- ${describeEvent(ev)}`);
    const incarnation = d.incarnation;
    const ready = core.step(ev);
    this.observer?.step?.(core.serverId, ev, ready);
    // The observer may have crashed the daemon: what the step decided never left it.
    if (!d.alive || d.incarnation !== incarnation) return;
    this.carryOut(d, core, ready);
  }

  private carryOut(d: SimDaemon, core: DaemonCore, r: Ready): void {
    const me: Node = { kind: 'daemon', id: core.serverId };
    const incarnation = d.incarnation;
    const still = () => d.alive && d.incarnation === incarnation;
    for (const p of r.persist) {
      d.disk.begin(p.token, p.writes);
      const slow = this.rng.chance(this.faults.slowDisk);
      if (slow) this.faultCounts.slowWrites++;
      d.diskFreeAt = Math.max(d.diskFreeAt, this.now) + (slow ? this.rng.between(10, 60) : this.rng.between(0, 2));
      const complete = () => {
        if (!still()) return;
        if (this.kept({ kind: 'disk', daemon: core.serverId, writes: p.writes }, complete)) return;
        if (!d.disk.complete(p.token)) return;
        this.observer?.durable?.(core.serverId, p.writes, core.configVersion);
        this.feed(d, { type: 'persisted', token: p.token, ok: true });
      };
      this.agenda.push(d.diskFreeAt, complete);
    }
    for (const l of r.loads) this.at(1, () => still() && this.feed(d, { type: 'loaded', token: l.token, record: d.disk.read(l.region, l.key) }));
    for (const s of r.scans) {
      const rows = d.disk.scan(s.region.regionId);
      this.at(this.rng.between(0, 2), () => still() && this.feed(d, { type: 'scanned', token: s.token, rows }));
    }
    for (const s of r.send) this.send(me, { kind: 'daemon', id: s.to }, { type: 'peer', message: s.message });
    for (const m of r.toCoordinator) this.send(me, { kind: 'coordinator' }, { type: 'to-coordinator', message: m });
    // The simulator's client handle is the client's id (see the request's feed above).
    for (const x of r.replies) this.send(me, { kind: 'client', id: x.client as number }, { type: 'reply', requestId: x.requestId, reply: x.reply });
  }

  /**
   * Starts (or restarts) a daemon on its disk: it connects to the coordinator and registers. A
   * daemon learns its server id from its first registration (its core starts then); a restarted
   * one knows it, and its core starts at once.
   */
  private startDaemon(d: SimDaemon): void {
    d.incarnation++;
    d.alive = true;
    d.link = undefined;
    d.core = undefined;
    d.registered = false;
    d.frozen = false;
    d.thawQueue = [];
    if (d.id !== undefined) this.startCore(d, d.id);
    const incarnation = d.incarnation;
    this.at(this.rng.between(1, 3), () => this.connectDaemon(d, incarnation));
  }

  /** The daemon (of life `incarnation`) connects to the coordinator and registers. */
  private connectDaemon(d: SimDaemon, incarnation: number): void {
    if (!d.alive || d.incarnation !== incarnation) return;
    d.link = this.openLink({ kind: 'daemon', daemon: d, incarnation });
    this.toCoordinator(d.link, { kind: 'register', token: d.token, host: `10.0.0.${d.index}`, port: 2012, freshKey: this.freshBytes(PEER_AUTH.keyBytes) });
  }

  /**
   * The coordinator closed a daemon's connection (it failed it, or a newer registration replaced
   * it): the daemon notices a little later, or when it resumes, and connects again.
   */
  private daemonLosesLink(link: SimLink): void {
    if (link.owner.kind !== 'daemon') return;
    const { daemon: d, incarnation } = link.owner;
    const reconnect = () => {
      if (!d.alive || d.incarnation !== incarnation || d.link !== link) return;
      if (d.frozen) return this.whenThawed(d, reconnect);
      this.log(`d${d.id ?? d.token} lost its coordinator link; reconnects`);
      this.connectDaemon(d, incarnation);
    };
    this.at(this.rng.between(1, 3), reconnect);
  }

  /** Runs `run` when the frozen daemon resumes, after what reached it before. */
  private whenThawed(d: SimDaemon, run: () => void): void {
    d.thawQueue.push(run);
  }

  private startCore(d: SimDaemon, serverId: ServerId): void {
    const incarnation = d.incarnation;
    d.core = new DaemonCore({ serverId, incarnation, store: d.disk, intents: d.disk.intentsHeld() });
    const tick = () => {
      if (!d.alive || d.incarnation !== incarnation) return;
      this.feed(d, { type: 'tick' });
      this.at(1, tick);
    };
    this.at(1, tick);
  }

  /**
   * A new daemon, with a new disk, joins the cluster (once it has registered). Its `id` is set
   * when DAEMON_REGISTERED reaches it: the coordinator numbers daemons in the order their
   * registrations arrive, which the seed decides.
   */
  addDaemon(): SimDaemon {
    const index = this.machines.length + 1;
    const d: SimDaemon = { index, token: `daemon-${index}`, id: undefined, disk: new SimDisk(), incarnation: 0, alive: false, diskFreeAt: 0, registered: false, frozen: false, thawQueue: [], frozenAt: 0 };
    this.machines.push(d);
    this.startDaemon(d);
    return d;
  }

  crash(id: ServerId): void {
    const d = this.daemons.get(id)!;
    if (!d.alive) return;
    this.log(`d${id} crashes`);
    d.alive = false;
    d.core = undefined;
    d.frozen = false;
    d.thawQueue = [];
    d.disk.crash();
    this.faultCounts.crashes++;
    // The coordinator sees the daemon's connection close.
    const delay = this.rng.between(1, 5);
    if (d.link) this.closeLink(d.link, delay);
  }

  /**
   * A daemon stops (SIGSTOP) for `ticks`: nothing it was sent, or its disk completed, reaches its
   * core until it resumes, and it sends nothing; then all of it arrives, in order.
   */
  freeze(id: ServerId, ticks: number): void {
    const d = this.daemons.get(id)!;
    if (!d.alive || d.frozen) return;
    this.log(`d${id} freezes for ${ticks} ticks`);
    d.frozen = true;
    d.frozenAt = this.now;
    this.faultCounts.freezes++;
    const incarnation = d.incarnation;
    this.at(ticks, () => {
      if (d.incarnation === incarnation) this.thaw(d);
    });
  }

  /** A frozen daemon resumes: what reached it meanwhile runs now, in order. */
  thaw(d: SimDaemon): void {
    if (!d.alive || !d.frozen) return;
    this.log(`d${d.id} resumes (${d.thawQueue.length} waiting)`);
    d.frozen = false;
    if (this.now > d.frozenAt) this.feed(d, { type: 'tick', ticks: this.now - d.frozenAt });
    const waiting = d.thawQueue;
    d.thawQueue = [];
    for (const run of waiting) run();
  }

  restart(id: ServerId): void {
    const d = this.daemons.get(id)!;
    if (d.alive) return;
    this.log(`d${id} restarts`);
    this.faultCounts.restarts++;
    this.startDaemon(d);
  }

  /** Random bytes from the seed (a peer key): the shell's to give the coordinator's core. */
  private freshBytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.rng.below(256);
    return b;
  }

  // ---- the coordinator ---------------------------------------------------------------------------

  /** Hands the coordinator's core an event and carries out what it returns. */
  private coordinatorStep(ev: CoordinatorEvent): void {
    const before = this.coordinator.state.config;
    const version = before.version;
    if (this.trace && ev.type !== 'tick') this.log(`c <- ${describeCoordinatorEvent(ev)}`);
    const r = this.coordinator.step(ev);
    const config = this.coordinator.state.config;
    if (config.version !== version) {
      for (const s of config.servers)
        if (s.state === ServerState.FAILED && before.servers.find((x) => x.id === s.id)?.state !== ServerState.FAILED) this.faultCounts.failed++;
      this.configs.set(config.version, config);
      this.log(`configuration ${config.version}`);
    }
    this.carryOutCoordinator(r);
  }

  /**
   * Sends and closes go out at once (the core held back what waits for a persist); the state is
   * written on the coordinator's simulated disk, which acknowledges it a few ticks later.
   */
  private carryOutCoordinator(r: CoordinatorReady): void {
    if (this.trace) for (const l of r.log) if (l.level !== 'debug') this.log(`c ${l.level}: ${l.line}`);
    for (const s of r.send) this.fromCoordinator(s.conn, s.message);
    for (const c of r.close) {
      const link = this.links.get(c.conn);
      if (!link) throw new Error(`the coordinator closed connection ${c.conn}, which it did not have`);
      if (link.open) this.daemonLosesLink(link);
      this.closeLink(link, 1);
    }
    if (r.persist) {
      const { token, state } = r.persist;
      this.coordinatorDiskFreeAt = Math.max(this.coordinatorDiskFreeAt, this.now) + this.rng.between(0, 2);
      this.agenda.push(this.coordinatorDiskFreeAt, () => {
        this.coordinatorDurable = state;
        this.coordinatorStep({ type: 'persisted', token });
      });
    }
  }

  /** A new connection to the coordinator. */
  private openLink(owner: LinkOwner): SimLink {
    const link: SimLink = { conn: this.nextConnection++, owner, open: true, toCoordinatorAt: 0, fromCoordinatorAt: 0, keys: new Set() };
    this.links.set(link.conn, link);
    this.coordinatorStep({ type: 'opened', conn: link.conn });
    return link;
  }

  /** Either end closes a connection: what is in flight is lost; the coordinator hears of it after `delay`. */
  private closeLink(link: SimLink, delay: number): void {
    if (!link.open) return;
    link.open = false;
    this.at(delay, () => {
      this.links.delete(link.conn);
      this.coordinatorStep({ type: 'closed', conn: link.conn });
    });
  }

  /** Sends a request to the coordinator on a connection. */
  private toCoordinator(link: SimLink, request: CoordinatorRequest): void {
    link.toCoordinatorAt = Math.max(this.now + this.rng.between(1, this.faults.delayMax), link.toCoordinatorAt);
    this.agenda.push(link.toCoordinatorAt, () => this.atCoordinator(link, request, 1n));
  }

  /** A request arrives at the coordinator on a connection, unless a hold keeps it (or the connection closed). */
  private atCoordinator(link: SimLink, request: CoordinatorRequest, id: bigint): void {
    if (!link.open) return;
    const run = () => this.atCoordinator(link, request, id);
    if (this.keptOnLink(link, 'to', { kind: 'to-coordinator', from: this.endOf(link), request }, run)) return;
    this.coordinatorStep({ type: 'request', conn: link.conn, id, request });
  }

  /** Who holds the other end of a connection, as holds see it (now: a daemon's id comes with its registration). */
  private endOf(link: SimLink): LinkEnd {
    const o = link.owner;
    if (o.kind === 'client') return { kind: 'client', id: o.client.id };
    if (o.kind === 'admin') return { kind: 'admin' };
    return o.daemon.id === undefined ? { kind: 'unregistered', token: o.daemon.token } : { kind: 'daemon', id: o.daemon.id };
  }

  /**
   * Sends a message of the coordinator's on a connection, after checking what the core promises:
   * nothing it says is newer than its state on disk, and peer keys go to daemons only.
   */
  private fromCoordinator(conn: ConnectionId, message: CoordinatorOutgoing): void {
    const link = this.links.get(conn);
    if (!link) throw new Error(`the coordinator sent ${message.kind} on connection ${conn}, which it knows closed`);
    const durable = this.coordinatorDurable;
    if (message.kind === 'config' && message.config.version > durable.config.version)
      throw new Error(`the coordinator sent configuration ${message.config.version} before persisting it (on disk: ${durable.config.version})`);
    if (message.kind === 'registered' && !durable.peerKeys[message.serverId]?.equals(message.peerKey))
      throw new Error(`the coordinator sent server ${message.serverId} a peer key not on disk`);
    if (message.kind === 'heartbeat' && link.owner.kind !== 'daemon') throw new Error(`the coordinator sent a heartbeat to a ${link.owner.kind}'s connection`);
    if (message.kind === 'peer-keys') {
      if (link.owner.kind !== 'daemon') throw new Error(`the coordinator sent peer keys to a ${link.owner.kind}'s connection`);
      for (const [id, key] of message.keys) if (!durable.peerKeys[id]?.equals(key)) throw new Error(`the coordinator sent server ${id}'s peer key before persisting it`);
    }
    // Closed at the other end, and the coordinator has not heard yet: lost.
    if (!link.open) return;
    link.fromCoordinatorAt = Math.max(this.now + this.rng.between(1, this.faults.delayMax), link.fromCoordinatorAt);
    this.agenda.push(link.fromCoordinatorAt, () => this.atOwner(link, message));
  }

  /** A message of the coordinator's arrives at the other end of a connection, unless a hold keeps it (or the connection closed). */
  private atOwner(link: SimLink, message: CoordinatorOutgoing): void {
    if (!link.open) return;
    if (this.keptOnLink(link, 'from', { kind: 'from-coordinator', to: this.endOf(link), message }, () => this.atOwner(link, message))) return;
    const owner = link.owner;
    if (owner.kind === 'client') {
      if (message.kind === 'config' && message.config.version > owner.client.config.version) owner.client.config = message.config;
      return;
    }
    if (owner.kind === 'admin') {
      if (message.kind !== 'coord-resp') throw new Error(`a command line's connection got ${message.kind}`);
      this.closeLink(link, 1);
      return owner.done(message.status, message.message);
    }
    const d = owner.daemon;
    if (!d.alive || d.incarnation !== owner.incarnation) return;
    if (d.frozen) return this.whenThawed(d, () => this.atOwner(link, message));
    // Every message from the coordinator renews the daemon's lease (core/lease.ts), as in the shell.
    this.feed(d, { type: 'coordinator-heard', leaseTicks: message.kind === 'heartbeat' ? leaseTicksFor(message.failureTimeoutMs, SIM_TICK_MS) : undefined });
    switch (message.kind) {
      case 'heartbeat':
        return this.toCoordinator(link, { kind: 'heartbeat' });
      case 'registered':
        return this.onRegistered(d, link, message.serverId);
      case 'peer-keys':
        link.keys = new Set(message.keys.keys());
        return;
      case 'config': {
        // The keys come before any configuration naming a new server: a daemon can check every peer.
        const missing = message.config.servers.find((s) => !link.keys.has(s.id));
        if (missing) throw new Error(`daemon ${d.token} got configuration ${message.config.version} naming server ${missing.id} before its peer key`);
        return this.feed(d, { type: 'config', config: message.config });
      }
      default:
        return this.log(`d${d.id ?? '?'} <- coordinator ${message.kind}${message.kind === 'error' ? ` ${message.status} ${message.message}` : ''}`);
    }
  }

  /** DAEMON_REGISTERED: the daemon has its server id (the same one every time), then subscribes. */
  private onRegistered(d: SimDaemon, link: SimLink, serverId: ServerId): void {
    if (d.id === undefined) {
      if (this.daemons.has(serverId)) throw new Error(`the coordinator gave ${d.token} server id ${serverId}, which another daemon has`);
      d.id = serverId;
      this.daemons.set(serverId, d);
      this.startCore(d, serverId);
    } else if (d.id !== serverId) throw new Error(`the coordinator gave ${d.token} server id ${serverId}; it had ${d.id}`);
    // Registered again in the same life (its link was closed): the core is told, as the daemon shell does.
    if (d.registered) this.feed(d, { type: 'coordinator-link' });
    d.registered = true;
    this.toCoordinator(link, { kind: 'subscribe' });
  }

  /**
   * A daemon's report, on its connection of this life (send() dropped those of an earlier one). It
   * arrives at once (the network's delay was its connection's), behind what a hold keeps on it.
   */
  private onCoordinatorMessage(from: ServerId, m: CoordinatorMessage): void {
    const link = this.daemons.get(from)?.link;
    if (!link) return;
    this.atCoordinator(link, { kind: 'region-moved', regionId: m.regionId, to: m.to, configVersion: m.configVersion }, 0n);
  }

  /** SPACE_ADD on a connection of its own, as `hyperdex add-space` sends it; a refusal fails the run. */
  addSpace(description: string): void {
    this.adminRequest({ kind: 'space-add', description }, (status, message) => {
      if (status !== Status.SUCCESS) throw new Error(`SPACE_ADD refused (${status}): ${message}`);
    });
  }

  /** SPACE_RM on a connection of its own; an unknown space is no failure of the cluster's. */
  rmSpace(name: string): void {
    this.adminRequest({ kind: 'space-rm', name }, () => undefined);
  }

  private adminRequest(request: CoordinatorRequest, done: (status: number, message: string) => void): void {
    this.toCoordinator(this.openLink({ kind: 'admin', done }), request);
  }

  /** A space as the coordinator holds it now (for the scenario to aim its operations at). */
  spaceNamed(name: string): SpaceLayout | undefined {
    return findSpace(this.coordinator.state.config, name);
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** One tick's worth of random faults: crashes (and restarts later), partitions (healed later). */
  injectFaults(): void {
    const f = this.faults;
    const live = [...this.daemons].filter(([, d]) => d.alive && !d.frozen).map(([id]) => id);
    const down = this.daemons.size - live.length;
    if (live.length > 1 && down < f.crashedMax && this.rng.chance(f.crash)) {
      const id = this.rng.pick(live);
      this.crash(id);
      this.at(this.rng.between(5, 60), () => this.restart(id));
    } else if (live.length > 1 && down < f.crashedMax && this.rng.chance(f.freeze)) this.freeze(this.rng.pick(live), this.rng.between(5, 60));
    if (this.rng.chance(f.partition)) {
      const nodes: Node[] = [{ kind: 'coordinator' }, ...[...this.daemons.keys()].map((id): Node => ({ kind: 'daemon', id })), ...this.clients.map((c): Node => ({ kind: 'client', id: c.id }))];
      const a = this.rng.pick(nodes);
      const b = this.rng.pick(nodes);
      if (a !== b && !(a.kind === 'client' && b.kind === 'client')) {
        this.cutLink(a, b);
        this.at(this.rng.between(5, 40), () => this.mendLink(a, b));
      }
    }
  }

  /**
   * Two nodes stop hearing each other: messages between them on the network are lost (a report of
   * a finished move included). Connections to the coordinator are not cut: a scripted scenario
   * that wants them to stall holds their messages.
   */
  cutLink(a: Node, b: Node): void {
    this.cut.add(`${this.nodeName(a)}|${this.nodeName(b)}`);
    this.cut.add(`${this.nodeName(b)}|${this.nodeName(a)}`);
    this.faultCounts.partitions++;
    this.log(`partition ${this.nodeName(a)}|${this.nodeName(b)}`);
  }

  mendLink(a: Node, b: Node): void {
    this.cut.delete(`${this.nodeName(a)}|${this.nodeName(b)}`);
    this.cut.delete(`${this.nodeName(b)}|${this.nodeName(a)}`);
  }

  // ---- holds -------------------------------------------------------------------------------------

  /** Keeps back what `matches` accepts until `release` (see Hold). */
  hold(what: string, matches: (h: Holdable) => boolean): Hold {
    const hold: Hold = { what, matches, kept: [], released: false };
    this.holds.push({ hold, runs: [] });
    return hold;
  }

  /**
   * Lets through what a hold kept, in order, at the current tick. The hold keeps taking what
   * comes until that moment (so that nothing overtakes what it kept: a disk's batches complete in
   * order). Kept deliveries are judged again when they run (a message to a daemon that restarted
   * meanwhile, or on a connection closed meanwhile, is lost).
   */
  release(hold: Hold): void {
    if (hold.released) return;
    hold.released = true;
    this.at(0, () => {
      const i = this.holds.findIndex((h) => h.hold === hold);
      const [{ runs }] = this.holds.splice(i, 1);
      this.log(`release ${hold.what} (${runs.length} kept)`);
      for (const run of runs) run();
    });
  }

  /** Whether an active hold takes `h` (`behind` first, if active, whatever it matches); it then keeps `run` for its release. */
  private keep(h: Holdable, run: () => void, behind?: Hold): Hold | undefined {
    const entry = this.holds.find((e) => e.hold === behind) ?? this.holds.find((e) => e.hold.matches(h));
    if (!entry) return undefined;
    entry.hold.kept.push(h);
    entry.runs.push(run);
    this.log(`${entry.hold.what} keeps ${this.describeHoldable(h)}`);
    return entry.hold;
  }

  private kept(h: Holdable, run: () => void): boolean {
    return this.keep(h, run) !== undefined;
  }

  /** As kept(), on a connection to the coordinator: what follows a kept message waits behind it in the same hold. */
  private keptOnLink(link: SimLink, way: 'to' | 'from', h: Holdable, run: () => void): boolean {
    const hold = this.keep(h, run, way === 'to' ? link.keptTo : link.keptFrom);
    if (!hold) return false;
    if (way === 'to') link.keptTo = hold;
    else link.keptFrom = hold;
    return true;
  }

  private describeHoldable(h: Holdable): string {
    const end = (e: LinkEnd) => (e.kind === 'admin' ? 'a command line' : e.kind === 'unregistered' ? e.token : this.nodeName(e));
    switch (h.kind) {
      case 'disk':
        return `a batch of d${h.daemon} (${h.writes.length} writes)`;
      case 'message':
        return `${h.payload.type} ${this.nodeName(h.from)} -> ${this.nodeName(h.to)}`;
      case 'to-coordinator':
        return `${h.request.kind} ${end(h.from)} -> c`;
      case 'from-coordinator':
        return `${h.message.kind} c -> ${end(h.to)}`;
    }
  }

  /** Ends every fault: no more lost or repeated messages, partitions healed, holds released, frozen daemons resumed, crashed ones restarted. */
  heal(): void {
    this.faults = { ...NO_FAULTS, delayMax: this.faults.delayMax };
    this.cut.clear();
    for (const { hold } of [...this.holds]) this.release(hold);
    for (const d of this.daemons.values()) this.thaw(d);
    for (const [id, d] of this.daemons) if (!d.alive) this.restart(id);
  }

  // ---- clients ---------------------------------------------------------------------------------

  /** A new client: it subscribes to the configuration, which it has once the answer arrives. */
  addClient(): SimClient {
    const c: SimClient = { id: this.clients.length, config: EMPTY_CONFIG, waiting: new Map() };
    this.clients.push(c);
    this.toCoordinator(this.openLink({ kind: 'client', client: c }), { kind: 'subscribe' });
    return c;
  }

  /** Sends one request to a daemon; `done` gets the reply, or undefined after `timeout` ticks. */
  request(c: SimClient, to: ServerId, request: ClientRequest, timeout: number, done: (reply: ClientReply | undefined) => void): void {
    const requestId = this.nextRequestId++;
    c.waiting.set(requestId, done);
    this.send({ kind: 'client', id: c.id }, { kind: 'daemon', id: to }, { type: 'request', requestId, request });
    this.at(timeout, () => {
      const waiter = c.waiting.get(requestId);
      if (!waiter) return;
      c.waiting.delete(requestId);
      waiter(undefined);
    });
  }

  /** The point leader of a key in a client's configuration. */
  static leaderOf(space: SpaceLayout, key: Buffer): ServerId | undefined {
    return keyRegion(space, key).replicas[0];
  }

  /** Whether a client may ask a server: only an AVAILABLE one, as real clients do. */
  static usable(config: ClusterConfig, id: ServerId): boolean {
    return config.servers.some((s) => s.id === id && s.state === ServerState.AVAILABLE);
  }

  static plan = planSearch;
  static readonly RECONFIGURE = Status.RECONFIGURE;

  /** How much work the cores still hold (for waiting until the cluster is quiet). */
  busy(): number {
    let n = 0;
    for (const d of this.daemons.values()) {
      if (!d.alive || !d.core) continue;
      const s = d.core.stats();
      n += s.outstanding + s.parked + s.moves + s.slots;
    }
    for (const c of this.clients) n += c.waiting.size;
    return n;
  }
}
