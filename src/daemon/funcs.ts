// The functions of a write: put's SET and every atomic read-modify-write operation, on values
// held as canonical bytes. Pure. Each function either returns the attribute's new bytes or an
// error; the caller applies all of a request's functions to a copy and keeps it only if every one
// succeeded, so a request changes all its attributes or none.

import { AttrType, ScalarType, sameType, typeName, typeOfDatatype } from '../common/datatypes';
import { operandType, scalarType } from '../common/operands';
import { WireFunc } from '../common/messages';
import { FuncOp, Status } from '../common/protocol';
import { AttributeSpec, SpaceSpec } from '../common/schema';
import {
  asSetElement,
  canonicalValueBytes,
  compareElements,
  defaultElement,
  Element,
  INT64_RANGE,
  readElementList,
  readMapEntries,
  readScalar,
  writeList,
  writeMap,
  writeScalar,
  writeSet,
} from '../common/values';

export interface FuncError {
  readonly status: number;
  readonly attr: string;
  readonly message: string;
}

export interface ResolvedFunc {
  readonly op: number;
  readonly index: number;
  readonly attr: AttributeSpec;
  /** Canonical bytes of the operand, of the type `operandType`. */
  readonly value: Buffer;
  /** Canonical bytes of the map key, for operations on one value of a map. */
  readonly mapKey?: Buffer;
}

const OP_NAMES = new Map<number, string>(Object.entries(FuncOp).map(([k, v]) => [v, k.toLowerCase()]));

/** Resolves functions against the schema: names, operand types, conflicts. */
export function resolveFuncs(spec: SpaceSpec, funcs: readonly WireFunc[]): ResolvedFunc[] | FuncError {
  const out: ResolvedFunc[] = [];
  // Names seen, for the check that one call names an attribute once: made only for two or more.
  const touched = funcs.length > 1 ? new Map<string, Set<string> | 'whole'>() : undefined;
  for (const f of funcs) {
    if (f.name === spec.key.name) return { status: Status.UNKNOWNATTR, attr: f.name, message: `attribute "${f.name}" is the key and cannot be written` };
    const index = spec.attributes.findIndex((a) => a.name === f.name);
    if (index < 0) return { status: Status.UNKNOWNATTR, attr: f.name, message: `space ${spec.name} has no attribute "${f.name}"` };
    const attr = spec.attributes[index];
    if (!OP_NAMES.has(f.op)) return { status: Status.BADREQUEST, attr: f.name, message: `unknown function op ${f.op}` };
    const want = operandType(f.op, attr.type, f.mapKey !== undefined);
    const opName = OP_NAMES.get(f.op)!;
    if (!want) return { status: Status.WRONGTYPE, attr: f.name, message: `${opName}${f.mapKey ? ' on a map value' : ''} does not apply to "${f.name}" (${typeName(attr.type)})` };
    const sent = typeOfDatatype(f.datatype);
    if (!sent || !sameType(sent, want))
      return { status: Status.WRONGTYPE, attr: f.name, message: `${opName} on "${f.name}" takes ${typeName(want)}, not datatype ${f.datatype}` };
    const value = canonicalValueBytes(want, f.value);
    if (value === undefined) return { status: Status.WRONGTYPE, attr: f.name, message: `malformed ${typeName(want)} operand for "${f.name}"` };
    let mapKey: Buffer | undefined;
    if (f.mapKey) {
      const keyType = scalarType((attr.type as { key: ScalarType }).key);
      const kt = typeOfDatatype(f.mapKey.datatype);
      if (!kt || !sameType(kt, keyType)) return { status: Status.WRONGTYPE, attr: f.name, message: `map keys of "${f.name}" are ${typeName(keyType)}, not datatype ${f.mapKey.datatype}` };
      const keyBytes = canonicalValueBytes(keyType, f.mapKey.value);
      if (keyBytes === undefined) return { status: Status.WRONGTYPE, attr: f.name, message: `malformed map key for "${f.name}"` };
      // As a map key, -0 is 0: one key, whichever way it was written.
      mapKey = writeScalar(keyType.kind as ScalarType, asSetElement(readScalar(keyType.kind as ScalarType, keyBytes)));
    }
    // One call names an attribute once; only operations on distinct values of one map may share it.
    if (touched) {
      const seen = touched.get(f.name);
      const keyId = mapKey?.toString('latin1');
      if (seen === 'whole' || (seen && keyId === undefined) || (seen instanceof Set && keyId !== undefined && seen.has(keyId)))
        return { status: Status.DUPEATTR, attr: f.name, message: `attribute "${f.name}" appears twice` };
      if (keyId === undefined) touched.set(f.name, 'whole');
      else touched.set(f.name, (seen instanceof Set ? seen : new Set<string>()).add(keyId));
    }
    out.push({ op: f.op, index, attr, value, mapKey });
  }
  return out;
}

type Result = { ok: true; value: Element } | { ok: false; status: number; message: string };

const overflow = (message: string): Result => ({ ok: false, status: Status.OVERFLOW, message });

/**
 * Floored division, as HyperDex 0.4 did it (and Python does): the quotient rounds toward minus
 * infinity and the remainder takes the divisor's sign, so that a == q * b + r with |r| < |b|
 * (-7 div 2 is -4, -7 mod 2 is 1, 7 mod -3 is -2). Division by zero, and INT64_MIN by -1 whose
 * quotient 2^63 does not fit, are OVERFLOW for div and mod alike: the original computed the
 * remainder with the quotient, so mod fails wherever div does.
 */
export function floorDivMod(a: bigint, b: bigint): { ok: true; quotient: bigint; remainder: bigint } | { ok: false; status: number; message: string } {
  if (b === 0n) return { ok: false, status: Status.OVERFLOW, message: 'division by zero' };
  if (a === INT64_RANGE.min && b === -1n) return { ok: false, status: Status.OVERFLOW, message: `${a} divided by -1 is outside the signed 64-bit range` };
  let quotient = a / b; // BigInt division truncates toward zero
  let remainder = a % b; // and its remainder takes the dividend's sign
  // Operands of opposite signs with a remainder: one step down gives the floor.
  if (remainder !== 0n && remainder < 0n !== b < 0n) {
    quotient -= 1n;
    remainder += b;
  }
  return { ok: true, quotient, remainder };
}

/** An arithmetic or bitwise operation on int64: results outside 64 bits are errors. */
export function int64Op(op: number, a: bigint, b: bigint): Result {
  let r: bigint;
  switch (op) {
    case FuncOp.NUM_ADD:
      r = a + b;
      break;
    case FuncOp.NUM_SUB:
      r = a - b;
      break;
    case FuncOp.NUM_MUL:
      r = a * b;
      break;
    case FuncOp.NUM_DIV:
    case FuncOp.NUM_MOD: {
      const d = floorDivMod(a, b);
      if (!d.ok) return d;
      r = op === FuncOp.NUM_DIV ? d.quotient : d.remainder;
      break;
    }
    case FuncOp.NUM_AND:
      r = a & b;
      break;
    case FuncOp.NUM_OR:
      r = a | b;
      break;
    case FuncOp.NUM_XOR:
      r = a ^ b;
      break;
    default:
      throw new Error(`int64Op: op ${op}`);
  }
  if (r < INT64_RANGE.min || r > INT64_RANGE.max) return overflow(`result ${r} is outside the signed 64-bit range`);
  return { ok: true, value: r };
}

/** Arithmetic on doubles, IEEE-754: division by zero gives an infinity (or NaN for 0/0). */
export function floatOp(op: number, a: number, b: number): Result {
  switch (op) {
    case FuncOp.NUM_ADD:
      return { ok: true, value: a + b };
    case FuncOp.NUM_SUB:
      return { ok: true, value: a - b };
    case FuncOp.NUM_MUL:
      return { ok: true, value: a * b };
    case FuncOp.NUM_DIV:
      return { ok: true, value: a / b };
  }
  throw new Error(`floatOp: op ${op}`);
}

/** One operation on one scalar (an attribute, or a value inside a map). */
function scalarFunc(op: number, t: ScalarType, current: Element, operand: Element): Result {
  if (op === FuncOp.SET) return { ok: true, value: operand };
  if (op === FuncOp.STRING_APPEND) return { ok: true, value: Buffer.concat([current as Buffer, operand as Buffer]) };
  if (op === FuncOp.STRING_PREPEND) return { ok: true, value: Buffer.concat([operand as Buffer, current as Buffer]) };
  if (t === 'int64') return int64Op(op, current as bigint, operand as bigint);
  return floatOp(op, current as number, operand as number);
}

/** An element's identity as a set member or map key, for hashing: its bytes, with -0 as 0. */
function elementId(t: ScalarType, e: Element): string {
  return writeScalar(t, asSetElement(e)).toString('latin1');
}

type MapType = Extract<AttrType, { kind: 'map' }>;

/** A map attribute's entries by key identity, decoded once for all the funcs on its values. */
interface MapWork {
  readonly type: MapType;
  readonly entries: Map<string, [Element, Element]>;
}

function mapWork(type: MapType, current: Buffer): MapWork {
  return { type, entries: new Map(readMapEntries(type, current).map((e) => [elementId(type.key, e[0]), e] as const)) };
}

function failure(f: ResolvedFunc, r: { status: number; message: string }): FuncError {
  return { status: r.status, attr: f.attr.name, message: `"${f.attr.name}": ${r.message}` };
}

/** One func on the value under its map key (the 6-field form), in the decoded map. */
function applyOnMapValue(f: ResolvedFunc, mapKey: Buffer, work: MapWork): FuncError | undefined {
  const t = work.type;
  const key = asSetElement(readScalar(t.key, mapKey));
  const id = elementId(t.key, key);
  if (f.op === FuncOp.MAP_REMOVE) {
    work.entries.delete(id);
    return undefined;
  }
  const old = work.entries.get(id)?.[1] ?? defaultElement(t.value);
  const r = scalarFunc(f.op, t.value, old, readScalar(t.value, f.value));
  if (!r.ok) return failure(f, r);
  work.entries.set(id, [key, r.value]);
  return undefined;
}

/**
 * Applies a request's resolved funcs, in order, to `values` (a copy of the object's values, one per
 * attribute in schema order), which it changes; the first failure stops it. The funcs on values
 * inside one map share that map decoded once and written back at the end, since a request may
 * carry LIMITS.microOpsPerRequestMax of them; resolveFuncs has made sure they name distinct keys
 * and that no other func names that map, so their order among themselves does not matter.
 */
export function applyFuncs(funcs: readonly ResolvedFunc[], values: Buffer[]): FuncError | undefined {
  // Made at the first map value (most writes have none).
  let maps: Map<number, MapWork> | undefined;
  for (const f of funcs) {
    if (f.mapKey) {
      maps ??= new Map();
      let work = maps.get(f.index);
      if (!work) maps.set(f.index, (work = mapWork(f.attr.type as MapType, values[f.index])));
      const failed = applyOnMapValue(f, f.mapKey, work);
      if (failed) return failed;
      continue;
    }
    const r = applyFunc(f, values[f.index]);
    if (!('bytes' in r)) return r;
    values[f.index] = r.bytes;
  }
  if (maps) for (const [index, work] of maps) values[index] = writeMap(work.type, [...work.entries.values()]);
  return undefined;
}

/** Applies one resolved function to an attribute's current bytes. */
export function applyFunc(f: ResolvedFunc, current: Buffer): { ok: true; bytes: Buffer } | FuncError {
  const t = f.attr.type;
  if (f.op === FuncOp.SET) return { ok: true, bytes: f.value };
  if (f.mapKey) {
    const work = mapWork(t as MapType, current);
    const failed = applyOnMapValue(f, f.mapKey, work);
    return failed ?? { ok: true, bytes: writeMap(work.type, [...work.entries.values()]) };
  }
  const fail = (r: { status: number; message: string }): FuncError => failure(f, r);
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float': {
      const r = scalarFunc(f.op, t.kind, readScalar(t.kind, current), readScalar(t.kind, f.value));
      return r.ok ? { ok: true, bytes: writeScalar(t.kind, r.value) } : fail(r);
    }
    case 'list': {
      const items = readElementList(t.elem, current);
      const e = readScalar(t.elem, f.value);
      return { ok: true, bytes: writeList(t.elem, f.op === FuncOp.LIST_LPUSH ? [e, ...items] : [...items, e]) };
    }
    case 'set': {
      const items = readElementList(t.elem, current);
      if (f.op === FuncOp.SET_ADD) return { ok: true, bytes: writeSet(t.elem, [...items, readScalar(t.elem, f.value)]) };
      if (f.op === FuncOp.SET_REMOVE) {
        const gone = asSetElement(readScalar(t.elem, f.value));
        return { ok: true, bytes: writeSet(t.elem, items.filter((x) => compareElements(x, gone) !== 0)) };
      }
      const other = readElementList(t.elem, f.value);
      if (f.op === FuncOp.SET_UNION) return { ok: true, bytes: writeSet(t.elem, [...items, ...other]) };
      const keep = new Set(other.map((y) => elementId(t.elem, y)));
      return { ok: true, bytes: writeSet(t.elem, items.filter((x) => keep.has(elementId(t.elem, x)))) };
    }
    case 'map': {
      const entries = readMapEntries(t, current);
      // MAP_ADD: insert or replace each entry given.
      const added = readMapEntries(t, f.value);
      const replaced = new Set(added.map(([a]) => elementId(t.key, a)));
      const kept = entries.filter(([k]) => !replaced.has(elementId(t.key, k)));
      return { ok: true, bytes: writeMap(t, [...kept, ...added]) };
    }
  }
}

