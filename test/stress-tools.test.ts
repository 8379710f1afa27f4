// The two stress tools against a real cluster (a coordinator and two daemons): small bounded runs
// end CONSISTENT with exit 0, in both spellings; bad command lines exit 2, a missing or misshapen
// space and an unreachable coordinator exit 1, each with one line.

import test from 'ava';
import { Client } from '../src/client/client';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { CONSISTENCY_SPACE } from '../src/cli/consistency-stress';
import { REPLICATION_SPACE } from '../src/cli/replication-stress';
import { Tally } from '../src/cli/stress-run';
import { CoordinatorProc, runCommand, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const scope = new SharedScope();
let coord: CoordinatorProc;

test.before(async () => {
  coord = await startCoordinator(scope);
  await Promise.all([startDaemon(scope, coord), startDaemon(scope, coord)]);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 15_000 });
  try {
    await client.addSpace(REPLICATION_SPACE);
    await client.addSpace(CONSISTENCY_SPACE);
    await client.addSpace('space consistency64\ndimensions n (int64), repetition (int64)\nkey n auto 0 1\n');
  } finally {
    await client.close();
  }
});

test.after.always(() => scope.close());

const port = () => String(coord.port);
const lastLine = (text: string) => text.trimEnd().split('\n').pop() ?? '';

test("the manual's two spaces parse as the tools expect them", (t) => {
  const r = parseSpaceDescription(REPLICATION_SPACE);
  t.is(r.key.name, 'A');
  t.deepEqual(r.attributes, [
    { name: 'B', type: { kind: 'string' } },
    { name: 'C', type: { kind: 'string' } },
  ]);
  t.deepEqual(r.subspaces, [
    { attributes: ['B'], partitions: 16, replicas: 2 },
    { attributes: ['C'], partitions: 16, replicas: 2 },
  ]);
  const c = parseSpaceDescription(CONSISTENCY_SPACE);
  t.deepEqual([c.key.name, c.attributes.map((a) => a.name), c.keySubspace.partitions], ['n', ['repetition'], 1]);
});

// One run at a time: the runs of one tool share their space's keys, and the machine's CPU.
test.serial('hyperdex-replication-stress-test: a bounded run moves objects across regions and ends CONSISTENT', async (t) => {
  const r = await runCommand('hyperdex-replication-stress-test', ['-p', port(), '-P', '3', '-n', '150', '-c', '4']);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^hyperdex-replication-stress-test: 8 objects in space replication \(B: 16 regions, C: 16 regions\), 150 puts, 4 objects at a time\n/);
  // 8 first puts and 150; each burst of 3 puts is followed by a get and 6 searches; at the end 8 x 3 reads and a search of all.
  t.is(lastLine(r.stdout).replace(/ in [\d.]+ s$/, ''), 'CONSISTENT: 158 writes, 375 reads, 0 failed operations, 0 inconsistencies');
  t.regex(r.stderr, /150\/150 writes, \d+ reads, 0 inconsistencies, 0 failed/, 'the progress line, plain off a terminal');
});

test.serial('hyperdex replication-stress-test (1.0 spelling) with --seconds stops early with a verdict', async (t) => {
  const r = await runCommand('hyperdex', ['replication-stress-test', '-p', port(), '--prefix', '2', '--operations', '100000000', '--seconds', '1']);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(lastLine(r.stdout), /^CONSISTENT: \d+ writes, \d+ reads, 0 failed operations, 0 inconsistencies in [\d.]+ s \(stopped early: --seconds 1 passed\)$/);
});

test.serial('hyperdex-simple-consistency-stress-test: one writer, readers in reverse order, CONSISTENT', async (t) => {
  const r = await runCommand('hyperdex-simple-consistency-stress-test', ['-p', port(), '-w', '20', '-r', '10', '-t', '3']);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^hyperdex-simple-consistency-stress-test: keys 0 \.\. 19 of space consistency, repetitions \d+ \.\. \d+, 3 readers\n/);
  // 20 puts of the base repetition, then 200; the readers' reads vary with the timing.
  t.regex(lastLine(r.stdout), /^CONSISTENT: 220 writes, \d+ reads, 0 failed operations, 0 inconsistencies in [\d.]+ s$/);
  // A second run starts from the repetition the first left.
  const again = await runCommand('hyperdex-simple-consistency-stress-test', ['-p', port(), '-w', '20', '-r', '2', '-t', '1']);
  t.is(again.status, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /repetitions 11 \.\. 12, 1 readers/);
});

test.serial('hyperdex simple-consistency-stress-test (1.0 spelling) on a space of int64s', async (t) => {
  const r = await runCommand('hyperdex', ['simple-consistency-stress-test', '-p', port(), '-s', 'consistency64', '-w', '5', '-r', '4', '-t', '2']);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(lastLine(r.stdout), /^CONSISTENT: 25 writes, \d+ reads, 0 failed operations, 0 inconsistencies/);
});

test('a missing space: exit 1 and one line that says how to create it', async (t) => {
  const r = await runCommand('hyperdex-replication-stress-test', ['-p', port(), '-s', 'nosuch']);
  t.is(r.status, 1);
  t.is(r.stdout, '');
  t.is(
    r.stderr,
    `hyperdex-replication-stress-test: there is no space named nosuch: create it first, e.g. printf 'space nosuch\\ndimensions A, B, C\\nkey A auto 4 2\\nsubspace B auto 4 2\\nsubspace C auto 4 2\\n' | hyperdex add-space -h 127.0.0.1 -p ${port()}\n`,
  );
  const c = await runCommand('hyperdex', ['simple-consistency-stress-test', '-p', port(), '-s', 'nosuch']);
  t.is(c.status, 1);
  t.regex(c.stderr, /^hyperdex: there is no space named nosuch: create it first, e\.g\. printf 'space nosuch\\ndimensions n, repetition\\nkey n auto 0 2\\n' \| hyperdex add-space/);
});

test('a space of the wrong shape: exit 1, naming what is missing', async (t) => {
  const r = await runCommand('hyperdex-simple-consistency-stress-test', ['-p', port(), '-s', 'replication']);
  t.is(r.status, 1);
  t.regex(r.stderr, /^hyperdex-simple-consistency-stress-test: space replication does not fit this test: it has no attribute repetition \(it is made for: space consistency; dimensions n, repetition; key n auto 0 2\)\n$/);
  const c = await runCommand('hyperdex-replication-stress-test', ['-p', port(), '-s', 'consistency']);
  t.is(c.status, 1);
  t.regex(c.stderr, /space consistency does not fit this test: it has no attribute B/);
});

test('an unreachable coordinator: exit 1 and one line', async (t) => {
  for (const cmd of ['hyperdex-replication-stress-test', 'hyperdex-simple-consistency-stress-test']) {
    const r = await runCommand(cmd, ['-p', '1', '--timeout', '5']);
    t.is(r.status, 1, cmd);
    t.regex(r.stderr, new RegExp(`^${cmd}: COORDFAIL: cannot reach the coordinator.*\\n$`));
  }
});

const USAGE_ERRORS: [string, string[], RegExp][] = [
  ['hyperdex-replication-stress-test', ['--prefix', '17'], /--prefix must be a whole number from 0 to 16, got '17'/],
  ['hyperdex-replication-stress-test', ['-n', '0'], /--operations must be a whole number from 1 to/],
  ['hyperdex-replication-stress-test', ['--seconds', 'soon'], /--seconds must be a whole number/],
  ['hyperdex-replication-stress-test', ['--bogus'], /unknown option --bogus/],
  ['hyperdex-replication-stress-test', ['extra'], /unexpected argument 'extra'/],
  ['hyperdex-simple-consistency-stress-test', ['-w', '0'], /--window-size must be a whole number from 1 to/],
  ['hyperdex-simple-consistency-stress-test', ['-t', '65'], /--threads must be a whole number from 1 to 64/],
  ['hyperdex-simple-consistency-stress-test', ['-r'], /option --repetitions needs a value/],
  ['hyperdex-simple-consistency-stress-test', ['-p', 'x'], /--port must be a port number/],
  ['hyperdex-simple-consistency-stress-test', ['--timeout', '0'], /--timeout must be a number of seconds/],
  ['hyperdex', ['replication-stress-test', '-P', '-1'], /--prefix must be a whole number/],
];

test('bad command lines: exit 2 and one line, before any connection', async (t) => {
  for (const [cmd, args, message] of USAGE_ERRORS) {
    const r = await runCommand(cmd, args);
    t.is(r.status, 2, `${cmd} ${args.join(' ')}`);
    t.regex(r.stderr, message);
    t.is(r.stderr.split('\n').length, 2, 'one line');
  }
});

test('--help and --version in both spellings', async (t) => {
  for (const [cmd, args] of [
    ['hyperdex-replication-stress-test', ['--help']],
    ['hyperdex-simple-consistency-stress-test', ['-?']],
    ['hyperdex', ['replication-stress-test', '--help']],
    ['hyperdex', ['simple-consistency-stress-test', '--help']],
  ] as const) {
    const r = await runCommand(cmd, args);
    t.is(r.status, 0, `${cmd} ${args.join(' ')}`);
    t.regex(r.stdout, /^usage: hyperdex[ -](replication|simple-consistency)-stress-test \[options\]/);
    t.regex(r.stdout, /-s, --space SPACE/);
    t.regex(r.stdout, /-h, --host IP/);
  }
  const v = await runCommand('hyperdex-replication-stress-test', ['--version']);
  t.is(v.status, 0);
  t.regex(v.stdout, /^hyperdex-replication-stress-test \d+\.\d+\.\d+\n$/);
});

test('the verdict: CONSISTENT, INCONSISTENT with the first 10 described, GAVE UP when nothing succeeds for the give-up time', async (t) => {
  const lines = (tally: Tally) => {
    const out: string[] = [];
    return { status: tally.verdict((l) => out.push(l), 1.25), out };
  };
  const ok = new Tally(60_000);
  ok.writes = 3;
  ok.reads = 4;
  t.deepEqual(lines(ok), { status: 0, out: ['CONSISTENT: 3 writes, 4 reads, 0 failed operations, 0 inconsistencies in 1.3 s'] });

  const bad = new Tally(60_000);
  bad.inconsistent(Array.from({ length: 12 }, (_, i) => `problem ${i + 1}`));
  const v = lines(bad);
  t.is(v.status, 1);
  t.deepEqual(v.out.slice(0, 2), ['inconsistency 1: problem 1', 'inconsistency 2: problem 2']);
  t.deepEqual(v.out.slice(9), ['inconsistency 10: problem 10', '... and 2 more', 'INCONSISTENT: 0 writes, 0 reads, 0 failed operations, 12 inconsistencies in 1.3 s']);

  const down = new Tally(1);
  const failing = () => Promise.reject(new Error('COORDFAIL: down'));
  t.is(await down.attempt(failing), undefined);
  await new Promise((resolve) => setTimeout(resolve, 5));
  t.false(await down.persist(failing), 'persist stops when the run gives up');
  t.true(down.stopped);
  const g = lines(down);
  t.is(g.status, 1);
  // With a give-up time of 1 ms, a slow machine may give up at the first failure already (then
  // persist makes no attempt): one write attempted or none, and at least one failure.
  t.regex(g.out[0], /^GAVE UP: no operation succeeded for \d+ s; the last failed with COORDFAIL: down; [01] writes, 0 reads, [1-9]\d* failed operations, 0 inconsistencies in 1\.3 s$/);
});
