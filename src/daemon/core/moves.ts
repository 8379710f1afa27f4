// Moving a region to its next head: when a configuration marks a region this daemon heads as
// `moving`, it tells the next head to drop what it has of the region (a reset), copies each key
// (a window of them in flight, each key held until its copy is acknowledged) and then reports
// the copy done to the coordinator, again and again until the configuration shows the move done.

import { ServerId } from '../../common/config';
import { Status } from '../../common/protocol';
import { RegionChanges } from '../changes';
import { Clock } from './clock';
import { Effects } from './effects';
import { Messenger } from './messenger';
import { Regions } from './regions';
import { enqueue, KeySlots, Slot } from './slots';
import { PeerMessage } from './types';

/** Ticks between reports of a finished copy to the coordinator, until it acts. */
export const MOVED_REPORT_TICKS = 10;
/** Objects of a moving region in flight to its next head at once. */
export const MOVE_WINDOW = 64;

/** A copy of one region to its next head, under way. */
interface Move {
  readonly regionId: number;
  readonly to: ServerId;
  /** The configuration the copy began under: the coordinator ignores reports of an earlier move. */
  readonly startVersion: number;
  /** The region's keys as scanned after the reset; `next` is the first not yet queued for copying. */
  rows: Buffer[];
  next: number;
  /** Keys queued or being copied, not yet acknowledged (at most MOVE_WINDOW). */
  inflight: number;
}

export class Mover {
  private readonly moves = new Map<number, Move>();
  /** Copies done and reported, until the configuration shows the move done or cancelled. */
  private readonly movedReports = new Map<number, { to: ServerId; startVersion: number }>();
  private lastMovedReport = 0;

  constructor(
    private readonly serverId: ServerId,
    private readonly clock: Clock,
    private readonly effects: Pick<Effects, 'report' | 'scan'>,
    private readonly regions: Pick<Regions, 'ref' | 'version'>,
    private readonly keys: Pick<KeySlots, 'hold' | 'release' | 'schedule' | 'slotFor'>,
    private readonly messenger: Pick<Messenger, 'newId' | 'sendTracked'>,
  ) {}

  /** Moves under way. */
  get count(): number {
    return this.moves.size;
  }

  /**
   * A new configuration is installed: moves it no longer shows (or shows to another daemon) stop,
   * reports it no longer needs end, and moves it starts begin.
   */
  reconfigured(movesStarted: RegionChanges['movesStarted']): void {
    for (const [id, to] of [...this.moves]) {
      const cur = this.regions.ref(id);
      if (!cur || cur.region.replicas[0] !== this.serverId || cur.region.moving !== to.to) this.moves.delete(id);
    }
    for (const [id, r] of [...this.movedReports]) if (this.regions.ref(id)?.region.moving !== r.to) this.movedReports.delete(id);
    for (const mv of movesStarted) this.startMove(mv.region.id, mv.to);
  }

  /** At a tick: every copy done is reported again, each MOVED_REPORT_TICKS, until the coordinator acts. */
  reportDue(): void {
    if (this.clock.now - this.lastMovedReport >= MOVED_REPORT_TICKS) {
      this.lastMovedReport = this.clock.now;
      for (const [regionId, r] of this.movedReports) this.effects.report({ type: 'region-moved', configVersion: r.startVersion, regionId, to: r.to });
    }
  }

  /**
   * A new link to the coordinator (a reconnection): copies reported on an earlier link, whose move
   * the configuration still shows pending, are copied again rather than reported again. The move
   * may have been cancelled and begun again while this daemon was away, unseen here, and the
   * coordinator ignores a report of a copy begun before the move's latest start.
   */
  onCoordinatorLink(): void {
    for (const [id, r] of [...this.movedReports]) {
      this.movedReports.delete(id);
      const ref = this.regions.ref(id);
      if (this.moves.get(id)?.to === r.to) this.moves.delete(id);
      if (ref && ref.region.replicas[0] === this.serverId && ref.region.moving === r.to) this.startMove(id, r.to);
    }
  }

  private startMove(regionId: number, to: ServerId): void {
    if (this.moves.has(regionId)) return;
    const mv: Move = { regionId, to, startVersion: this.regions.version, rows: [], next: 0, inflight: 0 };
    this.moves.set(regionId, mv);
    const live = () => this.moves.get(regionId) === mv;
    const reset: PeerMessage = { type: 'reset', id: this.messenger.newId(), configVersion: this.regions.version, regionId };
    this.messenger.sendTracked(
      reset,
      () => (live() ? to : null),
      () => {
        if (!live()) return;
        const ref = this.regions.ref(regionId);
        if (!ref) return;
        this.effects.scan(ref.address, undefined, (rows) => {
          if (!live()) return;
          mv.rows = rows.map(([k]) => k);
          this.pumpMove(mv);
        });
      },
    );
  }

  private pumpMove(mv: Move): void {
    const live = () => this.moves.get(mv.regionId) === mv;
    while (live() && mv.inflight < MOVE_WINDOW && mv.next < mv.rows.length) {
      const key = mv.rows[mv.next++];
      mv.inflight++;
      const slot = this.keys.slotFor(mv.regionId, key);
      enqueue(slot, (s) => this.copyKey(s, mv));
      this.keys.schedule(slot);
    }
    if (live() && mv.inflight === 0 && mv.next >= mv.rows.length) {
      this.movedReports.set(mv.regionId, { to: mv.to, startVersion: mv.startVersion });
      this.effects.report({ type: 'region-moved', configVersion: mv.startVersion, regionId: mv.regionId, to: mv.to });
    }
  }

  /** Copies one key of a moving region; the key waits until the copy is acknowledged. */
  private copyKey(slot: Slot, mv: Move): void {
    const live = () => this.moves.get(mv.regionId) === mv;
    const ref = this.regions.ref(mv.regionId);
    if (!live() || !slot.record || !ref) {
      mv.inflight--;
      return this.pumpMove(mv);
    }
    this.keys.hold(slot);
    const message: PeerMessage = { type: 'update', id: this.messenger.newId(), configVersion: this.regions.version, spaceId: ref.space.id, subspace: ref.subspace, regionId: mv.regionId, key: slot.key, record: slot.record, transfer: true };
    this.messenger.sendTracked(
      message,
      () => (live() ? mv.to : null),
      () => {
        mv.inflight--;
        this.keys.release(slot);
        this.pumpMove(mv);
      },
      (status) => status === Status.UNKNOWNSPACE || !live(),
    );
  }
}
