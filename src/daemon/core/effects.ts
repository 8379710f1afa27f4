// What a step asks of the shell, and who waits for each answer. The Ready being built lives here,
// with one counter for the tokens of every persist, load and scan, so that a token names one
// request whatever its kind (the shell answers `persisted`, `loaded` or `scanned` with it).

import { ServerId } from '../../common/config';
import { ClientHandle, ClientReply, CoordinatorMessage, PeerMessage, Ready, RegionAddress, StoredRecord, StoreWrite } from './types';

export type Rows = readonly (readonly [Buffer, StoredRecord])[];

/** Told when a persist is written (or failed): a function, or an object (no closure per write). */
export type PersistDone = ((ok: boolean, message: string) => void) | { persisted(ok: boolean, message: string): void };

/** For a persist that nothing waits for. */
export const NOTHING_WAITS: PersistDone = () => undefined;

/** What a Ready holds where a step asked nothing of a kind: one shared, frozen, empty list. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** A Ready whose lists are made at their first entry: most steps fill one or two of the six. */
function lazyReady(): { -readonly [K in keyof Ready]: Ready[K] } {
  return { persist: NONE, loads: NONE, scans: NONE, send: NONE, toCoordinator: NONE, replies: NONE };
}

export class Effects {
  private ready = lazyReady();
  private nextToken = 1;
  private readonly persists = new Map<number, PersistDone>();
  private readonly loads = new Map<number, (record: StoredRecord | null) => void>();
  private readonly scans = new Map<number, (rows: Rows) => void>();

  /** Asks for an atomic batch of writes; `done` runs when the shell says it was written (or failed). */
  persist(writes: StoreWrite[], done: PersistDone): void {
    const token = this.nextToken++;
    this.persists.set(token, done);
    if (this.ready.persist === NONE) this.ready.persist = [];
    this.ready.persist.push({ token, writes });
  }

  /** Asks for a record the store does not know without I/O. */
  load(region: RegionAddress, key: Buffer, then: (record: StoredRecord | null) => void): void {
    const token = this.nextToken++;
    this.loads.set(token, then);
    if (this.ready.loads === NONE) this.ready.loads = [];
    this.ready.loads.push({ token, region, key });
  }

  /** Asks for a region's rows (only those in `interval` on its first axis are needed, if given). */
  scan(region: RegionAddress, interval: readonly [bigint, bigint] | undefined, then: (rows: Rows) => void): void {
    const token = this.nextToken++;
    this.scans.set(token, then);
    if (this.ready.scans === NONE) this.ready.scans = [];
    this.ready.scans.push(interval ? { token, region, interval } : { token, region });
  }

  send(to: ServerId, message: PeerMessage): void {
    if (this.ready.send === NONE) this.ready.send = [];
    this.ready.send.push({ to, message });
  }

  report(message: CoordinatorMessage): void {
    if (this.ready.toCoordinator === NONE) this.ready.toCoordinator = [];
    this.ready.toCoordinator.push(message);
  }

  reply(client: ClientHandle, requestId: number, reply: ClientReply): void {
    if (this.ready.replies === NONE) this.ready.replies = [];
    this.ready.replies.push({ client, requestId, reply });
  }

  // An answer whose token is unknown is one this core no longer waits for: ignored.

  persisted(token: number, ok: boolean, message: string): void {
    const done = this.persists.get(token);
    if (!done) return;
    this.persists.delete(token);
    if (typeof done === 'function') done(ok, message);
    else done.persisted(ok, message);
  }

  loaded(token: number, record: StoredRecord | null): void {
    const then = this.loads.get(token);
    if (!then) return;
    this.loads.delete(token);
    then(record);
  }

  scanned(token: number, rows: Rows): void {
    const then = this.scans.get(token);
    if (!then) return;
    this.scans.delete(token);
    then(rows);
  }

  /** The step's effects, handed to the shell; the next step starts an empty Ready. */
  take(): Ready {
    const out = this.ready;
    this.ready = lazyReady();
    return out;
  }
}
