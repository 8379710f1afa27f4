// The whole cluster in one process: the coordinator's state machine, daemon cores on simulated
// disks, clients, and a seeded network that delays, reorders, duplicates, drops and partitions.
// Time is a count of ticks; every event happens at a tick, in a deterministic order, so that a
// seed replays a run exactly.

import { ClusterConfig, findSpace, keyRegion, ServerId, SpaceLayout } from '../common/config';
import { planSearch } from '../common/planner';
import { Status } from '../common/protocol';
import { parseSpaceDescription } from '../common/schema-parser';
import { addSpace, CoordinatorState, completeMove, INITIAL_STATE, registerServer, rmSpace, serverOffline } from '../coordinator/state';
import { DaemonCore } from '../daemon/core/core';
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
}

export const NO_FAULTS: Faults = { drop: 0, duplicate: 0, delayMax: 1, crash: 0, crashedMax: 0, partition: 0, slowDisk: 0 };

export const DEFAULT_FAULTS: Faults = { drop: 0.02, duplicate: 0.02, delayMax: 4, crash: 0.002, crashedMax: 1, partition: 0.002, slowDisk: 0.01 };

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

/** Who is on the network: the coordinator, a daemon, or a client. */
export type Node = { kind: 'coordinator' } | { kind: 'daemon'; id: ServerId } | { kind: 'client'; id: number };

export type Payload =
  | { type: 'peer'; message: PeerMessage }
  | { type: 'to-coordinator'; message: CoordinatorMessage }
  | { type: 'config'; config: ClusterConfig }
  | { type: 'request'; requestId: number; request: ClientRequest }
  | { type: 'reply'; requestId: number; reply: ClientReply };

interface SimDaemon {
  readonly id: ServerId;
  readonly token: string;
  readonly disk: SimDisk;
  core?: DaemonCore;
  /** Grows with every start; messages sent to or from an earlier life are lost with it. */
  incarnation: number;
  alive: boolean;
  /** When the simulated disk completes the last batch begun (batches complete in order). */
  diskFreeAt: number;
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
 * Something a hold may keep back: a message about to be delivered (configuration pushes included,
 * which partitions never stop), or a batch about to become durable on a daemon's disk.
 */
export type Holdable =
  | { readonly kind: 'message'; readonly from: Node; readonly to: Node; readonly payload: Payload }
  | { readonly kind: 'disk'; readonly daemon: ServerId; readonly writes: readonly StoreWrite[] };

/**
 * Keeps back every delivery or disk completion that `matches` accepts, in order, until released:
 * how a scripted scenario stops the world at a moment of its choosing. Releasing runs what was
 * kept, in the order it was kept, at the current tick, before anything due later.
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
}

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
  coordinator: CoordinatorState = INITIAL_STATE;
  readonly daemons = new Map<ServerId, SimDaemon>();
  readonly clients: SimClient[] = [];
  private readonly cut = new Set<string>();
  private nextRequestId = 1;
  readonly faultCounts: FaultCounts = { dropped: 0, duplicated: 0, crashes: 0, restarts: 0, partitions: 0, joins: 0, slowWrites: 0 };
  /** The first invariant a core or disk broke, if any: the run fails with it. */
  failure?: Error;
  /** Every event handled, one line each, when tracing. */
  readonly trace: string[] | undefined;
  /** Every configuration the coordinator published, by version (daemons name theirs by version). */
  readonly configs = new Map<number, ClusterConfig>([[INITIAL_STATE.config.version, INITIAL_STATE.config]]);
  observer: WorldObserver | undefined;
  private holds: { hold: Hold; runs: (() => void)[] }[] = [];

  constructor(
    seed: number,
    public faults: Faults,
    trace = false,
  ) {
    this.rng = new Rng(seed);
    this.trace = trace ? [] : undefined;
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

  private epochOf(n: Node): number {
    return n.kind === 'daemon' ? this.daemons.get(n.id)!.incarnation : 0;
  }

  private aliveNode(n: Node): boolean {
    return n.kind !== 'daemon' || this.daemons.get(n.id)!.alive;
  }

  private nodeName(n: Node): string {
    return n.kind === 'coordinator' ? 'c' : n.kind === 'daemon' ? `d${n.id}` : `k${n.id}`;
  }

  partitioned(a: Node, b: Node): boolean {
    return this.cut.has(`${this.nodeName(a)}|${this.nodeName(b)}`);
  }

  /**
   * Sends a payload. Messages between servers and replies may be lost, duplicated and reordered;
   * configuration pushes are only delayed (the coordinator's link resends them). A message sent
   * to or from an earlier life of a daemon is lost with that life, as a TCP connection would be.
   */
  send(from: Node, to: Node, payload: Payload, reliable = false): void {
    if (!this.aliveNode(from)) return;
    const fromEpoch = this.epochOf(from);
    const toEpoch = this.epochOf(to);
    const deliver = () => {
      if (this.kept({ kind: 'message', from, to, payload }, deliver)) return;
      if (this.epochOf(from) !== fromEpoch || this.epochOf(to) !== toEpoch || !this.aliveNode(to)) return;
      if (!reliable && this.partitioned(from, to)) return;
      this.receive(from, to, payload);
    };
    if (!reliable && this.rng.chance(this.faults.drop)) {
      this.faultCounts.dropped++;
      return;
    }
    this.at(this.rng.between(1, this.faults.delayMax), deliver);
    // A client's request travels on its own TCP connection: lost (the connection breaks) or late,
    // but never delivered twice. Messages between daemons may be (resent after a reconnection).
    if (!reliable && payload.type !== 'request' && this.rng.chance(this.faults.duplicate)) {
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
      if (p.type === 'config') {
        if (p.config.version > c.config.version) c.config = p.config;
      } else if (p.type === 'reply') {
        const waiter = c.waiting.get(p.requestId);
        if (waiter) {
          c.waiting.delete(p.requestId);
          waiter(p.reply);
        }
      }
      return;
    }
    const d = this.daemons.get(to.id)!;
    if (p.type === 'config') this.feed(d, { type: 'config', config: p.config });
    else if (p.type === 'peer' && from.kind === 'daemon') this.feed(d, { type: 'peer', from: from.id, message: p.message });
    else if (p.type === 'request' && from.kind === 'client') this.feed(d, { type: 'request', client: from.id, requestId: p.requestId, request: p.request });
  }

  // ---- daemons ----------------------------------------------------------------------------------

  /** Hands a core an event and carries out what it returns. */
  private feed(d: SimDaemon, ev: Parameters<DaemonCore['step']>[0]): void {
    if (!d.alive || !d.core) return;
    if (this.trace && ev.type !== 'tick') this.log(`d${d.id} <- ${describeEvent(ev)}`);
    const incarnation = d.incarnation;
    const ready = d.core.step(ev);
    this.observer?.step?.(d.id, ev, ready);
    // The observer may have crashed the daemon: what the step decided never left it.
    if (!d.alive || d.incarnation !== incarnation) return;
    this.carryOut(d, ready);
  }

  private carryOut(d: SimDaemon, r: Ready): void {
    const me: Node = { kind: 'daemon', id: d.id };
    const incarnation = d.incarnation;
    const still = () => d.alive && d.incarnation === incarnation;
    for (const p of r.persist) {
      d.disk.begin(p.token, p.writes);
      const slow = this.rng.chance(this.faults.slowDisk);
      if (slow) this.faultCounts.slowWrites++;
      d.diskFreeAt = Math.max(d.diskFreeAt, this.now) + (slow ? this.rng.between(10, 60) : this.rng.between(0, 2));
      const complete = () => {
        if (!still()) return;
        if (this.kept({ kind: 'disk', daemon: d.id, writes: p.writes }, complete)) return;
        if (!d.disk.complete(p.token)) return;
        this.observer?.durable?.(d.id, p.writes, d.core!.configVersion);
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
    for (const x of r.replies) this.send(me, { kind: 'client', id: x.client }, { type: 'reply', requestId: x.requestId, reply: x.reply });
  }

  /** Starts (or restarts) a daemon on its disk, registers it and starts its ticks. */
  startDaemon(id: ServerId): void {
    const d = this.daemons.get(id)!;
    d.incarnation++;
    d.alive = true;
    d.core = new DaemonCore({ serverId: id, incarnation: d.incarnation, store: d.disk, intents: d.disk.intentsHeld() });
    const incarnation = d.incarnation;
    const tick = () => {
      if (!d.alive || d.incarnation !== incarnation) return;
      this.feed(d, { type: 'tick' });
      this.at(1, tick);
    };
    this.at(1, tick);
    // Registration is the daemon's link to the coordinator: it arrives after a delay, then the
    // coordinator pushes the configuration.
    this.at(this.rng.between(1, 3), () => {
      if (!d.alive || d.incarnation !== incarnation) return;
      const { state, serverId } = registerServer(this.coordinator, d.token, `10.0.0.${id}`, 2012, Buffer.alloc(32, id));
      if (serverId !== id) throw new Error(`world: daemon ${id} registered as server ${serverId}`);
      this.updateCoordinator(state);
      this.send({ kind: 'coordinator' }, { kind: 'daemon', id }, { type: 'config', config: this.coordinator.config }, true);
    });
  }

  /** A new daemon, with a new disk, joins the cluster. */
  addDaemon(): ServerId {
    const id = this.daemons.size + 1;
    const token = `daemon-${id}`;
    // The world names a daemon by its server id, so the coordinator must give it that id whatever
    // order the registrations arrive in (they are delayed at random): its token is known from the
    // start, as if it had registered once before. Otherwise a daemon that registers after a later
    // one gets another's id, and coming back after a crash registers the wrong server.
    if (this.coordinator.nextServerId !== id) throw new Error(`world: daemon ${id} added, but the coordinator's next server id is ${this.coordinator.nextServerId}`);
    this.coordinator = { ...this.coordinator, identities: { ...this.coordinator.identities, [token]: id }, nextServerId: id + 1 };
    this.daemons.set(id, { id, token, disk: new SimDisk(), incarnation: 0, alive: false, diskFreeAt: 0 });
    this.startDaemon(id);
    return id;
  }

  crash(id: ServerId): void {
    const d = this.daemons.get(id)!;
    if (!d.alive) return;
    this.log(`d${id} crashes`);
    d.alive = false;
    d.core = undefined;
    d.disk.crash();
    this.faultCounts.crashes++;
    // The coordinator sees the daemon's connection close.
    this.at(this.rng.between(1, 5), () => {
      if (!d.alive) this.updateCoordinator(serverOffline(this.coordinator, id));
    });
  }

  restart(id: ServerId): void {
    const d = this.daemons.get(id)!;
    if (d.alive) return;
    this.log(`d${id} restarts`);
    this.faultCounts.restarts++;
    this.startDaemon(id);
  }

  // ---- the coordinator ---------------------------------------------------------------------------

  private onCoordinatorMessage(from: ServerId, m: CoordinatorMessage): void {
    if (m.type !== 'region-moved') return;
    const region = this.coordinator.config.spaces.flatMap((s) => s.subspaces.flatMap((ss) => ss.regions)).find((r) => r.id === m.regionId);
    // Only the region's head reports its copy done.
    if (!region || region.replicas[0] !== from) return;
    this.updateCoordinator(completeMove(this.coordinator, m.regionId, m.to));
  }

  updateCoordinator(next: CoordinatorState): void {
    if (next === this.coordinator) return;
    this.coordinator = next;
    this.configs.set(next.config.version, next.config);
    this.log(`configuration ${next.config.version}`);
    for (const d of this.daemons.values()) if (d.alive) this.send({ kind: 'coordinator' }, { kind: 'daemon', id: d.id }, { type: 'config', config: next.config }, true);
    for (const c of this.clients) this.send({ kind: 'coordinator' }, { kind: 'client', id: c.id }, { type: 'config', config: next.config }, true);
  }

  addSpace(description: string): SpaceLayout {
    const r = addSpace(this.coordinator, parseSpaceDescription(description));
    if (!r.ok) throw new Error(r.reason);
    this.updateCoordinator(r.state);
    return findSpace(r.state.config, parseSpaceDescription(description).name)!;
  }

  rmSpace(name: string): void {
    const r = rmSpace(this.coordinator, name);
    if (r.ok) this.updateCoordinator(r.state);
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** One tick's worth of random faults: crashes (and restarts later), partitions (healed later). */
  injectFaults(): void {
    const f = this.faults;
    const live = [...this.daemons.values()].filter((d) => d.alive);
    const down = this.daemons.size - live.length;
    if (live.length > 1 && down < f.crashedMax && this.rng.chance(f.crash)) {
      const d = this.rng.pick(live);
      this.crash(d.id);
      this.at(this.rng.between(5, 60), () => this.restart(d.id));
    }
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

  /** Two nodes stop hearing each other: messages between them are lost (configuration pushes are not). */
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
   * meanwhile is lost).
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

  /** Whether an active hold takes `h`; it then keeps `run` for its release. */
  private kept(h: Holdable, run: () => void): boolean {
    for (const { hold, runs } of this.holds) {
      if (!hold.matches(h)) continue;
      hold.kept.push(h);
      this.log(`${hold.what} keeps ${h.kind === 'disk' ? `a batch of d${h.daemon} (${h.writes.length} writes)` : `${h.payload.type} ${this.nodeName(h.from)} -> ${this.nodeName(h.to)}`}`);
      runs.push(run);
      return true;
    }
    return false;
  }

  /** Ends every fault: no more lost or repeated messages, partitions healed, crashed daemons restarted. */
  heal(): void {
    this.faults = { ...NO_FAULTS, delayMax: this.faults.delayMax };
    this.cut.clear();
    for (const { hold } of [...this.holds]) this.release(hold);
    for (const d of this.daemons.values()) if (!d.alive) this.restart(d.id);
  }

  // ---- clients ---------------------------------------------------------------------------------

  addClient(): SimClient {
    const c: SimClient = { id: this.clients.length, config: this.coordinator.config, waiting: new Map() };
    this.clients.push(c);
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
