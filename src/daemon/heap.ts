// How far a daemon's JS heap may grow past what it holds live. V8 sizes the old generation after
// each full collection by a factor it picks itself, up to 4x the live objects when collections
// are cheap. Under a stream of writes, whose short-lived objects wait for their batch and get
// promoted, a daemon holding 1,100,000 objects went from 647 to 1,037 MB resident in 60 s of puts
// (and had 645 MB of heap for 156 MB live after 120 s). A fixed factor of 2 kept it at 820 MB
// for the same puts at the same speed (22.3k vs 22.2k puts/s); 1.5 kept it at 659 MB but cost
// about 10% more CPU per put. Measured 2026-12-01; see docs/benchmarks.md.

import * as v8 from 'node:v8';

/** Growth past the live heap, in percent (100: the heap may reach twice its live objects). */
export const HEAP_GROWING_PERCENT_DEFAULT = 100;
const HEAP_GROWING_PERCENT_MAX = 1000;

/** HYPERDEX_HEAP_GROWING_PERCENT, or the default; 0 leaves the choice to V8. */
export function heapGrowingPercentFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.HYPERDEX_HEAP_GROWING_PERCENT;
  if (v === undefined || v === '') return HEAP_GROWING_PERCENT_DEFAULT;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > HEAP_GROWING_PERCENT_MAX)
    throw new Error(`HYPERDEX_HEAP_GROWING_PERCENT must be a whole number from 0 to ${HEAP_GROWING_PERCENT_MAX}, got '${v}'`);
  return n;
}

/** Sets the growth for this process; V8 reads it at every full collection. */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
