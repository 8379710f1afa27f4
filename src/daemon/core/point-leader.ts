// Writes at the point leader (the head of a key's region): it orders a key's writes with versions,
// applies them (apply.ts) to the newest record and commits them. First the key's record and an
// intent, durably, in one batch; then an update to the head of each secondary region that gains or
// loses the object (and, while a region moves, to its next head); the client hears back when every
// one is acknowledged, and the intent is cleared. A point leader that restarts redoes the chains
// of its intents. Writes of a key that arrive while it commits wait and commit together.

import { findSpaceById, keyRegion, regionOf, ServerId, SpaceLayout } from '../../common/config';
import { Status } from '../../common/protocol';
import { applyAtomic, Outcome, StoredObject } from '../apply';
import { assert } from './assert';
import { Effects, NOTHING_WAITS } from './effects';
import { Messenger } from './messenger';
import { Regions, updateWrite } from './regions';
import { reconfigure } from './replies';
import { answerWrite, enqueue, KeySlots, PendingWrite, Slot, takeWrites } from './slots';
import { CoreStore, Intent, PeerMessage, StoredRecord, StoreWrite } from './types';

/** The write of a key's record at its point leader. */
type KeyPut = Extract<StoreWrite, { op: 'put' }>;

/** Writes of one key committed together at most. */
export const GROUP_MAX = 256;

/** A commit at the point leader: the chain of one group of writes. */
interface Commit {
  readonly slot: Slot;
  readonly space: SpaceLayout;
  readonly intent: Intent;
  /** The group's writes, and the outcome each is told once the commit ends (unless it fails). */
  readonly writes: readonly PendingWrite[];
  readonly outcomes: readonly Outcome[];
  /** Chain steps not yet acknowledged. */
  pending: number;
  /** The redo of an intent found at restart (see Slot.redoing). */
  readonly redo?: true;
  /**
   * Set when a late write's forward was refused: this daemon took the write after its region
   * moved away, and the new head, no longer waiting for this daemon's handoff, would not take it.
   */
  lost?: true;
}

/** What a client hears of a write taken by a point leader that no longer was one (Commit.lost). */
const LATE_WRITE_LOST: Outcome = {
  status: Status.SERVERERROR,
  attr: '',
  message: 'this daemon took the write after its region had moved away, and the new head did not take it: it did not take effect',
};

/** One update of a committed write: a region that gains or loses the object, or a forward. */
interface ChainStep {
  readonly regionId: number;
  readonly subspace: number;
  readonly values: readonly Buffer[] | null;
  /** To the region's next head (the key region's forward while it moves), not its head. */
  readonly transfer: boolean;
}

export class PointLeader {
  constructor(
    private readonly serverId: ServerId,
    private readonly store: CoreStore,
    private readonly effects: Pick<Effects, 'persist' | 'reply'>,
    private readonly regions: Pick<Regions, 'awaitsHandoff' | 'config' | 'lateRefused' | 'onwardOf' | 'ref' | 'served' | 'version'>,
    private readonly keys: Pick<KeySlots, 'existing' | 'hold' | 'release' | 'schedule' | 'slotFor'>,
    private readonly messenger: Pick<Messenger, 'newId' | 'sendTracked'>,
    /** Intents found in the store at start: chains to finish once a configuration is known. */
    private intents: readonly Intent[],
  ) {}

  /** Commits (up to GROUP_MAX of) the writes waiting on a free key whose record is known. */
  startCommit(slot: Slot): void {
    const group = takeWrites(slot, GROUP_MAX);
    const served = this.regions.served(slot.regionId);
    if (served === 'wait' || !('space' in served)) {
      const why = served === 'wait' ? reconfigure(`region ${slot.regionId} awaits its handoff`) : served;
      for (const w of group) answerWrite(this.effects, w, why);
      return;
    }
    const space = served.space;
    const base = slot.record!;
    const before = base?.values ? (base as StoredObject) : undefined;
    let state = before;
    let changed = false;
    const outcomes = new Array<Outcome>(group.length);
    for (let i = 0; i < group.length; i++) {
      const w = group[i];
      const r = applyAtomic(space.spec, slot.key, state, w.request!);
      w.request = null;
      outcomes[i] = r.outcome;
      if (r.next || r.erase) {
        state = r.next;
        changed = true;
      }
    }
    if (!changed) {
      for (let i = 0; i < group.length; i++) answerWrite(this.effects, group[i], outcomes[i]);
      return;
    }
    // Versions come from the record, tombstones included: a key's version never goes backwards.
    const version = (base?.version ?? 0) + 1;
    const record: StoredRecord = { version, values: state ? state.values : null };
    const intent: Intent = { spaceId: space.id, key: slot.key, version, before: before?.values ?? null, after: record.values };
    const keyWrite: KeyPut = { op: 'put', regionId: slot.regionId, spaceId: space.id, subspace: 0, key: slot.key, record };
    const commit: Commit = { slot, space, intent, writes: group, outcomes, pending: 0 };
    if (this.commitHere(commit, keyWrite)) return;
    this.keys.hold(slot);
    slot.record = record;
    const writes: StoreWrite[] = [
      keyWrite,
      { op: 'intent', spaceId: space.id, key: slot.key, intent },
    ];
    this.effects.persist(writes, (ok, message) => {
      if (ok) return this.driveChain(commit);
      // Nothing is known of a batch that failed: read the record again.
      slot.record = undefined;
      slot.stable = undefined;
      this.answer(commit, { status: Status.SERVERERROR, attr: '', message: `storage: ${message}` });
      this.keys.release(slot);
    });
  }

  /** Tells a commit's writes their outcomes, or all of them `instead`. */
  answer(commit: Commit, instead?: Outcome): void {
    for (let i = 0; i < commit.writes.length; i++) answerWrite(this.effects, commit.writes[i], instead ?? commit.outcomes[i]);
  }

  /**
   * A commit whose whole chain is here: every region it updates is headed and served by this
   * daemon, not moving, and its key free. Then the key's record and every update go in one batch,
   * which lands whole or not at all, so no intent is needed (nothing can be half done); the client
   * hears back when it is written. False when anything of the chain is elsewhere or busy.
   */
  private commitHere(commit: Commit, keyWrite: KeyPut): boolean {
    const { slot, space, intent } = commit;
    const steps = this.chainSteps(space, intent, slot.regionId);
    for (const s of steps) {
      const ref = this.regions.ref(s.regionId);
      if (s.transfer || !ref || ref.region.replicas[0] !== this.serverId || this.regions.awaitsHandoff(s.regionId) || this.regions.onwardOf(s.regionId) !== null) return false;
      const existing = this.keys.existing(s.regionId, intent.key);
      if (existing && (existing.busy || existing.record === undefined || existing.queue.length > 0)) return false;
    }
    // The whole chain is here and free: from now on nothing refuses.
    const here = new HereCommit(this, commit);
    const writes: StoreWrite[] = [keyWrite];
    slot.record = keyWrite.record;
    for (const s of steps) {
      const ref = this.regions.ref(s.regionId)!;
      const existing = this.keys.existing(s.regionId, intent.key);
      // What the region holds of the key need not be read: its updates come from this point
      // leader alone, which holds the key, so it is older than this version whatever it is.
      const held = existing ? existing.record : this.store.peek(ref.address, intent.key);
      assert(!held || held.version < intent.version, () => `region ${s.regionId} holds version ${held?.version} of a key at version ${intent.version}`);
      const record: StoredRecord = { version: intent.version, values: s.values };
      const target = existing ?? this.keys.slotFor(s.regionId, intent.key);
      target.record = s.values === null ? null : record;
      here.touched.push(target);
      writes.push(updateWrite(ref, intent.key, record));
    }
    for (const t of here.touched) this.keys.hold(t);
    this.effects.persist(writes, here);
    return true;
  }

  /** A one-batch commit is written: a region that began to move meanwhile gets it too, then the client hears. */
  hereWritten(here: HereCommit): void {
    let forwards: ChainStep[] | undefined;
    for (const t of here.touched)
      if (this.regions.onwardOf(t.regionId) !== null) (forwards ??= []).push({ regionId: t.regionId, subspace: t.address.subspace, values: t.record?.values ?? null, transfer: true });
    if (!forwards) return this.hereDone(here, true, '');
    const commit = here.commit;
    this.sendSteps(commit, forwards, () => this.hereDone(here, true, commit.lost ? LATE_WRITE_LOST.message : ''));
  }

  hereDone(here: HereCommit, ok: boolean, message: string): void {
    for (const t of here.touched) {
      // After a failed batch nothing is known of these keys: read them again.
      t.record = ok ? t.record : undefined;
      t.stable = t.record;
    }
    this.answer(here.commit, ok && message === '' ? undefined : ok ? LATE_WRITE_LOST : { status: Status.SERVERERROR, attr: '', message: `storage: ${message}` });
    for (const t of here.touched) this.keys.release(t);
  }

  /** The updates of a committed write: each secondary region's gain or loss, and the key region's next head. */
  private chainSteps(space: SpaceLayout, intent: Intent, keyRegionId: number): ChainStep[] {
    const steps: ChainStep[] = [];
    for (let i = 1; i < space.subspaces.length; i++) {
      const from = intent.before ? regionOf(space, i, intent.key, intent.before).id : undefined;
      const to = intent.after ? regionOf(space, i, intent.key, intent.after).id : undefined;
      if (to !== undefined) steps.push({ regionId: to, subspace: i, values: intent.after, transfer: false });
      if (from !== undefined && from !== to) steps.push({ regionId: from, subspace: i, values: null, transfer: false });
    }
    if (this.regions.onwardOf(keyRegionId) !== null) steps.push({ regionId: keyRegionId, subspace: 0, values: intent.after, transfer: true });
    return steps;
  }

  /**
   * Sends a commit's updates: first the key region's next head, if it moves or moved away (a late
   * write), then every region that gains or keeps the object, then, once those are acknowledged,
   * every region that loses it. An object
   * moving between two regions of a subspace is thus in both for a moment, never in neither, so a
   * search running then finds it (perhaps twice: clients keep one per key).
   */
  private driveChain(commit: Commit): void {
    const steps = this.chainSteps(commit.space, commit.intent, commit.slot.regionId);
    // The key region's next head first: a late write that head refuses (commit.lost) goes no
    // further, so no secondary region holds what the key region never took.
    const onward = steps.filter((s) => s.subspace === 0);
    const gains = steps.filter((s) => s.subspace > 0 && s.values !== null);
    const losses = steps.filter((s) => s.subspace > 0 && s.values === null);
    const rest = () => this.sendSteps(commit, gains, () => this.sendSteps(commit, losses, () => this.finishCommit(commit)));
    this.sendSteps(commit, onward, () => (commit.lost ? this.finishCommit(commit) : rest()));
  }

  private sendSteps(commit: Commit, steps: readonly ChainStep[], then: () => void): void {
    const { space, intent } = commit;
    commit.pending = steps.length;
    if (steps.length === 0) return then();
    for (const s of steps) {
      const record: StoredRecord = { version: intent.version, values: s.values };
      // The head of the region (or its next head, for the key region's forward); a region that
      // is gone (its space removed) needs nothing more.
      const target = () => {
        if (s.transfer) return this.regions.onwardOf(s.regionId);
        const ref = this.regions.ref(s.regionId);
        return ref ? ref.region.replicas[0] : null;
      };
      const message: PeerMessage = { type: 'update', id: this.messenger.newId(), configVersion: this.regions.version, spaceId: space.id, subspace: s.subspace, regionId: s.regionId, key: intent.key, record, transfer: s.transfer };
      const done = (status: number) => {
        if (status === Status.RECONFIGURE) commit.lost = true;
        commit.pending--;
        if (commit.pending === 0) then();
      };
      this.messenger.sendTracked(message, target, done, (status) => status === Status.UNKNOWNSPACE || (s.transfer && this.regions.lateRefused(s.regionId, status)));
    }
  }

  private finishCommit(commit: Commit): void {
    const { slot, intent } = commit;
    slot.stable = { version: intent.version, values: intent.after };
    if (commit.redo) slot.redoing = false;
    this.effects.persist([{ op: 'intent', spaceId: intent.spaceId, key: intent.key, intent: null }], NOTHING_WAITS);
    this.answer(commit, commit.lost ? LATE_WRITE_LOST : undefined);
    this.keys.release(slot);
  }

  /** After a restart: the chains of writes made durable here but perhaps not carried out. */
  redoIntents(): void {
    if (this.intents.length === 0) return;
    const intents = this.intents;
    this.intents = [];
    for (const intent of intents) {
      const space = findSpaceById(this.regions.config, intent.spaceId);
      if (!space) {
        this.effects.persist([{ op: 'intent', spaceId: intent.spaceId, key: intent.key, intent: null }], NOTHING_WAITS);
        continue;
      }
      const region = keyRegion(space, intent.key);
      const slot = this.keys.slotFor(region.id, intent.key);
      slot.redoing = true;
      enqueue(slot, (s) => {
        this.keys.hold(s);
        this.driveChain({ slot: s, space, intent, writes: [], outcomes: [], pending: 0, redo: true });
      });
      this.keys.schedule(slot);
    }
  }
}

/** A commit written in one batch (commitHere), told when the batch is written: no closure per write. */
class HereCommit {
  /** The key's slot and the slots of every region the batch updates, held until it is done. */
  readonly touched: Slot[];

  constructor(
    private readonly leader: PointLeader,
    readonly commit: Commit,
  ) {
    this.touched = [commit.slot];
  }

  persisted(ok: boolean, message: string): void {
    if (ok) this.leader.hereWritten(this);
    else this.leader.hereDone(this, false, message);
  }
}
