// The command lines: --help everywhere, one-line errors with a non-zero exit, both grammars through
// both control tools, state that survives restarts of the coordinator and of a daemon.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { ROOT, runCommand, SharedScope, startCoordinator, startDaemon, startProcess, stopProcess, tempDir, waitForOutput } from './helpers/cluster';

const HELP_CASES: [string, string[]][] = [
  ['hyperdex', ['--help']],
  ['hyperdex', ['coordinator', '--help']],
  ['hyperdex', ['daemon', '--help']],
  ['hyperdex', ['add-space', '--help']],
  ['hyperdex', ['rm-space', '--help']],
  ['hyperdex', ['list-spaces', '--help']],
  ['hyperdex-coordinator', ['--help']],
  ['hyperdex-daemon', ['--help']],
  ['hyperdex-daemon', ['-?']],
  ['hyperdex-coordinator-control', ['--help']],
  // -h is help wherever it is not the host.
  ['hyperdex', ['-h']],
  ['hyperdex', ['coordinator', '-h']],
  ['hyperdex', ['daemon', '-h']],
  ['hyperdex-coordinator', ['-h']],
  ['hyperdex', ['get', '--help']],
  ['hyperdex', ['shell', '--help']],
];

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const VERSION_CASES: [string, string[]][] = [
  ['hyperdex', ['--version']],
  ['hyperdex', ['coordinator', '--version']],
  ['hyperdex', ['daemon', '--version']],
  ['hyperdex', ['add-space', '--version']],
  ['hyperdex', ['rm-space', '--version']],
  ['hyperdex', ['list-spaces', '--version']],
  ['hyperdex', ['get', '--version']],
  ['hyperdex', ['shell', '--version']],
  ['hyperdex-coordinator', ['--version']],
  ['hyperdex-daemon', ['--version']],
  ['hyperdex-coordinator-control', ['--version']],
];

for (const [cmd, args] of VERSION_CASES) {
  test(`${cmd} ${args.join(' ')} prints the package version and exits 0`, async (t) => {
    const r = await runCommand(cmd, args);
    t.deepEqual(r, { status: 0, stdout: `${cmd} ${VERSION}\n`, stderr: '' });
  });
}

test('-h is the host where a command has one: hyperdex-daemon, hyperdex-coordinator-control, the data commands', async (t) => {
  for (const [cmd, args] of [['hyperdex-daemon', ['-h']], ['hyperdex-coordinator-control', ['-h']], ['hyperdex', ['list-spaces', '-h']], ['hyperdex', ['get', '-h']]] as const) {
    const r = await runCommand(cmd, args);
    t.is(r.status, 2, `${cmd} ${args.join(' ')}`);
    t.regex(r.stderr, /option --host needs a value/);
  }
});

for (const [cmd, args] of HELP_CASES) {
  test(`${cmd} ${args.join(' ')} prints usage and exits 0`, async (t) => {
    const r = await runCommand(cmd, args);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, /usage: /);
  });
}

test('both coordinator spellings document --failure-timeout-ms and its default', async (t) => {
  for (const [cmd, args] of [
    ['hyperdex', ['coordinator', '--help']],
    ['hyperdex-coordinator', ['--help']],
  ] as const) {
    const r = await runCommand(cmd, args);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, /--failure-timeout-ms MS\s+a daemon not heard from for longer than MS .* \(default: 2000\)/);
  }
});

const FAILURES: [string, string[], RegExp][] = [
  ['hyperdex', [], /no command given/],
  ['hyperdex', ['frobnicate'], /unknown command 'frobnicate'/],
  ['hyperdex', ['coordinator', '--bogus'], /unknown option --bogus/],
  ['hyperdex', ['coordinator', '-p', 'notaport'], /--listen-port must be a port number/],
  ['hyperdex', ['daemon', '--data=/nonexistent/hyperdex-test-dir', '--listen-port=0'], /data directory \/nonexistent\/hyperdex-test-dir does not exist/],
  ['hyperdex-daemon', ['--data', '/nonexistent/hyperdex-test-dir'], /data directory \/nonexistent\/hyperdex-test-dir does not exist/],
  ['hyperdex-coordinator', ['--data', '/nonexistent/hyperdex-test-dir', '--host-port', '0', '--control-port', '0'], /data directory .* does not exist/],
  ['hyperdex-coordinator', ['--logging', 'loud'], /--logging must be one of/],
  ['hyperdex', ['coordinator', '--failure-timeout-ms', '100'], /--failure-timeout-ms must be a whole number of milliseconds from 200 to 600000, got '100'/],
  ['hyperdex-coordinator', ['--failure-timeout-ms', '2s'], /--failure-timeout-ms must be a whole number of milliseconds from 200 to 600000, got '2s'/],
  ['hyperdex-coordinator-control', [], /no action given/],
  ['hyperdex-coordinator-control', ['--port', '1', 'list-spaces'], /cannot reach the coordinator/],
  ['hyperdex-coordinator-control', ['--port', '1', 'add-space'], /no space description on standard input/],
  ['hyperdex', ['rm-space'], /rm-space takes exactly one space name/],
];

test('a daemon refuses a bad HYPERDEX_HEAP_GROWING_PERCENT with one line', async (t) => {
  const dir = tempDir(t, 'heap-env');
  const r = await runCommand('hyperdex', ['daemon', `--data=${dir}`, '--listen-port=0', '--coordinator-port=1'], '', { HYPERDEX_HEAP_GROWING_PERCENT: 'lots' });
  t.not(r.status, 0);
  t.regex(r.stderr, /HYPERDEX_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000, got 'lots'/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

for (const [cmd, args, reason] of FAILURES) {
  test(`${cmd} ${args.join(' ')} fails with one line`, async (t) => {
    const r = await runCommand(cmd, args);
    t.not(r.status, 0);
    t.regex(r.stderr, reason);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}

const PHONEBOOK_04 = 'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 1 3\nsubspace first, last, phone auto 2 3\n';
const SOCIAL_04 = `space socialnetwork
dimensions username, first, last,
    pending_requests (list(string)),
    hobbies (set(string)),
    unread_messages (map(string,string))
    upvotes (map(string,int64))
key username auto 0 3
subspace first, last auto 0 3
`;
const FRIENDLISTS_10 = 'space friendlists\nkey username\nattributes\n   string first,\n   string last,\n   set(string) friends\n';
const USERLOCKS_10 = 'space userlocks\nkey username\n';
const ALLTYPES_10 =
  'space alldatatypes key k attributes string s, int i, float f, list(string) ls, set(string) ss, map(string, string) mss, map(string, int) msi';

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/^space (\w+)/, (_m, n: string) => `space ${n}1`);

test('both grammars through both control tools, as written and on one line', async (t) => {
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  const coord = await startCoordinator(scope, { legacy: true });
  await startDaemon(scope, coord, { legacy: true });
  const control = (args: string[], stdin?: string) => runCommand('hyperdex-coordinator-control', ['--host', '127.0.0.1', '--port', String(coord.controlPort), ...args], stdin);
  const newer = (args: string[], stdin?: string) => runCommand('hyperdex', [...args, '-h', '127.0.0.1', '-p', String(coord.port)], stdin);

  const descriptions = [PHONEBOOK_04, SOCIAL_04, FRIENDLISTS_10, USERLOCKS_10, ALLTYPES_10];
  for (const d of descriptions) {
    const r = await control(['add-space'], d);
    t.is(r.status, 0, `${d}: ${r.stderr}`);
    const r1 = await newer(['add-space'], oneLine(d));
    t.is(r1.status, 0, `${oneLine(d)}: ${r1.stderr}`);
  }
  const names = ['phonebook', 'socialnetwork', 'friendlists', 'userlocks', 'alldatatypes'];
  const expected = names.flatMap((n) => [n, `${n}1`]);
  t.deepEqual((await newer(['list-spaces'])).stdout.trim().split('\n'), expected);
  t.deepEqual((await control(['list-spaces'])).stdout.trim().split('\n'), expected);

  // The spaces work: the 0.4 socialnetwork defaults, read through the host port.
  const c = await Client.connect('127.0.0.1', coord.port);
  t.teardown(() => c.close());
  t.true(await c.put('socialnetwork1', 'jsmith1', { first: 'John', last: 'Smith' }));
  t.deepEqual(await c.get('socialnetwork1', 'jsmith1'), {
    first: 'John',
    last: 'Smith',
    pending_requests: [],
    hobbies: new Set(),
    unread_messages: new Map(),
    upvotes: new Map(),
  });

  // A parse error names line, column and what was expected; nothing is created.
  const bad = await newer(['add-space'], 'space bad\nkey k\nattributes\n  string a,\n  lisst(string) b\n');
  t.not(bad.status, 0);
  t.regex(bad.stderr, /line 5, column 3: expected/);
  const dup = await control(['add-space'], PHONEBOOK_04);
  t.not(dup.status, 0);
  t.regex(dup.stderr, /phonebook already exists/);
  t.is((await newer(['rm-space', 'nosuch'])).status, 1);
  t.is((await newer(['rm-space', 'phonebook1'])).status, 0);
  t.false((await newer(['list-spaces'])).stdout.split('\n').includes('phonebook1'));
});

test('the coordinator keeps its spaces across a restart; a restarted daemon keeps its identity and data', async (t) => {
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  const coordDir = tempDir(scope, 'coord-restart');
  const daemonDir = tempDir(scope, 'daemon-restart');
  let coord = await startCoordinator(scope, { dataDir: coordDir });
  const port = coord.port;
  let daemon = await startDaemon(scope, coord, { dataDir: daemonDir });
  const firstId = daemon.serverId;
  t.is((await runCommand('hyperdex', ['add-space', '-p', String(port)], FRIENDLISTS_10)).status, 0);
  const c = await Client.connect('127.0.0.1', port, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  t.true(await c.put('friendlists', 'jsmith1', { first: 'John' }));

  // Restart the coordinator on the same port and directory.
  t.is(await stopProcess(coord, 'SIGTERM'), 0);
  coord = await startCoordinator(scope, { dataDir: coordDir, port });
  t.deepEqual((await runCommand('hyperdex', ['list-spaces', '-p', String(port)])).stdout, 'friendlists\n');

  // Restart the daemon (SIGTERM: clean stop) on the same directory: same server id, same objects.
  t.is(await stopProcess(daemon, 'SIGTERM'), 0);
  daemon = await startDaemon(scope, coord, { dataDir: daemonDir });
  t.is(daemon.serverId, firstId);
  t.deepEqual(await c.get('friendlists', 'jsmith1'), { first: 'John', last: '', friends: new Set() });
  t.true(fs.existsSync(path.join(coordDir, 'coordinator.state')));
});

test('npm start runs a coordinator and three daemons with a default data directory and stops cleanly on SIGINT', async (t) => {
  const scope = new SharedScope();
  t.teardown(() => scope.close());
  const dir = tempDir(scope, 'start');
  // Run start.js as npm start does, but with ephemeral ports so that tests never collide.
  const proc = startProcess(scope, '../dist/src/cli/start', ['--port', '0', '--daemon-port', '0', '--http-port', '0', '--data', path.join(dir, 'data')]);
  const m = await waitForOutput(proc, /coordinator {2}127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  t.not(port, 0);
  // The status page's URL, and the page there.
  const page = (await waitForOutput(proc, /status page {2}(http:\/\/127\.0\.0\.1:\d+\/) /))[1];
  const res = await fetch(page, { signal: AbortSignal.timeout(10_000) });
  t.is(res.status, 200);
  t.regex(await res.text(), /<title>HyperDex status<\/title>/);
  t.is((await runCommand('hyperdex', ['add-space', '-p', String(port)], USERLOCKS_10)).status, 0);
  const c = await Client.connect('127.0.0.1', port);
  t.true(await c.put_if_not_exist('userlocks', 'me', {}));
  await c.close();
  const config = (await (await fetch(page + 'api/config', { signal: AbortSignal.timeout(10_000) })).json()) as { servers: unknown[]; spaces: { name: string }[] };
  t.is(config.servers.length, 3);
  t.deepEqual(config.spaces.map((s) => s.name), ['userlocks']);
  // Registration needs the secret npm start keeps in its data directory.
  const secretFile = path.join(dir, 'data', 'cluster-secret');
  t.is(fs.statSync(secretFile).mode & 0o777, 0o600);
  t.true(proc.output().includes(`--cluster-secret-file ${secretFile}`), 'npm start says where the secret is');
  const stranger = await runCommand('hyperdex', ['daemon', `--data=${tempDir(scope, 'start-stranger')}`, '--listen-port=0', `--coordinator-port=${port}`]);
  t.not(stranger.status, 0, 'a daemon without the secret does not join');
  t.regex(stranger.stderr, /the cluster secret is missing/);
  t.is(await stopProcess(proc, 'SIGINT'), 0);
  t.true(fs.existsSync(path.join(dir, 'data', 'coordinator', 'coordinator.state')));
  for (const d of ['daemon1', 'daemon2', 'daemon3']) t.true(fs.existsSync(path.join(dir, 'data', d, 'objects')), d);
  t.regex(proc.output(), /daemon \d+ +127\.0\.0\.1:\d+[\s\S]*daemon \d+ +127\.0\.0\.1:\d+[\s\S]*daemon \d+ +127\.0\.0\.1:\d+/, 'three daemons');
});
