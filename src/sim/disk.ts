// A daemon's store in the simulator: records by region and key, intents, and the batches written
// but not yet on disk. A batch becomes visible and durable when the simulator completes it; a
// crash loses every batch not completed. It checks that no write ever lowers a record's version.

import { CoreAssertionError } from '../daemon/core/core';
import { CoreStore, Intent, RegionAddress, StoredRecord, StoreWrite } from '../daemon/core/types';

interface Row {
  readonly key: Buffer;
  readonly spaceId: number;
  readonly record: StoredRecord;
}

export class SimDisk implements CoreStore {
  private readonly regions = new Map<number, Map<string, Row>>();
  private readonly intents = new Map<string, Intent>();
  private readonly pending = new Map<number, readonly StoreWrite[]>();
  /** Records written, for the simulator's summary. */
  written = 0;

  /** As the LevelDB store: known for the key subspace, never for the others (the core loads them). */
  peek(region: RegionAddress, key: Buffer): StoredRecord | null | undefined {
    if (region.subspace > 0) return undefined;
    return this.regions.get(region.regionId)?.get(key.toString('latin1'))?.record ?? null;
  }

  /** What a load reads: the record, null when there is none. */
  read(region: RegionAddress, key: Buffer): StoredRecord | null {
    return this.regions.get(region.regionId)?.get(key.toString('latin1'))?.record ?? null;
  }

  /** A region's rows as of now, tombstones included, in key order. */
  scan(regionId: number): [Buffer, StoredRecord][] {
    const rows = [...(this.regions.get(regionId)?.values() ?? [])];
    rows.sort((x, y) => Buffer.compare(x.key, y.key));
    return rows.map((r) => [r.key, r.record]);
  }

  /** How many rows of a space the disk holds, in every region (for scripted scenarios). */
  rowsOfSpace(spaceId: number): number {
    let n = 0;
    for (const region of this.regions.values()) for (const row of region.values()) if (row.spaceId === spaceId) n++;
    return n;
  }

  /** Batches begun and not yet completed. */
  pendingBatches(): number {
    return this.pending.size;
  }

  intentsHeld(): Intent[] {
    return [...this.intents.values()];
  }

  begin(token: number, writes: readonly StoreWrite[]): void {
    this.pending.set(token, writes);
  }

  /** Applies a batch begun earlier, atomically; false if a crash lost it. */
  complete(token: number): boolean {
    const writes = this.pending.get(token);
    if (!writes) return false;
    this.pending.delete(token);
    for (const w of writes) this.apply(w);
    return true;
  }

  /** Everything not yet written is lost. */
  crash(): void {
    this.pending.clear();
  }

  private apply(w: StoreWrite): void {
    switch (w.op) {
      case 'put': {
        let region = this.regions.get(w.regionId);
        if (!region) this.regions.set(w.regionId, (region = new Map()));
        const name = w.key.toString('latin1');
        const old = region.get(name);
        if (old && old.record.version > w.record.version)
          throw new CoreAssertionError(`disk: region ${w.regionId} key ${name}: version ${w.record.version} written over ${old.record.version}`);
        region.set(name, { key: w.key, spaceId: w.spaceId, record: w.record });
        this.written++;
        return;
      }
      case 'del':
        this.regions.get(w.regionId)?.delete(w.key.toString('latin1'));
        return;
      case 'drop-region':
        this.regions.delete(w.region.regionId);
        return;
      case 'drop-space':
        for (const [id, region] of this.regions) {
          for (const [name, row] of region) if (row.spaceId === w.spaceId) region.delete(name);
          if (region.size === 0) this.regions.delete(id);
        }
        for (const [name, intent] of this.intents) if (intent.spaceId === w.spaceId) this.intents.delete(name);
        return;
      case 'intent': {
        const name = `${w.spaceId}:${w.key.toString('latin1')}`;
        if (w.intent) this.intents.set(name, w.intent);
        else this.intents.delete(name);
        return;
      }
    }
  }
}
