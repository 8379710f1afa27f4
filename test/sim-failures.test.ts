// Failure detection in the simulated cluster (src/sim/scripted.ts), with the coordinator's core
// the process runs: a crashed or frozen daemon is failed once the coordinator has not heard from
// it for the failure timeout (in ticks), a restarted or woken one registers again and is available
// again, and a short freeze or a quick restart changes no configuration. The world itself checks
// that every configuration is persisted before anyone hears of it.

import test from 'ava';
import { ServerState, Status } from '../src/common/protocol';
import { Script } from '../src/sim/scripted';
import { SPACE } from '../src/sim/workload';

const TIMEOUT = 30;
const SEEDS = [1, 2, 3];

/** A cluster of three daemons with the space and some objects, under a short failure timeout. */
function cluster(seed: number) {
  const s = new Script({ seed, failureTimeoutTicks: TIMEOUT });
  const ids = s.startDaemons(3);
  const space = s.addSpace(SPACE);
  const c = s.client();
  s.waitFor(s.putMany(c, space, Array.from({ length: 40 }, (_, i) => [`k${i}`, { n: i }] as const)));
  return { s, ids, space, c };
}

for (const seed of SEEDS) {
  test(`seed ${seed}: a crashed daemon is failed after the timeout, keeps its regions, and is available again once restarted`, (t) => {
    const { s, ids, space, c } = cluster(seed);
    const victim = ids[1];
    const key = s.findKey('k', (k) => s.keyRegion(space, k).replicas[0] === victim);
    const heads = JSON.stringify(s.space('kv').subspaces.map((ss) => ss.regions.map((r) => r.replicas[0])));
    const version = s.config().version;
    s.crash(victim);
    const crashedAt = s.now;
    // Not failed at once: a restart within the timeout would come back unnoticed. (It was last heard
    // from a heartbeat interval and a round trip before the crash, at most.)
    s.run(TIMEOUT / 2);
    t.is(s.serverState(victim), ServerState.AVAILABLE);
    s.until(`d${victim} is failed`, () => s.serverState(victim) === ServerState.FAILED, 20);
    t.true(s.now - crashedAt <= TIMEOUT + 10, `failed ${s.now - crashedAt} ticks after the crash`);
    t.is(s.config().version, version + 1, 'one new configuration');
    t.is(JSON.stringify(s.space('kv').subspaces.map((ss) => ss.regions.map((r) => r.replicas[0]))), heads, 'no region left it: its objects are only there');
    s.until('the client hears of it', () => s.clientVersion(c) === s.config().version, 20);
    // A client does not ask a failed daemon: its key is refused, the others served.
    const refused = s.get(c, space, key);
    const other = s.get(c, space, s.findKey('k', (k) => s.keyRegion(space, k).replicas[0] === ids[0]));
    s.waitFor([refused, other]);
    t.is(refused.reply?.status, Status.RECONFIGURE);
    t.is(other.reply?.status, Status.SUCCESS);

    s.restart(victim);
    s.until(`d${victim} is available again`, () => s.available(victim), 40);
    s.settle();
    const back = s.get(c, space, key);
    s.waitFor(back);
    t.is(back.reply?.status, Status.SUCCESS, 'its objects are served again');
    t.is(s.core(victim).configVersion, s.config().version);
    const checked = s.check();
    t.true(checked.ok, checked.problem);
  });

  test(`seed ${seed}: a daemon frozen past the timeout is failed, and when it resumes it registers again and learns the newer configuration`, (t) => {
    const { s, ids, space, c } = cluster(seed);
    const victim = ids[2];
    const version = s.config().version;
    s.freeze(victim, TIMEOUT * 3);
    s.until(`d${victim} is failed`, () => s.serverState(victim) === ServerState.FAILED, TIMEOUT + 20);
    t.is(s.config().version, version + 1);
    // Meanwhile the configuration moves on without it: a new space.
    s.addSpace('space more key k attributes int n create 2 partitions tolerate 0 failures');
    const newest = s.config().version;
    t.true(s.core(victim).configVersion < newest, 'the frozen daemon has heard of none of it');
    t.false(s.world.daemons.get(victim)!.link?.open ?? false, 'the coordinator closed its connection');
    s.until(`d${victim} resumes and is available again`, () => s.available(victim), TIMEOUT * 3);
    s.until(`d${victim} follows the newest configuration`, () => s.core(victim).configVersion === s.config().version, 50);
    t.true(s.config().version > newest, 'its return is a new configuration');
    s.settle();
    const key = s.findKey('k', (k) => s.keyRegion(space, k).replicas[0] === victim);
    const read = s.get(c, space, key);
    s.waitFor(read);
    t.is(read.reply?.status, Status.SUCCESS);
    const checked = s.check();
    t.true(checked.ok, checked.problem);
  });

  test(`seed ${seed}: a freeze shorter than the timeout and a restart within it change no configuration`, (t) => {
    const { s, ids } = cluster(seed);
    const version = s.config().version;
    s.freeze(ids[0], TIMEOUT / 3);
    s.run(TIMEOUT * 3);
    s.crash(ids[1]);
    s.run(5);
    s.restart(ids[1]);
    s.run(TIMEOUT * 3);
    t.is(s.config().version, version);
    t.true(ids.every((id) => s.available(id)));
    t.is(s.world.faultCounts.failed, 0);
    t.is(s.world.faultCounts.freezes, 1);
  });
}
