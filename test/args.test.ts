import test, { ExecutionContext } from 'ava';

import { firstPositional, OptionSpec, parseArgs, Parsed, portValue, ShowVersion, usage, UsageError } from '../src/cli/args';

const SPECS: OptionSpec[] = [
  { long: 'listen', short: 'l', help: 'address to listen on', default: '127.0.0.1' },
  { long: 'listen-port', short: 'p', help: 'port to listen on', default: '1982' },
  { long: 'data', short: 'D', help: 'data directory' },
  { long: 'daemon', short: 'd', flag: true, help: 'run in the background' },
  { long: 'verbose', flag: true, help: 'say more' },
];

const parse = (...argv: string[]) => parseArgs(argv, SPECS);

function usageError(t: ExecutionContext, argv: string[], message: RegExp): void {
  const e = t.throws(() => parseArgs(argv, SPECS), { instanceOf: UsageError }, argv.join(' '));
  if (e) t.regex(e.message, message);
}

test('a value in each spelling: --a=b, --a b, -ab, -a b, -a=b', (t) => {
  for (const argv of [['--data=x'], ['--data', 'x'], ['-Dx'], ['-D', 'x'], ['-D=x']]) {
    const p = parse(...argv);
    t.is(p.values.data, 'x', argv.join(' '));
    t.deepEqual(p.positional, []);
    t.is(p.flags.size, 0);
  }
});

test('values keep what follows the first =, may be empty, may start with a dash', (t) => {
  t.is(parse('--data=a=b').values.data, 'a=b');
  t.is(parse('--data=').values.data, '');
  t.is(parse('-D=').values.data, '');
  t.is(parse('--data', '').values.data, '');
  t.is(parse('--data', '-x').values.data, '-x');
  t.is(parse('--data', '--verbose').values.data, '--verbose', 'like getopt, the next word is the value');
  t.false(parse('--data', '--verbose').flags.has('verbose'));
  t.is(parse('-p', '-1').values['listen-port'], '-1');
});

test('the last occurrence of an option wins', (t) => {
  t.is(parse('--data', 'a', '-D', 'b').values.data, 'b');
  t.is(parse('-Db', '--data=a').values.data, 'a');
});

test('flags: long and short, no value allowed', (t) => {
  const p = parse('--daemon', '--verbose');
  t.deepEqual([...p.flags].sort(), ['daemon', 'verbose']);
  t.true(parse('-d').flags.has('daemon'));
  t.false(parse('-d').flags.has('verbose'));
  t.false('daemon' in parse('-d').values, 'a flag is not a value');
  usageError(t, ['--daemon=yes'], /--daemon takes no value/);
  usageError(t, ['--verbose='], /--verbose takes no value/);
  usageError(t, ['-dx'], /--daemon takes no value/);
});

test('defaults fill options not given, and only those', (t) => {
  const none = parse();
  t.deepEqual(none.values, { listen: '127.0.0.1', 'listen-port': '1982' });
  t.is(none.flags.size, 0);
  t.deepEqual(none.positional, []);
  const some = parse('-p', '2000', '--data', '/tmp/x');
  t.deepEqual(some.values, { listen: '127.0.0.1', 'listen-port': '2000', data: '/tmp/x' });
});

test('unknown options → UsageError naming them', (t) => {
  usageError(t, ['--nope'], /unknown option --nope/);
  usageError(t, ['--nope=1'], /unknown option --nope$/);
  usageError(t, ['-z'], /unknown option -z/);
  usageError(t, ['-zvalue'], /unknown option -z$/);
  usageError(t, ['--listen-portx', '1'], /unknown option --listen-portx/);
  usageError(t, ['--Data', 'x'], /unknown option --Data/);
});

test('missing value → UsageError', (t) => {
  usageError(t, ['--data'], /--data needs a value/);
  usageError(t, ['-D'], /--data needs a value/);
  usageError(t, ['--verbose', '-p'], /--listen-port needs a value/);
});

test('positional words are kept in order; -- ends options; a lone - is positional', (t) => {
  t.deepEqual(parse('a', '--daemon', 'b', '-Dx', 'c').positional, ['a', 'b', 'c']);
  const p = parse('--data', 'x', '--', '--daemon', '-p', 'y', '--');
  t.deepEqual(p.positional, ['--daemon', '-p', 'y', '--']);
  t.is(p.flags.size, 0);
  t.is(p.values.data, 'x');
  t.is(p.values['listen-port'], '1982');
  t.deepEqual(parse('-', '-d').positional, ['-']);
  t.deepEqual(parse('--').positional, []);
  t.is(parse('--data', '--').values.data, '--', 'a -- that is an option’s value does not end options');
});

function port(raw: string | undefined, allowZero = false): number {
  const parsed: Parsed = { values: raw === undefined ? {} : { port: raw }, flags: new Set(), positional: [] };
  return portValue(parsed, 'port', allowZero);
}

test('portValue accepts 1-65535, and 0 only when allowed', (t) => {
  t.is(port('1'), 1);
  t.is(port('1982'), 1982);
  t.is(port('65535'), 65535);
  t.is(port('0', true), 0);
  t.is(port('65535', true), 65535);
  t.is(portValue(parse(), 'listen-port'), 1982, 'the default is used');
  t.is(portValue(parse('-p', '2012'), 'listen-port'), 2012);
});

test('portValue rejects what is not a port number', (t) => {
  for (const raw of ['0', '65536', '99999', '-1', '', 'abc', '1.5', '1e3', ' 80', '80 ', '0x50', '+80', undefined]) {
    const e = t.throws(() => port(raw), { instanceOf: UsageError }, String(raw));
    if (e) t.regex(e.message, /^--port must be a port number \(1-65535\)/);
  }
  const e = t.throws(() => port('65536', true), { instanceOf: UsageError });
  if (e) t.regex(e.message, /\(0-65535\), got '65536'/);
});

const HELP_SPEC: OptionSpec = { long: 'help', short: '?', flag: true, help: 'show this help and exit' };
const HOST_SPEC: OptionSpec = { long: 'host', short: 'h', help: 'the host', default: '127.0.0.1' };

test('--version on every command: parseArgs throws ShowVersion, even without a spec for it', (t) => {
  t.throws(() => parse('--version'), { instanceOf: ShowVersion });
  t.throws(() => parse('-d', '--version', 'word'), { instanceOf: ShowVersion });
  usageError(t, ['--version=1'], /--version takes no value/);
  t.deepEqual(parse('--', '--version').positional, ['--version'], 'after -- it is a word');
  t.is(parse('--data', '--version').values.data, '--version', 'as a value it is a value');
  t.regex(usage('x', 'y', SPECS), /\n {6}--version +print the version and exit\n/);
});

test('-h is --help when the command has --help and does not use -h; otherwise it keeps its meaning', (t) => {
  t.true(parseArgs(['-h'], [...SPECS, HELP_SPEC]).flags.has('help'));
  t.true(parseArgs(['-?'], [...SPECS, HELP_SPEC]).flags.has('help'));
  t.regex(usage('x', 'y', [...SPECS, HELP_SPEC]), /\n  -h, -\?, --help +show this help/);
  t.is(parseArgs(['-h', 'example.org'], [HOST_SPEC, HELP_SPEC]).values.host, 'example.org');
  t.regex(usage('x', 'y', [HOST_SPEC, HELP_SPEC]), /\n  -\?, --help +show this help/);
  usageError(t, ['-h'], /unknown option -h/);
});

test('firstPositional skips options and their values, as parseArgs reads them', (t) => {
  const at = (...argv: string[]) => firstPositional(argv, SPECS);
  t.is(at('cmd'), 0);
  t.is(at('-l', 'h', '--listen-port', '1', 'cmd', '--json'), 4);
  t.is(at('--data=x', '-Dy', '-d', '--verbose', 'cmd'), 4);
  t.is(at('--', '-d'), 1, 'after --, anything is positional');
  t.is(at('-p', '1'), -1, 'none');
  t.is(at('--bogus', 'cmd'), -1, 'an unknown option: parseArgs reports it');
  // What parseArgs takes as positional comes first in the same place.
  const argv = ['-p', '1', '-d', 'show', '-D', 'x'];
  t.is(argv[at(...argv)], parse(...argv).positional[0]);
});
