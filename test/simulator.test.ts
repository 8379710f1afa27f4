// The whole-cluster simulator: seeded faulty histories of the daemon cores, each checked
// (linearizable keys, nothing acknowledged lost, searches and counts within what the history
// allows). No processes, no sleeps: time is simulated.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { simulateMany, simulateSeed } from '../src/sim/simulate';
import { runScenario } from '../src/sim/scenario';
import { DEFAULT_FAULTS, NO_FAULTS } from '../src/sim/world';

const BASE = { daemons: 3, ops: 60, clients: 4, faults: DEFAULT_FAULTS };

test('200 seeds under faults: every history passes its checks', (t) => {
  const s = simulateMany(1, 200, BASE);
  t.is(s.seeds, 200);
  t.is(s.failures, 0, s.firstFailure ? `seed ${s.firstFailure.seed}: ${s.firstFailure.problem}` : '');
  // The faults really happened.
  t.true(s.faults.dropped > 0 && s.faults.duplicated > 0 && s.faults.crashes > 0 && s.faults.partitions > 0 && s.faults.joins > 0, JSON.stringify(s.faults));
  // Daemons froze, and the coordinator failed daemons that stayed down or frozen past its timeout.
  t.true(s.faults.freezes > 0 && s.faults.failed > 0, JSON.stringify(s.faults));
  t.true(s.operations >= 200 * 4 * 60);
});

test('a seed replays exactly: the same trace twice', (t) => {
  const a = runScenario({ ...BASE, seed: 7, trace: true });
  const b = runScenario({ ...BASE, seed: 7, trace: true });
  t.true(a.world.trace!.length > 1000);
  t.deepEqual(a.world.trace, b.world.trace);
  const c = runScenario({ ...BASE, seed: 8, trace: true });
  t.notDeepEqual(a.world.trace, c.world.trace);
});

test('without faults, with five daemons and eight clients', (t) => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = simulateSeed({ seed, daemons: 5, ops: 40, clients: 8, faults: NO_FAULTS });
    t.is(r.problem, undefined, `seed ${seed}`);
  }
});

test('the command line: --help, a summary of the seeds run, one-line errors for bad arguments', (t) => {
  const run = (args: string[]) => spawnSync(process.execPath, [path.join(__dirname, '../src/sim/simulate.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  const help = run(['--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /--seeds N/);
  const bad = run(['--seeds', 'x']);
  t.is(bad.status, 2);
  t.is(bad.stderr.trim().split('\n').length, 1);
  t.regex(bad.stderr, /--seeds takes a whole number/);
  const few = run(['--seeds', '2', '--seed', '5', '--ops', '20']);
  t.is(few.status, 0, few.stdout + few.stderr);
  t.regex(few.stdout, /^2 seeds, \d+ operations, 0 failed/m);
  t.regex(few.stdout, /faults: \d+ messages dropped, .*\d+ freezes, .*; \d+ servers failed by the coordinator$/m);
});
