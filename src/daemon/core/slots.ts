// Per-key state the core keeps while a key is in use, and only then: what it knows of the key's
// record, and the work waiting for the key. Work on one key runs one piece at a time, so that a
// key's updates are applied, copied and forwarded in version order; a key that nothing uses has
// no slot (the store knows it). KeySlots keeps the slots and runs their work.

import { AtomicRequest } from '../../common/messages';
import { Status } from '../../common/protocol';
import { Outcome } from '../apply';
import { assert } from './assert';
import { Effects } from './effects';
import { Regions } from './regions';
import { writeReply } from './replies';
import { ClientHandle, CoreStore, RegionAddress, StoredRecord } from './types';

/** Writes waiting for one key at most; more are refused. */
export const KEY_WRITES_MAX = 4096;

/**
 * A write waiting at the point leader for its key: a client's (answered with a reply to its
 * handle), or a group_del's erase (whose `respond` is told the outcome). Either hears once the
 * write is decided and, if it changed anything, committed. `request` is let go (null) once it is
 * applied: its decoded operands need not live through the commit's store write (they were the
 * largest part of what each write kept alive across the garbage collector's young generation).
 */
export type PendingWrite =
  | { request: AtomicRequest | null; readonly client: ClientHandle; readonly requestId: number }
  | { request: AtomicRequest | null; readonly respond: (o: Outcome) => void };

/** Tells a pending write its outcome. */
export function answerWrite(effects: Pick<Effects, 'reply'>, w: PendingWrite, o: Outcome): void {
  if ('respond' in w) w.respond(o);
  else effects.reply(w.client, w.requestId, writeReply(o));
}

export interface Slot {
  /** The slot's name among its region's slots (slotName). */
  readonly name: string;
  readonly address: RegionAddress;
  readonly regionId: number;
  readonly key: Buffer;
  /** The record once every write begun here completes; undefined while it is being loaded. */
  record: StoredRecord | null | undefined;
  /** What reads see: the record as of the last write that completed (key regions only). */
  stable: StoredRecord | null | undefined;
  loading: boolean;
  /** A write, copy or forward of this key is in flight: the rest waits. */
  busy: boolean;
  /**
   * An intent found at restart is being redone (its chain carried out again): reads wait for it.
   * The record holds the intent's write, which the chain may not have carried to every region
   * yet; answering a get with it would let a search that follows miss what the get showed.
   */
  redoing: boolean;
  /**
   * Work to run, in order, once the record is known and the key is not busy. This list and the
   * two below are the shared empty NONE until their first entry (enqueue, addReader, addWrite):
   * most slots live for one write, and need one list at most.
   */
  queue: ((slot: Slot) => void)[];
  /** Reads waiting for the record to be known. */
  readers: ((slot: Slot) => void)[];
  /** Client writes at the point leader, committed together when the key is free. */
  writes: PendingWrite[];
}

/**
 * A slot's list that has had no entry: shared, and frozen so that a push on it throws. The first
 * entry makes a list of one as a literal, one entry long (a push onto [] makes room for 17).
 */
export const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Work for a key, run in order once its record is known and it is free. */
export function enqueue(slot: Slot, work: (slot: Slot) => void): void {
  if (slot.queue === NONE) slot.queue = [work];
  else slot.queue.push(work);
}

export function addReader(slot: Slot, reader: (slot: Slot) => void): void {
  if (slot.readers === NONE) slot.readers = [reader];
  else slot.readers.push(reader);
}

export function addWrite(slot: Slot, write: PendingWrite): void {
  if (slot.writes === NONE) slot.writes = [write];
  else slot.writes.push(write);
}

/** Up to `max` of the writes waiting on a slot, in order, taken off it. */
export function takeWrites(slot: Slot, max: number): PendingWrite[] {
  if (slot.writes.length <= max) {
    const all = slot.writes;
    slot.writes = NONE;
    return all;
  }
  return slot.writes.splice(0, max);
}

/** A key's name among its region's slots. */
function slotName(key: Buffer): string {
  return key.toString('latin1');
}

function newSlot(name: string, address: RegionAddress, key: Buffer): Slot {
  return { name, address, regionId: address.regionId, key, record: undefined, stable: undefined, loading: false, busy: false, redoing: false, queue: NONE, readers: NONE, writes: NONE };
}

/** A slot nothing needs any more: the store holds all it knows. */
function slotIdle(s: Slot): boolean {
  return !s.busy && !s.loading && s.queue.length === 0 && s.readers.length === 0 && s.writes.length === 0;
}

/** The slots of the keys in use, and the order their work runs in. */
export class KeySlots {
  /**
   * Slots by region, then by key. A region's map stays while the region is in the configuration
   * (see prune), so that a key used once does not make and drop a map.
   */
  private readonly byRegion = new Map<number, Map<string, Slot>>();
  private count = 0;

  constructor(
    private readonly store: CoreStore,
    private readonly effects: Pick<Effects, 'load' | 'reply'>,
    private readonly regions: Pick<Regions, 'addWork' | 'ref' | 'version'>,
    /** Commits the writes waiting on a free key whose record is known (at the point leader). */
    private readonly startCommit: (slot: Slot) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The slot of a key in a region of the current configuration. */
  slotFor(regionId: number, key: Buffer): Slot {
    const name = slotName(key);
    let slots = this.byRegion.get(regionId);
    let slot = slots?.get(name);
    if (!slot) {
      const ref = this.regions.ref(regionId);
      assert(ref, () => `slot for region ${regionId}, which is not in configuration ${this.regions.version}`);
      if (!slots) this.byRegion.set(regionId, (slots = new Map()));
      slot = newSlot(name, ref.address, key);
      slots.set(name, slot);
      this.count++;
    }
    return slot;
  }

  /** The slot of a key, only if it is in use. */
  existing(regionId: number, key: Buffer): Slot | undefined {
    if (this.count === 0) return undefined;
    return this.byRegion.get(regionId)?.get(slotName(key));
  }

  private remove(slot: Slot): void {
    if (this.byRegion.get(slot.regionId)?.delete(slot.name)) this.count--;
  }

  /** Lets go of the maps of regions no longer in the configuration that hold no slot. */
  prune(): void {
    for (const [regionId, slots] of this.byRegion) if (slots.size === 0 && !this.regions.ref(regionId)) this.byRegion.delete(regionId);
  }

  /** Every slot, as a list (that the caller may change the slots under). */
  private all(): Slot[] {
    const out: Slot[] = [];
    for (const slots of this.byRegion.values()) for (const slot of slots.values()) out.push(slot);
    return out;
  }

  /**
   * What reads see of a key that has no slot (nothing in flight for it): the store's record, if
   * the store knows it without I/O; undefined when it does not, or when the key is in use.
   */
  settled(address: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (this.existing(address.regionId, key)) return undefined;
    return this.store.peek(address, key);
  }

  /** Runs what can run on a slot now: loads it if unknown, then readers, queued work, writes. */
  schedule(slot: Slot): void {
    if (slot.record === undefined) {
      if (slot.loading) return;
      const known = this.store.peek(slot.address, slot.key);
      if (known === undefined) {
        slot.loading = true;
        this.effects.load(slot.address, slot.key, (record) => this.loaded(slot, record));
        return;
      }
      slot.record = known;
      slot.stable = known;
    }
    if (slot.readers.length > 0 && !slot.redoing) {
      const readers = slot.readers;
      slot.readers = NONE;
      for (const r of readers) r(slot);
    }
    for (let i = 0; !slot.busy && slot.queue.length > 0; i++) {
      assert(i <= KEY_WRITES_MAX * 4, 'slot queue does not drain');
      slot.queue.shift()!(slot);
    }
    if (!slot.busy && slot.writes.length > 0) this.startCommit(slot);
    if (slotIdle(slot)) this.remove(slot);
  }

  /** Marks a slot busy (counted as work on its region) until `release`. */
  hold(slot: Slot): void {
    assert(!slot.busy, () => `slot ${slot.regionId} held twice`);
    slot.busy = true;
    this.regions.addWork(slot.regionId, 1);
  }

  release(slot: Slot): void {
    assert(slot.busy, () => `slot ${slot.regionId} released while free`);
    slot.busy = false;
    this.regions.addWork(slot.regionId, -1);
    this.schedule(slot);
  }

  /** A space was removed: writes waiting on its keys (or on keys of no region now) fail. */
  dropSpace(spaceId: number): void {
    for (const slot of this.all()) {
      const ref = this.regions.ref(slot.regionId);
      if (ref && ref.space.id !== spaceId) continue;
      // Writes waiting on a key of a removed space: the space is gone.
      for (const w of takeWrites(slot, Infinity)) answerWrite(this.effects, w, { status: Status.UNKNOWNSPACE, attr: '', message: `space ${spaceId} was removed` });
      if (slotIdle(slot)) this.remove(slot);
    }
    this.prune();
  }

  /** A region is copied here afresh: what is known of its keys is forgotten (read again when needed). */
  forgetRegion(regionId: number): void {
    for (const slot of [...(this.byRegion.get(regionId)?.values() ?? [])]) {
      if (slotIdle(slot)) this.remove(slot);
      else {
        slot.record = undefined;
        slot.stable = undefined;
      }
    }
  }

  private loaded(slot: Slot, record: StoredRecord | null): void {
    slot.loading = false;
    if (slot.record === undefined) {
      slot.record = record;
      slot.stable = record;
    }
    this.schedule(slot);
  }
}
