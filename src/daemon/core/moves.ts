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
    for (const [id, mv] of [...this.moves]) {
      const cur = this.regions.ref(id);
      if (!cur || cur.region.replicas[0] !== this.serverId || cur.region.moving !== mv.to) this.moves.delete(id);
      // The move began again after this copy did (cancelled and begun again, unseen here).
      else if (begunSince(cur.region.movingSince, mv.startVersion)) this.restart(id, mv.to);
    }
    for (const [id, r] of [...this.movedReports]) {
      const cur = this.regions.ref(id);
      if (cur?.region.moving !== r.to) this.movedReports.delete(id);
      else if (begunSince(cur.region.movingSince, r.startVersion)) this.restart(id, r.to);
    }
    for (const mv of movesStarted) this.startMove(mv.region.id, mv.to);
  }

  /** Copies a region again from the start: an earlier copy's report would be ignored. */
  private restart(regionId: number, to: ServerId): void {
    this.moves.delete(regionId);
    this.movedReports.delete(regionId);
    this.startMove(regionId, to);
  }

  /** At a tick: every copy done is reported again, each MOVED_REPORT_TICKS, until the coordinator acts. */
  reportDue(): void {
    if (this.clock.now - this.lastMovedReport >= MOVED_REPORT_TICKS) {
      this.lastMovedReport = this.clock.now;
      for (const [regionId, r] of this.movedReports) this.effects.report({ type: 'region-moved', configVersion: r.startVersion, regionId, to: r.to });
    }
  }

  /**
   * A new link to the coordinator (a reconnection): the copies done are reported again at once, in
   * case the reports were lost with the old link. A copy is never begun again here: a report sent
   * just before may have completed the move already, and a reset would then empty the region at
   * its new head. If the move was cancelled and begun again meanwhile, the configuration says so
   * (movingSince), and reconfigured copies again.
   */
  onCoordinatorLink(): void {
    for (const [regionId, r] of this.movedReports) this.effects.report({ type: 'region-moved', configVersion: r.startVersion, regionId, to: r.to });
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

/** Whether a move that began in `since` (RegionLayout.movingSince) began after a copy begun in `startVersion`. */
function begunSince(since: number | undefined, startVersion: number): boolean {
  return since !== undefined && since > startVersion;
}
