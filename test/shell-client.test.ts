// The shell client against a live cluster (one coordinator and one daemon for the file): every
// data command as `hyperdex COMMAND`, human and --json output, exit statuses (0, 1 with the
// status name, 2 for a bad command line, 3 for NOTFOUND/CMPFAIL), bad input, an unreachable
// coordinator, `hyperdex shell` driven through standard input, and the README's examples. Serial: each command is a
// process, and the machine is shared.

import test from 'ava';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tokenize } from '../src/cli/shell-line';
import { spawn } from 'node:child_process';
import { BIN, ROOT, runCommand, SharedScope, startCluster } from './helpers/cluster';

const scope = new SharedScope();
let port = 0;

const PEOPLE = 'space people key username attributes first, last, int phone subspace first, last, phone create 8 partitions tolerate 0 failures';
const KINDS =
  'space kinds key int id attributes int n, float f, list(string) ls, set(int) si, map(string, int) msi, string s create 4 partitions tolerate 0 failures';

test.before(async () => {
  const { coord } = await startCluster(scope);
  port = coord.port;
  for (const d of [PEOPLE, KINDS]) {
    const r = await runCommand('hyperdex', ['add-space', '-p', String(port)], d);
    if (r.status !== 0) throw new Error(`add-space failed: ${r.stderr}`);
  }
});

test.after.always(() => scope.close());

/** `hyperdex COMMAND -p PORT ARGS...` (options go before the arguments, so that -- may end them). */
const hd = (command: string, ...args: string[]) => runCommand('hyperdex', [command, '-p', String(port), ...args]);

const oneErrorLine = (stderr: string) => stderr.trim().split('\n').length === 1;

test.serial('put and get, readable and --json', async (t) => {
  const put = await hd('put', 'people', 'jsmith1', '{"first": "John", "last": "Smith", "phone": 6075551024}');
  t.deepEqual(put, { status: 0, stdout: 'ok\n', stderr: '' });
  const get = await hd('get', 'people', 'jsmith1');
  t.deepEqual(get, { status: 0, stdout: 'first  "John"\nlast   "Smith"\nphone  6075551024\n', stderr: '' });
  const json = await hd('get', '--json', 'people', 'jsmith1');
  t.is(json.status, 0);
  t.deepEqual(JSON.parse(json.stdout), { first: 'John', last: 'Smith', phone: 6075551024 });
  t.is(json.stdout, '{"first":"John","last":"Smith","phone":6075551024}\n');
  const putJson = await hd('put', '--json', 'people', 'jsmith1', '{"phone": 6075552048}');
  t.is(putJson.stdout, '{"ok":true}\n');
  t.is((await hd('get', '--json', 'people', 'jsmith1')).stdout, '{"first":"John","last":"Smith","phone":6075552048}\n', 'other attributes kept');
});

test.serial('a missing key is exit status 3 with NOTFOUND, nothing on stdout', async (t) => {
  for (const json of [[], ['--json']]) {
    const r = await hd('get', ...json, 'people', 'nobody');
    t.is(r.status, 3);
    t.is(r.stdout, '');
    t.is(r.stderr, 'hyperdex: NOTFOUND: no object under key nobody in space people\n');
  }
  const del = await hd('del', 'people', 'nobody');
  t.is(del.status, 3);
  t.regex(del.stderr, /^hyperdex: NOTFOUND: /);
  const atomic = await hd('atomic', 'people', 'nobody', 'add', '{"phone": 1}');
  t.is(atomic.status, 3);
  t.regex(atomic.stderr, /^hyperdex: NOTFOUND: /);
  t.is((await hd('get', 'people', 'nobody')).status, 3, 'the atomic operation created nothing');
});

test.serial('bad input: one line naming the error, exit 1 (the server or client refused) or 2 (the command line), nothing stored', async (t) => {
  t.is((await hd('put', 'people', 'typed', '{"first": "T"}')).status, 0);
  const cases: [string[], number, RegExp][] = [
    [['get', 'nospace', 'k'], 1, /^hyperdex: UNKNOWNSPACE: no space named nospace$/],
    [['put', 'nospace', 'k', '{}'], 1, /^hyperdex: UNKNOWNSPACE: /],
    [['put', 'people', 'typed', '{"nosuch": 1}'], 1, /^hyperdex: UNKNOWNATTR: "nosuch" is not an attribute of space people$/],
    [['put', 'people', 'typed', '{"phone": "6075551024"}'], 1, /^hyperdex: WRONGTYPE: "phone" is int64: expected an integer, got string 6075551024$/],
    [['put', 'people', 'typed', '{"first": "Tom", "phone": 1.5}'], 1, /^hyperdex: WRONGTYPE: "phone" is int64: expected an integer, got number 1.5$/],
    [['put', 'people', 'typed', '{"first": 7}'], 1, /^hyperdex: WRONGTYPE: "first" is string: expected a string/],
    [['put', 'people', 'typed', '{"first": "Tom", "phone":'], 2, /^hyperdex: ATTRIBUTES is not valid JSON: .* \(see hyperdex --help\)$/],
    [['put', 'people', 'typed', '{first: "Tom"}'], 2, /^hyperdex: ATTRIBUTES is not valid JSON: /],
    [['put', 'people', 'typed', '{"first": "Tom", "first": "Tim"}'], 2, /Duplicate key 'first'/],
    [['put', 'people', 'typed', '["first", "Tom"]'], 2, /^hyperdex: ATTRIBUTES must be a JSON object such as /],
    [['put', 'people', 'typed'], 2, /^hyperdex: put takes 3 arguments \(SPACE KEY ATTRIBUTES\), got 2/],
    [['search', 'people', '{"nosuch": 1}'], 1, /^hyperdex: UNKNOWNATTR: /],
    [['search', 'people', '{"phone": [1]}'], 1, /^hyperdex: WRONGTYPE: "phone" is int64: a range is \[lower, upper\], got 1 elements$/],
    [['count', 'people', 'not json'], 2, /^hyperdex: PREDICATE is not valid JSON: /],
    [['atomic', 'people', 'typed', 'frobnicate', '{"phone": 1}'], 2, /^hyperdex: unknown atomic operation 'frobnicate' \(one of add, sub, /],
    [['atomic', 'people', 'typed', 'constructor', '{"phone": 1}'], 2, /^hyperdex: unknown atomic operation 'constructor' /],
    [['atomic', 'people', 'typed', 'add', '{"first": 1}'], 1, /^hyperdex: WRONGTYPE: num_add does not apply to "first" \(string\)$/],
    [['get', 'kinds', 'seven'], 1, /^hyperdex: WRONGTYPE: key "id" is int64: expected an integer, got string seven$/],
    [['search', 'people', '--descending'], 2, /--descending needs --sort-by/],
    [['search', 'people', '--sort-by', 'phone'], 2, /--sort-by needs --limit N/],
    [['search', 'people', '--limit', '0'], 2, /--limit must be a whole number from 1 to/],
    [['get', '--timeout', 'soon', 'people', 'k'], 2, /--timeout must be a number of seconds/],
    [['get', '-p'], 2, /option --port needs a value/],
    [['describe-space', 'nospace'], 1, /^hyperdex: UNKNOWNSPACE: /],
  ];
  for (const [args, status, reason] of cases) {
    const r = await runCommand('hyperdex', [args[0], '-p', String(port), ...args.slice(1)]);
    const what = args.join(' ');
    t.is(r.status, status, `${what}: ${r.stderr}`);
    t.regex(r.stderr.trim(), reason, what);
    t.true(oneErrorLine(r.stderr), `${what}: ${r.stderr}`);
    t.is(r.stdout, '', what);
  }
  const after = await hd('get', '--json', 'people', 'typed');
  t.is(after.stdout, '{"first":"T","last":"","phone":0}\n', 'none of the refused writes changed the object');
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

test.serial('no coordinator listening: COORDFAIL on one line, exit 1, within a bounded time', async (t) => {
  const nowhere = await closedPort();
  const bad = await runCommand('hyperdex', ['put', '-p', String(nowhere), 'people', 'k', '{"a":']);
  t.is(bad.status, 2, 'a bad command line is reported before any connection');
  t.regex(bad.stderr, /ATTRIBUTES is not valid JSON/);
  for (const args of [['get', 'people', 'k'], ['search', 'people'], ['describe-space', 'people']]) {
    const started = Date.now();
    const r = await runCommand('hyperdex', [args[0], '-p', String(nowhere), '--timeout', '3', ...args.slice(1)]);
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, new RegExp(`^hyperdex: COORDFAIL: cannot reach the coordinator: .*127\\.0\\.0\\.1:${nowhere}`));
    t.true(oneErrorLine(r.stderr));
    t.true(Date.now() - started < 10_000, `${args[0]} took ${Date.now() - started} ms`);
  }
});

test.serial('values of every kind, typed by the schema; integers past 2^53 exact both ways; integer and negative keys', async (t) => {
  const big = '9223372036854775807';
  const put = await hd('put', 'kinds', '7', `{"n": ${big}, "f": 2.5, "ls": ["b", "a"], "si": [3, 1, 3], "msi": {"x": 1}, "s": "h\\u00e9"}`);
  t.is(put.status, 0, put.stderr);
  const json = await hd('get', '--json', 'kinds', '7');
  t.is(json.stdout, `{"n":${big},"f":2.5,"ls":["b","a"],"si":[1,3],"msi":{"x":1},"s":"hé"}\n`);
  const human = await hd('get', 'kinds', '7');
  t.is(human.stdout, `n    ${big}\nf    2.5\nls   ["b","a"]\nsi   [1,3]\nmsi  {"x":1}\ns    "hé"\n`);
  // A negative key goes after --.
  t.is((await hd('put', 'kinds', '--', '-1', '{"n": -9007199254740993}')).status, 0);
  t.is((await hd('get', '--json', 'kinds', '--', '-1')).stdout, '{"n":-9007199254740993,"f":0,"ls":[],"si":[],"msi":{},"s":""}\n');
  const tooBig = await hd('put', 'kinds', '8', '{"n": 9223372036854775808}');
  t.is(tooBig.status, 1);
  t.regex(tooBig.stderr, /WRONGTYPE: "n" is int64: integer 9223372036854775808 does not fit in 64 bits/);
  t.is((await hd('get', 'kinds', '8')).status, 3, 'nothing stored');
  t.is((await hd('del', 'kinds', '--', '-1')).status, 0);
});

test.serial('atomic: numbers, strings, lists, sets, maps; OVERFLOW changes nothing', async (t) => {
  t.is((await hd('put', 'kinds', '20', '{"n": 10, "s": "mid"}')).status, 0);
  const steps: [string, string][] = [
    ['add', '{"n": 5}'],
    ['atomic_mul', '{"n": 2}'],
    ['mod', '{"n": 7}'],
    ['append', '{"s": "-end"}'],
    ['string-prepend', '{"s": "start-"}'],
    ['lpush', '{"ls": "first"}'],
    ['list_rpush', '{"ls": "last"}'],
    ['set_add', '{"si": 5}'],
    ['set_union', '{"si": [1, 2]}'],
    ['set_remove', '{"si": 2}'],
    ['map_add', '{"msi": {"a": 1, "b": 2}}'],
    ['map_atomic_add', '{"msi": {"a": 10}}'],
    ['map_remove', '{"msi": {"b": null}}'],
    ['div', '{"f": 0}'],
  ];
  for (const [op, operand] of steps) {
    const r = await hd('atomic', 'kinds', '20', op, operand);
    t.deepEqual(r, { status: 0, stdout: 'ok\n', stderr: '' }, `${op} ${operand}`);
  }
  const expected = '{"n":2,"f":0,"ls":["first","last"],"si":[1,5],"msi":{"a":11},"s":"start-mid-end"}\n';
  t.is((await hd('get', '--json', 'kinds', '20')).stdout, expected.replace('"f":0', '"f":"NaN"'), '0/0 is NaN, printed as a string');
  const overflow = await hd('atomic', 'kinds', '20', 'add', '{"n": 9223372036854775807}');
  t.is(overflow.status, 1);
  t.regex(overflow.stderr, /^hyperdex: OVERFLOW: /);
  t.is((await hd('atomic', '--json', 'kinds', '20', 'sub', '{"n": 1}')).stdout, '{"ok":true}\n');
  t.is((await hd('get', '--json', 'kinds', '20')).stdout, expected.replace('"n":2', '"n":1').replace('"f":0', '"f":"NaN"'), 'the failed operation changed nothing');
});

test.serial('cond-put and put-if-not-exist: applied (0) or CMPFAIL (3)', async (t) => {
  t.is((await hd('put-if-not-exist', 'people', 'cond1', '{"first": "Ann", "phone": 100}')).stdout, 'ok\n');
  const exists = await hd('put-if-not-exist', 'people', 'cond1', '{"first": "Bob"}');
  t.is(exists.status, 3);
  t.is(exists.stderr, 'hyperdex: CMPFAIL: an object exists under key cond1 in space people; nothing changed\n');
  const unmet = await hd('cond-put', 'people', 'cond1', '{"phone": 101}', '{"first": "Bob"}');
  t.is(unmet.status, 3);
  t.regex(unmet.stderr, /^hyperdex: CMPFAIL: the condition does not hold for key cond1 in space people/);
  const range = await hd('cond-put', '--json', 'people', 'cond1', '{"phone": [50, 150], "first": "Ann"}', '{"first": "Cy"}');
  t.deepEqual(range, { status: 0, stdout: '{"ok":true}\n', stderr: '' });
  t.is((await hd('cond-put', 'people', 'missing', '{}', '{"first": "X"}')).status, 3, 'no object: CMPFAIL too');
  t.is((await hd('get', '--json', 'people', 'cond1')).stdout, '{"first":"Cy","last":"","phone":100}\n');
  t.is((await hd('del', 'people', 'cond1')).stdout, 'ok\n');
  t.is((await hd('get', 'people', 'cond1')).status, 3);
});

test.serial('search, count and group-del with equality and ranges, readable and --json', async (t) => {
  for (const [k, first, phone] of [['s1', 'Sam', 5], ['s2', 'Sam', 15], ['s3', 'Sue', 25]] as const)
    t.is((await hd('put', 'people', k, JSON.stringify({ first, last: 'Search', phone }))).status, 0);
  const json = await hd('search', '--json', 'people', '{"last": "Search"}');
  t.is(json.status, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').sort();
  t.deepEqual(lines, [
    '{"username":"s1","first":"Sam","last":"Search","phone":5}',
    '{"username":"s2","first":"Sam","last":"Search","phone":15}',
    '{"username":"s3","first":"Sue","last":"Search","phone":25}',
  ]);
  const human = await hd('search', 'people', '{"last": "Search", "phone": [10, 20]}');
  t.is(human.stdout, 'username  "s2"\nfirst     "Sam"\nlast      "Search"\nphone     15\n\n1 object\n');
  t.is((await hd('search', 'people', '{"last": "Nobody"}')).stdout, '0 objects\n');
  t.is((await hd('search', '--json', 'people', '{"last": "Nobody"}')).stdout, '');
  const sorted = await hd('search', '--json', '--sort-by', 'phone', '--limit', '2', '--descending', 'people', '{"last": "Search"}');
  t.deepEqual(sorted.stdout.trim().split('\n').map((l) => JSON.parse(l).username), ['s3', 's2']);
  const limited = await hd('search', '--json', '--limit', '1', 'people', '{"last": "Search"}');
  t.is(limited.stdout.trim().split('\n').length, 1);
  t.is((await hd('count', 'people', '{"first": "Sam", "last": "Search"}')).stdout, '2\n');
  t.is((await hd('count', '--json', 'people', '{"last": "Search"}')).stdout, '{"count":3}\n');
  t.is((await hd('group-del', 'people', '{"first": "Sam", "last": "Search"}')).stdout, 'deleted 2 objects\n');
  t.is((await hd('group-del', '--json', 'people', '{"last": "Search"}')).stdout, '{"deleted":1}\n');
  t.is((await hd('count', 'people', '{"last": "Search"}')).stdout, '0\n');
  const all = await hd('count', '--json', 'kinds');
  t.regex(all.stdout, /^\{"count":\d+\}\n$/, 'no predicate counts everything');
});

test.serial('describe-space, readable and --json', async (t) => {
  const human = await hd('describe-space', 'people');
  t.is(
    human.stdout,
    [
      'space people',
      'key:',
      '  username  string',
      'attributes:',
      '  first     string',
      '  last      string',
      '  phone     int64',
      'subspaces:',
      '  key  username            8 partitions, 1 replica (tolerate 0 failures)',
      '  1    first, last, phone  8 partitions, 1 replica (tolerate 0 failures)',
      '',
    ].join('\n'),
  );
  const json = await hd('describe-space', '--json', 'kinds');
  t.deepEqual(JSON.parse(json.stdout), {
    name: 'kinds',
    key: { name: 'id', type: 'int64' },
    attributes: [
      { name: 'n', type: 'int64' },
      { name: 'f', type: 'float' },
      { name: 'ls', type: 'list(string)' },
      { name: 'si', type: 'set(int64)' },
      { name: 'msi', type: 'map(string, int64)' },
      { name: 's', type: 'string' },
    ],
    keySubspace: { attributes: ['id'], partitions: 4, replicas: 1, tolerate: 0 },
    subspaces: [],
  });
});

test.serial('the shell from standard input: the same commands, errors with their line, going on, exit 1 if any failed', async (t) => {
  const script = [
    'list-spaces',
    `put people sh1 '{"first": "Shell", "phone": 1}'`,
    'get people sh1',
    'get --json people sh1',
    'get people nobody',
    '',
    '# a comment',
    `put people sh1 '{"phone": "one"}'`,
    `put people sh1 '{"phone": 2`,
    'frobnicate',
    `atomic people sh1 add '{"phone": 41}'`,
    `count --json people '{"first": "Shell"}'`,
    'help get',
    'exit',
    'del people sh1',
  ].join('\n');
  const r = await runCommand('hyperdex', ['shell', '-p', String(port)], script + '\n');
  t.is(r.status, 1, 'some commands failed');
  t.is(
    r.stdout.split('usage:')[0],
    [
      'people',
      'kinds',
      'ok',
      'first  "Shell"',
      'last   ""',
      'phone  1',
      '{"first":"Shell","last":"","phone":1}',
      'ok',
      '{"count":1}',
      '',
    ].join('\n'),
  );
  t.regex(r.stdout, /usage: get \[options\] SPACE KEY\n/, 'help for one command, without the connection options');
  t.notRegex(r.stdout, /--host/);
  t.deepEqual(r.stderr.trim().split('\n'), [
    'line 5: NOTFOUND: no object under key nobody in space people',
    'line 8: WRONGTYPE: "phone" is int64: expected an integer, got string one',
    'line 9: unclosed single quote',
    "line 10: unknown command 'frobnicate' (help)",
  ]);
  t.is((await hd('get', '--json', 'people', 'sh1')).stdout, '{"first":"Shell","last":"","phone":42}\n', 'the line after exit did not run');
  const ok = await runCommand('hyperdex', ['shell', '-p', String(port)], 'del people sh1\nhelp\n');
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /^ok\ncommands \(each takes --help and --json\):\n/);
  for (const name of ['get', 'put', 'put-if-not-exist', 'cond-put', 'del', 'atomic', 'search', 'count', 'group-del', 'describe-space', 'list-spaces'])
    t.regex(ok.stdout, new RegExp(`\n  ${name} `), name);
});

test.serial('a reader that stops early (search | head) ends the command quietly, exit 0', async (t) => {
  // 300 objects of 1 KiB: far more than a pipe holds, so writes go on after the reader has gone.
  const filler = 'x'.repeat(1024);
  const puts = Array.from({ length: 300 }, (_, i) => `put kinds ${1000 + i} '{"s": "${filler}"}'`).join('\n');
  t.is((await runCommand('hyperdex', ['shell', '-p', String(port)], puts + '\n')).status, 0);
  const child = spawn(process.execPath, [BIN('hyperdex'), 'search', '-p', String(port), '--json', 'kinds', '{"s": "' + filler + '"}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  t.is(code, 0, stderr);
  t.is(stderr, '');
  t.is((await hd('group-del', '--json', 'kinds', `{"s": "${filler}"}`)).stdout, '{"deleted":300}\n');
});

test.serial('hyperdex --help lists the data commands and the shell; each has its own --help', async (t) => {
  const r = await runCommand('hyperdex', ['--help']);
  for (const name of ['get SPACE KEY', 'put SPACE KEY ATTRIBUTES', 'atomic SPACE KEY OPERATION ATTRIBUTES', 'search SPACE [PREDICATE]', 'group-del SPACE PREDICATE', 'describe-space SPACE', 'shell'])
    t.true(r.stdout.includes(`  ${name} `), name);
  const get = await runCommand('hyperdex', ['atomic', '--help']);
  t.is(get.status, 0);
  t.regex(get.stdout, /^usage: hyperdex atomic \[options\] SPACE KEY OPERATION ATTRIBUTES\n/);
  t.regex(get.stdout, /-h, --host H/);
  t.regex(get.stdout, /map_atomic_add/);
});

interface Example {
  readonly line: string;
  readonly args: string[];
  readonly stdin: string;
  readonly status: number;
  readonly output: string[];
}

/**
 * The README's "From the shell" block: `$ hyperdex ARGS`, `$ echo 'TEXT' | hyperdex ARGS` or
 * `$ printf 'TEXT' | hyperdex ARGS` (\n in TEXT only), an optional `# exit status N`, then the
 * output (stdout and stderr) up to the next `$` line or the end of the block.
 */
function readmeExamples(): Example[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## From the shell\n')[1]?.split('\n## ')[0];
  if (section === undefined) throw new Error('README.md has no "From the shell" section');
  const lines = section.split('\n');
  const first = lines.findIndex((l) => l.startsWith('    $ '));
  const examples: Example[] = [];
  for (const raw of lines.slice(first)) {
    if (raw.trim() !== '' && !raw.startsWith('    ')) break;
    const line = raw.slice(4);
    if (!line.startsWith('$ ')) {
      examples[examples.length - 1].output.push(line);
      continue;
    }
    const [, command, status] = /^\$ (.*?)(?:\s+# exit status (\d))?$/.exec(line)!;
    const piped = /^(echo|printf) '([^']*)' \| hyperdex (.*)$/.exec(command);
    const plain = /^hyperdex (.*)$/.exec(command);
    if (!piped && !plain) throw new Error(`README example not understood: ${line}`);
    const stdin = !piped ? '' : piped[1] === 'echo' ? piped[2] + '\n' : piped[2].replace(/\\n/g, '\n');
    examples.push({ line, args: tokenize(piped ? piped[3] : plain![1]), stdin, status: Number(status ?? 0), output: [] });
  }
  return examples;
}

test.serial("the README's examples, as written (against this cluster's port)", async (t) => {
  const examples = readmeExamples();
  t.true(examples.length >= 15, `${examples.length} examples`);
  for (const ex of examples) {
    const r = await runCommand('hyperdex', [ex.args[0], '-p', String(port), ...ex.args.slice(1)], ex.stdin);
    t.is(r.status, ex.status, `${ex.line}: ${r.stderr}`);
    // add-space's note on clamped replicas depends on how many daemons there are (one here).
    const output = (r.stdout + r.stderr).split('\n').filter((l) => !l.startsWith('note: '));
    t.deepEqual(output.join('\n').trimEnd(), ex.output.join('\n').trimEnd(), ex.line);
  }
});
