// The DaemonStore in memory, for tests of the shell. What it holds lives in a MemoryDisk, apart
// from the store: a new store over the same disk is a reopen (after close), and sees every batch
// the old one applied. A batch is applied at once, in write() (so in call order); its promise
// resolves after those of the batches before it. Records are copied in, and handed out as stored:
// callers must not change the buffers they get.

import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../core/types';
import { checkInterval, checkKey, checkRegion, checkWrites } from './checks';
import { InOrder } from './in-order';
import { DaemonStore, StoreAssertionError, StoreError } from './types';

interface Row {
  readonly key: Buffer;
  readonly record: StoredRecord;
  /** A secondary subspace's object: its coordinate on the subspace's first axis. */
  readonly coord?: bigint;
}

interface MemoryRegion {
  readonly address: RegionAddress;
  readonly rows: Map<string, Row>;
}

/** What a MemoryDaemonStore keeps: outlives the store, like a disk. One store open over it at a time. */
export class MemoryDisk {
  readonly regions = new Map<string, MemoryRegion>();
  readonly intents = new Map<string, Intent>();
  /** Whether a store is open over it. */
  held = false;
}

const regionName = (a: RegionAddress) => `${a.spaceId}/${a.subspace}/${a.regionId}`;
const intentName = (spaceId: number, key: Buffer) => `${spaceId}/${key.toString('latin1')}`;
const copyValues = (values: readonly Buffer[] | null) => (values === null ? null : values.map((v) => Buffer.from(v)));

export class MemoryDaemonStore implements DaemonStore {
  private readonly order = new InOrder();
  private closed = false;

  /** Opens a store over `disk` (a new, empty one by default); throws if another store holds it. */
  constructor(readonly disk: MemoryDisk = new MemoryDisk()) {
    if (disk.held) throw new StoreAssertionError('store: the memory disk is held by a store still open');
    disk.held = true;
  }

  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (this.closed) return undefined;
    return this.disk.regions.get(regionName(region))?.rows.get(key.toString('latin1'))?.record ?? null;
  }

  async load(region: RegionAddress, key: Buffer): Promise<StoredRecord | null> {
    checkRegion(region);
    checkKey(key);
    this.refuseClosed();
    return this.disk.regions.get(regionName(region))?.rows.get(key.toString('latin1'))?.record ?? null;
  }

  write(writes: readonly StoreWrite[]): Promise<void> {
    try {
      // The whole batch is checked before any of it is applied: atomic.
      checkWrites(writes);
      this.refuseClosed();
      for (const w of writes) this.apply(w);
      return this.order.settle(Promise.resolve());
    } catch (e) {
      return this.order.settle(Promise.reject(e as Error));
    }
  }

  async scan(region: RegionAddress, interval?: readonly [bigint, bigint]): Promise<[Buffer, StoredRecord][]> {
    checkRegion(region);
    checkInterval(interval);
    this.refuseClosed();
    // Copied now, before anything else runs: the rows as of this moment.
    let rows = [...(this.disk.regions.get(regionName(region))?.rows.values() ?? [])];
    if (interval === undefined || region.subspace === 0) rows.sort((a, b) => Buffer.compare(a.key, b.key));
    else {
      // As LevelDB's index: the rows of the interval, in coordinate order.
      const [lo, hi] = interval;
      rows = rows.filter((r) => r.coord !== undefined && lo <= r.coord && r.coord <= hi);
      rows.sort((a, b) => (a.coord! < b.coord! ? -1 : a.coord! > b.coord! ? 1 : Buffer.compare(a.key, b.key)));
    }
    return rows.map((r) => [r.key, r.record]);
  }

  intents(): readonly Intent[] {
    this.refuseClosed();
    return [...this.disk.intents.values()];
  }

  async close(): Promise<void> {
    if (!this.closed) this.disk.held = false;
    this.closed = true;
    await this.order.drained();
  }

  private refuseClosed(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'store: closed');
  }

  private apply(w: StoreWrite): void {
    switch (w.op) {
      case 'put': {
        const name = regionName(w);
        let region = this.disk.regions.get(name);
        if (!region) this.disk.regions.set(name, (region = { address: { spaceId: w.spaceId, subspace: w.subspace, regionId: w.regionId }, rows: new Map() }));
        const record: StoredRecord = { version: w.record.version, values: copyValues(w.record.values) };
        region.rows.set(w.key.toString('latin1'), { key: Buffer.from(w.key), record, coord: w.coord });
        return;
      }
      case 'del': {
        const name = regionName(w);
        const region = this.disk.regions.get(name);
        region?.rows.delete(w.key.toString('latin1'));
        if (region?.rows.size === 0) this.disk.regions.delete(name);
        return;
      }
      case 'drop-region':
        this.disk.regions.delete(regionName(w.region));
        return;
      case 'drop-space':
        for (const [name, r] of this.disk.regions) if (r.address.spaceId === w.spaceId) this.disk.regions.delete(name);
        for (const [name, intent] of this.disk.intents) if (intent.spaceId === w.spaceId) this.disk.intents.delete(name);
        return;
      case 'intent': {
        const name = intentName(w.spaceId, w.key);
        if (w.intent === null) this.disk.intents.delete(name);
        else {
          const i = w.intent;
          this.disk.intents.set(name, { spaceId: i.spaceId, key: Buffer.from(i.key), version: i.version, before: copyValues(i.before), after: copyValues(i.after) });
        }
        return;
      }
    }
  }
}
