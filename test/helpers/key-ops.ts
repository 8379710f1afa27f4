// Histories of HyperDex key operations for the checkers' tests (key-model, search-check): requests
// built as the client builds them (put, cond_put, put_if_not_exist, del, atomic_add), objects as
// values in schema order, and operations with their ticks.

import { datatypeOf } from '../../src/common/datatypes';
import { WireCheck, WireFunc } from '../../src/common/messages';
import { AtomicFlag, CheckOp, FuncOp } from '../../src/common/protocol';
import { findAttribute, SpaceSpec } from '../../src/common/schema';
import { parseSpaceDescription } from '../../src/common/schema-parser';
import { defaultValueBytes, encodeValue } from '../../src/common/values';
import { AtomicInput } from '../../src/daemon/apply';
import { delRequest, KeyOperation, KeyWrite } from '../../src/sim/key-model';

export const PEOPLE = parseSpaceDescription('space people key username attributes first, int64 age');

type Attrs = Readonly<Record<string, unknown>>;

function typeOf(space: SpaceSpec, name: string) {
  const a = findAttribute(space, name);
  if (!a) throw new Error(`no attribute ${name} in ${space.name}`);
  return a.type;
}

export function func(name: string, value: unknown, op: number = FuncOp.SET, space = PEOPLE): WireFunc {
  const type = typeOf(space, name);
  return { op, name, datatype: datatypeOf(type), value: encodeValue(type, value) };
}

export function check(name: string, value: unknown, op: number = CheckOp.EQUALS, space = PEOPLE): WireCheck {
  const type = typeOf(space, name);
  return { op, name, datatype: datatypeOf(type), value: encodeValue(type, value) };
}

/** An object's values in schema order; attributes not named take their defaults. */
export function values(attrs: Attrs, space = PEOPLE): Buffer[] {
  return space.attributes.map((a) => (attrs[a.name] === undefined ? defaultValueBytes(a.type) : encodeValue(a.type, attrs[a.name])));
}

const funcs = (attrs: Attrs, op: number = FuncOp.SET): WireFunc[] => Object.entries(attrs).map(([n, v]) => func(n, v, op));
const checks = (attrs: Attrs): WireCheck[] => Object.entries(attrs).map(([n, v]) => check(n, v));

export const put = (attrs: Attrs): AtomicInput => ({ flags: 0, checks: [], funcs: funcs(attrs) });
export const condPut = (cond: Attrs, attrs: Attrs): AtomicInput => ({ flags: AtomicFlag.FAIL_IF_NOT_FOUND, checks: checks(cond), funcs: funcs(attrs) });
export const putIfNotExist = (attrs: Attrs): AtomicInput => ({ flags: AtomicFlag.FAIL_IF_FOUND, checks: [], funcs: funcs(attrs) });
export const atomic = (op: number, attrs: Attrs): AtomicInput => ({ flags: AtomicFlag.FAIL_IF_NOT_FOUND, checks: [], funcs: funcs(attrs, op) });
export const del = delRequest;

let clients = 0;

/** A write of `key` in PEOPLE; output undefined with ret undefined: the client never learned it. */
export function write(key: string, request: AtomicInput, call: number, ret: number | undefined, output: number | undefined, name?: string): KeyOperation {
  const input: KeyWrite = { kind: 'write', space: PEOPLE, key: Buffer.from(key), request, name };
  return { client: clients++, input, call, ret, output };
}

/** A get of `key`: `found` the attributes seen, null for not found, undefined for unknown. */
export function get(key: string, call: number, ret: number | undefined, found: Attrs | null | undefined): KeyOperation {
  const output = found === undefined ? undefined : found === null ? { found: false as const } : { found: true as const, values: values(found) };
  return { client: clients++, input: { kind: 'get', space: PEOPLE, key: Buffer.from(key) }, call, ret, output };
}
