// The shell's parts without a cluster: word splitting, Tab completion, the history file, and the
// JSON values of the shell client (exact integers, the printed forms).

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../src/cli/args';
import { keyArgument } from '../src/cli/data-commands';
import { formatJson, numberFromText, parseJsonArgument, parseJsonObject } from '../src/cli/json-values';
import { HISTORY_LINE_CHARS_MAX, HISTORY_LINES_MAX, loadHistory, saveHistory } from '../src/cli/shell-history';
import { complete, CompletionSource, tokenize } from '../src/cli/shell-line';
import type { SpaceSpec } from '../src/common/schema';
import { SharedScope, tempDir } from './helpers/cluster';

const scope = new SharedScope();
test.after.always(() => scope.close());

test('tokenize: blanks split, quotes keep, backslashes escape', (t) => {
  t.deepEqual(tokenize(''), []);
  t.deepEqual(tokenize('  get \t phonebook   jsmith1  '), ['get', 'phonebook', 'jsmith1']);
  t.deepEqual(tokenize(`put s k '{"a": "x y", "b": [1, 2]}'`), ['put', 's', 'k', '{"a": "x y", "b": [1, 2]}']);
  t.deepEqual(tokenize(`put s k "{\\"a\\": \\"\\\\n\\"}"`), ['put', 's', 'k', '{"a": "\\n"}'], 'in double quotes \\" and \\\\ are escapes');
  t.deepEqual(tokenize('"a\\b"'), ['a\\b'], 'any other backslash in double quotes stays');
  t.deepEqual(tokenize(`'a\\"b'`), ['a\\"b'], 'nothing is special in single quotes');
  t.deepEqual(tokenize('a\\ b c'), ['a b', 'c']);
  t.deepEqual(tokenize(`x'y'"z" ''`), ['xyz', ''], 'quoted parts join; an empty quoted word is a word');
  t.deepEqual(tokenize('$HOME * a;b|c'), ['$HOME', '*', 'a;b|c'], 'no expansion, no globs, no operators');
  for (const bad of [`put s k '{"a": 1}`, 'get "x', `'`]) {
    const e = t.throws(() => tokenize(bad), { instanceOf: UsageError });
    t.regex(e!.message, /^unclosed (single|double) quote$/);
  }
});

const SOURCE: CompletionSource = {
  commands: ['get', 'group-del', 'put', 'atomic', 'search', 'help', 'exit'],
  spaces: async () => ['phonebook', 'places'],
  attributes: async (space) => (space === 'phonebook' ? ['username', 'first', 'last', 'phone'] : []),
};

test('complete: commands, spaces, operations, attributes inside JSON, options', async (t) => {
  t.deepEqual(await complete('g', SOURCE), [['get', 'group-del'], 'g']);
  t.deepEqual(await complete('', SOURCE), [[...SOURCE.commands], '']);
  t.deepEqual(await complete('get p', SOURCE), [['phonebook', 'places'], 'p']);
  t.deepEqual(await complete('get --json pho', SOURCE), [['phonebook'], 'pho'], 'options do not count as arguments');
  t.deepEqual(await complete('get phonebook j', SOURCE), [[], 'j'], 'keys are not completed');
  t.deepEqual(await complete(`put phonebook jsmith1 '{"fi`, SOURCE), [['first'], 'fi']);
  t.deepEqual(await complete(`put phonebook jsmith1 '{"first": "John", "`, SOURCE), [['username', 'first', 'last', 'phone'], '']);
  t.deepEqual(await complete(`search phonebook '{"la`, SOURCE), [['last'], 'la']);
  t.deepEqual(await complete(`cond-put phonebook 'j smith' '{"phone": [1, 2]}' '{"ph`, SOURCE), [['phone'], 'ph'], 'quoted words with blanks count once');
  t.deepEqual(await complete(`atomic phonebook "j smith" `, SOURCE).then((r) => r[0].slice(0, 2)), ['add', 'sub']);
  t.deepEqual(await complete(`search nosuch '{"la`, SOURCE), [[], 'la'], 'an unknown space has no attributes');
  t.deepEqual(await complete('atomic phonebook jsmith1 map_atomic_a', SOURCE), [['map_atomic_add', 'map_atomic_and'], 'map_atomic_a']);
  t.deepEqual(await complete('search phonebook --s', SOURCE), [['--sort-by'], '--s']);
  t.deepEqual(await complete('get --j', SOURCE), [['--json'], '--j']);
  t.deepEqual(await complete('help gr', SOURCE), [['group-del'], 'gr']);
  t.deepEqual(await complete('frob x', SOURCE), [[], 'x']);
  t.deepEqual(await complete('get phonebook k extra', SOURCE), [[], 'extra'], 'past the last parameter: nothing');
});

test('the history file: newest first in memory, oldest first on disk, bounded in lines and length, mode 0600', (t) => {
  const file = path.join(tempDir(scope, 'history'), 'history');
  t.deepEqual(loadHistory(file), [], 'no file: no history');
  const long = 'x'.repeat(HISTORY_LINE_CHARS_MAX + 1);
  const newestFirst = [long, ...Array.from({ length: HISTORY_LINES_MAX + 10 }, (_, i) => `get s k${HISTORY_LINES_MAX + 9 - i}`), '  '];
  saveHistory(file, newestFirst);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  t.is(lines.length, HISTORY_LINES_MAX + 1, 'at most HISTORY_LINES_MAX lines (and the final newline)');
  t.is(lines[0], 'get s k10', 'the oldest dropped');
  t.is(lines[HISTORY_LINES_MAX - 1], `get s k${HISTORY_LINES_MAX + 9}`);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  const loaded = loadHistory(file);
  t.is(loaded.length, HISTORY_LINES_MAX);
  t.is(loaded[0], `get s k${HISTORY_LINES_MAX + 9}`, 'newest first');
  fs.appendFileSync(file, `${long}\n\nput s k '{}'\n`);
  t.is(loadHistory(file)[0], `put s k '{}'`, 'blank and over-long lines are skipped when read');
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['history'], 'no temporary file left');
  saveHistory(file, []);
  t.deepEqual(loadHistory(file), []);
});

test('JSON arguments: integers exact past 2^53 as bigints, others as numbers; clear errors', (t) => {
  t.deepEqual(parseJsonArgument('{"a": 1, "b": 9007199254740993, "c": -9223372036854775808, "d": 1.5, "e": 1e3}', 'X'), {
    a: 1,
    b: 9007199254740993n,
    c: -9223372036854775808n,
    d: 1.5,
    e: 1000,
  });
  t.deepEqual(parseJsonArgument('[9007199254740991, -9007199254740991]', 'X'), [9007199254740991, -9007199254740991], 'safe integers stay numbers');
  t.regex(t.throws(() => parseJsonArgument('{"a": }', 'ATTRIBUTES'), { instanceOf: UsageError })!.message, /^ATTRIBUTES is not valid JSON: .*position 6 \(in \{"a": \}\)$/);
  t.regex(t.throws(() => parseJsonObject('[1]', 'PREDICATE', '{}'), { instanceOf: UsageError })!.message, /^PREDICATE must be a JSON object such as \{\}, got \[1\]$/);
  t.regex(t.throws(() => parseJsonObject('null', 'PREDICATE', '{}'), { instanceOf: UsageError })!.message, /must be a JSON object/);
  const long = `{"a": "${'y'.repeat(200)}"`;
  t.true(t.throws(() => parseJsonArgument(long, 'X'))!.message.endsWith('...)'), 'long text is abbreviated');
  t.is(numberFromText('-12'), -12);
  t.is(numberFromText('12345678901234567890'), 12345678901234567890n);
  t.is(numberFromText('2.5e1'), 25);
  for (const notNumber of ['', 'abc', '0x10', '1_000', '+1', '007', ' 1', 'Infinity']) t.is(numberFromText(notNumber), undefined, notNumber);
});

test('printed values: sets as arrays, maps as objects, bigints exact, bytes as hex, NaN and infinities as strings', (t) => {
  t.is(formatJson(new Set([1, 2])), '[1,2]');
  t.is(formatJson(new Map<string | number, number>([[1, 2], ['k', 3]])), '{"1":2,"k":3}');
  t.is(formatJson({ n: 9223372036854775807n, l: [-1n] }), '{"n":9223372036854775807,"l":[-1]}');
  t.is(formatJson(Buffer.from([0xff, 0x00])), '{"bytes":"ff00"}');
  t.is(formatJson(new Map([[Buffer.from([0xfe]), 'v']])), '{"0xfe":"v"}');
  t.is(formatJson([NaN, Infinity, -Infinity, -0, 0.1]), '["NaN","Infinity","-Infinity",0,0.1]');
  t.is(formatJson('a"\n'), '"a\\"\\n"');
});

test('a key from the command line: text for a string key, a number for int64 and float keys', (t) => {
  const spec = (kind: 'string' | 'int64' | 'float'): SpaceSpec => ({
    name: 's',
    key: { name: 'k', type: { kind } },
    attributes: [],
    keySubspace: { partitions: 1, replicas: 1 },
    subspaces: [],
  });
  t.is(keyArgument(spec('string'), '42'), '42', 'digits stay text for a string key');
  t.is(keyArgument(spec('int64'), '42'), 42);
  t.is(keyArgument(spec('int64'), '-9223372036854775808'), -9223372036854775808n);
  t.is(keyArgument(spec('float'), '2.5'), 2.5);
  t.is(keyArgument(spec('int64'), 'abc'), 'abc', 'not a number: the client reports the wrong type');
});
