// What this daemon is to each region under the configuration it knows: the head that serves it
// (once the previous head has handed it off), a replica, or a previous head that still forwards
// late writes to the new one. Also the work in progress per region, so that a region lost to
// another head is handed off and dropped here only when nothing of it is still in flight.

import { axisCoordinate, ClusterConfig, EMPTY_CONFIG, RegionLayout, ServerId } from '../../common/config';
import { Status } from '../../common/protocol';
import { Outcome } from '../apply';
import { RegionChanges, RegionRef, regionRefs } from '../changes';
import { assert } from './assert';
import { Clock } from './clock';
import { Effects } from './effects';
import { Messenger } from './messenger';
import { reconfigure } from './replies';
import { StoredRecord, StoreWrite } from './types';

export { RegionRef } from '../changes';

/** Ticks a new head waits for the old head's handoff before serving a region anyway. */
export const HANDOFF_WAIT_TICKS = 200;

export class Regions {
  private current: ClusterConfig = EMPTY_CONFIG;
  private index = new Map<number, RegionRef>();
  /** Regions this daemon heads but may not serve until the previous head hands them off: since when. */
  private readonly awaitingHandoff = new Map<number, number>();
  /** Handoffs that came before the configuration that makes this daemon the head. */
  private readonly handoffsEarly = new Set<number>();
  /**
   * Work in progress per region (busy keys, scans): a region is handed off when it has none. A
   * count that falls to zero stays (as 0): a map emptied and filled again on every write would
   * be made anew each time. Pruned to the regions of the configuration at each install.
   */
  private readonly work = new Map<number, number>();
  /** Regions lost to another head, waiting for their work to end before the handoff. */
  private readonly draining = new Map<number, ServerId | undefined>();

  constructor(
    private readonly serverId: ServerId,
    private readonly clock: Clock,
    private readonly effects: Pick<Effects, 'persist'>,
    private readonly messenger: Pick<Messenger, 'newId' | 'sendTracked'>,
    /** Ticks a new head waits for the previous head's handoff (HANDOFF_WAIT_TICKS at least). */
    readonly handoffWait: () => number = () => HANDOFF_WAIT_TICKS,
  ) {}

  get config(): ClusterConfig {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  /** A region of the current configuration. */
  ref(regionId: number): RegionRef | undefined {
    return this.index.get(regionId);
  }

  /** Regions this daemon heads but does not serve yet. */
  get awaitingCount(): number {
    return this.awaitingHandoff.size;
  }

  /** Makes `next` the current configuration (newer than the current one). */
  install(next: ClusterConfig): void {
    assert(next.version > this.current.version, () => `configuration ${next.version} after ${this.current.version}`);
    this.current = next;
    this.index = regionRefs(next);
    for (const [id, n] of this.work) if (n === 0 && !this.index.has(id)) this.work.delete(id);
  }

  /**
   * A region handed over to this daemon by a move is served once its previous head says it is
   * done with it, whatever configurations this daemon missed in between.
   */
  awaitHandoffs(old: ClusterConfig): void {
    for (const ref of this.index.values()) {
      const r = ref.region;
      if (r.replicas[0] !== this.serverId || r.handoffFrom === undefined || r.handoffFrom === this.serverId) continue;
      const before = regionIn(old, r.id);
      if (before && before.replicas[0] === this.serverId && before.handoffFrom === r.handoffFrom) continue;
      if (this.handoffsEarly.delete(r.id)) continue;
      this.awaitingHandoff.set(r.id, this.clock.now);
    }
  }

  /** The previous head is done with a region: this daemon may serve it (now, or once it heads it). */
  handoffArrived(regionId: number): void {
    if (!this.awaitingHandoff.delete(regionId)) this.handoffsEarly.add(regionId);
  }

  /** Serves regions whose previous head stayed silent for the handoff wait (Lease.handoffWaitTicks). */
  expireHandoffWaits(): void {
    for (const [id, since] of [...this.awaitingHandoff]) if (this.clock.now - since >= this.handoffWait()) this.awaitingHandoff.delete(id);
  }

  awaitsHandoff(regionId: number): boolean {
    return this.awaitingHandoff.has(regionId);
  }

  /** The region, if this daemon heads it and may serve it now; else why not. */
  served(regionId: number): RegionRef | 'wait' | Outcome {
    const ref = this.index.get(regionId);
    if (!ref) return { status: Status.UNKNOWNSPACE, attr: '', message: `no region ${regionId} in configuration ${this.current.version}` };
    if (ref.region.replicas[0] !== this.serverId) return reconfigure(`server ${this.serverId} does not head region ${regionId}`);
    if (this.awaitingHandoff.has(regionId)) return 'wait';
    return ref;
  }

  /**
   * Where a write this daemon applied to a region must also go, or null: while the region moves,
   * its next head; after it moved away, its head (a late write, taken before this daemon learned of
   * the move: the new head waits for this daemon's handoff, so it is not lost). Not for a region
   * that is moving here or that this daemon never headed.
   */
  onwardOf(regionId: number): ServerId | null {
    const r = this.index.get(regionId)?.region;
    if (!r) return null;
    if (r.replicas[0] === this.serverId) return r.moving ?? null;
    if (r.moving === this.serverId) return null;
    return r.replicas[0] ?? null;
  }

  /**
   * A forward of a late write (taken here after the region moved away) that the region's head
   * refused: it waited for this daemon's handoff no longer. Sending it again would never end.
   */
  lateRefused(regionId: number, status: number): boolean {
    const r = this.index.get(regionId)?.region;
    return status === Status.RECONFIGURE && r !== undefined && r.replicas[0] !== this.serverId && r.moving !== this.serverId;
  }

  // ---- work in progress, and handing off lost regions -------------------------------------------

  /** Regions this daemon no longer heads: handed off to their new head once their work ends. */
  lose(lost: RegionChanges['lost']): void {
    for (const l of lost) this.draining.set(l.region.id, l.to);
  }

  hasWork(regionId: number): boolean {
    return (this.work.get(regionId) ?? 0) > 0;
  }

  addWork(regionId: number, n: number): void {
    const v = (this.work.get(regionId) ?? 0) + n;
    assert(v >= 0, () => `region ${regionId} work below zero`);
    this.work.set(regionId, v);
    if (v === 0 && this.draining.has(regionId)) this.drain();
  }

  /** Hands off every lost region that has no work left, then drops this daemon's copy of it. */
  drain(): void {
    for (const [id, to] of [...this.draining]) {
      if (this.hasWork(id)) continue;
      const ref = this.index.get(id);
      if (ref && (ref.region.replicas[0] === this.serverId || ref.region.moving === this.serverId)) {
        this.draining.delete(id); // it came back
        continue;
      }
      this.draining.delete(id);
      const drop = () => {
        const again = this.index.get(id);
        if (again && (again.region.replicas[0] === this.serverId || again.region.moving === this.serverId)) return;
        if (ref) this.effects.persist([{ op: 'drop-region', region: { spaceId: ref.space.id, subspace: ref.subspace, regionId: id } }], () => undefined);
      };
      if (to === undefined || to === this.serverId) drop();
      else this.messenger.sendTracked({ type: 'handoff', id: this.messenger.newId(), configVersion: this.current.version, regionId: id }, () => this.index.get(id)?.region.replicas[0] ?? null, drop);
    }
  }

  checkInvariants(): void {
    for (const [id, n] of this.work) assert(n >= 0, () => `region ${id} work count ${n}`);
  }
}

/** How a region stores an update of one key (one rule for chain steps, copies and forwards). */
export function updateWrite(ref: RegionRef, key: Buffer, record: StoredRecord): StoreWrite {
  const at = { regionId: ref.region.id, spaceId: ref.space.id, subspace: ref.subspace, key };
  // The key subspace keeps a deleted key's version (a tombstone); the others forget the object.
  if (ref.subspace === 0) return { op: 'put', ...at, record };
  if (record.values === null) return { op: 'del', ...at };
  return { op: 'put', ...at, record, coord: axisCoordinate(ref.space, ref.space.subspaces[ref.subspace].attributes[0], key, record.values) };
}

function regionIn(config: ClusterConfig, regionId: number): RegionLayout | undefined {
  for (const space of config.spaces) for (const ss of space.subspaces) for (const r of ss.regions) if (r.id === regionId) return r;
  return undefined;
}
