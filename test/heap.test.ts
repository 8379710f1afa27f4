// The daemon's bound on its JS heap's growth (src/daemon/heap.ts): the setting read from the
// environment. What the bound does to a daemon's resident memory is measured by the benchmark
// (docs/benchmarks.md), not here.

import test from 'ava';
import { HEAP_GROWING_PERCENT_DEFAULT, heapGrowingPercentFromEnv } from '../src/daemon/heap';

test('HYPERDEX_HEAP_GROWING_PERCENT sets the heap growth; unset is the default, 0 leaves it to V8, a bad value is refused', (t) => {
  t.is(heapGrowingPercentFromEnv({}), HEAP_GROWING_PERCENT_DEFAULT);
  t.is(heapGrowingPercentFromEnv({ HYPERDEX_HEAP_GROWING_PERCENT: '' }), HEAP_GROWING_PERCENT_DEFAULT);
  t.is(heapGrowingPercentFromEnv({ HYPERDEX_HEAP_GROWING_PERCENT: '0' }), 0);
  t.is(heapGrowingPercentFromEnv({ HYPERDEX_HEAP_GROWING_PERCENT: '50' }), 50);
  for (const bad of ['-1', '1.5', 'many', '1001']) t.throws(() => heapGrowingPercentFromEnv({ HYPERDEX_HEAP_GROWING_PERCENT: bad }), { message: /HYPERDEX_HEAP_GROWING_PERCENT/ });
});
