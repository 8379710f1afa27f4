// How the LevelDB store (level.ts) writes the core's batches: each write of a batch becomes its
// LevelDB operations (an object's record and its index entry; an intent; the deletes of a drop),
// and the batches of one event-loop turn go to LevelDB together, as one LevelDB batch (one log
// write), while the next turn's gather behind it. A batch's promise settles when its LevelDB batch
// is written (it has then reached the OS) or has failed; memory (level-memory.ts) learns the
// outcome first.

import { ClassicLevel } from 'classic-level';

import { Intent, RegionAddress, StoreWrite } from '../core/types';
import { decodeIntent, encodeIntent } from './intent-codec';
import { coordBytes, dropPrefixes, indexKey, INTENT_KEY_START, intentKey, objectKey, objectName, prefixRange } from './level-keys';
import { LevelMemory } from './level-memory';
import { DiskRecord, decodeRecord, encodeRecord, encodeTombstone } from './level-records';

/** One LevelDB operation. */
export interface LevelOp {
  readonly type: 'put' | 'del';
  readonly key: Buffer;
  readonly value?: Buffer;
}

/** What memory learns when a batch holding a write of an intent or a drop is written (or fails). */
export type AfterOps =
  | { readonly kind: 'intent'; readonly name: string; readonly intent: Intent | null }
  | { readonly kind: 'drop-region'; readonly region: RegionAddress }
  | { readonly kind: 'drop-space'; readonly spaceId: number };

/** One write of a batch, as LevelDB operations, and what memory learns of it. */
export interface PendingWrite {
  /** 'ops': only `extra` is written, and `after` says what memory learns (intents, drops). */
  readonly type: 'put' | 'del' | 'ops';
  readonly key: Buffer;
  readonly value?: Buffer;
  /** Where the object is, and what the cache holds once the write is done. */
  readonly spaceId: number;
  readonly subspace: number;
  readonly region: number;
  readonly userKey: Buffer;
  readonly obj: DiskRecord | null;
  /** Entries written or deleted in the same batch; a failed batch ahead may add deletes (carryIndexDeletes). */
  extra?: LevelOp[];
  /** Of an indexed write: the object's coordinate after it, null when it has none; else undefined. */
  readonly coord?: Buffer | null;
  readonly after?: AfterOps;
  /** Of a write of an indexed object: its name in pendingCoords. */
  readonly pendingName?: string;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** What a batch read before it was queued: index entries a failed batch left unknown, keys a drop deletes. */
interface GroupReads {
  /** Per object (objectName): its index entry's coordinate as its record says, null when none. */
  readonly coords: Map<string, Buffer | null>;
  /** Per drop of the batch, in order: the LevelDB keys in its ranges. */
  readonly drops: Buffer[][];
}

/** An object's record as LevelDB has it, past the cache. */
export type ReadRecord = (spaceId: number, subspace: number, region: number, key: Buffer) => Promise<DiskRecord | undefined>;

/** Times a batch reads again when a batch that failed meanwhile left more index entries unknown. */
const GROUP_READS_MAX = 8;
const NOOP = (): void => undefined;
const EMPTY = Buffer.alloc(0);

export class LevelWrites {
  private queued: PendingWrite[] = [];
  private writing = false;
  private flushScheduled = false;
  /** Resolved once the batch in flight and the one queued are written, for drops and close. */
  private idleWaiters: (() => void)[] = [];
  /**
   * Indexed objects with writes queued or in flight (by objectName): the coordinate of their index
   * entry once those are written (null: none). The memory index says what it was before them; a
   * next write of the object must delete the entry they leave.
   */
  private readonly pendingCoords = new Map<string, { readonly coord: Buffer | null; readonly w: PendingWrite }>();
  /** Batches that read before being queued, not yet queued: later batches wait behind them. */
  private groupsWaiting = 0;
  private groupTail: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly memory: LevelMemory,
    private readonly readRecord: ReadRecord,
  ) {}

  /**
   * Writes a batch of the core's writes (checked by the caller, checks.ts) atomically: they all go
   * into one LevelDB batch, with the other writes of the same turn. Batches are queued in the
   * order of the calls, so they are written in that order: one that must read first (a drop lists
   * the keys it deletes; an indexed write whose index entry a failed batch left unknown reads its
   * record) holds back the batches after it until it is queued. Resolves once its LevelDB batch is
   * written; rejects if that fails (LevelDB may then hold all of it or none of it).
   */
  write(writes: readonly StoreWrite[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.groupsWaiting === 0 && this.queueGroup(writes, undefined, resolve, reject)) return;
      this.groupsWaiting++;
      this.groupTail = this.groupTail.then(() => this.readThenQueue(writes, resolve, reject)).finally(() => this.groupsWaiting--);
    });
  }

  /** Resolves once every batch written before the call is in LevelDB (or failed). */
  async drained(): Promise<void> {
    await this.groupTail;
    await this.idle();
  }

  private async readThenQueue(writes: readonly StoreWrite[], resolve: () => void, reject: (e: Error) => void): Promise<void> {
    try {
      // Again only when a batch failed while this one read and left another of its entries unknown.
      for (let attempt = 0; attempt < GROUP_READS_MAX; attempt++) if (this.queueGroup(writes, await this.readForGroup(writes), resolve, reject)) return;
      reject(new Error(`store: index entries of a batch stayed unknown through ${GROUP_READS_MAX} reads (batches keep failing)`));
    } catch (e) {
      reject(e as Error);
    }
  }

  private async readForGroup(writes: readonly StoreWrite[]): Promise<GroupReads> {
    const reads: GroupReads = { coords: new Map(), drops: [] };
    let idle = false;
    for (const w of writes) {
      if (w.op === 'drop-region' || w.op === 'drop-space') {
        // Every batch queued before this one is written first, so the keys listed are all there
        // are; later batches wait behind this one, so none comes in between.
        if (!idle) await this.idle();
        idle = true;
        const keys: Buffer[] = [];
        for (const p of dropPrefixes(w)) keys.push(...(await this.db.keys(prefixRange(p)).all()));
        reads.drops.push(keys);
      } else if ((w.op === 'put' || w.op === 'del') && w.subspace > 0) {
        const name = objectName(w.spaceId, w.subspace, w.regionId, w.key);
        if (!reads.coords.has(name) && this.memory.coordsUnknown.has(name) && !this.pendingCoords.has(name))
          reads.coords.set(name, (await this.readRecord(w.spaceId, w.subspace, w.regionId, w.key))?.coord ?? null);
      }
    }
    return reads;
  }

  /**
   * Queues a batch's writes in one go (so in one LevelDB batch), or nothing and false when it must
   * read first (a drop, or an index entry unknown and not in `reads`).
   */
  private queueGroup(writes: readonly StoreWrite[], reads: GroupReads | undefined, resolve: () => void, reject: (e: Error) => void): boolean {
    if (writes.length === 0) {
      resolve();
      return true;
    }
    const out: PendingWrite[] = [];
    // This batch's own index entries so far, by object: a later write of the same object replaces them.
    const coords = new Map<string, Buffer | null>();
    let drops = 0;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i];
      // The last write of the batch tells the caller: all of a LevelDB batch succeeds or fails together.
      const done = i === writes.length - 1 ? resolve : NOOP;
      const fail = i === writes.length - 1 ? reject : NOOP;
      let p: PendingWrite | undefined;
      if (w.op === 'put' || w.op === 'del') p = this.objectWrite(w, coords, reads, done, fail);
      else if (w.op === 'intent') p = intentWrite(w, done, fail);
      else if (reads) p = dropWrite(w, reads.drops[drops++], out, done, fail);
      if (!p) return false;
      out.push(p);
    }
    for (const p of out) {
      if (p.pendingName !== undefined) this.pendingCoords.set(p.pendingName, { coord: p.coord!, w: p });
      this.enqueue(p);
    }
    return true;
  }

  private objectWrite(
    w: Extract<StoreWrite, { op: 'put' | 'del' }>,
    coords: Map<string, Buffer | null>,
    reads: GroupReads | undefined,
    resolve: () => void,
    reject: (e: Error) => void,
  ): PendingWrite | undefined {
    const key = objectKey(w.spaceId, w.subspace, w.regionId, w.key);
    if (w.subspace === 0) {
      // Written out rather than spread from a shared part: this runs for every put.
      if (w.op === 'del') return { type: 'del', key, obj: null, spaceId: w.spaceId, subspace: 0, region: w.regionId, userKey: w.key, resolve, reject };
      const v = w.record.values;
      // The cache holds views of the record's bytes: the caller's buffers may be part of a frame.
      const value = v === null ? encodeTombstone(w.record.version) : encodeRecord(w.record.version, v, true);
      return { type: 'put', key, value, obj: decodeRecord(value), spaceId: w.spaceId, subspace: 0, region: w.regionId, userKey: w.key, resolve, reject };
    }
    const at = { spaceId: w.spaceId, subspace: w.subspace, region: w.regionId, userKey: w.key, resolve, reject };
    const name = key.toString('latin1');
    const c = w.op === 'put' ? coordBytes(w.coord!) : undefined;
    const old = this.oldCoord(name, w, c, coords, reads);
    if (old === undefined) return undefined;
    if (w.op === 'del') {
      coords.set(name, null);
      const extra: LevelOp[] | undefined = old ? [{ type: 'del', key: indexKey(w.spaceId, w.subspace, w.regionId, old, w.key) }] : undefined;
      return { type: 'del', key, obj: null, extra, coord: null, pendingName: name, ...at };
    }
    const value = encodeRecord(w.record.version, w.record.values!, false, c);
    const extra: LevelOp[] = [];
    if (old && !old.equals(c!)) extra.push({ type: 'del', key: indexKey(w.spaceId, w.subspace, w.regionId, old, w.key) });
    extra.push({ type: 'put', key: indexKey(w.spaceId, w.subspace, w.regionId, c!, w.key), value });
    coords.set(name, c!);
    return { type: 'put', key, value, obj: null, extra, coord: c, pendingName: name, ...at };
  }

  /**
   * The coordinate of an indexed object's index entry once every write queued before this one is
   * written (null: none; with `next`, the write's own coordinate, null also when it is that one),
   * or undefined when unknown (a failed batch; read it first).
   */
  private oldCoord(name: string, w: Extract<StoreWrite, { op: 'put' | 'del' }>, next: Buffer | undefined, coords: Map<string, Buffer | null>, reads: GroupReads | undefined): Buffer | null | undefined {
    const own = coords.get(name);
    if (own !== undefined) return own;
    const pending = this.pendingCoords.get(name);
    if (pending) return pending.coord;
    const read = reads?.coords.get(name);
    if (read !== undefined) return read;
    return this.memory.coordOf(w.spaceId, w.subspace, w.regionId, w.key, name, next);
  }

  /** A write of an indexed object is written (or failed): unless a later one is queued, it is no longer pending. */
  private settlePending(w: PendingWrite): void {
    const e = this.pendingCoords.get(w.pendingName!);
    if (e && e.w === w) this.pendingCoords.delete(w.pendingName!);
  }

  private enqueue(w: PendingWrite): void {
    if (w.type !== 'ops') this.memory.writeStarts(w.key);
    this.queued.push(w);
    if (!this.writing && !this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's callbacks and their promise jobs: they all join the batch.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writing) return;
    const batch = this.queued;
    if (batch.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.queued = [];
    this.writing = true;
    this.writeBatch(batch).then(
      () => {
        this.writing = false;
        for (const w of batch) if (w.pendingName !== undefined) this.settlePending(w);
        this.memory.written(batch);
        for (const w of batch) w.resolve();
        this.flush();
      },
      (e: Error) => {
        this.writing = false;
        for (const w of batch) if (w.pendingName !== undefined) this.settlePending(w);
        // LevelDB may or may not hold these writes: memory forgets what it said of their keys.
        this.memory.failed(batch);
        this.carryIndexDeletes(batch);
        for (const w of batch) w.reject(e);
        this.flush();
      },
    );
  }

  /**
   * Writes a group as one LevelDB batch. Through the chained batch, one native call per operation
   * with its key and value: the array form's native side reads each operation's properties one by
   * one, and cost twice the main-thread time per operation (measured).
   */
  private writeBatch(batch: readonly PendingWrite[]): Promise<void> {
    let b: ReturnType<ClassicLevel<Buffer, Buffer>['batch']> | undefined;
    try {
      b = this.db.batch();
      for (const w of batch) {
        if (w.type === 'put') b.put(w.key, w.value!);
        else if (w.type === 'del') b.del(w.key);
        // An object and its index entry change in one batch: a crash leaves both or neither.
        if (w.extra)
          for (const x of w.extra) {
            if (x.type === 'put') b.put(x.key, x.value!);
            else b.del(x.key);
          }
      }
      return b.write();
    } catch (e) {
      // A closed database refuses at once: the group fails as a failed write would.
      if (b) void b.close().catch(() => {});
      return Promise.reject(e as Error);
    }
  }

  /** Resolves once every write queued so far is in LevelDB. */
  private idle(): Promise<void> {
    if (!this.writing && this.queued.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.writing && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * A batch failed: LevelDB holds the state before it or the state after it. The first write
   * queued behind it (not yet written) of each of its indexed objects deletes the index entry the
   * failed write left; it now also deletes the ones the failed write deleted, so that neither
   * state leaves an entry behind. (Deletes first: its own put may be one of them again.)
   */
  private carryIndexDeletes(failed: readonly PendingWrite[]): void {
    if (this.queued.length === 0) return;
    let dels: Map<string, LevelOp[]> | undefined;
    for (const w of failed) {
      if (w.coord === undefined || !w.extra) continue;
      const ds = w.extra.filter((x) => x.type === 'del');
      if (ds.length === 0) continue;
      dels ??= new Map();
      const name = w.key.toString('latin1');
      dels.set(name, [...(dels.get(name) ?? []), ...ds]);
    }
    if (!dels) return;
    for (const q of this.queued) {
      if (q.coord === undefined) continue;
      const name = q.key.toString('latin1');
      const ds = dels.get(name);
      if (!ds) continue;
      q.extra = [...ds, ...(q.extra ?? [])];
      dels.delete(name);
    }
  }
}

function intentWrite(w: Extract<StoreWrite, { op: 'intent' }>, resolve: () => void, reject: (e: Error) => void): PendingWrite {
  const key = intentKey(w.spaceId, w.key);
  const value = w.intent ? encodeIntent(w.intent) : undefined;
  // Memory keeps the intent as decoded from its bytes: views of buffers of our own.
  const intent = value ? decodeIntent(w.spaceId, key.subarray(INTENT_KEY_START), value) : null;
  const extra: LevelOp[] = [value ? { type: 'put', key, value } : { type: 'del', key }];
  return { type: 'ops', key: EMPTY, spaceId: w.spaceId, subspace: -1, region: -1, userKey: EMPTY, obj: null, extra, after: { kind: 'intent', name: key.toString('latin1'), intent }, resolve, reject };
}

/**
 * A drop, as one write of deletes: of every key listed (in LevelDB before the batch) and of every
 * key put by the writes of its own batch before it (not in LevelDB yet) in its ranges.
 */
function dropWrite(
  w: Extract<StoreWrite, { op: 'drop-region' | 'drop-space' }>,
  listed: readonly Buffer[],
  before: readonly PendingWrite[],
  resolve: () => void,
  reject: (e: Error) => void,
): PendingWrite {
  const prefixes = dropPrefixes(w);
  const inRange = (k: Buffer) => prefixes.some((r) => k.length >= r.length && k.subarray(0, r.length).equals(r));
  const extra: LevelOp[] = listed.map((key) => ({ type: 'del', key }));
  for (const p of before) {
    if (p.type === 'put' && inRange(p.key)) extra.push({ type: 'del', key: p.key });
    for (const x of p.extra ?? []) if (x.type === 'put' && inRange(x.key)) extra.push({ type: 'del', key: x.key });
  }
  const after: AfterOps = w.op === 'drop-region' ? { kind: 'drop-region', region: w.region } : { kind: 'drop-space', spaceId: w.spaceId };
  return { type: 'ops', key: EMPTY, spaceId: -1, subspace: -1, region: -1, userKey: EMPTY, obj: null, extra, after, resolve, reject };
}
