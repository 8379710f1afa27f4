// The operator's commands against a live cluster, in both spellings, for people and with --json:
// show-config, server-list, server-offline/online/forget, wait-until-stable, validate-space; bad
// input; and the coordinator's and daemons' logs of it all, one JSON object a line.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { HyperClientError } from '../src/client/errors';
import { findSpace, keyRegion } from '../src/common/config';
import { ServerState } from '../src/common/protocol';
import { CoordinatorSession } from '../src/cli/coordinator-session';
import { CoordinatorProc, DaemonProc, runCommand, SharedScope, startCoordinator, startDaemon, stopProcess, tempDir } from './helpers/cluster';

const KV = 'space kv key k attributes int n subspace n create 4 partitions tolerate 0 failures';
const KEYS = Array.from({ length: 16 }, (_, i) => `k${i}`);

const scope = new SharedScope();
let coord: CoordinatorProc;
let a: DaemonProc;
let b: DaemonProc;
/** Daemons' processes as started, restarts included: their logs are read at the end. */
const daemonProcs: DaemonProc[] = [];
let client: Client;

const hd = (args: string[], stdin?: string) => runCommand('hyperdex', [...args, '-p', String(coord.port)], stdin);
const control = (args: string[], stdin?: string) => runCommand('hyperdex-coordinator-control', ['--host', '127.0.0.1', '--port', String(coord.controlPort), ...args], stdin);
const parse = (r: { stdout: string }) => JSON.parse(r.stdout);
const oneLine = (stderr: string) => stderr.trim().split('\n').length === 1;

async function daemon(opts: { dataDir?: string } = {}): Promise<DaemonProc> {
  const d = await startDaemon(scope, coord, { ...opts, logging: 'info' });
  daemonProcs.push(d);
  return d;
}

/** The server that heads the key's region, in the coordinator's configuration now. */
async function headOf(key: string): Promise<number> {
  const s = await CoordinatorSession.open('127.0.0.1', coord.port);
  try {
    return keyRegion(findSpace(s.config, 'kv')!, Buffer.from(key)).replicas[0];
  } finally {
    s.close();
  }
}

test.before(async () => {
  coord = await startCoordinator(scope, { legacy: true, logging: 'info' });
  a = await daemon();
  b = await daemon();
  const r = await hd(['add-space'], KV);
  if (r.status !== 0) throw new Error(r.stderr);
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  for (const [i, k] of KEYS.entries()) await client.put('kv', k, { n: i });
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

test.serial('show-config and server-list, in both spellings, for people and for scripts', async (t) => {
  const r = await hd(['show-config', '--json']);
  t.is(r.status, 0, r.stderr);
  const v = parse(r);
  t.deepEqual(
    v.servers.map((s: { id: number; address: string; state: string }) => [s.id, s.address, s.state]),
    [
      [a.serverId, `127.0.0.1:${a.port}`, 'available'],
      [b.serverId, `127.0.0.1:${b.port}`, 'available'],
    ],
  );
  t.is(v.servers.reduce((n: number, s: { heads: number }) => n + s.heads, 0), 8);
  t.is(v.spaces.length, 1);
  const kv = v.spaces[0];
  t.like(kv, { name: 'kv', key: { name: 'k', type: 'string' }, attributes: [{ name: 'n', type: 'int64' }], regions: 8 });
  t.deepEqual(kv.subspaces, [
    { index: 0, attributes: ['k'], regions: 4, replicas: 1, tolerates: 0 },
    { index: 1, attributes: ['n'], regions: 4, replicas: 1, tolerates: 0 },
  ]);
  t.deepEqual(kv.layout[0].regions[0].bounds, [{ attribute: 'k', lower: '0x0000000000000000', upper: '0x3fffffffffffffff' }]);
  t.is(kv.layout[1].regions.length, 4);
  t.true(v.stable);
  t.deepEqual(v.unsettled, []);
  // The 0.4 spelling, on the control port, says the same.
  const legacy = await control(['show-config', '--json']);
  t.is(legacy.status, 0, legacy.stderr);
  t.deepEqual(parse(legacy), v);

  const human = await control(['show-config']);
  t.is(human.status, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`^configuration version ${v.version}$`, 'm'));
  t.regex(human.stdout, /^space kv \(id \d+\), 8 region\(s\):$/m);
  t.regex(human.stdout, /^ {2}key subspace: k; 4 region\(s\), 1 replica\(s\) each asked for \(tolerate 0 failure\(s\) once replication exists\)$/m);
  t.regex(human.stdout, /^ {4}region \d+: k 0x0000000000000000\.\.0x3fffffffffffffff; chain \d+$/m);
  t.regex(human.stdout, /^settled: no region is moving$/m);

  const list = await hd(['server-list']);
  t.is(list.status, 0, list.stderr);
  t.deepEqual(
    list.stdout.trim().split('\n').map((l) => l.split(/\s+/)),
    [['ID', 'ADDRESS', 'STATE', 'HEADS'], ...v.servers.map((s: { id: number; address: string; heads: number }) => [String(s.id), s.address, 'available', String(s.heads)])],
  );
  const listJson = await control(['server-list', '--json']);
  t.deepEqual(parse(listJson), { version: v.version, servers: v.servers });
});

test.serial('server-offline makes a server\'s regions unavailable and loses nothing; it holds across a kill -9 and restart of its daemon; server-online undoes it', async (t) => {
  const onA = await firstKeyHeadedBy(a.serverId);
  const onB = await firstKeyHeadedBy(b.serverId);
  const off = await hd(['server-offline', String(b.serverId)]);
  t.is(off.status, 0, off.stderr);
  t.is(off.stdout, `server ${b.serverId} is offline: it gets no new regions, and the 4 region(s) it heads are unavailable to clients until server-online ${b.serverId} (their objects are only on it)\n`);
  const again = await control(['server-offline', String(b.serverId), '--json']);
  t.like(parse(again), { ok: true, command: 'server-offline', server: b.serverId, status: 'SUCCESS', message: `server ${b.serverId} was already taken offline` });

  const v = parse(await hd(['show-config', '--json']));
  t.is(v.servers.find((s: { id: number }) => s.id === b.serverId).state, 'admin-offline');
  const regions = v.spaces[0].layout.flatMap((ss: { regions: unknown[] }) => ss.regions) as { chain: number[]; unavailable: boolean }[];
  t.deepEqual(
    regions.map((r) => r.unavailable),
    regions.map((r) => r.chain[0] === b.serverId),
    'exactly the regions it heads are unavailable',
  );
  t.regex((await hd(['show-config'])).stdout, /chain \d+ \(unavailable: its head is not available\)/);

  // Clients: the other server's keys work; this one's give a clear status, not a connection timeout.
  t.deepEqual(await client.get('kv', onA), { n: KEYS.indexOf(onA) });
  const e = await t.throwsAsync(client.get('kv', onB), { instanceOf: HyperClientError });
  t.is(e?.statusName, 'RECONFIGURE');
  t.regex(e!.message, /no available daemon holds region \d+ of space kv/);

  // Its daemon dies (kill -9: its lock stays behind) and comes back on its directory: still offline.
  t.is(await stopProcess(b, 'SIGKILL'), 'SIGKILL');
  b = await daemon({ dataDir: b.dataDir });
  const list = parse(await hd(['server-list', '--json']));
  t.deepEqual(list.servers.map((s: { id: number; state: string }) => [s.id, s.state]), [
    [a.serverId, 'available'],
    [b.serverId, 'admin-offline'],
  ]);

  const on = await hd(['server-online', String(b.serverId), '--json']);
  t.is(on.status, 0, on.stderr);
  t.like(parse(on), { ok: true, message: `server ${b.serverId} is available` });
  t.deepEqual(await client.get('kv', onB), { n: KEYS.indexOf(onB) }, 'nothing was lost');
});

async function firstKeyHeadedBy(server: number): Promise<string> {
  for (const k of KEYS) if ((await headOf(k)) === server) return k;
  throw new Error(`no key of ${KEYS.join(',')} is on server ${server}`);
}

test.serial('wait-until-stable waits for a joining daemon\'s moves; server-forget refuses a connected, an unknown or a heading server, then forgets', async (t) => {
  const c = await daemon();
  const wait = await control(['wait-until-stable', '--timeout', '60']);
  t.is(wait.status, 0, wait.stderr);
  t.regex(wait.stdout, /^settled at configuration version \d+\n$/);
  const v = parse(await hd(['show-config', '--json']));
  t.true(v.stable);
  t.true(v.servers.find((s: { id: number }) => s.id === c.serverId).heads > 0, 'the new daemon took its share');
  for (const [i, k] of KEYS.entries()) t.deepEqual(await client.get('kv', k), { n: i }, `${k} after the moves`);
  const settled = await hd(['wait-until-stable', '--json', '--timeout', '0']);
  t.deepEqual(parse(settled), { stable: true, version: v.version, unsettled: [] });

  const connected = await hd(['server-forget', String(c.serverId)]);
  t.is(connected.status, 1);
  t.regex(connected.stderr, new RegExp(`server ${c.serverId}'s daemon is connected to the coordinator: stop it before forgetting the server`));
  t.true(oneLine(connected.stderr), connected.stderr);
  const unknown = await hd(['server-forget', '99', '--json']);
  t.is(unknown.status, 1);
  t.like(parse(unknown), { ok: false, status: 'BADREQUEST', message: `no server 99: the servers are ${[a, b, c].map((d) => d.serverId).join(', ')}` });
  t.true(oneLine(unknown.stderr), unknown.stderr);

  t.is(await stopProcess(c, 'SIGTERM'), 0);
  const s = await CoordinatorSession.open('127.0.0.1', coord.port);
  try {
    // Failed once the coordinator has not heard from it for its failure timeout (2 s by default).
    t.true(await s.waitFor((config) => config.servers.some((x) => x.id === c.serverId && x.state === ServerState.FAILED), 10_000), 'the coordinator saw it go');
  } finally {
    s.close();
  }
  const heading = await control(['server-forget', String(c.serverId)]);
  t.is(heading.status, 1);
  t.regex(heading.stderr, new RegExp(`server ${c.serverId} heads \\d+ region\\(s\\), whose objects are only on it: region \\d+ of space kv`));
  t.true(oneLine(heading.stderr), heading.stderr);

  t.is((await hd(['rm-space', 'kv'])).status, 0);
  const forgot = await hd(['server-forget', String(c.serverId)]);
  t.is(forgot.status, 0, forgot.stderr);
  t.is(forgot.stdout, `server ${c.serverId} is forgotten\n`);
  t.deepEqual(parse(await hd(['server-list', '--json'])).servers.map((x: { id: number }) => x.id), [a.serverId, b.serverId]);
});

test.serial('the coordinator and the daemons log one JSON object a line, with the events of all the above', (t) => {
  const events = (p: { errorOutput(): string }) =>
    p
      .errorOutput()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; name: string; pid: number; event?: string; msg: string; to?: string; server?: number });
  const logged = events(coord);
  t.true(logged.every((e) => e.name === 'coordinator' && e.pid === coord.pid && typeof e.msg === 'string'));
  const seen = (event: string, extra: (e: (typeof logged)[number]) => boolean = () => true) => logged.some((e) => e.event === event && e.level === 'info' && extra(e));
  t.true(seen('config-recovered'));
  t.true(seen('daemon-joined', (e) => e.server === a.serverId));
  t.true(seen('config-version'));
  t.true(seen('space-created'));
  t.true(seen('server-state', (e) => e.server === b.serverId && e.to === 'admin-offline'));
  t.true(seen('daemon-rejoined', (e) => e.server === b.serverId), 'the daemon restarted on its directory rejoined');
  t.true(seen('server-state', (e) => e.server === b.serverId && e.to === 'available'));
  t.true(seen('space-removed'));
  t.true(seen('server-forgotten'));
  t.true(logged.some((e) => e.event === 'daemon-disconnected' && e.level === 'warn'));
  for (const d of daemonProcs) {
    const own = events(d);
    t.true(own.some((e) => e.event === 'registered' && e.name === 'daemon'), `daemon ${d.serverId} logs its registration`);
  }
  const stopped = daemonProcs.at(-1)!;
  t.true(events(stopped).some((e) => e.event === 'stopping') && events(stopped).some((e) => e.event === 'stopped'), 'a daemon stopped by SIGTERM logs it');
});

test('wait-until-stable gives up after --timeout, naming what is not settled', async (t) => {
  const lone = await startCoordinator(t);
  t.is((await runCommand('hyperdex', ['add-space', '-p', String(lone.port)], KV)).status, 0);
  const r = await runCommand('hyperdex', ['wait-until-stable', '-p', String(lone.port), '--timeout', '0.3']);
  t.is(r.status, 1);
  t.regex(r.stderr, /not settled after 0\.3 s \(configuration version \d+\): region \d+ of space kv has no daemon yet, and 7 more/);
  t.true(oneLine(r.stderr), r.stderr);
  const j = await runCommand('hyperdex', ['wait-until-stable', '-p', String(lone.port), '-t', '0', '--json']);
  t.is(j.status, 1);
  const v = JSON.parse(j.stdout);
  t.false(v.stable);
  t.is(v.unsettled.length, 8);
});

const PHONEBOOK_04 = 'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 1 3\nsubspace first, last, phone auto 2 3\n';

test('validate-space explains a description from a file or standard input, and points at an error', async (t) => {
  const dir = tempDir(t, 'validate');
  const file = path.join(dir, 'phonebook.space');
  fs.writeFileSync(file, PHONEBOOK_04);
  const human = await runCommand('hyperdex', ['validate-space', file]);
  t.is(human.status, 0, human.stderr);
  t.is(
    human.stdout.split('\n').slice(0, 6).join('\n'),
    [
      'space phonebook is valid:',
      '  key: username (string)',
      '  attributes: first (string), last (string), phone (int64)',
      '  key subspace: username; 2 region(s), 3 replica(s) each asked for (tolerate 2 failure(s) once replication exists)',
      '  subspace 1: first, last, phone; 4 region(s), 3 replica(s) each asked for (tolerate 2 failure(s) once replication exists)',
      '  2 subspace(s), 6 region(s) in all',
    ].join('\n'),
  );
  t.regex(human.stdout, /replication is not implemented yet/);
  const json = await runCommand('hyperdex-coordinator-control', ['validate-space', '--json'], 'space userlocks key username');
  t.is(json.status, 0, json.stderr);
  t.deepEqual(JSON.parse(json.stdout), {
    valid: true,
    space: {
      name: 'userlocks',
      key: { name: 'username', type: 'string' },
      attributes: [],
      subspaces: [{ index: 0, attributes: ['username'], regions: 256, replicas: 3, tolerates: 2 }],
      regions: 256,
    },
  });

  const bad = 'space bad\nkey k\nattributes\n  string a,\n  lisst(string) b\n';
  const r = await runCommand('hyperdex', ['validate-space'], bad);
  t.is(r.status, 1);
  t.regex(r.stderr, /^hyperdex: invalid space description: line 5, column 3: expected .* but found 'lisst'/);
  t.true(oneLine(r.stderr), r.stderr);
  t.is(r.stdout, 'line 5:   lisst(string) b\n          ^\n');
  const rj = await runCommand('hyperdex', ['validate-space', '--json'], bad);
  t.is(rj.status, 1);
  t.like(JSON.parse(rj.stdout), { valid: false, error: { line: 5, column: 3, found: 'lisst' } });

  const missing = await runCommand('hyperdex', ['validate-space', path.join(dir, 'nope')]);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /cannot read .*nope: ENOENT/);
  t.is((await runCommand('hyperdex', ['validate-space'], '  \n')).status, 2);
});

const BAD_COMMAND_LINES: [string, string[], number, RegExp][] = [
  ['hyperdex', ['server-offline'], 2, /server-offline takes ID/],
  ['hyperdex', ['server-online', 'three'], 2, /a server id is a positive whole number \(see server-list\), got 'three'/],
  ['hyperdex', ['server-forget', '0'], 2, /a server id is a positive whole number/],
  ['hyperdex', ['show-config', 'extra'], 2, /show-config takes no argument/],
  ['hyperdex', ['server-list', '--bogus'], 2, /unknown option --bogus/],
  ['hyperdex', ['wait-until-stable', '--timeout', 'soon'], 2, /--timeout must be a number of seconds from 0 to 86400, got 'soon'/],
  ['hyperdex', ['validate-space', 'a', 'b'], 2, /validate-space takes \[FILE\]/],
  ['hyperdex', ['show-config', '-p', '1'], 1, /cannot reach the coordinator at 127\.0\.0\.1:1: .*ECONNREFUSED/],
  ['hyperdex-coordinator-control', ['--port', '1', 'server-list', '--json'], 1, /cannot reach the coordinator at 127\.0\.0\.1:1/],
];

for (const [cmd, args, status, reason] of BAD_COMMAND_LINES) {
  test(`${cmd} ${args.join(' ')} fails with one line`, async (t) => {
    const r = await runCommand(cmd, args);
    t.is(r.status, status, r.stderr);
    t.regex(r.stderr, reason);
    t.true(oneLine(r.stderr), r.stderr);
  });
}

test('every admin command has --help in both spellings; hyperdex --help lists them', async (t) => {
  const top = await runCommand('hyperdex', ['--help']);
  const names = ['show-config', 'server-list', 'server-offline', 'server-online', 'server-forget', 'wait-until-stable', 'validate-space'];
  for (const name of names) {
    t.regex(top.stdout, new RegExp(`^ {2}${name}\\b`, 'm'), name);
    for (const [cmd, args] of [
      ['hyperdex', [name, '--help']],
      ['hyperdex-coordinator-control', ['--port', '6970', name, '--help']],
    ] as const) {
      const r = await runCommand(cmd, [...args]);
      t.is(r.status, 0, `${cmd} ${name}: ${r.stderr}`);
      t.regex(r.stdout, new RegExp(`^usage: ${cmd}.* ${name}`, 'm'));
    }
  }
  const off = await runCommand('hyperdex', ['server-offline', '--help']);
  t.regex(off.stdout, /objects exist only on it/);
  t.regex(off.stdout, /RECONFIGURE/);
  t.regex((await runCommand('hyperdex-coordinator-control', ['--help'])).stdout, /server-forget ID/);
});
