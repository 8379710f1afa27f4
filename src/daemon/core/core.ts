// A daemon's deterministic core: every decision the daemon makes, with no I/O. The shell feeds it
// events (step) and carries out the Ready it returns. See docs/architecture.md, "The daemon's core
// and the simulator".
//
// This class routes events to the parts that decide, each owning its own state:
//   regions.ts       what this daemon is to each region (head, replica, previous head), handoffs
//   messenger.ts     reliable messages between daemons (resends, acks, messages to itself),
//                    over peers.ts's bookkeeping of ids
//   slots.ts         the keys in use, their work one piece at a time, their loads
//   point-leader.ts  writes at a key's point leader: the commit and its chain, intents redone
//   replica.ts       updates at replicas, a moving region's reset, a previous head's handoff
//   moves.ts         copying a region to its next head, and reporting it to the coordinator
//   searches.ts      searches, counts and group_del (its erases at each point leader)
//   parking.ts       requests and messages waiting for a configuration or a handoff
//   effects.ts       the Ready being built, and who waits for each persist, load and scan
//   types.ts         the events in and the effects out; replies.ts, clock.ts, assert.ts: small helpers
// They are wired once, here, in an order that needs no part before it exists; a part that must
// call back into one built after it (a key's slot starting a commit) gets a function.

import { ClusterConfig, findSpaceById, keyRegion, ServerId } from '../../common/config';
import { Status } from '../../common/protocol';
import { checkKey, Outcome } from '../apply';
import { regionChanges } from '../changes';
import { assert } from './assert';
import { TickClock } from './clock';
import { Effects } from './effects';
import { Lease } from './lease';
import { Messenger, PeerRequest } from './messenger';
import { Mover } from './moves';
import { CONFIG_WAIT_TICKS, Parkable, Parking } from './parking';
import { PointLeader } from './point-leader';
import { Regions } from './regions';
import { Replica } from './replica';
import { failureReply, getReply, reconfigure } from './replies';
import { Searches } from './searches';
import { addReader, addWrite, KEY_WRITES_MAX, KeySlots } from './slots';
import { ClientHandle, ClientRequest, CoreEvent, CoreStore, Intent, PeerMessage, Ready, StoredRecord } from './types';

// The core's limits and waits, where they have always been imported from.
export { CoreAssertionError } from './assert';
export { MOVE_WINDOW, MOVED_REPORT_TICKS } from './moves';
export { CONFIG_WAIT_TICKS, PARKED_MAX } from './parking';
export { GROUP_MAX } from './point-leader';
export { HANDOFF_WAIT_TICKS } from './regions';
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
  private readonly lease = new Lease(this.clock);
  private readonly messenger: Messenger;
  private readonly keys: KeySlots;
  private readonly parking: Parking;
  private readonly regions: Regions;
  private readonly mover: Mover;
  private readonly searches: Searches;
  private readonly leader: PointLeader;
  private readonly replica: Replica;

  constructor(opts: CoreOptions) {
    this.serverId = opts.serverId;
    this.messenger = new Messenger(opts.serverId, opts.incarnation, opts.resendTicks, this.clock, this.effects);
    this.regions = new Regions(opts.serverId, this.clock, this.effects, this.messenger, () => this.lease.handoffWaitTicks);
    this.parking = new Parking(this.clock, (e) => this.redispatch(e), (e, o) => this.refuse(e, o));
    this.keys = new KeySlots(opts.store, this.effects, this.regions, (slot) => this.leader.startCommit(slot));
    this.leader = new PointLeader(opts.serverId, opts.store, this.effects, this.regions, this.keys, this.messenger, opts.intents ?? []);
    this.mover = new Mover(opts.serverId, this.clock, this.effects, this.regions, this.keys, this.messenger);
    this.searches = new Searches(this.effects, this.regions, this.keys, this.messenger, this.parking);
    this.replica = new Replica(opts.serverId, this.effects, this.regions, this.keys, this.messenger, this.parking);
  }

  get configVersion(): number {
    return this.regions.version;
  }

  /** Hands the core one event; returns what the shell must do. */
  step(ev: CoreEvent): Ready {
    return this.stepAll([ev]);
  }

  /**
   * Hands the core several events at once, in order: one Ready for them all. The shell gathers
   * what one turn of its event loop brought (a socket read's frames, a batch's completions), so
   * that the effects of many operations go out together.
   */
  stepAll(events: readonly CoreEvent[]): Ready {
    for (const ev of events) this.dispatch(ev);
    // What this daemon sent itself (a chain step to a region it also heads, say) is handled in this step.
    for (let i = 0; ; i++) {
      const m = this.messenger.takeFromSelf();
      if (!m) break;
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
        return this.onTick(ev.ticks ?? 1);
      case 'coordinator-heard':
        return this.lease.heard(ev.leaseTicks);
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
    this.keys.prune();
    this.parking.unpark();
  }

  private dropSpace(spaceId: number): void {
    this.effects.persist([{ op: 'drop-space', spaceId }], () => undefined);
    this.keys.dropSpace(spaceId);
  }

  // ---- parking: waiting for a configuration or a handoff ----------------------------------------

  /** A parked event's turn again: handled as if it had just come (a peer's, without the resend check). */
  private redispatch(event: Parkable): void {
    if (event.type === 'peer') this.handlePeer(event.from, event.message as PeerRequest);
    else this.onRequest(event);
  }

  /** A parked event given up: its client hears why; a peer's message is forgotten, to be handled when resent. */
  private refuse(event: Parkable, outcome: Outcome): void {
    if (event.type === 'peer') return this.messenger.forget(event.from, event.message.id);
    this.replyFailure(event.client, event.requestId, event.request, outcome);
  }

  // ---- client requests --------------------------------------------------------------------------

  /** A client's request: a get or write at its key's point leader, or a search at each region's head. */
  private onRequest(ev: Extract<CoreEvent, { type: 'request' }>): void {
    const req = ev.request;
    const silent = this.lease.expired();
    if (silent !== undefined) return this.replyFailure(ev.client, ev.requestId, req, reconfigure(`server ${this.serverId} has not heard from the coordinator for ${silent} ticks: it may no longer hold what it held`));
    if (req.configVersion > this.regions.version) return this.parking.park(ev, CONFIG_WAIT_TICKS);
    const space = findSpaceById(this.regions.config, req.spaceId);
    if (!space) return this.replyFailure(ev.client, ev.requestId, req, { status: Status.UNKNOWNSPACE, attr: '', message: `no space with id ${req.spaceId} (configuration ${this.regions.version})` });
    if (req.kind === 'search' || req.kind === 'count' || req.kind === 'group-del') return this.searches.onSearch(ev, space, req);
    const bad = checkKey(space.spec, req.key);
    if (bad) return this.replyFailure(ev.client, ev.requestId, req, bad);
    const region = keyRegion(space, req.key);
    const served = this.regions.served(region.id);
    if (served === 'wait') return this.parking.park(ev, this.lease.handoffWaitTicks);
    if (!('space' in served)) return this.replyFailure(ev.client, ev.requestId, req, served);
    if (req.kind === 'get') {
      // Most gets: nothing in flight for the key, and the store knows it; no slot needed.
      const known = this.keys.settled(served.address, req.key);
      if (known !== undefined) return this.replyGet(ev.client, ev.requestId, known);
    }
    const slot = this.keys.slotFor(region.id, req.key);
    if (req.kind === 'get') {
      addReader(slot, (s) => this.replyGet(ev.client, ev.requestId, s.stable ?? null));
    } else {
      if (slot.writes.length >= KEY_WRITES_MAX) return this.replyFailure(ev.client, ev.requestId, req, { status: Status.OVERFLOW, attr: '', message: `over ${KEY_WRITES_MAX} writes wait for this key` });
      addWrite(slot, { request: req, client: ev.client, requestId: ev.requestId });
    }
    this.keys.schedule(slot);
  }

  private replyFailure(client: ClientHandle, requestId: number, req: ClientRequest, o: Outcome): void {
    this.effects.reply(client, requestId, failureReply(req, o));
  }

  private replyGet(client: ClientHandle, requestId: number, rec: StoredRecord | null): void {
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
    if (m.type === 'erase') return this.searches.onErase(from, m);
    return this.replica.onHandoff(from, m);
  }

  // ---- time -------------------------------------------------------------------------------------

  private onTick(ticks: number): void {
    assert(Number.isInteger(ticks) && ticks >= 1, () => `a tick event of ${ticks} ticks`);
    this.clock.tick(ticks);
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
