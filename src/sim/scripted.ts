// Scripted scenarios on the simulated cluster: a test says what happens and when (daemons start,
// join, crash and restart; a space comes and goes; clients write and read; two nodes stop hearing
// each other), stops the world at a moment of its choosing (holds on messages and disk batches,
// a hook after every core step), steps until a condition holds (always bounded), and then checks
// the history with the same checkers as the random runs (check.ts), plus what the scenario itself
// expects. Everything runs on World, so a scenario is as deterministic as a seed.

import { ClusterConfig, findSpace, findSpaceById, keyRegion, RegionLayout, regionOf, ServerId, SpaceLayout } from '../common/config';
import { datatypeOf } from '../common/datatypes';
import { WireCheck } from '../common/messages';
import { CheckOp, FuncOp, ServerState, Status } from '../common/protocol';
import { attributeByName, SpaceSpec } from '../common/schema';
import { parseSpaceDescription } from '../common/schema-parser';
import { decodeValue, defaultValueBytes, encodeValue, Value } from '../common/values';
import { DaemonCore, HANDOFF_WAIT_TICKS } from '../daemon/core/core';
import { ClientRequest, CoreEvent, Ready, StoreWrite } from '../daemon/core/types';
import { checkHistory, CheckResult } from './check';
import { SimDisk } from './disk';
import { ClientPatience, DEFAULT_PATIENCE, HistoryOp, randomOperation, runKeyOperation, runSearch } from './workload';
import { Faults, Hold, Holdable, LinkEnd, Node, NO_FAULTS, Payload, SimClient, World } from './world';

/** Attribute values as a scenario writes them: numbers (or bigints) for int64 attributes, text for strings. */
export type Attrs = Readonly<Record<string, number | bigint | string>>;

/** A batch that became durable on a daemon, with the configuration its core followed then. */
export interface DurableBatch {
  readonly tick: number;
  readonly daemon: ServerId;
  readonly configVersion: number;
  readonly writes: readonly StoreWrite[];
}

/** One put (or tombstone) of a durable batch, with where and when it landed. */
export interface DurablePut {
  readonly tick: number;
  readonly daemon: ServerId;
  readonly configVersion: number;
  readonly write: Extract<StoreWrite, { op: 'put' }>;
}

export interface ScriptOptions {
  readonly seed?: number;
  /** NO_FAULTS unless given: a scripted scenario chooses its faults itself. */
  readonly faults?: Faults;
  /** On unless false: a failing scenario prints the end of the trace. */
  readonly trace?: boolean;
  readonly patience?: ClientPatience;
  /**
   * The coordinator's failure timeout in ticks. By default none that a scenario reaches
   * (SCRIPT_FAILURE_TIMEOUT_TICKS): a scenario that holds a daemon's messages for a while does not
   * want it failed for that; one about failure detection gives a short one.
   */
  readonly failureTimeoutTicks?: number;
}

/** The default failure timeout of a scripted scenario: longer than any scenario runs. */
export const SCRIPT_FAILURE_TIMEOUT_TICKS = 1_000_000;

/** A scenario did not reach what it waited for, or the cluster broke an invariant. */
export class ScriptError extends Error {}

/** Called after every core step, before its effects leave the daemon; returning true unsubscribes. */
export type StepWatcher = (daemon: ServerId, event: CoreEvent, ready: Ready) => boolean | void;

/** Clients kept running random operations until stopped. */
export interface Busy {
  stop(): void;
  /** Operations ended so far. */
  readonly operations: number;
  /** Clients still inside an operation. */
  readonly running: number;
}

/** The counts behind a Busy. */
class BusyClients implements Busy {
  stopped = false;
  operations = 0;
  running = 0;

  stop(): void {
    this.stopped = true;
  }
}

/**
 * Scenarios wait longer for a reply than random runs do: a region's new head may hold a request
 * back for HANDOFF_WAIT_TICKS, and a scenario wants to see how that ends, not a timeout.
 */
export const SCRIPT_PATIENCE: ClientPatience = { replyTimeoutTicks: 2 * HANDOFF_WAIT_TICKS, attemptsMax: DEFAULT_PATIENCE.attemptsMax };

/** Ticks `addSpace` and `startDaemons` wait for every daemon to follow the new configuration. */
const CONFIGURE_TICKS_MAX = 100;
/** Lines of trace a ScriptError carries. */
const TRACE_TAIL_LINES = 60;
/** Keys tried when looking for one with a property. */
const KEY_SEARCH_MAX = 10_000;

export const coordinator: Node = { kind: 'coordinator' };
export const daemon = (id: ServerId): Node => ({ kind: 'daemon', id });
export const clientNode = (c: SimClient): Node => ({ kind: 'client', id: c.id });

const sameNode = (a: Node, b: Node): boolean => a.kind === b.kind && (a.kind === 'coordinator' || a.id === (b as { id: number }).id);
/** Whether the other end of a connection to the coordinator is a node (a daemon not registered yet, or a command line, is none). */
const endIs = (end: LinkEnd, node: Node): boolean => (end.kind === 'daemon' || end.kind === 'client') && sameNode(end, node);

export class Script {
  readonly world: World;
  /** Every key operation, in call order, as the clients saw it. */
  readonly history: HistoryOp[] = [];
  /** Every search and count that got all its answers. */
  readonly searches: HistoryOp[] = [];
  readonly durable: DurableBatch[] = [];
  private readonly specs = new Map<number, SpaceSpec>();
  private readonly watchers: StepWatcher[] = [];
  private readonly finished = new WeakSet<HistoryOp>();
  private readonly patience: ClientPatience;
  /** The puts the script made, by space and key, with the attributes (indexes) they named: what `expectLatest` compares reads with. */
  private readonly puts = new Map<string, { op: HistoryOp; values: readonly Buffer[]; named: readonly number[] }[]>();

  constructor(o: ScriptOptions = {}) {
    this.world = new World(o.seed ?? 1, o.faults ?? NO_FAULTS, o.trace ?? true, { failureTimeoutTicks: o.failureTimeoutTicks ?? SCRIPT_FAILURE_TIMEOUT_TICKS });
    this.patience = o.patience ?? SCRIPT_PATIENCE;
    this.world.observer = {
      step: (d, ev, ready) => {
        for (const w of [...this.watchers]) if (w(d, ev, ready) === true) this.watchers.splice(this.watchers.indexOf(w), 1);
      },
      durable: (d, writes, configVersion) => this.durable.push({ tick: this.world.now, daemon: d, configVersion, writes }),
    };
  }

  get now(): number {
    return this.world.now;
  }

  // ---- the cluster ------------------------------------------------------------------------------

  /**
   * Starts n daemons and waits until each is registered and follows the newest configuration.
   * Their server ids, in the order started (the coordinator numbers them as their registrations
   * arrive).
   */
  startDaemons(n: number): ServerId[] {
    const started = Array.from({ length: n }, () => this.world.addDaemon());
    this.until(`${n} daemons registered`, () => started.every((d) => d.id !== undefined && this.available(d.id)) && this.daemonsConfigured(), CONFIGURE_TICKS_MAX);
    return started.map((d) => d.id!);
  }

  /**
   * A new daemon with an empty disk joins. Waits only until it has its server id (DAEMON_REGISTERED
   * reached it), not for its regions, which move to it over time.
   */
  addDaemon(): ServerId {
    this.world.faultCounts.joins++;
    const d = this.world.addDaemon();
    this.until(`${d.token} gets its server id`, () => d.id !== undefined, CONFIGURE_TICKS_MAX);
    return d.id!;
  }

  crash(id: ServerId): void {
    this.world.crash(id);
  }

  restart(id: ServerId): void {
    this.world.restart(id);
  }

  /** The daemon stops taking anything for `ticks` (SIGSTOP), then resumes (SIGCONT). */
  freeze(id: ServerId, ticks: number): void {
    this.world.freeze(id, ticks);
  }

  /** Whether the coordinator lists a daemon as available. */
  available(id: ServerId): boolean {
    return this.serverState(id) === ServerState.AVAILABLE;
  }

  /** A server's state in the coordinator's configuration now (undefined: not listed). */
  serverState(id: ServerId): number | undefined {
    return this.config().servers.find((s) => s.id === id)?.state;
  }

  /**
   * Adds a space (SPACE_ADD on a connection of its own) and waits until the coordinator made it
   * and every live daemon and every client knows it.
   */
  addSpace(description: string): SpaceLayout {
    const name = parseSpaceDescription(description).name;
    this.world.addSpace(description);
    this.until(`every daemon and client knows space ${name}`, () => this.world.spaceNamed(name) !== undefined && this.configured(), CONFIGURE_TICKS_MAX);
    const space = this.space(name);
    this.specs.set(space.id, space.spec);
    return space;
  }

  /**
   * Removes a space (SPACE_RM on a connection of its own). Waits only until the coordinator has
   * removed it, not for anyone to hear.
   */
  rmSpace(name: string): void {
    this.world.rmSpace(name);
    this.until(`the coordinator removes space ${name}`, () => this.world.spaceNamed(name) === undefined, CONFIGURE_TICKS_MAX);
  }

  /**
   * A new client, once it has the coordinator's configuration: it subscribes on a connection of
   * its own and knows no space until the answer arrives.
   */
  client(): SimClient {
    const c = this.world.addClient();
    this.until(`client ${c.id} gets the configuration`, () => c.config.version >= this.config().version, CONFIGURE_TICKS_MAX);
    return c;
  }

  /**
   * Two nodes stop hearing each other: their messages on the network are lost (a daemon's reports
   * of finished copies included; it reports again). When one of them is the coordinator, the
   * other's connection to it stalls, as TCP does through a short partition: everything on it,
   * either way, waits until the partition heals (`link` keeps it).
   */
  partition(a: Node, b: Node): { heal(): void; readonly link: Hold } {
    this.world.cutLink(a, b);
    const other = a.kind === 'coordinator' ? b : b.kind === 'coordinator' ? a : undefined;
    const onLink = (h: Holdable) => other !== undefined && ((h.kind === 'to-coordinator' && endIs(h.from, other)) || (h.kind === 'from-coordinator' && endIs(h.to, other)));
    const link = this.hold(`partition ${JSON.stringify(a)} | ${JSON.stringify(b)}`, onLink);
    return {
      link,
      heal: () => {
        this.world.mendLink(a, b);
        this.release(link);
      },
    };
  }

  // ---- stopping the world at a chosen moment -----------------------------------------------------

  hold(what: string, matches: (h: Holdable) => boolean): Hold {
    return this.world.hold(what, matches);
  }

  holdMessages(what: string, matches: (from: Node, to: Node, payload: Payload) => boolean): Hold {
    return this.world.hold(what, (h) => h.kind === 'message' && matches(h.from, h.to, h.payload));
  }

  /**
   * Configuration pushes to a node wait: it keeps following the configuration it has. What its
   * connection to the coordinator carries after a kept push waits behind it.
   */
  holdConfigsTo(node: Node): Hold {
    return this.hold(`configurations to ${JSON.stringify(node)}`, (h) => h.kind === 'from-coordinator' && h.message.kind === 'config' && endIs(h.to, node));
  }

  /**
   * A daemon's reports of finished copies wait (on the network, before they reach its connection
   * to the coordinator): the coordinator does not switch heads.
   */
  holdMoveReports(id: ServerId, regionId?: number): Hold {
    return this.holdMessages(`move reports of d${id}`, (from, _to, p) => p.type === 'to-coordinator' && sameNode(from, daemon(id)) && (regionId === undefined || p.message.regionId === regionId));
  }

  /** A daemon's disk stops completing batches (they stay in order, and complete on release). */
  holdDisk(id: ServerId): Hold {
    return this.world.hold(`disk of d${id}`, (h) => h.kind === 'disk' && h.daemon === id);
  }

  release(h: Hold): void {
    this.world.release(h);
  }

  /** Calls `watch` after every core step (see StepWatcher); returns a function that unsubscribes. */
  onStep(watch: StepWatcher): () => void {
    this.watchers.push(watch);
    return () => {
      const i = this.watchers.indexOf(watch);
      if (i >= 0) this.watchers.splice(i, 1);
    };
  }

  // ---- client operations: each starts now and returns its record --------------------------------

  /** A put of the named attributes (the others keep their values, or defaults for a new object). */
  put(c: SimClient, space: SpaceLayout, key: string, attrs: Attrs, then?: () => void): HistoryOp {
    const funcs = Object.entries(attrs).map(([name, v]) => {
      const a = attributeByName(space.spec, name);
      if (!a || a.index < 0) throw new ScriptError(`put: space ${space.name} has no attribute ${name}`);
      return { name, datatype: datatypeOf(a.attr.type), value: encodeValue(a.attr.type, v), op: FuncOp.SET };
    });
    const op = this.write(c, { kind: 'write', configVersion: 0, spaceId: space.id, key: Buffer.from(key), flags: 0, checks: [], funcs }, then);
    const name = `${space.id}:${key}`;
    const named = space.spec.attributes.flatMap((a, i) => (a.name in attrs ? [i] : []));
    this.puts.set(name, [...(this.puts.get(name) ?? []), { op, values: this.object(space, attrs), named }]);
    return op;
  }

  /**
   * Puts many objects, `inFlight` at a time, and waits for them: a simulated disk completes about
   * one batch per tick, so a thousand writes at once would only time out.
   */
  putMany(c: SimClient, space: SpaceLayout, objects: readonly (readonly [string, Attrs])[], inFlight = 10): HistoryOp[] {
    const ops: HistoryOp[] = [];
    for (let i = 0; i < objects.length; i += inFlight) {
      const wave = objects.slice(i, i + inFlight).map(([key, attrs]) => this.put(c, space, key, attrs));
      this.waitFor(wave);
      ops.push(...wave);
    }
    return ops;
  }

  write(c: SimClient, request: Extract<ClientRequest, { kind: 'write' }>, then?: () => void): HistoryOp {
    return this.tracked((done) => runKeyOperation(this.world, c, request, this.history, done, this.patience), then);
  }

  get(c: SimClient, space: SpaceLayout, key: string): HistoryOp {
    return this.tracked((done) => runKeyOperation(this.world, c, { kind: 'get', configVersion: 0, spaceId: space.id, key: Buffer.from(key) }, this.history, done, this.patience));
  }

  /** A search (or count) over the regions the planner picks; `done` once every region answered. */
  search(c: SimClient, space: SpaceLayout, checks: readonly WireCheck[], kind: 'search' | 'count' = 'search'): HistoryOp {
    return this.tracked((done) => runSearch(this.world, c, { kind, configVersion: 0, spaceId: space.id, checks, subspace: 0, regions: [] }, this.searches, done, this.patience));
  }

  /** Starts an operation and notes when it ends (perhaps before `start` returns), then calls `then`. */
  private tracked(start: (done: () => void) => HistoryOp, then?: () => void): HistoryOp {
    let op: HistoryOp | undefined;
    let endedAtOnce = false;
    op = start(() => {
      if (op) this.finished.add(op);
      else endedAtOnce = true;
      then?.();
    });
    if (endedAtOnce) this.finished.add(op);
    return op;
  }

  /** Equality checks on the named attributes. */
  where(space: SpaceLayout, attrs: Attrs): WireCheck[] {
    return Object.entries(attrs).map(([name, v]) => {
      const a = attributeByName(space.spec, name)!;
      return { name, datatype: datatypeOf(a.attr.type), value: encodeValue(a.attr.type, v), op: CheckOp.EQUALS };
    });
  }

  /**
   * Keeps clients running random operations (workload.ts) on a space until stopped, on `keys` when
   * given. No group_del: it erases what matches in the whole space, objects a scenario reads back
   * with expectLatest included; where the workload rolls one, the clients ask a count instead.
   */
  keepBusy(clients: readonly SimClient[], space: SpaceLayout, keys?: readonly string[]): Busy {
    const busy = new BusyClients();
    const next = (c: SimClient) => {
      if (busy.stopped) return;
      busy.running++;
      const after = () => {
        busy.running--;
        busy.operations++;
        this.world.at(this.world.rng.between(0, 3), () => next(c));
      };
      const request = randomOperation(this.world, space, keys, false);
      if (request.kind === 'get' || request.kind === 'write') runKeyOperation(this.world, c, request, this.history, after, this.patience);
      else runSearch(this.world, c, request.kind === 'group-del' ? { ...request, kind: 'count' } : request, this.searches, after, this.patience);
    };
    for (const c of clients) next(c);
    return busy;
  }

  /**
   * Keeps each client putting to keys of its own, one put at a time, round and round; `attrs`
   * gives each put values no other put has (from a count), so that `expectLatest` can tell which
   * put a read saw.
   */
  keepPutting(clients: readonly SimClient[], space: SpaceLayout, keysOf: (c: SimClient) => readonly string[], attrs: (count: number, c: SimClient) => Attrs): Busy {
    const busy = new BusyClients();
    let count = 0;
    const next = (c: SimClient, i: number) => {
      if (busy.stopped) return;
      busy.running++;
      const keys = keysOf(c);
      this.put(c, space, keys[i % keys.length], attrs(++count, c), () => {
        busy.running--;
        busy.operations++;
        this.world.at(this.world.rng.between(0, 3), () => next(c, i + 1));
      });
    };
    for (const c of clients) next(c, 0);
    return busy;
  }

  /** Whether an operation has ended (its outcome known or not). */
  done(op: HistoryOp): boolean {
    return this.finished.has(op);
  }

  // ---- time -------------------------------------------------------------------------------------

  /** Runs the world for some ticks. */
  run(ticks: number): void {
    this.world.runUntil(this.world.now + ticks);
    this.failIfBroken();
  }

  /** Runs tick by tick until `cond` holds; a ScriptError naming `what` if it does not within `ticksMax`. */
  until(what: string, cond: () => boolean, ticksMax: number): void {
    for (let i = 0; i < ticksMax; i++) {
      if (cond()) return;
      this.run(1);
    }
    if (!cond()) throw this.error(`${what}: not within ${ticksMax} ticks`);
  }

  /** Runs until every given operation has ended. */
  waitFor(ops: HistoryOp | readonly HistoryOp[], ticksMax = 1_000): void {
    const list = Array.isArray(ops) ? ops : [ops as HistoryOp];
    this.until(`${list.length} operation(s) to end`, () => list.every((op) => this.done(op)), ticksMax);
  }

  /**
   * Runs until the cores hold no work, no client waits and every disk has written what it was
   * given (a hold still keeping something makes this fail: release it first). Always runs at
   * least one tick: the checkers' clock is the tick, so an operation that starts in the tick
   * another ended counts as concurrent with it, and what a script starts after settling must
   * come after everything before.
   */
  settle(ticksMax = 2_000): void {
    const idle = () => this.world.busy() === 0 && [...this.world.daemons.values()].every((d) => !d.alive || d.disk.pendingBatches() === 0);
    this.run(1);
    this.until('the cluster to settle', idle, ticksMax);
  }

  // ---- what the cluster holds ---------------------------------------------------------------------

  /** The configuration of the coordinator's core (perhaps not persisted yet, so nobody else may have it yet). */
  config(): ClusterConfig {
    return this.world.coordinator.state.config;
  }

  space(name: string): SpaceLayout {
    const s = findSpace(this.config(), name);
    if (!s) throw this.error(`no space ${name} in configuration ${this.config().version}`);
    return s;
  }

  /** A region in the coordinator's configuration (or another one), with its subspace. */
  region(regionId: number, config: ClusterConfig = this.config()): { space: SpaceLayout; subspace: number; region: RegionLayout } | undefined {
    for (const space of config.spaces)
      for (let i = 0; i < space.subspaces.length; i++) {
        const region = space.subspaces[i].regions.find((r) => r.id === regionId);
        if (region) return { space, subspace: i, region };
      }
    return undefined;
  }

  /** A key's region in the coordinator's configuration. */
  keyRegion(space: SpaceLayout, key: string): RegionLayout {
    return keyRegion(findSpaceById(this.config(), space.id) ?? space, Buffer.from(key));
  }

  /** Where an object with these attributes lies in a subspace, in the coordinator's configuration. */
  regionOf(space: SpaceLayout, subspace: number, key: string, attrs: Attrs): RegionLayout {
    return regionOf(findSpaceById(this.config(), space.id) ?? space, subspace, Buffer.from(key), this.object(space, attrs));
  }

  /** The first key `${prefix}${i}` with a property (a bounded search). */
  findKey(prefix: string, wanted: (key: string) => boolean): string {
    for (let i = 0; i < KEY_SEARCH_MAX; i++) if (wanted(`${prefix}${i}`)) return `${prefix}${i}`;
    throw this.error(`no key ${prefix}N with the property among ${KEY_SEARCH_MAX}`);
  }

  core(id: ServerId): DaemonCore {
    const core = this.world.daemons.get(id)?.core;
    if (!core) throw this.error(`daemon ${id} is not running`);
    return core;
  }

  disk(id: ServerId): SimDisk {
    return this.world.daemons.get(id)!.disk;
  }

  /** The configuration a daemon's core follows. */
  configOf(id: ServerId): ClusterConfig {
    return this.world.configs.get(this.core(id).configVersion)!;
  }

  /** The version of the configuration a client follows. */
  clientVersion(c: SimClient): number {
    return c.config.version;
  }

  /** Every put (or tombstone) made durable, optionally only those matching. */
  durablePuts(match: { daemon?: ServerId; regionId?: number; key?: string; subspace?: number } = {}): DurablePut[] {
    const out: DurablePut[] = [];
    for (const b of this.durable)
      for (const w of b.writes) {
        if (w.op !== 'put') continue;
        if (match.daemon !== undefined && b.daemon !== match.daemon) continue;
        if (match.regionId !== undefined && w.regionId !== match.regionId) continue;
        if (match.subspace !== undefined && w.subspace !== match.subspace) continue;
        if (match.key !== undefined && w.key.toString('latin1') !== match.key) continue;
        out.push({ tick: b.tick, daemon: b.daemon, configVersion: b.configVersion, write: w });
      }
    return out;
  }

  /** An object's values in schema order: the given attributes, defaults for the rest. */
  object(space: SpaceLayout, attrs: Attrs): Buffer[] {
    return space.spec.attributes.map((a) => (a.name in attrs ? encodeValue(a.type, attrs[a.name]) : defaultValueBytes(a.type)));
  }

  /** A get's answer as attribute values, null for NOTFOUND, undefined while unknown or failed. */
  valuesOf(op: HistoryOp): Record<string, Value> | null | undefined {
    const r = op.reply;
    if (!r || r.kind !== 'get' || op.request.kind !== 'get') return undefined;
    if (r.status === Status.NOTFOUND) return null;
    if (r.status !== Status.SUCCESS || !r.values) return undefined;
    const spec = this.specs.get(op.request.spaceId)!;
    return Object.fromEntries(spec.attributes.map((a, i) => [a.name, decodeValue(a.type, r.values![i])]));
  }

  // ---- checking ------------------------------------------------------------------------------------

  /** Reads keys back from a new client, which follows the newest configuration. */
  readBack(space: SpaceLayout, keys: readonly string[], ticksMax = 1_000): HistoryOp[] {
    const c = this.client();
    const ops = keys.map((k) => this.get(c, space, k));
    this.waitFor(ops, ticksMax);
    return ops;
  }

  /** The checkers of the random runs, space by space: linearizable keys, searches within bounds. */
  check(): CheckResult {
    let searchesChecked = 0;
    for (const [id, spec] of this.specs) {
      const r = checkHistory(
        spec,
        this.history.filter((h) => h.request.spaceId === id),
        this.searches.filter((h) => h.request.spaceId === id),
      );
      if (!r.ok) return { ...r, problem: `space ${spec.name}: ${r.problem}`, searchesChecked: searchesChecked + r.searchesChecked };
      searchesChecked += r.searchesChecked;
    }
    return { ok: true, searchesChecked };
  }

  /**
   * For keys written only by this script's puts: each read must return what one of the puts it
   * may follow left, in the attributes that put named. A put may be last unless an acknowledged
   * put began after it ended and ended before the read began; a put whose outcome its client never
   * learned may be last at any time after its call. NOTFOUND only while no put was acknowledged
   * before the read. Returns what is wrong, one line per read.
   */
  expectLatest(reads: readonly HistoryOp[]): string[] {
    const problems: string[] = [];
    for (const read of reads) {
      if (read.request.kind !== 'get') continue;
      const key = read.request.key.toString('latin1');
      const got = read.reply?.kind === 'get' && read.reply.status === Status.SUCCESS ? read.reply.values! : read.reply?.status === Status.NOTFOUND ? null : undefined;
      if (got === undefined) {
        problems.push(`read of ${key} did not answer (${read.reply ? read.reply.status : 'no reply'})`);
        continue;
      }
      const puts = (this.puts.get(`${read.request.spaceId}:${key}`) ?? []).filter((p) => p.op.call < (read.ret ?? Infinity));
      const ackedBefore = puts.filter((p) => p.op.reply?.status === Status.SUCCESS && p.op.ret !== undefined && p.op.ret < read.call);
      const failed = (p: (typeof puts)[number]) => p.op.ret !== undefined && p.op.reply?.status !== Status.SUCCESS;
      const superseded = (p: (typeof puts)[number]) => p.op.ret !== undefined && ackedBefore.some((q) => q.op.call > p.op.ret!);
      const candidates = puts.filter((p) => !failed(p) && !superseded(p));
      const matches = (p: (typeof puts)[number]) => got !== null && p.named.every((i) => p.values[i].equals(got[i]));
      const ok = got === null ? ackedBefore.length === 0 : candidates.some(matches);
      if (!ok) problems.push(`read of ${key} [${read.call}, ${read.ret}] returned ${got === null ? 'NOTFOUND' : JSON.stringify(got.map((b) => b.toString('hex')))}, which no put it may follow left`);
    }
    return problems;
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** Every daemon that runs follows the newest configuration (a crashed or frozen one hears nothing). */
  private daemonsConfigured(): boolean {
    const v = this.config().version;
    for (const d of this.world.daemons.values()) if (d.alive && !d.frozen && d.core && d.core.configVersion < v) return false;
    return true;
  }

  private configured(): boolean {
    const v = this.config().version;
    return this.daemonsConfigured() && this.world.clients.every((c) => c.config.version >= v);
  }

  private failIfBroken(): void {
    if (this.world.failure) throw this.error(`the cluster broke: ${this.world.failure.stack ?? this.world.failure.message}`);
  }

  /** An error with the end of the trace, so that a failing scenario shows what led to it. */
  error(message: string): ScriptError {
    const tail = this.world.trace ? `\n--- last ${TRACE_TAIL_LINES} lines of the trace ---\n${this.world.trace.slice(-TRACE_TAIL_LINES).join('\n')}` : '';
    return new ScriptError(`tick ${this.world.now}: ${message}${tail}`);
  }
}
