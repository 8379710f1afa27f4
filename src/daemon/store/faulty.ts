// A DaemonStore that injects faults into the writes of another, seeded (src/sim/rng.ts): a seed
// and the same sequence of calls give the same faults. Batches go to the store underneath one at
// a time, in the order of the write() calls, each only once the one before has settled; so a
// batch is "applied" when the store underneath has taken it, and a crash can drop the ones behind.
//
// Each write() draws one fault (or none) for its batch:
// - fail: nothing of the batch reaches the store underneath; write() rejects (STORE_FAULT). Later
//   batches go on as usual.
// - slow: the batch waits 1..slowTurnsMax turns of the event loop (setImmediate, no clock) before
//   it goes to the store underneath; batches after it wait behind it (order kept). Applied as usual
//   unless a crash comes first.
// - torn: the first k writes of the batch (1 <= k < n; none when n = 1) go to the store underneath
//   as one batch, then the store crashes (as crash()); write() rejects (STORE_FAULT).
// And crash(), when called: every batch not yet handed to the store underneath is dropped (its
// write() rejects, STORE_CRASHED), as are all later calls (load and scan reject, peek says
// undefined, intents() throws) until a new store is opened over the same data (close() this one
// first: it waits for the batch in the store underneath, then closes that store). A batch the store
// underneath had already taken when crash() came stays as that store leaves it (memory: applied;
// LevelDB: written, wholly, or not at all) but its write() rejects: its acknowledgement was lost.
// Reads are passed through, with no faults of their own.

import { Rng } from '../../sim/rng';
import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../core/types';
import { checkWrites } from './checks';
import { DaemonStore, StoreError } from './types';

export interface Faults {
  /** Chance per batch of a failed write (see above). The three chances add up to at most 1. */
  readonly failRate?: number;
  /** Chance per batch of a torn write, which crashes the store. */
  readonly tornRate?: number;
  /** Chance per batch of a slow write. */
  readonly slowRate?: number;
  /** Turns a slow batch waits at most (at least 1). */
  readonly slowTurnsMax?: number;
}

export const SLOW_TURNS_MAX_DEFAULT = 8;
/** Turns a slow batch may be asked to wait at most: a wait is a loop, and every loop is bounded. */
export const SLOW_TURNS_LIMIT = 10_000;

export type FaultKind = 'none' | 'fail' | 'slow' | 'torn';

/**
 * How a batch ended: applied; failed (not applied); torn (a prefix applied, then the crash);
 * dropped (a crash came before it reached the store underneath); unacknowledged (applied, but a
 * crash came before it was acknowledged); error (the store underneath refused it).
 */
export type BatchOutcome = 'applied' | 'failed' | 'torn' | 'dropped' | 'unacknowledged' | 'error';

/** What happened to one batch: its place among the write() calls that drew a fault, what was drawn, how it ended. */
export interface FaultRecord {
  readonly batch: number;
  readonly fault: FaultKind;
  /** slow: the turns it waited. */
  readonly turns: number;
  /** torn: the writes of it that were applied. */
  readonly prefix: number;
  outcome?: BatchOutcome;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkFaults(f: Faults): Required<Faults> {
  const out = { failRate: f.failRate ?? 0, tornRate: f.tornRate ?? 0, slowRate: f.slowRate ?? 0, slowTurnsMax: f.slowTurnsMax ?? SLOW_TURNS_MAX_DEFAULT };
  for (const r of [out.failRate, out.tornRate, out.slowRate]) if (!(r >= 0 && r <= 1)) throw new RangeError(`a fault rate must lie in [0, 1], got ${r}`);
  if (out.failRate + out.tornRate + out.slowRate > 1) throw new RangeError('the fault rates add up to more than 1');
  if (!Number.isInteger(out.slowTurnsMax) || out.slowTurnsMax < 1 || out.slowTurnsMax > SLOW_TURNS_LIMIT)
    throw new RangeError(`slowTurnsMax must be a whole number in [1, ${SLOW_TURNS_LIMIT}], got ${out.slowTurnsMax}`);
  return out;
}

export class FaultyStore implements DaemonStore {
  private readonly rng: Rng;
  private faults: Required<Faults>;
  /** The batches so far, one after the other: settles when the last one has. Never rejects. */
  private tail: Promise<void> = Promise.resolve();
  private isCrashed = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Every batch that drew a fault (or none), in call order. */
  readonly log: FaultRecord[] = [];

  constructor(
    readonly inner: DaemonStore,
    seed: number,
    faults: Faults = {},
  ) {
    this.rng = new Rng(seed);
    this.faults = checkFaults(faults);
  }

  /** Changes the fault rates for the batches of later write() calls. */
  setFaults(faults: Faults): void {
    this.faults = checkFaults(faults);
  }

  /** Crashes the store now (see the top of this file). */
  crash(): void {
    this.isCrashed = true;
  }

  get crashed(): boolean {
    return this.isCrashed;
  }

  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    return this.isCrashed || this.closed ? undefined : this.inner.peek(region, key);
  }

  async load(region: RegionAddress, key: Buffer): Promise<StoredRecord | null> {
    this.refuseDown();
    return this.inner.load(region, key);
  }

  async scan(region: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    this.refuseDown();
    return this.inner.scan(region, interval);
  }

  intents(): readonly Intent[] {
    this.refuseDown();
    return this.inner.intents();
  }

  write(writes: readonly StoreWrite[]): Promise<void> {
    let record: FaultRecord | undefined;
    let refused: Error | undefined;
    try {
      checkWrites(writes);
      this.refuseDown();
      record = this.draw(writes.length);
      this.log.push(record);
    } catch (e) {
      refused = e as Error;
    }
    // Refusals too settle in their turn.
    const run = this.tail.then(() => (record ? this.run(writes, record) : Promise.reject(refused!)));
    this.tail = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.tail.then(() => this.inner.close());
    return this.closing;
  }

  private refuseDown(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'store: closed');
    if (this.isCrashed) throw new StoreError('STORE_CRASHED', 'store: crashed (open it again)');
  }

  /** Three draws per batch whatever the rates: a seed gives the same faults to the same calls. */
  private draw(n: number): FaultRecord {
    const u = this.rng.u32() / 0x1_0000_0000;
    const turnsDraw = this.rng.u32();
    const prefixDraw = this.rng.u32();
    const f = this.faults;
    const fault: FaultKind = u < f.failRate ? 'fail' : u < f.failRate + f.tornRate ? 'torn' : u < f.failRate + f.tornRate + f.slowRate ? 'slow' : 'none';
    return {
      batch: this.log.length,
      fault,
      turns: fault === 'slow' ? 1 + (turnsDraw % f.slowTurnsMax) : 0,
      prefix: fault === 'torn' && n >= 2 ? 1 + (prefixDraw % (n - 1)) : 0,
    };
  }

  /** One batch, in its turn (the one before it has settled). */
  private async run(writes: readonly StoreWrite[], r: FaultRecord): Promise<void> {
    for (let i = 0; i < r.turns; i++) await nextTurn();
    if (this.isCrashed) {
      r.outcome = 'dropped';
      throw new StoreError('STORE_CRASHED', `store: crashed before batch ${r.batch} was applied`);
    }
    if (r.fault === 'fail') {
      r.outcome = 'failed';
      throw new StoreError('STORE_FAULT', `store: injected failure of batch ${r.batch}, nothing of it applied`);
    }
    if (r.fault === 'torn') {
      try {
        if (r.prefix > 0) await this.inner.write(writes.slice(0, r.prefix));
      } finally {
        this.isCrashed = true;
        r.outcome = 'torn';
      }
      throw new StoreError('STORE_FAULT', `store: injected torn write of batch ${r.batch}: ${r.prefix} of its ${writes.length} writes applied, then a crash`);
    }
    try {
      await this.inner.write(writes);
    } catch (e) {
      r.outcome = 'error';
      throw e;
    }
    if (this.isCrashed) {
      r.outcome = 'unacknowledged';
      throw new StoreError('STORE_CRASHED', `store: crashed before batch ${r.batch} was acknowledged (it was applied)`);
    }
    r.outcome = 'applied';
  }
}
