// Reaches under a LevelDaemonStore to its LevelDB: to make its batches fail (nothing of them is
// written), and to read or write LevelDB past the store.

import { ClassicLevel } from 'classic-level';

import { LevelDaemonStore } from '../../src/daemon/store/level';

/** The store's LevelDB (a private field: for tests that must look past the store). */
export function levelDb(store: LevelDaemonStore): ClassicLevel<Buffer, Buffer> {
  return (store as unknown as { db: ClassicLevel<Buffer, Buffer> }).db;
}

/** A batch that writes nothing: its write fails, once `gate` resolves. */
function failingBatch(gate: Promise<void>): unknown {
  return {
    put() {},
    del() {},
    write: async () => {
      await gate;
      throw new Error('injected write failure');
    },
    close: async () => {},
  };
}

/** Makes every batch fail, as a write that fails does, until the returned function is called. */
export function failBatches(store: LevelDaemonStore): () => void {
  const db = levelDb(store) as unknown as { batch(): unknown };
  const realBatch = db.batch.bind(db);
  db.batch = () => failingBatch(Promise.resolve());
  return () => {
    db.batch = realBatch;
  };
}

/** Makes the next batch wait until the returned function is called, then fail (nothing of it written). */
export function failNextBatchLater(store: LevelDaemonStore): () => void {
  const db = levelDb(store) as unknown as { batch(): unknown };
  const realBatch = db.batch.bind(db);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  db.batch = () => {
    db.batch = realBatch;
    return failingBatch(gate);
  };
  return open;
}

/**
 * Holds the store's LevelDB reads back: each read gets its values from LevelDB, then waits until
 * `open()`. `haveRead` resolves once a read has its values; `restore()` puts LevelDB's own back.
 */
export function gateReads(store: LevelDaemonStore): { haveRead: Promise<void>; open: () => void; restore: () => void } {
  const db = levelDb(store) as unknown as { getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]> };
  const realGetMany = db.getMany.bind(db);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let readDone: () => void = () => undefined;
  const haveRead = new Promise<void>((resolve) => (readDone = resolve));
  db.getMany = async (keys: Buffer[]) => {
    const got = await realGetMany(keys);
    readDone();
    await gate;
    return got;
  };
  return { haveRead, open, restore: () => (db.getMany = realGetMany) };
}
