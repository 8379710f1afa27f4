// The DaemonStore implementations the compliance suite runs against, each in a place that outlives
// one store: open() again after close() is a reopen (LevelDB: the same directory, removed after
// the test; memory: the same MemoryDisk). And small builders of writes.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Intent, RegionAddress, StoredRecord, StoreWrite } from '../../src/daemon/core/types';
import { FaultyStore } from '../../src/daemon/store/faulty';
import { LevelDaemonStore } from '../../src/daemon/store/level';
import { MemoryDaemonStore, MemoryDisk } from '../../src/daemon/store/memory';
import { DaemonStore } from '../../src/daemon/store/types';

export interface Place {
  /** Opens the store kept here (the one opened before must be closed: this is a reopen). */
  open(): Promise<DaemonStore>;
}

export interface Backend {
  readonly name: string;
  place(t: { teardown(fn: () => void | Promise<void>): void }): Place;
}

/** Closes what is still open, then (last) whatever else `done` does. */
function tracked(t: { teardown(fn: () => void | Promise<void>): void }, open: () => Promise<DaemonStore>, done: () => void): Place {
  let last: DaemonStore | undefined;
  t.teardown(async () => {
    await last?.close();
    done();
  });
  return {
    async open() {
      last = await open();
      return last;
    },
  };
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hyperdex-${label}-`));
}

export const levelBackend: Backend = {
  name: 'leveldb',
  place(t) {
    const dir = tempDir('daemon-store');
    return tracked(t, () => LevelDaemonStore.open(dir), () => fs.rmSync(dir, { recursive: true, force: true }));
  },
};

export const memoryBackend: Backend = {
  name: 'memory',
  place(t) {
    const disk = new MemoryDisk();
    return tracked(t, async () => new MemoryDaemonStore(disk), () => undefined);
  },
};

/** The fault-injecting store with its faults off, over memory. */
export const faultyMemoryBackend: Backend = {
  name: 'faulty(memory)',
  place(t) {
    const disk = new MemoryDisk();
    let seed = 1;
    return tracked(t, async () => new FaultyStore(new MemoryDaemonStore(disk), seed++), () => undefined);
  },
};

/** The fault-injecting store with its faults off, over LevelDB. */
export const faultyLevelBackend: Backend = {
  name: 'faulty(leveldb)',
  place(t) {
    const dir = tempDir('daemon-store-faulty');
    let seed = 1;
    return tracked(t, async () => new FaultyStore(await LevelDaemonStore.open(dir), seed++), () => fs.rmSync(dir, { recursive: true, force: true }));
  },
};

export const BACKENDS: readonly Backend[] = [levelBackend, memoryBackend, faultyMemoryBackend, faultyLevelBackend];

// ---- writes ------------------------------------------------------------------------------------

export const region = (spaceId: number, subspace: number, regionId: number): RegionAddress => ({ spaceId, subspace, regionId });
export const key = (s: string | number) => Buffer.from(typeof s === 'number' ? `key${s}` : s);
export const values = (...vs: string[]) => vs.map((v) => Buffer.from(v));

export function put(a: RegionAddress, k: Buffer, version: number, vals: readonly Buffer[] | null, coord?: bigint): StoreWrite {
  return { op: 'put', spaceId: a.spaceId, subspace: a.subspace, regionId: a.regionId, key: k, record: { version, values: vals }, coord };
}

export function tombstone(a: RegionAddress, k: Buffer, version: number): StoreWrite {
  return put(a, k, version, null);
}

export function del(a: RegionAddress, k: Buffer): StoreWrite {
  return { op: 'del', spaceId: a.spaceId, subspace: a.subspace, regionId: a.regionId, key: k };
}

export function dropRegion(a: RegionAddress): StoreWrite {
  return { op: 'drop-region', region: a };
}

export function dropSpace(spaceId: number): StoreWrite {
  return { op: 'drop-space', spaceId };
}

export function intent(spaceId: number, k: Buffer, version: number, before: readonly Buffer[] | null, after: readonly Buffer[] | null): StoreWrite {
  return { op: 'intent', spaceId, key: k, intent: { spaceId, key: k, version, before, after } };
}

export function clearIntent(spaceId: number, k: Buffer): StoreWrite {
  return { op: 'intent', spaceId, key: k, intent: null };
}

// ---- comparable forms ----------------------------------------------------------------------------

export type Plain = { version: number; values: string[] | null } | null;

export function plain(r: StoredRecord | null | undefined): Plain | undefined {
  if (r === undefined || r === null) return r;
  return { version: r.version, values: r.values === null ? null : r.values.map((v) => v.toString('latin1')) };
}

export function plainRows(rows: readonly (readonly [Buffer, StoredRecord])[]): [string, Plain][] {
  return rows.map(([k, r]) => [k.toString('latin1'), plain(r)!]);
}

const plainValues = (vs: readonly Buffer[] | null) => (vs === null ? null : vs.map((v) => v.toString('latin1')));

/** Intents as sorted plain objects: the order intents() lists them in is not part of the contract. */
export function plainIntents(list: readonly Intent[]): { spaceId: number; key: string; version: number; before: string[] | null; after: string[] | null }[] {
  return list
    .map((i) => ({ spaceId: i.spaceId, key: i.key.toString('latin1'), version: i.version, before: plainValues(i.before), after: plainValues(i.after) }))
    .sort((a, b) => a.spaceId - b.spaceId || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
