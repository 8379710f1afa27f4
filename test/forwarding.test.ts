// Where a daemon sends on a write it applied to a region (src/daemon/forwarding.ts).
//
// The case that matters is a region that changes hands twice in a row: daemon 1 headed it and
// moved it to daemon 2; daemon 2 heads it now and already moves it on to daemon 3, while daemon 1
// still finishes a write it took before (it hands the region off only after that write). That
// late write must go to daemon 2: daemon 2 copies the region to daemon 3 key by key, and a write
// sent straight to daemon 3 could arrive before daemon 2's copy of the same key, which holds the
// older object and would overwrite it once it arrived (c-moves saw this as "a get returned
// another n" after the moves settled).

import test from 'ava';

import { RegionLayout } from '../src/common/config';
import { forwardTargetOf } from '../src/daemon/forwarding';

function region(replicas: number[], moving?: number): RegionLayout {
  return { id: 7, lower: [0n], upper: [1n], replicas, ...(moving === undefined ? {} : { moving }) };
}

test('the head forwards to the next head while the region moves, and nowhere otherwise', (t) => {
  t.is(forwardTargetOf(region([1], 2), 1), 2);
  t.is(forwardTargetOf(region([1]), 1), undefined);
});

test('the previous head forwards a late write to the head, even while the head moves the region on', (t) => {
  t.is(forwardTargetOf(region([2]), 1), 2);
  t.is(forwardTargetOf(region([2], 3), 1), 2);
});

test('a region with no head has nowhere to forward to', (t) => {
  t.is(forwardTargetOf(region([]), 1), undefined);
});
