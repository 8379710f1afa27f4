// The shell client: `hyperdex get|put|del|cond-put|put-if-not-exist|atomic|search|count|group-del|
// describe-space`, one table of commands that both `hyperdex COMMAND ...` (dataCommand) and the
// interactive shell (shell.ts, through runParsed) run. Values are JSON, typed by the space's schema
// (the client checks them). Output is readable by default and JSON with --json.
//
// Exit status: 0 success; 1 an error (its HyperDex status name first, e.g. UNKNOWNSPACE, WRONGTYPE,
// COORDFAIL); 2 a bad command line (malformed JSON included: nothing was sent); 3 the operation ran
// but did not apply: NOTFOUND (get, del or atomic of a missing key) or CMPFAIL (cond-put's condition
// does not hold, put-if-not-exist found an object). Failures print one line on stderr.

import { ATOMIC_OPERATIONS, AtomicMethod, Attributes, Client, HyperObject, Key, Predicate } from '../client/client';
import { typeName } from '../common/datatypes';
import type { SpaceSpec } from '../common/schema';
import { OptionSpec, Parsed, parseArgs, portValue, usage, UsageError } from './args';
import { formatJson, numberFromText, parseJsonObject } from './json-values';

export const EXIT_NOT_APPLIED = 3;

/** The operation reached the daemon and did not apply (NOTFOUND or CMPFAIL): exit status 3. */
export class NotApplied extends Error {}

/** What a command is given to run: the client, its arguments, and where its output goes. */
export interface Invocation {
  readonly client: Client;
  readonly args: readonly string[];
  readonly options: Parsed;
  readonly json: boolean;
  /** Writes one line of output. */
  readonly write: (line: string) => void;
}

export interface DataCommand {
  readonly name: string;
  /** The positional parameters; `[NAME]` is optional. SPACE and OPERATION complete in the shell. */
  readonly params: readonly string[];
  readonly summary: string;
  /** Further lines for --help. */
  readonly details: string;
  readonly options: readonly OptionSpec[];
  run(inv: Invocation): Promise<void>;
}

const TIMEOUT_SECONDS_MAX = 3600;

/** How the command reaches the coordinator: only on the command line (the shell connects once). */
export const CONNECTION_SPECS: readonly OptionSpec[] = [
  { long: 'host', short: 'h', valueName: 'H', help: "the coordinator's address", default: '127.0.0.1' },
  { long: 'port', short: 'p', valueName: 'P', help: "the coordinator's port", default: '1982' },
  { long: 'timeout', valueName: 'SECONDS', help: 'give up on a request after this long', default: '10' },
];

const OUTPUT_SPECS: readonly OptionSpec[] = [
  { long: 'json', flag: true, help: 'print JSON for scripts (one document a line)' },
  { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
];

const ATTRIBUTES_EXAMPLE = '{"first": "John", "phone": 6075551024}';
const PREDICATE_EXAMPLE = '{"last": "Smith", "phone": [6070000000, 6080000000]}';

const VALUES_HELP = `Values are JSON typed as the space says: a number for int64 and float, a string for string,
an array for list and set, an object for map ({"key": value}); a value of the wrong type fails
with WRONGTYPE and nothing is stored. Integers are read exactly, also past 2^53.`;

const PREDICATE_HELP = `A PREDICATE is a JSON object: {"attr": value} for equality, {"attr": [lower, upper]} for
lower <= value < upper (strings, int64 and floats); every member must hold; {} matches everything.`;

/** A key from the command line: the text for a string key, a number for an int64 or float key. */
export function keyArgument(spec: SpaceSpec, text: string): Key {
  if (spec.key.type.kind === 'string') return text;
  // Not a number: handed over as text, and the client says the key is of the wrong type.
  return numberFromText(text) ?? text;
}

/** The attributes of an object in schema order, the key first when it is there (search results). */
function inSchemaOrder(spec: SpaceSpec, obj: HyperObject): HyperObject {
  const out: HyperObject = {};
  for (const name of [spec.key.name, ...spec.attributes.map((a) => a.name)]) if (name in obj) out[name] = obj[name];
  return out;
}

/** An object for people: one attribute a line, names aligned, values as JSON. */
function humanObject(obj: HyperObject): string {
  const names = Object.keys(obj);
  if (names.length === 0) return '(no attributes)';
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${formatJson(obj[n])}`).join('\n');
}

function printOutcome(inv: Invocation, human: string, json: Record<string, unknown>): void {
  inv.write(inv.json ? formatJson(json) : human);
}

function predicateArgument(inv: Invocation, index: number): Predicate {
  const text = inv.args[index];
  return (text === undefined ? {} : parseJsonObject(text, 'PREDICATE', PREDICATE_EXAMPLE)) as Predicate;
}

function attributesArgument(text: string, what = 'ATTRIBUTES'): Attributes {
  return parseJsonObject(text, what, ATTRIBUTES_EXAMPLE) as Attributes;
}

/** The space's schema, and the key argument typed by it. Commands check their other arguments first: a bad command line sends nothing. */
async function spaceAndKey(inv: Invocation): Promise<{ space: string; spec: SpaceSpec; key: Key }> {
  const space = inv.args[0];
  const spec = await inv.client.describeSpace(space);
  return { space, spec, key: keyArgument(spec, inv.args[1]) };
}

const notFound = (inv: Invocation) => new NotApplied(`NOTFOUND: no object under key ${inv.args[1]} in space ${inv.args[0]}`);

const ATOMIC_ALIASES: Readonly<Record<string, AtomicMethod>> = {
  add: 'atomic_add',
  sub: 'atomic_sub',
  mul: 'atomic_mul',
  div: 'atomic_div',
  mod: 'atomic_mod',
  and: 'atomic_and',
  or: 'atomic_or',
  xor: 'atomic_xor',
  prepend: 'string_prepend',
  append: 'string_append',
  lpush: 'list_lpush',
  rpush: 'list_rpush',
};

/** Every spelling `atomic` accepts, the short ones first (for help and completion). */
export const ATOMIC_OPERATION_NAMES: readonly string[] = [...Object.keys(ATOMIC_ALIASES), ...Object.keys(ATOMIC_OPERATIONS)];

function atomicMethod(text: string): AtomicMethod {
  const name = text.replace(/-/g, '_');
  // Own properties only: 'constructor' or 'toString' is no operation.
  if (Object.hasOwn(ATOMIC_OPERATIONS, name)) return name as AtomicMethod;
  if (Object.hasOwn(ATOMIC_ALIASES, name)) return ATOMIC_ALIASES[name];
  throw new UsageError(`unknown atomic operation '${text}' (one of ${ATOMIC_OPERATION_NAMES.join(', ')})`);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const TOLERANCE = (replicas: number) => `${plural(replicas, 'replica')} (tolerate ${plural(replicas - 1, 'failure')})`;

function describeHuman(spec: SpaceSpec): string {
  const named = [spec.key, ...spec.attributes];
  const width = Math.max(...named.map((a) => a.name.length));
  const row = (a: { name: string; type: Parameters<typeof typeName>[0] }) => `  ${a.name.padEnd(width)}  ${typeName(a.type)}`;
  const subspaces = [
    { label: 'key', attributes: [spec.key.name], ...spec.keySubspace },
    ...spec.subspaces.map((s, i) => ({ label: String(i + 1), ...s })),
  ].map((s) => ({ label: s.label, names: s.attributes.join(', '), layout: `${s.partitions} partitions, ${TOLERANCE(s.replicas)}` }));
  const labelWidth = Math.max(...subspaces.map((s) => s.label.length));
  const namesWidth = Math.max(...subspaces.map((s) => s.names.length));
  return [
    `space ${spec.name}`,
    'key:',
    row(spec.key),
    'attributes:',
    ...(spec.attributes.length > 0 ? spec.attributes.map(row) : ['  (none)']),
    'subspaces:',
    ...subspaces.map((s) => `  ${s.label.padEnd(labelWidth)}  ${s.names.padEnd(namesWidth)}  ${s.layout}`),
  ].join('\n');
}

function describeJson(spec: SpaceSpec): Record<string, unknown> {
  const attr = (a: SpaceSpec['key']) => ({ name: a.name, type: typeName(a.type) });
  const layout = (s: { partitions: number; replicas: number }) => ({ partitions: s.partitions, replicas: s.replicas, tolerate: s.replicas - 1 });
  return {
    name: spec.name,
    key: attr(spec.key),
    attributes: spec.attributes.map(attr),
    keySubspace: { attributes: [spec.key.name], ...layout(spec.keySubspace) },
    subspaces: spec.subspaces.map((s) => ({ attributes: [...s.attributes], ...layout(s) })),
  };
}

const SEARCH_OPTIONS: readonly OptionSpec[] = [
  { long: 'sort-by', valueName: 'ATTR', help: 'return the --limit first objects in the order of ATTR (a string or number attribute)' },
  { long: 'limit', valueName: 'N', help: 'at most N objects' },
  { long: 'descending', flag: true, help: 'with --sort-by: largest first' },
];

const LIMIT_MAX = 1_000_000;

function limitOption(p: Parsed): number | undefined {
  const raw = p.values.limit;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > LIMIT_MAX) throw new UsageError(`--limit must be a whole number from 1 to ${LIMIT_MAX}, got '${raw}'`);
  return n;
}

async function search(inv: Invocation): Promise<void> {
  const space = inv.args[0];
  const predicate = predicateArgument(inv, 1);
  const limit = limitOption(inv.options);
  const sortBy = inv.options.values['sort-by'];
  if (sortBy === undefined && inv.options.flags.has('descending')) throw new UsageError('--descending needs --sort-by');
  if (sortBy !== undefined && limit === undefined) throw new UsageError('--sort-by needs --limit N');
  const spec = await inv.client.describeSpace(space);
  const results =
    sortBy === undefined ? inv.client.search(space, predicate) : inv.client.sortedSearch(space, predicate, sortBy, limit!, inv.options.flags.has('descending') ? 'descending' : 'ascending');
  let count = 0;
  for await (const o of results) {
    const obj = inSchemaOrder(spec, o);
    inv.write(inv.json ? formatJson(obj) : `${count > 0 ? '\n' : ''}${humanObject(obj)}`);
    if (++count === limit) break;
  }
  if (!inv.json) inv.write(`${count > 0 ? '\n' : ''}${plural(count, 'object')}`);
}

export const DATA_COMMANDS: readonly DataCommand[] = [
  {
    name: 'get',
    params: ['SPACE', 'KEY'],
    summary: 'print the object under KEY',
    details: 'Exit status 3 (NOTFOUND) when there is no object under KEY.',
    options: [],
    async run(inv) {
      const { space, spec, key } = await spaceAndKey(inv);
      const obj = await inv.client.get(space, key);
      if (obj === null) throw notFound(inv);
      const ordered = inSchemaOrder(spec, obj);
      inv.write(inv.json ? formatJson(ordered) : humanObject(ordered));
    },
  },
  {
    name: 'put',
    params: ['SPACE', 'KEY', 'ATTRIBUTES'],
    summary: 'set attributes, creating the object if needed',
    details: `ATTRIBUTES is a JSON object, e.g. '${ATTRIBUTES_EXAMPLE}'; attributes not named keep their value (a new object's take their defaults).\n${VALUES_HELP}`,
    options: [],
    async run(inv) {
      const attrs = attributesArgument(inv.args[2]);
      const { space, key } = await spaceAndKey(inv);
      await inv.client.put(space, key, attrs);
      printOutcome(inv, 'ok', { ok: true });
    },
  },
  {
    name: 'put-if-not-exist',
    params: ['SPACE', 'KEY', 'ATTRIBUTES'],
    summary: 'create the object only if there is none under KEY',
    details: `Exit status 3 (CMPFAIL) when an object exists: nothing changes.\n${VALUES_HELP}`,
    options: [],
    async run(inv) {
      const attrs = attributesArgument(inv.args[2]);
      const { space, key } = await spaceAndKey(inv);
      if (!(await inv.client.putIfNotExist(space, key, attrs)))
        throw new NotApplied(`CMPFAIL: an object exists under key ${inv.args[1]} in space ${space}; nothing changed`);
      printOutcome(inv, 'ok', { ok: true });
    },
  },
  {
    name: 'cond-put',
    params: ['SPACE', 'KEY', 'CONDITION', 'ATTRIBUTES'],
    summary: 'set attributes only if the stored object matches CONDITION',
    details: `CONDITION is a predicate (below) on the stored object. Exit status 3 (CMPFAIL) when it does not hold or there is no object: nothing changes.\n${PREDICATE_HELP}\n${VALUES_HELP}`,
    options: [],
    async run(inv) {
      const condition = attributesArgument(inv.args[2], 'CONDITION');
      const attrs = attributesArgument(inv.args[3]);
      const { space, key } = await spaceAndKey(inv);
      if (!(await inv.client.condPut(space, key, condition, attrs)))
        throw new NotApplied(`CMPFAIL: the condition does not hold for key ${inv.args[1]} in space ${space} (or there is no object); nothing changed`);
      printOutcome(inv, 'ok', { ok: true });
    },
  },
  {
    name: 'del',
    params: ['SPACE', 'KEY'],
    summary: 'delete the object under KEY',
    details: 'Exit status 3 (NOTFOUND) when there was no object.',
    options: [],
    async run(inv) {
      const { space, key } = await spaceAndKey(inv);
      if (!(await inv.client.del(space, key))) throw notFound(inv);
      printOutcome(inv, 'ok', { ok: true });
    },
  },
  {
    name: 'atomic',
    params: ['SPACE', 'KEY', 'OPERATION', 'ATTRIBUTES'],
    summary: 'apply an atomic operation to attributes of the object',
    details: [
      `OPERATION is one of: ${ATOMIC_OPERATION_NAMES.join(', ')}`,
      '(add .. xor are atomic_add .. atomic_xor, prepend/append string_prepend/string_append, lpush/rpush list_lpush/list_rpush; - and _ are alike).',
      `ATTRIBUTES gives each attribute its operand: '{"phone": 1}' for add, an element for lpush, rpush, set_add and set_remove, an array for set_union and set_intersect, an object for map_add; the map_atomic_*, map_string_* and map_remove operations take {"attr": {"mapkey": operand}}.`,
      'All the named attributes change or none. Exit status 3 (NOTFOUND) when there is no object under KEY.',
    ].join('\n'),
    options: [],
    async run(inv) {
      const method = atomicMethod(inv.args[2]);
      const attrs = attributesArgument(inv.args[3]);
      const { space, key } = await spaceAndKey(inv);
      const operation = inv.client[method] as (space: string, key: Key, attrs: Attributes) => Promise<boolean>;
      if (!(await operation.call(inv.client, space, key, attrs))) throw notFound(inv);
      printOutcome(inv, 'ok', { ok: true });
    },
  },
  {
    name: 'search',
    params: ['SPACE', '[PREDICATE]'],
    summary: 'print the objects that match PREDICATE (all without one)',
    details: `${PREDICATE_HELP}\nWith --json: one object a line, the key included.`,
    options: SEARCH_OPTIONS,
    run: search,
  },
  {
    name: 'count',
    params: ['SPACE', '[PREDICATE]'],
    summary: 'count the objects that match PREDICATE (all without one)',
    details: PREDICATE_HELP,
    options: [],
    async run(inv) {
      const n = await inv.client.count(inv.args[0], predicateArgument(inv, 1));
      printOutcome(inv, String(n), { count: n });
    },
  },
  {
    name: 'group-del',
    params: ['SPACE', 'PREDICATE'],
    summary: "delete the objects that match PREDICATE ('{}' for all)",
    details: PREDICATE_HELP,
    options: [],
    async run(inv) {
      const n = await inv.client.groupDel(inv.args[0], predicateArgument(inv, 1));
      printOutcome(inv, `deleted ${plural(n, 'object')}`, { deleted: n });
    },
  },
  {
    name: 'describe-space',
    params: ['SPACE'],
    summary: 'print the attributes, key and subspaces of a space',
    details: 'Replicas and tolerated failures are what the space asks for.',
    options: [],
    async run(inv) {
      const spec = await inv.client.describeSpace(inv.args[0]);
      inv.write(inv.json ? formatJson(describeJson(spec)) : describeHuman(spec));
    },
  },
];

const BY_NAME = new Map(DATA_COMMANDS.map((c) => [c.name, c]));

export function findDataCommand(name: string): DataCommand | undefined {
  return BY_NAME.get(name);
}

/** The lines `hyperdex --help` and the shell's `help` list. */
export function dataCommandsHelp(prefix = ''): string {
  const heads = DATA_COMMANDS.map((c) => `${prefix}${c.name} ${c.params.join(' ')}`);
  const width = Math.max(...heads.map((h) => h.length));
  return DATA_COMMANDS.map((c, i) => `  ${heads[i].padEnd(width)}  ${c.summary}`).join('\n') + '\n';
}

/** The command's options: connection options on the command line only, then its own, then output. */
export function commandSpecs(cmd: DataCommand, onCommandLine: boolean): OptionSpec[] {
  return [...(onCommandLine ? CONNECTION_SPECS : []), ...cmd.options, ...OUTPUT_SPECS];
}

export function commandHelp(cmd: DataCommand, onCommandLine: boolean): string {
  const synopsis = `${onCommandLine ? 'hyperdex ' : ''}${cmd.name} [options] ${cmd.params.join(' ')}`;
  const negative = onCommandLine ? '\nA KEY that starts with - goes after --, e.g. hyperdex get SPACE -- -5.' : '';
  return usage(synopsis, `${cmd.summary[0].toUpperCase()}${cmd.summary.slice(1)}.\n${cmd.details}${negative}`, commandSpecs(cmd, onCommandLine));
}

/** Checks the number of positional arguments against the command's parameters. */
function checkArity(cmd: DataCommand, args: readonly string[]): void {
  const required = cmd.params.filter((p) => !p.startsWith('[')).length;
  if (args.length < required || args.length > cmd.params.length) {
    const want = required === cmd.params.length ? `${required}` : `${required} to ${cmd.params.length}`;
    throw new UsageError(`${cmd.name} takes ${want} arguments (${cmd.params.join(' ')}), got ${args.length}`);
  }
}

/** Parses a data command's arguments: undefined when --help was asked (and printed with `write`). */
export function parseCommand(cmd: DataCommand, argv: readonly string[], onCommandLine: boolean, write: (text: string) => void): Parsed | undefined {
  const p = parseArgs(argv, commandSpecs(cmd, onCommandLine));
  if (p.flags.has('help')) {
    write(commandHelp(cmd, onCommandLine));
    return undefined;
  }
  checkArity(cmd, p.positional);
  return p;
}

/** Runs a parsed command on a client. Rejects with NotApplied, UsageError or the client's error. */
export function runParsed(cmd: DataCommand, p: Parsed, client: Client, write: (line: string) => void): Promise<void> {
  return cmd.run({ client, args: p.positional, options: p, json: p.flags.has('json'), write });
}

export function timeoutMsOption(p: Parsed): number {
  const raw = p.values.timeout;
  const seconds = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > TIMEOUT_SECONDS_MAX)
    throw new UsageError(`--timeout must be a number of seconds above 0 and at most ${TIMEOUT_SECONDS_MAX}, got '${raw}'`);
  return Math.ceil(seconds * 1000);
}

/** `hyperdex NAME [options] ARGS...`: one command, its own connection. */
export async function dataCommand(name: string, argv: readonly string[]): Promise<number> {
  const cmd = findDataCommand(name);
  if (!cmd) throw new UsageError(`unknown command '${name}'`);
  const p = parseCommand(cmd, argv, true, (text) => process.stdout.write(text));
  if (!p) return 0;
  const timeoutMs = timeoutMsOption(p);
  const client = new Client(p.values.host, portValue(p, 'port'), { timeoutMs, connectTimeoutMs: timeoutMs });
  try {
    await runParsed(cmd, p, client, (line) => process.stdout.write(line + '\n'));
    return 0;
  } catch (e) {
    if (!(e instanceof NotApplied)) throw e;
    process.stderr.write(`hyperdex: ${e.message}\n`);
    return EXIT_NOT_APPLIED;
  } finally {
    await client.close();
  }
}
