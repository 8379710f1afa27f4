// bench/storage-floor.ts from its command line: --help, one-line errors, and a small run's JSON.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/cluster';

const SCRIPT = path.join(ROOT, 'dist', 'bench', 'storage-floor.js');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });

test('storage-floor --help says how to run it', (t) => {
  const r = run('--help');
  t.is(r.status, 0);
  t.regex(r.stdout, /^usage: node dist\/bench\/storage-floor\.js \[keys=N\] \[seconds=S\] \[entries=1\|2\|3\]/);
});

test('storage-floor refuses bad arguments with one line and exit 1', (t) => {
  for (const [args, want] of [[['keys=x'], 'storage-floor: keys must be a positive number'], [['entries=4', 'keys=10', 'seconds=0.05'], 'storage-floor: storage floor: entries per put must be 1 to 3'],
    [['keys=1.5', 'seconds=0.05'], 'storage-floor: storage floor: bad key count 1.5']] as const) {
    const r = run(...args);
    t.is(r.status, 1, args.join(' '));
    t.is(r.stderr, `${want}\n`, args.join(' '));
    t.is(r.stdout, '');
  }
});

test('a small storage-floor run prints the floor and the store layer, even with one key', (t) => {
  for (const keys of [1, 20]) {
    const r = run(`keys=${keys}`, 'seconds=0.05');
    t.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.is(out.entries_per_put, 3);
    t.is(out.keys, keys);
    for (const k of ['puts_per_s', 'cpu_us_per_put', 'latency_p50_us', 'latency_p99_us']) t.true(out[k] > 0, `${k}: ${out[k]}`);
    t.true(out.store.puts_per_s > 0 && out.store.cpu_us_per_put > 0, JSON.stringify(out.store));
    t.is(out.store.batch_puts, keys === 1 ? 1 : 10);
  }
});
