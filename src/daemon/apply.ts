// What a write does to an object: checks the request against the schema, evaluates conditions,
// applies functions. Pure: the daemon reads the object, calls applyAtomic, writes what it returns.

import { sameType, typeName, typeOfDatatype } from '../common/datatypes';
import { WireAttr, WireCheck, WireFunc } from '../common/messages';
import { AtomicFlag, CheckOp, FuncOp, Status } from '../common/protocol';
import { AttributeSpec, SpaceSpec } from '../common/schema';
import { canonicalValueBytes, defaultValueBytes } from '../common/values';

/** An object as a daemon keeps it: a version per key, and each non-key attribute's bytes in schema order. */
export interface StoredObject {
  readonly version: number;
  readonly values: readonly Buffer[];
}

export interface Outcome {
  readonly status: number;
  readonly attr: string;
  readonly message: string;
}

export const SUCCESS: Outcome = { status: Status.SUCCESS, attr: '', message: '' };

function fail(status: number, attr: string, message: string): Outcome {
  return { status, attr, message };
}

/** Checks the key's bytes against the key's type. */
export function checkKey(spec: SpaceSpec, key: Buffer): Outcome | undefined {
  if (canonicalValueBytes(spec.key.type, key) === undefined)
    return fail(Status.WRONGTYPE, spec.key.name, `key is not a valid ${typeName(spec.key.type)}`);
  return undefined;
}

interface Resolved {
  readonly index: number; // -1 for the key
  readonly spec: AttributeSpec;
  readonly value: Buffer; // canonical bytes
}

/** Resolves names, rejects duplicates, checks datatypes and value bytes. */
function resolve(spec: SpaceSpec, attrs: readonly WireAttr[], allowKey: boolean): Resolved[] | Outcome {
  const seen = new Set<string>();
  const out: Resolved[] = [];
  for (const a of attrs) {
    let index = spec.attributes.findIndex((x) => x.name === a.name);
    let attrSpec: AttributeSpec | undefined = spec.attributes[index];
    if (a.name === spec.key.name) {
      if (!allowKey) return fail(Status.UNKNOWNATTR, a.name, `attribute "${a.name}" is the key and cannot be written`);
      index = -1;
      attrSpec = spec.key;
    }
    if (!attrSpec) return fail(Status.UNKNOWNATTR, a.name, `space ${spec.name} has no attribute "${a.name}"`);
    if (seen.has(a.name)) return fail(Status.DUPEATTR, a.name, `attribute "${a.name}" appears twice`);
    seen.add(a.name);
    const sent = typeOfDatatype(a.datatype);
    if (!sent || !sameType(sent, attrSpec.type))
      return fail(Status.WRONGTYPE, a.name, `attribute "${a.name}" is ${typeName(attrSpec.type)}, not datatype ${a.datatype}`);
    const value = canonicalValueBytes(attrSpec.type, a.value);
    if (value === undefined) return fail(Status.WRONGTYPE, a.name, `malformed ${typeName(attrSpec.type)} value for "${a.name}"`);
    out.push({ index, spec: attrSpec, value });
  }
  return out;
}

export interface AtomicInput {
  readonly flags: number;
  readonly checks: readonly WireCheck[];
  readonly funcs: readonly WireFunc[];
}

/** Validates a request without the object: what can be said before reading anything. */
export function validateAtomic(spec: SpaceSpec, req: AtomicInput): Outcome | undefined {
  for (const c of req.checks) if (c.op !== CheckOp.EQUALS) return fail(Status.BADREQUEST, c.name, `unknown check op ${c.op}`);
  for (const f of req.funcs) if (f.op !== FuncOp.SET) return fail(Status.BADREQUEST, f.name, `unknown function op ${f.op}`);
  const checks = resolve(spec, req.checks, true);
  if (!Array.isArray(checks)) return checks;
  const funcs = resolve(spec, req.funcs, false);
  if (!Array.isArray(funcs)) return funcs;
  return undefined;
}

/**
 * Applies a validated request to the current object (undefined when absent). Returns the outcome
 * and, on success, the new object.
 */
export function applyAtomic(
  spec: SpaceSpec,
  key: Buffer,
  current: StoredObject | undefined,
  req: AtomicInput,
): { outcome: Outcome; next?: StoredObject } {
  const bad = validateAtomic(spec, req);
  if (bad) return { outcome: bad };
  if (current && req.flags & AtomicFlag.FAIL_IF_FOUND) return { outcome: fail(Status.CMPFAIL, '', 'object exists') };
  if (!current && req.flags & AtomicFlag.FAIL_IF_NOT_FOUND) return { outcome: fail(Status.NOTFOUND, '', 'no object with that key') };
  const checks = resolve(spec, req.checks, true) as Resolved[];
  for (const c of checks) {
    const have = c.index < 0 ? key : current ? current.values[c.index] : defaultValueBytes(c.spec.type);
    if (!have.equals(c.value)) return { outcome: fail(Status.CMPFAIL, c.spec.name, `"${c.spec.name}" does not match`) };
  }
  const values = current ? [...current.values] : spec.attributes.map((a) => defaultValueBytes(a.type));
  for (const f of resolve(spec, req.funcs, false) as Resolved[]) values[f.index] = f.value;
  return { outcome: SUCCESS, next: { version: (current?.version ?? 0) + 1, values } };
}
