// The TypeScript JSON bridge: node dist/test/compat/bridge.js HOST PORT [TIMEOUT_MS] < scenario.jsonl
// Runs HyperDex operations given as JSON lines through the TypeScript client (src/client) and prints
// one canonical result line per operation, in docs/bridge.md's format, so that its output can be
// compared byte for byte with the C bridge's (native/tools/json_bridge.c) and the Python bridge's
// (test/compat/bridge.py). Where the TypeScript client's API answers differently from the C API
// (docs/bridge.md, "Differences between the bridges") this bridge prints what the TypeScript
// client does: it does not imitate checks that the client does not make.

import { isUtf8 } from 'node:buffer';
import { AttrType, ScalarType } from '../../src/common/datatypes';
import { SpaceSpec } from '../../src/common/schema';
import { Attributes, Client, HyperClientError, HyperObject } from '../../src/client/client';

const LINE_BYTES_MAX = 16 * 1024 * 1024;
const SAFE = 2n ** 53n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A line that is not run: one of the format's error codes, with the reason for stderr. */
class LineError extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}
const badArg = (why: string) => new LineError('BADARG', why);

// ---- JSON, keeping numbers as text and members as pairs ------------------------------------------
// JSON.parse rounds integers past 2^53 and cannot tell 1e3 from 1000, and drops a member named twice,
// all of which the format gives meaning to (docs/bridge.md, Values), so the bridge reads JSON itself.

type J =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; text: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; v: J[] }
  | { t: 'obj'; v: [string, J][] };

function parseJson(s: string): J {
  let i = 0;
  const fail = (why: string): never => {
    throw new LineError('BADJSON', `${why} at offset ${i}`);
  };
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  // Nesting is bounded so that a hostile line cannot overflow the stack.
  const value = (depth: number): J => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const members: [string, J][] = [];
      ws();
      if (s[i] === '}') {
        i++;
        return { t: 'obj', v: members };
      }
      for (;;) {
        ws();
        if (s[i] !== '"') fail('expected a member name');
        const k = str();
        ws();
        if (s[i++] !== ':') fail('expected ":"');
        members.push([k, value(depth + 1)]);
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') {
          i++;
          return { t: 'obj', v: members };
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: J[] = [];
      ws();
      if (s[i] === ']') {
        i++;
        return { t: 'arr', v: items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') {
          i++;
          return { t: 'arr', v: items };
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(s.slice(i, i + 400));
    if (m && m[0] !== '') {
      i += m[0].length;
      return { t: 'num', text: m[0] };
    }
    for (const [word, j] of [['true', { t: 'bool', v: true }], ['false', { t: 'bool', v: false }], ['null', { t: 'null' }]] as const) {
      if (s.startsWith(word, i)) {
        i += word.length;
        return j;
      }
    }
    return fail('unexpected character');
  };
  const str = (): string => {
    i++; // the opening quote
    let out = '';
    for (;;) {
      if (i >= s.length) fail('unterminated string');
      const c = s[i++];
      if (c === '"') return out;
      if (c < ' ') fail('a control character in a string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = s[i++];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) out += simple[e];
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(s.slice(i, i + 4), 16));
        i += 4;
      } else fail('bad escape');
    }
  };
  const j = value(0);
  ws();
  if (i !== s.length) fail('text after the value');
  return j;
}

const member = (o: J & { t: 'obj' }, name: string): J | undefined => o.v.find(([k]) => k === name)?.[1];

// ---- request values -> TypeScript values ---------------------------------------------------------

type Sc = { type: ScalarType; v: string | Buffer | bigint | number };

function parseInt64(text: string): bigint {
  if (!/^-?[0-9]+$/.test(text)) throw badArg(`${text} is not an int64 (write floats as {"float": ...})`);
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) throw badArg(`${text} does not fit in an int64`);
  return n;
}

function parseFloatText(text: string): number {
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  if (text === 'NaN') return NaN;
  const nan = /^NaN:0x([0-9a-fA-F]{16})$/.exec(text);
  if (nan) {
    const b = Buffer.from(nan[1], 'hex');
    const d = b.readDoubleBE(0);
    if (!Number.isNaN(d)) throw badArg(`bad float ${text}`);
    return d;
  }
  // JSON number syntax only, as the C bridge reads it
  if (!/^-?[0-9][0-9.eE+-]*$/.test(text)) throw badArg(`bad float ${text}`);
  const d = Number(text);
  if (Number.isNaN(d)) throw badArg(`bad float ${text}`);
  return d;
}

function scalar(j: J): Sc {
  if (j.t === 'str') return { type: 'string', v: j.v };
  if (j.t === 'num') return { type: 'int64', v: parseInt64(j.text) };
  if (j.t === 'obj' && j.v.length === 1) {
    const [tag, x] = j.v[0];
    const text = x.t === 'str' ? x.v : x.t === 'num' ? x.text : undefined;
    if (tag === 'int' && text !== undefined) return { type: 'int64', v: parseInt64(text) };
    if (tag === 'float' && text !== undefined) return { type: 'float', v: parseFloatText(text) };
    if (tag === 'bytes' && x.t === 'str' && /^([0-9a-fA-F]{2})*$/.test(x.v)) return { type: 'string', v: Buffer.from(x.v, 'hex') };
  }
  throw badArg('not a scalar value');
}

/** The bytes that identify an element, for finding a map key given twice (-0 is 0, as in a map). */
function elementId(e: Sc): string {
  if (e.type === 'string') return 's' + (Buffer.isBuffer(e.v) ? e.v : Buffer.from(e.v as string, 'utf8')).toString('hex');
  if (e.type === 'int64') return 'i' + String(e.v);
  const b = Buffer.alloc(8);
  b.writeDoubleLE((e.v as number) === 0 ? 0 : (e.v as number));
  return 'f' + b.toString('hex');
}

const typeNames: Record<string, ScalarType> = { string: 'string', int64: 'int64', float: 'float' };

/** Any value: a scalar, or {"list"|"set"|"map": [...], "of"?}. "of" is checked and not needed: the
 * TypeScript client types every value by the space's schema. */
function value(j: J, keysOnly = false): unknown {
  const shape = j.t === 'obj' && j.v.length > 0 ? j.v[0][0] : '';
  if (j.t !== 'obj' || !['list', 'set', 'map'].includes(shape)) return scalar(j).v;
  const of = member(j, 'of');
  if (j.v.length !== (of ? 2 : 1)) throw badArg(`unexpected member in a ${shape} value`);
  if (of) {
    const ok =
      shape === 'map'
        ? of.t === 'arr' && of.v.length === 2 && of.v.every((x) => x.t === 'str' && x.v in typeNames)
        : of.t === 'str' && of.v in typeNames;
    if (!ok) throw badArg('bad "of"');
  }
  const items = j.v[0][1];
  if (items.t !== 'arr') throw badArg("a container's elements must be an array");
  if (shape === 'map') {
    const out = new Map<unknown, unknown>();
    const seen = new Set<string>();
    let kt: ScalarType | undefined;
    let vt: ScalarType | undefined;
    for (const p of items.v) {
      if (p.t !== 'arr' || p.v.length !== 2) throw badArg("a map's entries are [key, value] pairs");
      const k = scalar(p.v[0]);
      // map_remove: only the keys count, and the value may be anything (null)
      const v = keysOnly ? { type: 'int64' as const, v: 0n } : scalar(p.v[1]);
      if ((kt ?? k.type) !== k.type || (vt ?? v.type) !== v.type) throw badArg("a map's keys (and values) must all have one type");
      kt = k.type;
      vt = v.type;
      const id = elementId(k);
      if (seen.has(id)) throw badArg('a map names one key twice');
      seen.add(id);
      out.set(k.v, v.v);
    }
    return out;
  }
  const elems = items.v.map(scalar);
  if (elems.some((e) => e.type !== elems[0].type)) throw badArg("a container's elements must all have one type");
  return shape === 'set' ? new Set(elems.map((e) => e.v)) : elems.map((e) => e.v);
}

function isRange(j: J): j is J & { t: 'obj' } {
  return j.t === 'obj' && j.v.length === 1 && j.v[0][0] === 'range';
}

/** {"attr": value, ...} as pairs, in order and with names given twice kept (the client says DUPEATTR). */
function attrs(j: J, keysOnly = false): Attributes {
  // the values were built by value() from the format's typed JSON; the client checks them against the schema
  return (j as J & { t: 'obj' }).v.map(([k, x]) => [k, value(x, keysOnly)]) as unknown as Attributes;
}

/** A predicate: equality values and [lower, upper] ranges. */
function predicate(j: J): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of (j as J & { t: 'obj' }).v) {
    if (isRange(x)) {
      const b = x.v[0][1];
      if (b.t !== 'arr' || b.v.length !== 2) throw badArg('a range is {"range": [lower, upper]}');
      out[k] = [scalar(b.v[0]).v, scalar(b.v[1]).v];
    } else out[k] = value(x);
  }
  return out;
}

// ---- TypeScript values -> canonical JSON ---------------------------------------------------------

function printString(b: Buffer): string {
  return isUtf8(b) ? JSON.stringify(b.toString('utf8')) : `{"bytes":"${b.toString('hex')}"}`;
}

function printInt(v: bigint): string {
  return v > SAFE || v < -SAFE ? `{"int":"${v}"}` : String(v);
}

function floatBits(d: number): bigint {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(d);
  return b.readBigUInt64BE(0);
}

function printFloat(d: number): string {
  let t: string;
  if (Number.isNaN(d)) {
    const bits = floatBits(d);
    t = bits === 0x7ff8000000000000n ? 'NaN' : `NaN:0x${bits.toString(16).padStart(16, '0')}`;
  } else if (Object.is(d, -0)) t = '-0';
  else t = String(d); // ECMAScript's Number::toString, which the format is defined by
  return `{"float":"${t}"}`;
}

function printScalar(t: ScalarType, v: unknown): string {
  if (t === 'string') return printString(Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
  if (t === 'int64') return printInt(BigInt(v as number | bigint));
  return printFloat(v as number);
}

/** The element order of docs/protocol.md section 7: strings bytewise, numbers numerically, NaN last. */
function compareScalar(t: ScalarType, a: unknown, b: unknown): number {
  if (t === 'string') return Buffer.compare(a as Buffer, b as Buffer);
  if (t === 'int64') {
    const x = BigInt(a as number | bigint);
    const y = BigInt(b as number | bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = a as number;
  const y = b as number;
  if (Number.isNaN(x) || Number.isNaN(y)) {
    if (!Number.isNaN(y)) return 1;
    if (!Number.isNaN(x)) return -1;
    const bx = floatBits(x);
    const by = floatBits(y);
    return bx < by ? -1 : bx > by ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

function printValue(t: AttrType, v: unknown): string {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return printScalar(t.kind, v);
    case 'list':
      return `{"list":[${(v as unknown[]).map((e) => printScalar(t.elem, e)).join(',')}]}`;
    case 'set': {
      const es = [...(v as Set<unknown>)].sort((a, b) => compareScalar(t.elem, a, b));
      return `{"set":[${es.map((e) => printScalar(t.elem, e)).join(',')}]}`;
    }
    case 'map': {
      const es = [...(v as Map<unknown, unknown>)].sort((a, b) => compareScalar(t.key, a[0], b[0]));
      return `{"map":[${es.map(([k, x]) => `[${printScalar(t.key, k)},${printScalar(t.value, x)}]`).join(',')}]}`;
    }
  }
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function printObject(spec: SpaceSpec, o: HyperObject): string {
  const types = new Map<string, AttrType>([[spec.key.name, spec.key.type], ...spec.attributes.map((a) => [a.name, a.type] as const)]);
  const names = Object.keys(o).sort(byteOrder);
  return `{${names.map((n) => `${JSON.stringify(n)}:${printValue(types.get(n)!, o[n])}`).join(',')}}`;
}

// ---- operations ---------------------------------------------------------------------------------

const KEYED = ['space', 'key', 'attrs'];
const SHAPES: Record<string, string[]> = {
  get: ['space', 'key'],
  delete: ['space', 'key'],
  del: ['space', 'key'],
  put: KEYED,
  put_if_not_exist: KEYED,
  condput: ['space', 'key', 'condition', 'attrs'],
  cond_put: ['space', 'key', 'condition', 'attrs'],
  search: ['space', 'predicate'],
  count: ['space', 'predicate'],
  group_del: ['space', 'predicate'],
  sorted_search: ['space', 'predicate', 'sort_by', 'limit', 'order'],
  add_space: ['description'],
  rm_space: ['space'],
};
const ATOMIC = [
  'atomic_add', 'atomic_sub', 'atomic_mul', 'atomic_div', 'atomic_mod', 'atomic_and', 'atomic_or', 'atomic_xor',
  'string_prepend', 'string_append', 'list_lpush', 'list_rpush', 'set_add', 'set_remove', 'set_intersect', 'set_union',
  'map_add', 'map_remove', 'map_atomic_add', 'map_atomic_sub', 'map_atomic_mul', 'map_atomic_div', 'map_atomic_mod',
  'map_atomic_and', 'map_atomic_or', 'map_atomic_xor', 'map_string_prepend', 'map_string_append',
] as const;
for (const a of ATOMIC) SHAPES[a] = KEYED;

type Obj = J & { t: 'obj' };

function need(r: Obj, name: string, kind: J['t']): J {
  const j = member(r, name);
  if (!j || j.t !== kind) throw badArg(`"${name}" must be ${kind}`);
  return j;
}

async function collect(it: AsyncIterable<HyperObject>): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** Runs one request and returns its result line. */
async function run(c: Client, r: Obj): Promise<string> {
  const opJ = member(r, 'op');
  const op = opJ?.t === 'str' ? opJ.v : '';
  const allowed = Object.prototype.hasOwnProperty.call(SHAPES, op) ? SHAPES[op] : undefined;
  if (!allowed) throw new LineError('BADOP', `unknown or missing "op": ${op || '(none)'}`);
  for (const [k] of r.v) if (k !== 'op' && !allowed.includes(k)) throw badArg(`unexpected member "${k}"`);
  if (op === 'add_space') {
    const d = need(r, 'description', 'str') as J & { t: 'str' };
    await c.addSpace(d.v);
    return '{"ok":true}';
  }
  const space = (need(r, 'space', 'str') as J & { t: 'str' }).v;
  if (op === 'rm_space') {
    await c.rmSpace(space);
    return '{"ok":true}';
  }
  let key: string | Buffer | bigint | number = '';
  if (allowed.includes('key')) {
    const k = member(r, 'key');
    if (!k) throw badArg('"key" is missing');
    key = scalar(k).v;
  }
  const schema = () => c.describeSpace(space);
  const bool = (b: boolean) => `{"ok":${b}}`;
  switch (op) {
    case 'get': {
      const o = await c.get(space, key);
      return o === null ? '{"ok":null}' : `{"ok":${printObject(await schema(), o)}}`;
    }
    case 'delete':
    case 'del':
      return bool(await c.del(space, key));
    case 'put':
      return bool(await c.put(space, key, attrs(need(r, 'attrs', 'obj'))));
    case 'put_if_not_exist':
      return bool(await c.putIfNotExist(space, key, attrs(need(r, 'attrs', 'obj'))));
    case 'condput': {
      const cond = need(r, 'condition', 'obj') as Obj;
      if (cond.v.some(([, x]) => isRange(x))) throw new LineError('UNSUPPORTED', 'condput compares equality only; use cond_put for ranges');
      const condition = attrs(cond);
      return bool(await c.condPut(space, key, condition, attrs(need(r, 'attrs', 'obj'))));
    }
    case 'cond_put': {
      const condition = predicate(need(r, 'condition', 'obj'));
      return bool(await c.condPut(space, key, condition as never, attrs(need(r, 'attrs', 'obj'))));
    }
    case 'search': {
      const found = await collect(c.search(space, predicate(need(r, 'predicate', 'obj')) as never));
      const spec = await schema();
      const texts = found.map((o) => printObject(spec, o)).sort(byteOrder);
      return `{"ok":[${texts.join(',')}]}`;
    }
    case 'count':
      return `{"ok":${await c.count(space, predicate(need(r, 'predicate', 'obj')) as never)}}`;
    case 'group_del':
      // the client says how many it deleted; the format prints true, as the C API cannot say
      await c.groupDel(space, predicate(need(r, 'predicate', 'obj')) as never);
      return '{"ok":true}';
    case 'sorted_search': {
      const pred = predicate(need(r, 'predicate', 'obj'));
      const sortBy = (need(r, 'sort_by', 'str') as J & { t: 'str' }).v;
      const lim = need(r, 'limit', 'num') as J & { t: 'num' };
      if (!/^[0-9]+$/.test(lim.text)) throw badArg('"limit" must be a nonnegative integer');
      const ord = member(r, 'order');
      let order: 'ascending' | 'descending' = 'ascending';
      if (ord) {
        if (ord.t === 'str' && (ord.v === 'descending' || ord.v === 'max')) order = 'descending';
        else if (!(ord.t === 'str' && (ord.v === 'ascending' || ord.v === 'min'))) throw badArg('"order" is "ascending" or "descending"');
      }
      const found = await collect(c.sortedSearch(space, pred as never, sortBy, Number(lim.text), order));
      const spec = await schema();
      const sortType = sortBy === spec.key.name ? spec.key.type : spec.attributes.find((a) => a.name === sortBy)?.type;
      const rows = found.map((o) => ({ text: printObject(spec, o), tie: sortType ? printValue(sortType, o[sortBy]) : '' }));
      // runs of equal sort values in text order, as every bridge prints them
      const out: string[] = [];
      for (let i = 0; i < rows.length; ) {
        let j = i + 1;
        while (j < rows.length && rows[j].tie === rows[i].tie) j++;
        out.push(...rows.slice(i, j).map((x) => x.text).sort(byteOrder));
        i = j;
      }
      return `{"ok":[${out.join(',')}]}`;
    }
  }
  // the atomic, string, list, set and map operations
  const pairs = attrs(need(r, 'attrs', 'obj'), op === 'map_remove');
  if (op.startsWith('map_')) {
    for (const [, v] of pairs as ReadonlyArray<readonly [string, unknown]>) if (!(v instanceof Map)) throw badArg('map operations take {"ATTR": {"map": [[key, value], ...]}}');
  }
  const fn = (c as unknown as Record<string, (s: string, k: unknown, a: unknown) => Promise<boolean>>)[op];
  return bool(await fn.call(c, space, key, pairs));
}

const STATUS_ATTR = new Set(['UNKNOWNATTR', 'WRONGTYPE', 'DUPEATTR']);

async function runLine(c: Client, line: string, lineno: number): Promise<string> {
  try {
    const j = parseJson(line);
    if (j.t !== 'obj') throw new LineError('BADJSON', 'a request is a JSON object');
    return await run(c, j);
  } catch (e) {
    if (e instanceof LineError) {
      process.stderr.write(`ts-json-bridge: line ${lineno}: ${e.code}: ${e.message}\n`);
      return `{"error":"${e.code}"}`;
    }
    if (e instanceof HyperClientError) {
      const attr = e.attr !== undefined && STATUS_ATTR.has(e.statusName) ? `,"attr":${JSON.stringify(e.attr)}` : '';
      return `{"status":"${e.statusName}"${attr}}`;
    }
    // Anything else is the client failing in a way no status describes: visible, never hidden.
    process.stderr.write(`ts-json-bridge: line ${lineno}: CLIENTERROR: ${(e as Error)?.stack ?? String(e)}\n`);
    return '{"error":"CLIENTERROR"}';
  }
}

async function main(): Promise<number> {
  const [host, portText, timeoutText] = process.argv.slice(2);
  const port = Number(portText);
  const timeoutMs = timeoutText === undefined ? 30_000 : Number(timeoutText);
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535 || !Number.isInteger(timeoutMs) || timeoutMs <= 0 || process.argv.length > 5) {
    process.stderr.write('usage: bridge.js HOST PORT [TIMEOUT_MS]\nRuns HyperDex operations given as JSON lines on stdin, one result line each (docs/bridge.md).\n');
    return 2;
  }
  let c: Client;
  try {
    // strings: 'buffer' so that the bridge itself decides text or bytes, by the format's rule
    c = await Client.connect(host, port, { timeoutMs, strings: 'buffer' });
  } catch (e) {
    process.stderr.write(`ts-json-bridge: cannot connect to the coordinator at ${host}:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let tooLong = false;
  let lineno = 0;
  const handle = async (raw: Buffer) => {
    lineno++;
    if (tooLong) {
      process.stderr.write(`ts-json-bridge: line ${lineno}: TOOLONG: a line is longer than ${LINE_BYTES_MAX} bytes\n`);
      process.stdout.write('{"error":"TOOLONG"}\n');
      return;
    }
    let line = raw.toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (/^[ \t]*(#|$)/.test(line)) return;
    const out = await runLine(c, line, lineno);
    await new Promise<void>((resolve) => process.stdout.write(out + '\n', () => resolve()));
  };
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const part = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      if (!tooLong) {
        if (pendingLen + part.length > LINE_BYTES_MAX) {
          tooLong = true;
          pending = [];
          pendingLen = 0;
        } else {
          pending.push(part);
          pendingLen += part.length;
        }
      }
      if (nl < 0) break;
      await handle(Buffer.concat(pending));
      pending = [];
      pendingLen = 0;
      tooLong = false;
      start = nl + 1;
    }
  }
  if (pendingLen > 0 || tooLong) await handle(Buffer.concat(pending));
  await c.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`ts-json-bridge: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(3);
  },
);
