// Makes a LevelObjectStore's LevelDB batches fail (nothing of them is written) or wait, until the
// returned function puts the real ones back.

import { LevelObjectStore } from '../../src/daemon/storage';

/** Makes every batch fail, as a write that fails does, until the returned function is called. */
export function failBatches(store: LevelObjectStore): () => void {
  const db = (store as unknown as { db: { batch(): unknown } }).db;
  const realBatch = db.batch.bind(db);
  db.batch = () => ({
    put() {},
    del() {},
    write: async () => {
      throw new Error('injected write failure');
    },
    close: async () => {},
  });
  return () => {
    db.batch = realBatch;
  };
}

/**
 * Makes a LevelObjectStore's LevelDB batches wait, unwritten, until the returned function lets
 * them (and every later one) through: a write whose batch is slow to land.
 */
export function holdBatches(store: LevelObjectStore): () => void {
  const db = (store as unknown as { db: { batch(): { write(): Promise<void> } } }).db;
  const realBatch = db.batch.bind(db);
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  db.batch = () => {
    const b = realBatch();
    const write = b.write.bind(b);
    b.write = () => gate.then(write);
    return b;
  };
  return () => {
    db.batch = realBatch;
    open();
  };
}
