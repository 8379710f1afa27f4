// Per-key state the core keeps while a key is in use, and only then: what it knows of the key's
// record, and the work waiting for the key. Work on one key runs one piece at a time, so that a
// key's updates are applied, copied and forwarded in version order; a key that nothing uses has
// no slot (the store knows it).

import { AtomicRequest } from '../../common/messages';
import { Outcome } from '../apply';
import { RegionAddress, StoredRecord } from './types';

/** A write waiting at the point leader for its key: a client's, or a group_del's erase. */
export interface PendingWrite {
  readonly request: AtomicRequest;
  /** Told the write's outcome, once it is decided and (if it changed anything) committed. */
  readonly respond: (o: Outcome) => void;
}

export interface Slot {
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
  /** Work to run, in order, once the record is known and the key is not busy. */
  readonly queue: ((slot: Slot) => void)[];
  /** Reads waiting for the record to be known. */
  readonly readers: ((slot: Slot) => void)[];
  /** Client writes at the point leader, committed together when the key is free. */
  readonly writes: PendingWrite[];
}

export function slotName(regionId: number, key: Buffer): string {
  return `${regionId}:${key.toString('latin1')}`;
}

export function newSlot(address: RegionAddress, key: Buffer): Slot {
  return { address, regionId: address.regionId, key, record: undefined, stable: undefined, loading: false, busy: false, queue: [], readers: [], writes: [] };
}

/** A slot nothing needs any more: the store holds all it knows. */
export function slotIdle(s: Slot): boolean {
  return !s.busy && !s.loading && s.queue.length === 0 && s.readers.length === 0 && s.writes.length === 0;
}
