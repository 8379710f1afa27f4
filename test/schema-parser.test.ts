import test, { ExecutionContext } from 'ava';

import { parseSpaceDescription, SchemaParseError } from '../src/common/schema-parser';
import { SCHEMA_DEFAULTS, SCHEMA_LIMITS, SpaceSpec } from '../src/common/schema';

// -- helpers ------------------------------------------------------------------------------------

const S = { kind: 'string' } as const;
const I = { kind: 'int64' } as const;
const F = { kind: 'float' } as const;

/** The same description with every run of white space (line breaks included) made one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function fails(t: ExecutionContext, text: string): SchemaParseError {
  const e = t.throws(() => parseSpaceDescription(text), { instanceOf: SchemaParseError });
  return e as SchemaParseError;
}

function failsAt(
  t: ExecutionContext,
  text: string,
  line: number,
  column: number,
  expected?: string | RegExp,
  found?: string,
): SchemaParseError {
  const e = fails(t, text);
  t.is(e.line, line, e.message);
  t.is(e.column, column, e.message);
  t.true(e.message.startsWith(`line ${line}, column ${column}: expected `), e.message);
  if (typeof expected === 'string') t.is(e.expected, expected, e.message);
  else if (expected !== undefined) t.regex(e.expected, expected, e.message);
  if (found !== undefined) t.is(e.found, found, e.message);
  return e;
}

// -- the manual's and tutorial's examples -------------------------------------------------------

const PHONEBOOK_13_23 = `space phonebook
dimensions username, first, last, phone (int64)
key username auto 1 3
subspace first, last, phone auto 2 3
`;

const PHONEBOOK_03_03 = `space phonebook
dimensions username, first, last, phone (int64)
key username auto 0 3
subspace first, last, phone auto 0 3
`;

// Exactly as printed in section 5.1, missing comma after `unread_messages (...)` included.
const SOCIALNETWORK = `space socialnetwork
dimensions username, first, last,
    pending_requests (list(string)),
    hobbies (set(string)),
    unread_messages (map(string,string))
    upvotes (map(string,int64))
key username auto 0 3
subspace first, last auto 0 3
`;

const FRIENDLISTS = `
space friendlists
key username
attributes
   string first,
   string last,
   set(string) friends
`;

const USERLOCKS = `
space userlocks
key username
`;

const RT = 'space rt key x';

const ALLDATATYPES =
  'space alldatatypes key k attributes string s, int i, float f, list(string) ls, set(string) ss, map(string, string) mss, map(string, int) msi';

const phonebook = (kp: number, sp: number): SpaceSpec => ({
  name: 'phonebook',
  key: { name: 'username', type: S },
  attributes: [
    { name: 'first', type: S },
    { name: 'last', type: S },
    { name: 'phone', type: I },
  ],
  keySubspace: { partitions: kp, replicas: 3 },
  subspaces: [{ attributes: ['first', 'last', 'phone'], partitions: sp, replicas: 3 }],
});

const DEFAULT_SUBSPACE = { partitions: SCHEMA_DEFAULTS.partitions, replicas: SCHEMA_DEFAULTS.tolerate + 1 };

const EXAMPLES: ReadonlyArray<[string, string, SpaceSpec]> = [
  ['phonebook, auto 1 3 / auto 2 3', PHONEBOOK_13_23, phonebook(2, 4)],
  ['phonebook, auto 0 3 / auto 0 3', PHONEBOOK_03_03, phonebook(1, 1)],
  [
    'socialnetwork (section 5.1)',
    SOCIALNETWORK,
    {
      name: 'socialnetwork',
      key: { name: 'username', type: S },
      attributes: [
        { name: 'first', type: S },
        { name: 'last', type: S },
        { name: 'pending_requests', type: { kind: 'list', elem: 'string' } },
        { name: 'hobbies', type: { kind: 'set', elem: 'string' } },
        { name: 'unread_messages', type: { kind: 'map', key: 'string', value: 'string' } },
        { name: 'upvotes', type: { kind: 'map', key: 'string', value: 'int64' } },
      ],
      keySubspace: { partitions: 1, replicas: 3 },
      subspaces: [{ attributes: ['first', 'last'], partitions: 1, replicas: 3 }],
    },
  ],
  [
    'friendlists',
    FRIENDLISTS,
    {
      name: 'friendlists',
      key: { name: 'username', type: S },
      attributes: [
        { name: 'first', type: S },
        { name: 'last', type: S },
        { name: 'friends', type: { kind: 'set', elem: 'string' } },
      ],
      keySubspace: { partitions: 256, replicas: 3 },
      subspaces: [],
    },
  ],
  [
    'userlocks',
    USERLOCKS,
    { name: 'userlocks', key: { name: 'username', type: S }, attributes: [], keySubspace: DEFAULT_SUBSPACE, subspaces: [] },
  ],
  ['rt', RT, { name: 'rt', key: { name: 'x', type: S }, attributes: [], keySubspace: DEFAULT_SUBSPACE, subspaces: [] }],
  [
    'alldatatypes',
    ALLDATATYPES,
    {
      name: 'alldatatypes',
      key: { name: 'k', type: S },
      attributes: [
        { name: 's', type: S },
        { name: 'i', type: I },
        { name: 'f', type: F },
        { name: 'ls', type: { kind: 'list', elem: 'string' } },
        { name: 'ss', type: { kind: 'set', elem: 'string' } },
        { name: 'mss', type: { kind: 'map', key: 'string', value: 'string' } },
        { name: 'msi', type: { kind: 'map', key: 'string', value: 'int64' } },
      ],
      keySubspace: DEFAULT_SUBSPACE,
      subspaces: [],
    },
  ],
];

for (const [title, text, expected] of EXAMPLES) {
  test(`example: ${title}`, (t) => {
    t.deepEqual(parseSpaceDescription(text), expected);
  });
  test(`example on one line: ${title}`, (t) => {
    const line = oneLine(text);
    t.false(line.includes('\n'));
    t.deepEqual(parseSpaceDescription(line), expected);
  });
}

test('the defaults are 256 partitions and tolerate 2 failures', (t) => {
  t.is(SCHEMA_DEFAULTS.partitions, 256);
  t.is(SCHEMA_DEFAULTS.tolerate, 2);
  t.deepEqual(parseSpaceDescription(RT).keySubspace, { partitions: 256, replicas: 3 });
});

// -- white space --------------------------------------------------------------------------------

test('tabs, CRLF and lone CR are white space; spaces inside parentheses are allowed', (t) => {
  const text =
    'space\tsocialnetwork\r\ndimensions username ,first,last ,\r' +
    'pending_requests ( list ( string ) ) , unread_messages(map( string , string ))\r\n' +
    'key username auto 0 3\n\nsubspace first , last auto 0 3';
  const spec = parseSpaceDescription(text);
  t.deepEqual(spec.attributes, [
    { name: 'first', type: S },
    { name: 'last', type: S },
    { name: 'pending_requests', type: { kind: 'list', elem: 'string' } },
    { name: 'unread_messages', type: { kind: 'map', key: 'string', value: 'string' } },
  ]);
});

test('CRLF counts as one line break in positions', (t) => {
  failsAt(t, 'space s\r\nkey k\r\nattributes string a, foo b', 3, 22, 'an attribute type', 'foo');
  failsAt(t, 'space s\rkey k\r\rattributes foo b', 4, 12, 'an attribute type', 'foo');
});

// -- 0.4 grammar --------------------------------------------------------------------------------

test('0.4: all types in dimensions; int spells int64', (t) => {
  const spec = parseSpaceDescription(`space t
dimensions k (int), a, b (string), c (int64), d (float), e (list(int)), f (set(float)),
  g (map(int, float)), h (map(float,string))
key k auto 3 2`);
  t.deepEqual(spec, {
    name: 't',
    key: { name: 'k', type: I },
    attributes: [
      { name: 'a', type: S },
      { name: 'b', type: S },
      { name: 'c', type: I },
      { name: 'd', type: F },
      { name: 'e', type: { kind: 'list', elem: 'int64' } },
      { name: 'f', type: { kind: 'set', elem: 'float' } },
      { name: 'g', type: { kind: 'map', key: 'int64', value: 'float' } },
      { name: 'h', type: { kind: 'map', key: 'float', value: 'string' } },
    ],
    keySubspace: { partitions: 8, replicas: 2 },
    subspaces: [],
  });
});

test('0.4: the key may be any dimension, keeps its type, and leaves the attribute list', (t) => {
  const spec = parseSpaceDescription('space s dimensions a, b (float), c key b auto 0 1');
  t.deepEqual(spec.key, { name: 'b', type: F });
  t.deepEqual(spec.attributes, [
    { name: 'a', type: S },
    { name: 'c', type: S },
  ]);
});

test('0.4: several subspaces and the extreme auto values', (t) => {
  const spec = parseSpaceDescription(
    `space s dimensions k, a, b, c key k auto ${SCHEMA_LIMITS.partitionBitsMax} ${SCHEMA_LIMITS.replicasMax}
     subspace a auto 0 1
     subspace b, c auto 5 2
     subspace c, a, b auto 16 16`,
  );
  t.deepEqual(spec.keySubspace, { partitions: 65536, replicas: 16 });
  t.deepEqual(spec.subspaces, [
    { attributes: ['a'], partitions: 1, replicas: 1 },
    { attributes: ['b', 'c'], partitions: 32, replicas: 2 },
    { attributes: ['c', 'a', 'b'], partitions: 65536, replicas: 16 },
  ]);
});

test('0.4: several missing commas', (t) => {
  const spec = parseSpaceDescription('space s dimensions k a (int) b c key k auto 0 1');
  t.deepEqual(
    spec.attributes.map((a) => a.name),
    ['a', 'b', 'c'],
  );
});

test('0.4: keywords may be dimension names where a name is required', (t) => {
  const spec = parseSpaceDescription('space space dimensions key, subspace, dimensions (int) key key auto 0 1 subspace subspace, dimensions auto 0 1');
  t.is(spec.name, 'space');
  t.deepEqual(spec.key, { name: 'key', type: S });
  t.deepEqual(spec.subspaces, [{ attributes: ['subspace', 'dimensions'], partitions: 1, replicas: 1 }]);
});

test('0.4 errors: the key line', (t) => {
  failsAt(t, 'space s\ndimensions a, b\nkey c auto 1 3', 3, 5, 'one of the dimensions', 'c');
  failsAt(t, 'space s\ndimensions a, b\nsubspace a auto 1 3', 3, 1, "',', another dimension or 'key'", 'subspace');
  failsAt(t, 'space s dimensions a key a', 1, 27, "'auto'", 'end of input');
  failsAt(t, 'space s dimensions a key a 1 3', 1, 28, "'auto'", '1');
  const c = failsAt(t, 'space s\ndimensions a (list(string)), b\nkey a auto 1 3', 3, 5, /string, int64 or float/, 'a');
  t.regex(c.message, /'a' is a list\(string\); a key must be a string, int64 or float/);
});

test('0.4 errors: partition exponent and replication factor out of range', (t) => {
  const e0 = failsAt(t, 'space s\ndimensions a\nkey a auto 1 0', 3, 14, 'a replication factor between 1 and 16', '0');
  t.regex(e0.message, /a replication value of 0 does not make sense/);
  failsAt(t, 'space s dimensions a key a auto 1 17', 1, 35, 'a replication factor between 1 and 16', '17');
  failsAt(t, 'space s dimensions a key a auto 17 3', 1, 33, 'a partition exponent between 0 and 16', '17');
  failsAt(t, 'space s dimensions a key a auto -1 3', 1, 33, 'a partition exponent between 0 and 16', '-1');
  failsAt(t, 'space s dimensions a key a auto x 3', 1, 33, 'a partition exponent between 0 and 16', 'x');
  failsAt(t, 'space s dimensions a, b key a auto 1 3 subspace b auto 1 0', 1, 58, /replication factor/, '0');
  failsAt(t, 'space s dimensions a key a auto 99999999999999999999999 3', 1, 33, /partition exponent/);
});

test('0.4 errors: types', (t) => {
  failsAt(t, 'space s\ndimensions a, b (bytes)\nkey a auto 1 3', 2, 18, 'an attribute type', 'bytes');
  failsAt(t, 'space s\ndimensions a, b (list(list(string)))\nkey a auto 1 3', 2, 23, /scalar type/, 'list');
  failsAt(t, 'space s dimensions a, b (map(string)) key a auto 1 3', 1, 36, "','", ')');
  failsAt(t, 'space s dimensions a, b (int64 key a auto 1 3', 1, 32, "')'", 'key');
  failsAt(t, 'space s dimensions a, b () key a auto 1 3', 1, 26, 'an attribute type', ')');
  failsAt(t, 'space s dimensions a, b (list string) key a auto 1 3', 1, 31, "'('", 'string');
});

test('0.4 errors: duplicate dimensions and bad subspaces', (t) => {
  const dup = failsAt(t, 'space s\ndimensions a, b, a\nkey a auto 1 3', 2, 18, 'a new attribute name', 'a');
  t.regex(dup.message, /already declared at line 2, column 12/);
  failsAt(t, 'space s\ndimensions a, b\nkey a auto 1 3\nsubspace b, c auto 1 3', 4, 13, /declared dimension/, 'c');
  failsAt(t, 'space s\ndimensions a, b\nkey a auto 1 3\nsubspace b, a auto 1 3', 4, 13, 'a non-key dimension', 'a');
  failsAt(t, 'space s\ndimensions a, b, c\nkey a auto 1 3\nsubspace b, c, b auto 1 3', 4, 16, /not already in this subspace/, 'b');
  failsAt(t, 'space s dimensions a, b key a auto 1 3 subspace auto 1 3', 1, 49, /name of/, 'auto');
});

test('0.4 errors: trailing garbage', (t) => {
  failsAt(t, 'space s\ndimensions a, b\nkey a auto 1 3\nsubspace b auto 1 3 extra', 4, 21, "'subspace' or end of input", 'extra');
  failsAt(t, 'space s dimensions a key a auto 1 3 4', 1, 37, "'subspace' or end of input", '4');
  failsAt(t, 'space s dimensions a key a auto 1 3 tolerate 1 failures', 1, 37, "'subspace' or end of input", 'tolerate');
});

// -- 1.0 grammar --------------------------------------------------------------------------------

test('1.0: create and tolerate apply to every subspace, in either order', (t) => {
  const base = 'space s key k attributes a, b, int c subspace a subspace b, c';
  const want = (partitions: number, replicas: number): SpaceSpec => ({
    name: 's',
    key: { name: 'k', type: S },
    attributes: [
      { name: 'a', type: S },
      { name: 'b', type: S },
      { name: 'c', type: I },
    ],
    keySubspace: { partitions, replicas },
    subspaces: [
      { attributes: ['a'], partitions, replicas },
      { attributes: ['b', 'c'], partitions, replicas },
    ],
  });
  t.deepEqual(parseSpaceDescription(`${base} create 8 partitions tolerate 1 failures`), want(8, 2));
  t.deepEqual(parseSpaceDescription(`${base}\ntolerate 1 failures\ncreate 8 partitions`), want(8, 2));
  t.deepEqual(parseSpaceDescription(`${base} create 1 partition`), want(1, 3));
  t.deepEqual(parseSpaceDescription(`${base} tolerate 0 failure`), want(256, 1));
  t.deepEqual(parseSpaceDescription(`${base} tolerate 15 failures create 65536 partitions`), want(65536, 16));
  t.deepEqual(parseSpaceDescription(base), want(256, 3));
});

test('1.0: create/tolerate without attributes or subspaces', (t) => {
  const spec = parseSpaceDescription('space rt key x create 4 partitions');
  t.deepEqual(spec, {
    name: 'rt',
    key: { name: 'x', type: S },
    attributes: [],
    keySubspace: { partitions: 4, replicas: 3 },
    subspaces: [],
  });
  t.deepEqual(parseSpaceDescription('space rt key x tolerate 3 failures').keySubspace, { partitions: 256, replicas: 4 });
});

test('1.0: subspaces without an attributes section may not name anything', (t) => {
  failsAt(t, 'space s key k subspace k', 1, 24, 'a non-key attribute', 'k');
});

test('1.0: key types', (t) => {
  t.deepEqual(parseSpaceDescription('space s key k').key, { name: 'k', type: S });
  t.deepEqual(parseSpaceDescription('space s key string k').key, { name: 'k', type: S });
  t.deepEqual(parseSpaceDescription('space s key int k').key, { name: 'k', type: I });
  t.deepEqual(parseSpaceDescription('space s key int64 k attributes a').key, { name: 'k', type: I });
  t.deepEqual(parseSpaceDescription('space s key float k create 2 partitions').key, { name: 'k', type: F });
  // A type word followed by a section word is the key's name.
  t.deepEqual(parseSpaceDescription('space s key int attributes a').key, { name: 'int', type: S });
});

test('1.0: key type errors', (t) => {
  failsAt(t, 'space s\nkey list(string) k', 2, 5, /key type/, 'list(string)');
  failsAt(t, 'space s key set(int) k', 1, 13, /key type/, 'set(int64)');
  const m = failsAt(t, 'space s key map(string, int) k', 1, 13, /key type/, 'map(string, int64)');
  t.regex(m.message, /a key must be a string, int64 or float/);
  failsAt(t, 'space s\nkey bytes k', 2, 5, 'a key type (string, int64, int or float)', 'bytes');
  // `key WORD NAME` ending the declaration reads WORD as a (bad) type.
  failsAt(t, 'space s key k junk', 1, 13, 'a key type (string, int64, int or float)', 'k');
  failsAt(t, 'space s key list(list(string)) k', 1, 18, /scalar type/, 'list');
  failsAt(t, 'space s key', 1, 12, 'a key name', 'end of input');
  failsAt(t, 'space s key attributes a', 1, 13, 'a key name', 'attributes');
  failsAt(t, 'space s key bytes k attributes a', 1, 13, 'a key type (string, int64, int or float)', 'bytes');
});

test('1.0: lenient bare attribute names are strings', (t) => {
  const spec = parseSpaceDescription('space s key k attributes a, int b, c, float d, e subspace a, e');
  t.deepEqual(spec.attributes, [
    { name: 'a', type: S },
    { name: 'b', type: I },
    { name: 'c', type: S },
    { name: 'd', type: F },
    { name: 'e', type: S },
  ]);
  t.deepEqual(spec.subspaces, [{ attributes: ['a', 'e'], partitions: 256, replicas: 3 }]);
  // A lone type word is a bare name.
  t.deepEqual(parseSpaceDescription('space s key k attributes int, map').attributes, [
    { name: 'int', type: S },
    { name: 'map', type: S },
  ]);
});

test('1.0: type words and non-section keywords may be names', (t) => {
  const spec = parseSpaceDescription('space space key string key attributes int string, map(int, int) map, set(float) partitions');
  t.deepEqual(spec, {
    name: 'space',
    key: { name: 'key', type: S },
    attributes: [
      { name: 'string', type: I },
      { name: 'map', type: { kind: 'map', key: 'int64', value: 'int64' } },
      { name: 'partitions', type: { kind: 'set', elem: 'float' } },
    ],
    keySubspace: DEFAULT_SUBSPACE,
    subspaces: [],
  });
});

test('1.0: section words are reserved as declared names', (t) => {
  failsAt(t, 'space s key k attributes string a, create', 1, 36, 'an attribute type or name', 'create');
  failsAt(t, 'space s key k attributes int tolerate', 1, 38, /number of failures/, 'end of input');
  const e = failsAt(t, 'space s key k attributes set(int) subspace', 1, 35, 'an attribute name', 'subspace');
  t.regex(e.message, /reserved word/);
});

test('1.0 errors: attribute types, with line and column', (t) => {
  const e = failsAt(t, 'space s\nkey k\nattributes string a, foo b', 3, 22, 'an attribute type', 'foo');
  t.is(e.message, "line 3, column 22: expected an attribute type but found 'foo'");
  failsAt(t, 'space s\nkey k\nattributes\n   string a,\n   list(bytes) b', 5, 9, /scalar type/, 'bytes');
  failsAt(t, 'space s key k attributes map(string string) m', 1, 37, "','", 'string');
  failsAt(t, 'space s key k attributes list(string)', 1, 38, 'an attribute name', 'end of input');
  failsAt(t, 'space s key k attributes string 5', 1, 33, 'an attribute name', '5');
  failsAt(t, 'space s key k attributes', 1, 25, 'an attribute type', 'end of input');
  failsAt(t, 'space s key k attributes a,', 1, 28, 'an attribute type', 'end of input');
  failsAt(t, 'space s key k attributes string first-name', 1, 33, 'an attribute name', 'first-name');
});

test('1.0 errors: duplicates, including the key', (t) => {
  const e = failsAt(t, 'space s\nkey k\nattributes a,\n  b,\n  int a', 5, 7, 'a new attribute name', 'a');
  t.regex(e.message, /already declared at line 3, column 12/);
  failsAt(t, 'space s key username attributes string first, string username', 1, 54, 'a new attribute name', 'username');
});

test('1.0 errors: bad subspaces', (t) => {
  const base = 'space s\nkey k\nattributes a, b, c\n';
  failsAt(t, `${base}subspace a, d`, 4, 13, 'the name of a declared attribute', 'd');
  failsAt(t, `${base}subspace a\nsubspace k, b`, 5, 10, 'a non-key attribute', 'k');
  failsAt(t, `${base}subspace a, b, a`, 4, 16, 'attribute not already in this subspace', 'a');
  failsAt(t, `${base}subspace`, 4, 9, 'the name of attribute', 'end of input');
  failsAt(t, `${base}subspace a,`, 4, 12, 'the name of attribute', 'end of input');
});

test('1.0 errors: create and tolerate out of range or malformed', (t) => {
  failsAt(t, 'space s key k create 0 partitions', 1, 22, 'a number of partitions between 1 and 65536', '0');
  failsAt(t, 'space s key k create 65537 partitions', 1, 22, 'a number of partitions between 1 and 65536', '65537');
  failsAt(t, 'space s key k create many partitions', 1, 22, /number of partitions/, 'many');
  failsAt(t, 'space s key k create 8', 1, 23, "'partitions'", 'end of input');
  failsAt(t, 'space s key k create 8 regions', 1, 24, "'partitions'", 'regions');
  const big = failsAt(t, 'space s key k tolerate 16 failures', 1, 24, 'a number of failures between 0 and 15', '16');
  t.regex(big.message, /needs 17 replicas/);
  failsAt(t, 'space s key k tolerate 2 faults', 1, 26, "'failures'", 'faults');
  const twice = failsAt(t, 'space s key k create 8 partitions tolerate 1 failures\ncreate 4 partitions', 2, 1, 'end of input', 'create');
  t.regex(twice.message, /may be given only once/);
  failsAt(t, 'space s key k tolerate 1 failures tolerate 1 failures', 1, 35, "'create' or end of input", 'tolerate');
});

test('1.0 errors: trailing garbage and misplaced sections', (t) => {
  failsAt(t, 'space s key k 7', 1, 15, "'attributes', 'subspace', 'create', 'tolerate' or end of input", '7');
  failsAt(t, 'space s key k junk more', 1, 15, "'attributes', 'subspace', 'create', 'tolerate' or end of input", 'junk');
  failsAt(t, 'space s\nkey k\nattributes a\nsubspace a\nattributes b', 5, 1, "'subspace', 'create', 'tolerate' or end of input", 'attributes');
  failsAt(t, 'space s key k create 8 partitions subspace a', 1, 35, "'tolerate' or end of input", 'subspace');
  failsAt(t, 'space s key k attributes a b', 1, 26, 'an attribute type', 'a');
  failsAt(t, 'space s key k auto 1 3', 1, 15, /end of input/, 'auto');
  failsAt(t, 'space s key k (', 1, 15, /end of input/, '(');
});

// -- both grammars --------------------------------------------------------------------------------

test('empty or blank input', (t) => {
  const e = failsAt(t, '', 1, 1, "'space'", 'end of input');
  t.is(e.message, "line 1, column 1: expected 'space' but found end of input");
  failsAt(t, '  \n\n   ', 3, 4, "'space'", 'end of input');
});

test('the description must start with space NAME and then dimensions or key', (t) => {
  failsAt(t, 'spaces s key k', 1, 1, "'space'", 'spaces');
  failsAt(t, 'Space s key k', 1, 1, "'space'", 'Space');
  failsAt(t, 'space', 1, 6, 'a space name', 'end of input');
  failsAt(t, 'space 9lives key k', 1, 7, 'a space name', '9lives');
  failsAt(t, 'space s', 1, 8, "'dimensions' or 'key'", 'end of input');
  failsAt(t, 'space s\n  attributes a', 2, 3, "'dimensions' or 'key'", 'attributes');
});

test('SchemaParseError is an Error with its fields', (t) => {
  const e = fails(t, 'space s\nkey k\nattributes string a, foo b');
  t.true(e instanceof Error);
  t.is(e.name, 'SchemaParseError');
  t.is(e.expected, 'an attribute type');
  t.is(e.found, 'foo');
  t.is(e.line, 3);
  t.is(e.column, 22);
});

test('names up to nameBytesMax bytes; one more is an error', (t) => {
  const max = 'n'.repeat(SCHEMA_LIMITS.nameBytesMax);
  const over = 'o'.repeat(SCHEMA_LIMITS.nameBytesMax + 1);
  const spec = parseSpaceDescription(`space ${max} key ${max} attributes string a${max.slice(1)}`);
  t.is(spec.name, max);
  t.is(spec.key.name, max);
  failsAt(t, `space ${over} key k`, 1, 7, `a name of at most ${SCHEMA_LIMITS.nameBytesMax} bytes`, over);
  failsAt(t, `space s\nkey k\nattributes a, ${over}`, 3, 15, /at most 128 bytes/, over);
  failsAt(t, `space s dimensions a, ${over} key a auto 0 1`, 1, 23, /at most 128 bytes/, over);
  failsAt(t, `space s key int ${over}`, 1, 17, /at most 128 bytes/, over);
});

test('at most attributesMax attributes, the key included', (t) => {
  const n = SCHEMA_LIMITS.attributesMax;
  const names = Array.from({ length: n }, (_, i) => `a${i}`);
  // 1.0: the key plus n - 1 attributes is the limit.
  const ok = parseSpaceDescription(`space s key k attributes ${names.slice(1).join(', ')}`);
  t.is(ok.attributes.length, n - 1);
  const e = fails(t, `space s key k attributes ${names.join(', ')}`);
  t.is(e.found, `a${n - 1}`);
  t.is(e.expected, 'no more attributes');
  t.is(e.line, 1);
  // 0.4: the dimensions count the key.
  const ok04 = parseSpaceDescription(`space s dimensions ${names.join(', ')} key a0 auto 0 1`);
  t.is(ok04.attributes.length, n - 1);
  failsAt(t, `space s\ndimensions ${names.join(',\n')},\nextra key a0 auto 0 1`, n + 2, 1, 'no more attributes', 'extra');
});

test('at most subspacesMax secondary subspaces', (t) => {
  const n = SCHEMA_LIMITS.subspacesMax;
  const ok10 = parseSpaceDescription(`space s key k attributes a${' subspace a'.repeat(n)}`);
  t.is(ok10.subspaces.length, n);
  const lines10 = ['space s', 'key k', 'attributes a', ...Array<string>(n + 1).fill('subspace a')];
  failsAt(t, lines10.join('\n'), n + 4, 1, 'no more subspaces', 'subspace');

  const ok04 = parseSpaceDescription(`space s dimensions k, a key k auto 0 1${' subspace a auto 0 1'.repeat(n)}`);
  t.is(ok04.subspaces.length, n);
  const lines04 = ['space s', 'dimensions k, a', 'key k auto 0 1', ...Array<string>(n + 1).fill('  subspace a auto 0 1')];
  failsAt(t, lines04.join('\n'), n + 4, 3, 'no more subspaces', 'subspace');
});

test('the result is fresh plain data', (t) => {
  const a = parseSpaceDescription(PHONEBOOK_13_23);
  const b = parseSpaceDescription(PHONEBOOK_13_23);
  t.not(a, b);
  t.not(a.key.type, b.key.type);
  t.deepEqual(JSON.parse(JSON.stringify(a)), a);
});
