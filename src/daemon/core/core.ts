// A daemon's deterministic core: every decision the daemon makes, with no I/O. The shell feeds it
// events (step) and carries out the Ready it returns. See docs/architecture.md, "The core".
//
// Writes: a key's writes enter at its point leader (the head of its key region), which orders
// them with versions, applies them (apply.ts) to the newest record and commits them: first the
// key's record and an intent, durably, in one batch; then an update to the head of each secondary
// region that gains or loses the object (and, while a region moves, to its next head); the client
// hears back when every one is acknowledged, and the intent is cleared. A point leader that
// restarts redoes the chains of its intents. Writes of a key that arrive while it commits wait and
// commit together. Every replica applies an update only when it is newer than what it holds.

import { attributeByName } from '../../common/schema';
import { findServer } from '../../common/config';
import { axisInterval } from '../../common/planner';
import { ClusterConfig, findSpaceById, keyRegion, ServerId, SpaceLayout } from '../../common/config';
import { firstFailingCheck, resolveChecks } from '../../common/predicate';
import { AtomicFlag, Status } from '../../common/protocol';
import { checkKey, Outcome } from '../apply';
import { regionChanges } from '../changes';
import { assert } from './assert';
import { TickClock } from './clock';
import { Effects, Rows } from './effects';
import { Messenger, PeerRequest } from './messenger';
import { addressOf, HANDOFF_WAIT_TICKS, RegionRef, Regions } from './regions';
import { Mover } from './moves';
import { CONFIG_WAIT_TICKS, Parkable, Parking } from './parking';
import { PointLeader } from './point-leader';
import { Replica } from './replica';
import { failureReply, getReply, reconfigure, writeReply } from './replies';
import { KEY_WRITES_MAX, KeySlots } from './slots';
import { WireCheck } from '../../common/messages';
import { ClientRequest, CoreEvent, CoreStore, Intent, PeerMessage, Ready, StoredRecord, StoreWrite } from './types';


export { CoreAssertionError } from './assert';
export { HANDOFF_WAIT_TICKS } from './regions';
export { CONFIG_WAIT_TICKS, PARKED_MAX } from './parking';
export { MOVE_WINDOW, MOVED_REPORT_TICKS } from './moves';
export { GROUP_MAX } from './point-leader';
export { KEY_WRITES_MAX } from './slots';


export interface CoreOptions {
  readonly serverId: ServerId;
  /** Grows with every start of this daemon (message ids of an earlier life are then ignored). */
  readonly incarnation: number;
  readonly store: CoreStore;
  /** Intents found in the store at start: chains to finish. */
  readonly intents?: readonly Intent[];
  /** Ticks between sends of an unacknowledged message (default RESEND_TICKS). */
  readonly resendTicks?: number;
}

export class DaemonCore {
  readonly serverId: ServerId;
  private readonly effects = new Effects();
  private readonly clock = new TickClock();
  private readonly messenger: Messenger;
  private readonly keys: KeySlots;
  private readonly parking: Parking;
  private readonly regions: Regions;
  private readonly mover: Mover;
  private readonly leader: PointLeader;
  private readonly replica: Replica;

  constructor(opts: CoreOptions) {
    this.serverId = opts.serverId;
    this.messenger = new Messenger(opts.serverId, opts.incarnation, opts.resendTicks, this.clock, this.effects);
    this.regions = new Regions(opts.serverId, this.clock, this.effects, this.messenger);
    this.parking = new Parking(this.clock, (e) => this.redispatch(e), (e, o) => this.refuse(e, o));
    this.keys = new KeySlots(opts.store, this.effects, this.regions, (slot) => this.leader.startCommit(slot));
    this.leader = new PointLeader(opts.serverId, opts.store, this.effects, this.regions, this.keys, this.messenger, opts.intents ?? []);
    this.mover = new Mover(opts.serverId, this.clock, this.effects, this.regions, this.keys, this.messenger);
    this.replica = new Replica(opts.serverId, this.effects, this.regions, this.keys, this.messenger, this.parking);
  }

  get configVersion(): number {
    return this.regions.version;
  }

  /** Hands the core one event; returns what the shell must do. */
  step(ev: CoreEvent): Ready {
    this.dispatch(ev);
    for (let i = 0, m = this.messenger.takeFromSelf(); m; i++, m = this.messenger.takeFromSelf()) {
      assert(i < 1_000_000, 'messages to self keep coming');
      this.onPeer(this.serverId, m);
    }
    this.checkInvariants();
    return this.effects.take();
  }

  private dispatch(ev: CoreEvent): void {
    switch (ev.type) {
      case 'config':
        return this.installConfig(ev.config);
      case 'request':
        return this.onRequest(ev);
      case 'peer':
        return this.onPeer(ev.from, ev.message);
      case 'loaded':
        return this.effects.loaded(ev.token, ev.record);
      case 'persisted':
        return this.effects.persisted(ev.token, ev.ok, ev.message ?? '');
      case 'scanned':
        return this.effects.scanned(ev.token, ev.rows);
      case 'tick':
        return this.onTick();
      case 'coordinator-link':
        return this.mover.onCoordinatorLink();
    }
  }

  // ---- configuration and regions ---------------------------------------------------------------

  private installConfig(next: ClusterConfig): void {
    const old = this.regions.config;
    if (next.version <= old.version) return;
    const changes = regionChanges(old, next, this.serverId);
    this.regions.install(next);
    for (const s of old.spaces) if (!findSpaceById(next, s.id)) this.dropSpace(s.id);
    this.regions.awaitHandoffs(old);
    this.regions.lose(changes.lost);
    this.mover.reconfigured(changes.movesStarted);
    this.leader.redoIntents();
    this.regions.drain();
    this.parking.unpark();
  }

  private dropSpace(spaceId: number): void {
    this.persist([{ op: 'drop-space', spaceId }], () => undefined);
    this.keys.dropSpace(spaceId);
  }

  // ---- parking: waiting for a configuration or a handoff ----------------------------------------

  private redispatch(event: Parkable): void {
    if (event.type === 'peer') this.handlePeer(event.from, event.message as PeerRequest);
    else this.onRequest(event);
  }

  private refuse(event: Parkable, outcome: Outcome): void {
    if (event.type === 'peer') return this.messenger.forget(event.from, event.message.id);
    this.replyFailure(event.client, event.requestId, event.request, outcome);
  }

  // ---- client requests --------------------------------------------------------------------------

  private onRequest(ev: Extract<CoreEvent, { type: 'request' }>): void {
    const req = ev.request;
    if (req.configVersion > this.regions.version) return this.parking.park(ev, CONFIG_WAIT_TICKS);
    const space = findSpaceById(this.regions.config, req.spaceId);
    if (!space) return this.replyFailure(ev.client, ev.requestId, req, { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${req.spaceId} (configuration ${this.regions.version})` });
    if (req.kind === 'search' || req.kind === 'count' || req.kind === 'group-del') return this.onSearch(ev, space, req);
    const bad = checkKey(space.spec, req.key);
    if (bad) return this.replyFailure(ev.client, ev.requestId, req, bad);
    const region = keyRegion(space, req.key);
    const served = this.regions.served(region.id);
    if (served === 'wait') return this.parking.park(ev, HANDOFF_WAIT_TICKS);
    if (!('space' in served)) return this.replyFailure(ev.client, ev.requestId, req, served);
    const slot = this.keys.slotFor(region.id, req.key);
    if (req.kind === 'get') {
      slot.readers.push((s) => this.replyGet(ev.client, ev.requestId, s.stable ?? null));
    } else {
      if (slot.writes.length >= KEY_WRITES_MAX) return this.replyFailure(ev.client, ev.requestId, req, { status: Status.OVERFLOW, attr: '', message: `over ${KEY_WRITES_MAX} writes wait for this key` });
      slot.writes.push({ request: req, respond: (o) => this.replyWrite(ev.client, ev.requestId, o) });
    }
    this.keys.schedule(slot);
  }

  private replyFailure(client: number, requestId: number, req: ClientRequest, o: Outcome): void {
    this.effects.reply(client, requestId, failureReply(req, o));
  }

  private replyWrite(client: number, requestId: number, o: Outcome): void {
    this.effects.reply(client, requestId, writeReply(o));
  }

  private replyGet(client: number, requestId: number, rec: StoredRecord | null): void {
    this.effects.reply(client, requestId, getReply(rec));
  }

  // ---- messages between daemons -----------------------------------------------------------------

  private onPeer(from: ServerId, m: PeerMessage): void {
    const request = this.messenger.receive(from, m);
    if (request) this.handlePeer(from, request);
  }

  /** A message admitted once (not a resend): parked and handled again without the check. */
  private handlePeer(from: ServerId, m: PeerRequest): void {
    if (m.configVersion > this.regions.version) return this.parking.park({ type: 'peer', from, message: m }, CONFIG_WAIT_TICKS);
    if (m.type === 'update') return this.replica.onUpdate(from, m);
    if (m.type === 'reset') return this.replica.onReset(from, m);
    if (m.type === 'erase') return this.onErase(from, m);
    return this.replica.onHandoff(from, m);
  }

  // ---- searches and counts ---------------------------------------------------------------------

  private scanRegion(ref: RegionRef, interval: readonly [bigint, bigint] | undefined, then: (rows: Rows) => void): void {
    this.effects.scan(addressOf(ref), interval, then);
  }

  private onSearch(ev: Extract<CoreEvent, { type: 'request' }>, space: SpaceLayout, req: Extract<ClientRequest, { kind: 'search' | 'count' | 'group-del' }>): void {
    const fail = (o: Outcome) => this.replyFailure(ev.client, ev.requestId, req, o);
    if (req.subspace >= space.subspaces.length) return fail({ status: Status.BADREQUEST, attr: '', message: `space ${space.name} has no subspace ${req.subspace}` });
    const checks = resolveChecks(space.spec, req.checks);
    if (!Array.isArray(checks)) return fail(checks);
    for (const id of req.regions) {
      const served = this.regions.served(id);
      if (served === 'wait') return this.parking.park(ev, HANDOFF_WAIT_TICKS);
      if (!('space' in served) || served.space.id !== space.id || served.subspace !== req.subspace) return fail('space' in served ? reconfigure(`region ${id} is not of subspace ${req.subspace}`) : served);
    }
    const objects: { key: Buffer; values: readonly Buffer[] }[] = [];
    let waiting = req.regions.length;
    const finish = () => {
      if (req.kind === 'group-del') return this.eraseMatches(space, objects.map((o) => o.key), req.checks, (count) => this.effects.reply(ev.client, ev.requestId, { kind: 'group-del', status: Status.SUCCESS, message: '', count }));
      if (req.kind === 'count') this.effects.reply(ev.client, ev.requestId, { kind: 'count', status: Status.SUCCESS, message: '', count: objects.length });
      else this.effects.reply(ev.client, ev.requestId, { kind: 'search', status: Status.SUCCESS, message: '', objects });
    };
    // The store may read only the interval of the subspace's first axis that the checks allow.
    const first = space.subspaces[req.subspace].attributes[0];
    const firstAttr = attributeByName(space.spec, first)!;
    const interval = req.subspace > 0 ? axisInterval(firstAttr.attr.type, req.checks.filter((c) => c.name === first)) : undefined;
    for (const id of req.regions) {
      this.regions.addWork(id, 1);
      this.scanRegion(this.regions.ref(id)!, interval ?? undefined, (rows) => {
        for (const [key, rec] of rows) if (rec.values && !firstFailingCheck(checks, key, rec.values)) objects.push({ key, values: rec.values });
        this.regions.addWork(id, -1);
        if (--waiting === 0) finish();
      });
    }
    if (waiting === 0) finish();
  }

  /**
   * group_del's deletes: each match is erased through its point leader, which deletes it only if
   * it still matches then. `done` gets how many were deleted.
   */
  private eraseMatches(space: SpaceLayout, keys: readonly Buffer[], checks: readonly WireCheck[], done: (count: number) => void): void {
    let waiting = keys.length;
    let deleted = 0;
    if (waiting === 0) return done(0);
    for (const key of keys) {
      const message: PeerMessage = { type: 'erase', id: this.messenger.newId(), configVersion: this.regions.version, spaceId: space.id, key, checks };
      const leader = () => {
        const now = findSpaceById(this.regions.config, space.id);
        return now ? keyRegion(now, key).replicas[0] : null;
      };
      // An erase is not idempotent: it goes to one point leader until that one answers that it
      // did nothing (RECONFIGURE); only then to the next. Sent elsewhere after a silence, it could
      // be applied twice and delete a newer object.
      let to = leader();
      this.messenger.sendTracked(
        message,
        () => (to === null || to === undefined || findServer(this.regions.config, to) ? to : null),
        (status) => {
          if (status === Status.SUCCESS) deleted++;
          if (--waiting === 0) done(deleted);
        },
        (status) => {
          if (status !== Status.RECONFIGURE) return true;
          to = leader();
          return false;
        },
      );
    }
  }

  /** An erase from a group_del: a write at this point leader whose outcome goes back as the ack. */
  private onErase(from: ServerId, m: Extract<PeerMessage, { type: 'erase' }>): void {
    const space = findSpaceById(this.regions.config, m.spaceId);
    if (!space) return this.messenger.ack(from, m, Status.UNKNOWNSPACE, `no space with id ${m.spaceId}`);
    if (checkKey(space.spec, m.key)) return this.messenger.ack(from, m, Status.BADREQUEST, 'a malformed key');
    const region = keyRegion(space, m.key);
    const served = this.regions.served(region.id);
    if (served === 'wait') return this.parking.park({ type: 'peer', from, message: m }, HANDOFF_WAIT_TICKS);
    if (!('space' in served)) return this.messenger.ack(from, m, served.status, served.message);
    const request = { configVersion: this.regions.version, spaceId: m.spaceId, key: m.key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: m.checks, funcs: [] };
    const slot = this.keys.slotFor(region.id, m.key);
    slot.writes.push({ request, respond: (o) => this.messenger.ack(from, m, o.status, o.message) });
    this.keys.schedule(slot);
  }

  // ---- storage and time -------------------------------------------------------------------------

  private persist(writes: StoreWrite[], done: (ok: boolean, message: string) => void): void {
    this.effects.persist(writes, done);
  }

  private onTick(): void {
    this.clock.tick();
    this.messenger.resendDue(this.regions.version);
    this.regions.expireHandoffWaits();
    this.mover.reportDue();
    this.parking.expire(this.regions.version);
    this.regions.drain();
  }

  // ---- invariants ---------------------------------------------------------------------------------

  /** Checked after every step; cheap enough to keep on. */
  private checkInvariants(): void {
    this.parking.checkInvariants();
    this.regions.checkInvariants();
  }

  /** For tests and the simulator: how much the core holds. */
  stats(): { slots: number; parked: number; outstanding: number; moves: number; awaitingHandoff: number } {
    return { slots: this.keys.size, parked: this.parking.size, outstanding: this.messenger.outstanding, moves: this.mover.count, awaitingHandoff: this.regions.awaitingCount };
  }
}
