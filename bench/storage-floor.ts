// The storage floor: what classic-level alone does on this machine with the LevelDB writes of the
// benchmark's put, with no network, no protocol and no daemon. A put of kv (which has a secondary
// subspace, as the search workloads need) writes three entries in one batch: its record in the key
// subspace, its record in the secondary subspace, and that subspace's index entry
// (src/daemon/store/level-keys.ts).
// A daemon can go no faster than this, so the put's ratio to Redis (which keeps nothing on disk)
// has a ceiling of floor / Redis, measured in the same run.
//
// Then the same puts through the daemon's own store (LevelDaemonStore: its object cache, memory
// index and write batching over classic-level), to show what that layer adds.
//
// Run by bench/compare.ts in a process of its own before any server starts, so that the CPU it
// reports (process.cpuUsage: the main thread, the thread pool and LevelDB's compaction) is its own:
//   node dist/bench/storage-floor.js keys=N seconds=S [entries=1|2|3]   -> one JSON line on stdout

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StoreWrite } from '../src/daemon/core/types';
import { LevelDaemonStore } from '../src/daemon/store/level';
import { percentile, round1 } from './report';

export interface StorageFloor {
  /** LevelDB entries per put: key record, secondary record, index entry. */
  entries_per_put: number;
  /** Puts per batch in the throughput run: the 256 a 4x64 client keeps in flight. */
  batch_puts: number;
  /** Throughput run: two batches in flight, the next one built meanwhile, random keys. */
  puts_per_s: number;
  /** CPU of the whole process (all threads) per put in the throughput run. */
  cpu_us_per_put: number;
  /** Latency run: one put's batch at a time, awaited. */
  latency_p50_us: number;
  latency_p99_us: number;
  keys: number;
  seconds: number;
  /** The same puts through the daemon's store (set by the command line's run). */
  store?: StoreLayer;
}

/** The same puts through the daemon's store (LevelDaemonStore): what it adds to classic-level. */
export interface StoreLayer {
  puts_per_s: number;
  cpu_us_per_put: number;
  batch_puts: number;
}

const ENTRIES_PER_PUT = 3;
const BATCH_PUTS = 256;
const LOAD_BATCH_PUTS = 1024;
/** Batches written at once in the throughput run: 2 measured faster than 1 or 4 (LevelDB commits
 * a queued batch with the one before it). */
const IN_FLIGHT = 2;
/** The sizes the daemon writes for kv: 11-byte region prefix + key; index entries 19 + key. */
const RECORD_BYTES = 140;
const INDEXED_RECORD_BYTES = 148;
const LATENCY_SAMPLES_MAX = 200_000;

function prefixed(tag: number, subspace: number, extra: number, key: Buffer): Buffer {
  const out = Buffer.alloc(11 + extra + key.length);
  out[0] = tag;
  out.writeUInt32BE(1, 1);
  out.writeUInt16BE(subspace, 5);
  out.writeUInt32BE(subspace === 0 ? 3 : 5, 7);
  key.copy(out, 11 + extra);
  return out;
}

/** The three LevelDB keys of object i, shaped as the daemon's. */
function entryKeys(i: number): Buffer[] {
  const key = Buffer.from(`key${i}`);
  const index = prefixed(0x78, 1, 8, key);
  index.writeUInt32BE(i, 11 + 4);
  return [prefixed(0x72, 0, 0, key), prefixed(0x72, 1, 0, key), index];
}

/** Bytes as the driver fills its values (the alphabet over and over), for LevelDB's compression. */
function alphabet(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => 0x61 + (i % 26)));
}

/** Puts per second and CPU (all threads) per put since `t0` and `cpu0`. */
function rates(puts: number, t0: number, cpu0: NodeJS.CpuUsage): { puts_per_s: number; cpu_us_per_put: number } {
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { puts_per_s: Math.round(puts / wall), cpu_us_per_put: Math.round(((cpu.user + cpu.system) / puts) * 100) / 100 };
}

/** Deterministic uniform choices, so that two runs write the same keys. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export async function measureStorageFloor(dir: string, keys: number, seconds: number, entriesPerPut = ENTRIES_PER_PUT): Promise<StorageFloor> {
  if (!(Number.isInteger(entriesPerPut) && entriesPerPut >= 1 && entriesPerPut <= ENTRIES_PER_PUT)) throw new Error(`storage floor: entries per put must be 1 to ${ENTRIES_PER_PUT}`);
  if (!(Number.isInteger(keys) && keys >= 1)) throw new Error(`storage floor: bad key count ${keys}`);
  if (!(seconds > 0)) throw new Error(`storage floor: bad duration ${seconds}`);
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const record = alphabet(RECORD_BYTES);
    const indexed = alphabet(INDEXED_RECORD_BYTES);
    const objects = Array.from({ length: keys }, (_, i) => entryKeys(i));
    // With fewer entries: the key record alone (a space with no secondary subspace), or with the
    // index entry (were the secondary record kept only there).
    const putInto = (b: ReturnType<typeof db.batch>, i: number) => {
      const [r, s, x] = objects[i];
      b.put(r, record);
      if (entriesPerPut === 3) b.put(s, indexed);
      if (entriesPerPut >= 2) b.put(x, indexed);
    };
    // Loaded first, as the benchmark loads kv: the runs below update existing objects.
    for (let i = 0; i < keys; i += LOAD_BATCH_PUTS) {
      const b = db.batch();
      for (let j = i; j < Math.min(keys, i + LOAD_BATCH_PUTS); j++) putInto(b, j);
      await b.write();
    }

    const next = xorshift(0x5eed);
    const ms = seconds * 1000;
    let puts = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // The next batch is built while the one before is written (as a daemon gathers the next while
    // one is in flight), and up to IN_FLIGHT are written at once: the best this storage allows.
    const fill = () => {
      const b = db.batch();
      for (let j = 0; j < BATCH_PUTS; j++) putInto(b, next() % keys);
      return b;
    };
    const inFlight: Promise<void>[] = [];
    while (performance.now() - t0 < ms) {
      const b = fill();
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      inFlight.push(b.write());
      puts += BATCH_PUTS;
    }
    await Promise.all(inFlight);
    const throughput = rates(puts, t0, cpu0);

    const samples: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < ms && samples.length < LATENCY_SAMPLES_MAX) {
      const s = performance.now();
      const b = db.batch();
      putInto(b, next() % keys);
      await b.write();
      samples.push((performance.now() - s) * 1000);
    }
    const sorted = Float64Array.from(samples).sort();
    return {
      entries_per_put: entriesPerPut,
      batch_puts: BATCH_PUTS,
      ...throughput,
      latency_p50_us: round1(percentile(sorted, 50)),
      latency_p99_us: round1(percentile(sorted, 99)),
      keys,
      seconds,
    };
  } finally {
    await db.close();
  }
}

/**
 * Puts through LevelDaemonStore, as the daemon makes them for a put of kv whose region and
 * secondary region it holds: the key subspace's record and the secondary subspace's record with
 * its coordinate (record and index entry), in one write() per group of `batch` puts (the daemon's
 * shell makes one write() per turn of the event loop, of all the puts the turn brought), with two
 * groups in flight (written as two LevelDB batches, one after the other). No network, no protocol,
 * no core: the rest of a daemon's cost per put is above this. Keys of the groups in flight differ,
 * as the core makes them (a key's next write waits for its last).
 */
export async function measureStoreLayer(dir: string, keys: number, seconds: number): Promise<StoreLayer> {
  if (!(Number.isInteger(keys) && keys >= 1)) throw new Error(`store layer: bad key count ${keys}`);
  // Fewer groups in flight, and smaller ones, when there are too few keys for two of 256.
  const groupsInFlight = Math.min(IN_FLIGHT, keys);
  const batch = Math.min(BATCH_PUTS, Math.floor(keys / groupsInFlight));
  const store = await LevelDaemonStore.open(dir);
  try {
    const v = alphabet(100);
    const objects = Array.from({ length: keys }, (_, i) => {
      const sec = Buffer.alloc(8);
      sec.writeUInt32LE(i, 0);
      return { key: Buffer.from(`key${i}`), values: [v, Buffer.alloc(8), sec], coord: BigInt(i) << 20n };
    });
    let version = 1;
    /** A put's two writes, added to a group's batch. */
    const put = (writes: StoreWrite[], i: number) => {
      const o = objects[i];
      const record = { version, values: o.values };
      writes.push({ op: 'put', spaceId: 1, subspace: 0, regionId: 3, key: o.key, record });
      writes.push({ op: 'put', spaceId: 1, subspace: 1, regionId: 5, key: o.key, record, coord: o.coord });
    };
    for (let i = 0; i < keys; i += LOAD_BATCH_PUTS) {
      const writes: StoreWrite[] = [];
      for (let j = i; j < Math.min(keys, i + LOAD_BATCH_PUTS); j++) put(writes, j);
      await store.write(writes);
    }
    // A random order of the keys, walked through: consecutive groups share no key.
    const next = xorshift(0x5eed);
    const order = Array.from({ length: keys }, (_, i) => i);
    for (let i = keys - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let at = 0;
    let puts = 0;
    const inFlight: Promise<void>[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      if (inFlight.length >= groupsInFlight) await inFlight.shift();
      version++;
      const writes: StoreWrite[] = [];
      for (let j = 0; j < batch; j++, at = (at + 1) % keys) put(writes, order[at]);
      inFlight.push(store.write(writes));
      puts += batch;
    }
    await Promise.all(inFlight);
    return { ...rates(puts, t0, cpu0), batch_puts: batch };
  } finally {
    await store.close();
  }
}

function arg(name: string, fallback: number): number {
  const a = process.argv.slice(2).find((x) => x.startsWith(`${name}=`));
  const v = a === undefined ? fallback : Number(a.slice(name.length + 1));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}

if (require.main === module) {
  if (process.argv.includes('--help')) {
    process.stdout.write('usage: node dist/bench/storage-floor.js [keys=N] [seconds=S] [entries=1|2|3]\n' +
      'Measures classic-level alone with the LevelDB writes of a put of kv (3 entries; 1: the key record\n' +
      'alone; 2: with the index entry), then the same puts through the daemon\'s store (LevelDaemonStore);\n' +
      'prints one JSON line.\n');
  } else {
    const fail = (e: Error) => {
      process.stderr.write(`storage-floor: ${e.message}\n`);
      process.exitCode = 1;
    };
    let keys = 0;
    let seconds = 0;
    let entries = 0;
    try {
      keys = arg('keys', 100_000);
      seconds = arg('seconds', 3);
      entries = arg('entries', ENTRIES_PER_PUT);
    } catch (e) {
      fail(e as Error);
    }
    if (!process.exitCode) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-storage-floor-'));
      measureStorageFloor(path.join(dir, 'floor'), keys, seconds, entries)
        .then(async (floor) => ({ ...floor, store: await measureStoreLayer(path.join(dir, 'store'), keys, seconds) }))
        .then((r) => process.stdout.write(JSON.stringify(r) + '\n'))
        .catch(fail)
        .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
  }
}
