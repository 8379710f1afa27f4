// A daemon cut off from the coordinator stops serving its clients once its lease runs out
// (src/daemon/core/lease.ts), before a new head may serve what it held. The scenario: a region
// moves from d1 to d2; the coordinator makes d2 its head while d1 and the client `old` hear nothing
// (their configurations are held) and d1 is cut from the coordinator. d2 waits for d1's handoff for
// the handoff wait, then serves the region; a write acknowledged there must not be missing from a
// later read that `old` sends to d1. Without the lease d1 answered it from its own stale copy
// (this was the first scenario of test/sim-scenarios-failing.ts.txt).

import test from 'ava';
import { Status } from '../src/common/protocol';
import { Attrs, Script } from '../src/sim/scripted';
import { cutPastTheHandoffWait } from './helpers/sim-cut';

const SEEDS = [1, 2, 3, 4, 5];
/** The coordinator's failure timeout here: heartbeats, and so leases, run (a lease is 3/4 of it). */
const FAILURE_TIMEOUT_TICKS = 100;


for (const seed of SEEDS) {
  test(`seed ${seed}: past the handoff wait, the cut-off old head no longer answers reads of what the new head changed`, (t) => {
    const s = new Script({ seed, failureTimeoutTicks: FAILURE_TIMEOUT_TICKS });
    const { d1, d2, space, R, old } = cutPastTheHandoffWait(s, 1_000);
    // A new key of R, with secondary regions that d2 heads: its chain does not need d1.
    const key = s.findKey('fresh', (k) => s.keyRegion(space, k).id === R);
    const quarters = [-(2n ** 63n), -(2n ** 62n), 0n, 2n ** 62n].map((q) => q + 7n);
    let attrs: Attrs | undefined;
    for (let i = 0; i < 64 && !attrs; i++) {
      const c = { n: quarters[i % 4], s: `s${i}` };
      if ([1, 2].every((j) => s.regionOf(space, j, key, c).replicas[0] === d2)) attrs = c;
    }
    t.truthy(attrs, 'the layout has such values');
    const fresh = s.client();
    const write = s.put(fresh, space, key, attrs!);
    s.waitFor(write);
    t.is(write.reply?.status, Status.SUCCESS);
    t.is(write.servedBy, d2);
    s.run(2);
    const read = s.get(old, space, key);
    s.waitFor(read);
    // The old client still sends to d1, which refuses once its lease is out: the read fails
    // (RECONFIGURE, the client's retries spent) rather than miss the write.
    t.not(read.reply?.status, Status.NOTFOUND, `d1 (server ${d1}) answered from its stale copy`);
    if (read.reply?.status === Status.SUCCESS) t.deepEqual(s.expectLatest([read]), []);
    else t.is(read.reply?.status, Status.RECONFIGURE);
    const c = s.check();
    t.true(c.ok, c.problem);
  });
}
