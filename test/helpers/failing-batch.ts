// Makes a LevelObjectStore's LevelDB refuse every batch, as a write that fails does (nothing of it
// is written), until the returned function puts the real one back.

import { LevelObjectStore } from '../../src/daemon/storage';

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
