// What the daemon answered, counted on its request path: plain numbers in typed arrays, indexed by
// operation and status, updated once per reply (Daemon.reply). Nothing here allocates or looks a
// name up per request; metrics.ts turns the arrays into Prometheus metrics when scraped.

import { performance } from 'node:perf_hooks';
import { MsgType, Status } from '../common/protocol';

/** Operations as metrics name them, in index order. put covers every REQ_ATOMIC (put, cond_put, atomic ops). */
export const OP_NAMES = ['get', 'put', 'del', 'search', 'count', 'group_del'] as const;
export type OpName = (typeof OP_NAMES)[number];

/** A reply's frame type (Pending.type, less RESPONSE_BASE) -> its operation's index; -1: none. */
const RESPONSE_BASE = 0x0200;
const OP_OF_RESPONSE = (() => {
  const t = new Int8Array(16).fill(-1);
  const by: [number, OpName][] = [
    [MsgType.RESP_GET, 'get'],
    [MsgType.RESP_ATOMIC, 'put'],
    [MsgType.RESP_DEL, 'del'],
    [MsgType.RESP_SEARCH_DONE, 'search'],
    [MsgType.RESP_COUNT, 'count'],
    [MsgType.RESP_GROUP_DEL, 'group_del'],
  ];
  for (const [type, op] of by) t[type - RESPONSE_BASE] = OP_NAMES.indexOf(op);
  return t;
})();

/** Statuses are counted by their offset from SUCCESS; the last slot takes any code outside the range. */
const STATUS_BASE = Status.SUCCESS;
export const STATUS_SLOTS = 128;
export const STATUS_OTHER = STATUS_SLOTS - 1;

/**
 * Upper bounds (seconds) of the latency buckets; a last, unbounded bucket follows. From 50 µs (a
 * cached get on an idle daemon) to 2.5 s (a write behind a stalled disk).
 */
export const LATENCY_BOUNDS_S: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BOUNDS_MS = Float64Array.from(LATENCY_BOUNDS_S, (s) => s * 1000);
const BUCKETS = LATENCY_BOUNDS_S.length + 1;

/**
 * One request in LATENCY_SAMPLE_EVERY (a power of two) is timed: reading the clock costs about as
 * much as a tenth of a cached get (see README, Metrics), so timing every request would show in
 * throughput. The sample is taken by arrival order, whatever the operation.
 */
export const LATENCY_SAMPLE_EVERY = 16;

export class OpCounts {
  /** [op * STATUS_SLOTS + status slot]: replies sent. */
  readonly replies = new Float64Array(OP_NAMES.length * STATUS_SLOTS);
  /** [op * BUCKETS + bucket]: timed requests (not cumulative; metrics.ts sums them). */
  readonly latencyBuckets = new Float64Array(OP_NAMES.length * BUCKETS);
  /** [op]: sum of the timed requests' latencies, in milliseconds. */
  readonly latencySumMs = new Float64Array(OP_NAMES.length);
  private arrivals = 0;

  /** A request's start time for record(), or 0 when this one is not timed. */
  started(): number {
    return (++this.arrivals & (LATENCY_SAMPLE_EVERY - 1)) === 0 ? performance.now() : 0;
  }

  /** A reply framed for a request of response type `type`, begun at `startedMs` (0: not timed). */
  record(type: number, status: number, startedMs: number): void {
    const op = OP_OF_RESPONSE[(type - RESPONSE_BASE) & 15];
    if (op < 0) return;
    let slot = status - STATUS_BASE;
    if (slot < 0 || slot >= STATUS_OTHER) slot = STATUS_OTHER;
    this.replies[op * STATUS_SLOTS + slot]++;
    if (startedMs === 0) return;
    const ms = performance.now() - startedMs;
    let b = 0;
    while (b < BOUNDS_MS.length && ms > BOUNDS_MS[b]) b++;
    this.latencyBuckets[op * BUCKETS + b]++;
    this.latencySumMs[op] += ms;
  }

  /** The status code counted in a slot (STATUS_OTHER: none in particular). */
  static statusOfSlot(slot: number): number | undefined {
    return slot === STATUS_OTHER ? undefined : STATUS_BASE + slot;
  }
}

export const LATENCY_BUCKETS = BUCKETS;
