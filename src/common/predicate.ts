// Checks: conditions of cond_put and the predicates of search, count and group_del. Pure: resolves
// wire checks against a schema, then tests an object's bytes against them.

import { AttrType, isScalar, sameType, typeName, typeOfDatatype } from './datatypes';
import { WireCheck } from './messages';
import { CheckOp, Status } from './protocol';
import { AttributeSpec, attributeByName, SpaceSpec } from './schema';
import { canonicalValueBytes, compareElements, defaultValueBytes, readScalar } from './values';

export interface Check {
  /** Index into spec.attributes, or -1 for the key. */
  readonly index: number;
  readonly attr: AttributeSpec;
  readonly op: number;
  /** Canonical bytes of the value compared against. */
  readonly value: Buffer;
}

export interface CheckError {
  readonly status: number;
  readonly attr: string;
  readonly message: string;
}

function isRangeOp(op: number): boolean {
  return op === CheckOp.LESS_THAN || op === CheckOp.LESS_EQUAL || op === CheckOp.GREATER_EQUAL || op === CheckOp.GREATER_THAN;
}

/**
 * Resolves checks against the schema. Several checks may name one attribute (a range is two);
 * an equality check and another check on the same attribute are allowed too, they simply must
 * all hold.
 */
export function resolveChecks(spec: SpaceSpec, checks: readonly WireCheck[]): Check[] | CheckError {
  const out: Check[] = [];
  for (const c of checks) {
    const found = attributeByName(spec, c.name);
    if (!found) return { status: Status.UNKNOWNATTR, attr: c.name, message: `space ${spec.name} has no attribute "${c.name}"` };
    const { index, attr } = found;
    if (c.op !== CheckOp.EQUALS && !isRangeOp(c.op)) return { status: Status.BADREQUEST, attr: c.name, message: `unknown check op ${c.op}` };
    if (isRangeOp(c.op) && !isScalar(attr.type))
      return { status: Status.WRONGTYPE, attr: c.name, message: `"${c.name}" is ${typeName(attr.type)}: only strings and numbers have ranges` };
    const sent = typeOfDatatype(c.datatype);
    if (!sent || !sameType(sent, attr.type))
      return { status: Status.WRONGTYPE, attr: c.name, message: `"${c.name}" is ${typeName(attr.type)}, not datatype ${c.datatype}` };
    const value = canonicalValueBytes(attr.type, c.value);
    if (value === undefined) return { status: Status.WRONGTYPE, attr: c.name, message: `malformed ${typeName(attr.type)} value for "${c.name}"` };
    out.push({ index, attr, op: c.op, value });
  }
  return out;
}

function compareBytes(t: AttrType, a: Buffer, b: Buffer): number {
  if (t.kind === 'string' || t.kind === 'int64' || t.kind === 'float') return compareElements(readScalar(t.kind, a), readScalar(t.kind, b));
  return Buffer.compare(a, b);
}

/** Does one check hold for this stored value? */
export function checkHolds(c: Check, stored: Buffer): boolean {
  if (c.op === CheckOp.EQUALS) return stored.equals(c.value);
  const cmp = compareBytes(c.attr.type, stored, c.value);
  switch (c.op) {
    case CheckOp.LESS_THAN:
      return cmp < 0;
    case CheckOp.LESS_EQUAL:
      return cmp <= 0;
    case CheckOp.GREATER_EQUAL:
      return cmp >= 0;
    case CheckOp.GREATER_THAN:
      return cmp > 0;
  }
  return false;
}

/**
 * The first check that fails for an object (its key bytes and attribute bytes in schema order; an
 * absent object's attributes are their defaults), or undefined when all hold.
 */
export function firstFailingCheck(checks: readonly Check[], key: Buffer, values: readonly Buffer[] | undefined): Check | undefined {
  for (const c of checks) {
    const stored = c.index < 0 ? key : values ? values[c.index] : defaultValueBytes(c.attr.type);
    if (!checkHolds(c, stored)) return c;
  }
  return undefined;
}
