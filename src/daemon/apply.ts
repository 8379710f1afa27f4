// What a write does to an object: checks the request against the schema, evaluates conditions,
// applies functions. Pure: the daemon reads the object, calls applyAtomic, writes what it returns.

import { typeName } from '../common/datatypes';
import { WireCheck, WireFunc } from '../common/messages';
import { funcMicroOps } from '../common/operands';
import { Check, firstFailingCheck, resolveChecks } from '../common/predicate';
import { AtomicFlag, LIMITS, Status } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { canonicalValueBytes, defaultValueBytes } from '../common/values';
import { applyFuncs, ResolvedFunc, resolveFuncs } from './funcs';

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

/** Checks the key's bytes against the key's type. */
export function checkKey(spec: SpaceSpec, key: Buffer): Outcome | undefined {
  if (canonicalValueBytes(spec.key.type, key) === undefined)
    return { status: Status.WRONGTYPE, attr: spec.key.name, message: `key is not a valid ${typeName(spec.key.type)}` };
  return undefined;
}

export interface AtomicInput {
  readonly flags: number;
  readonly checks: readonly WireCheck[];
  readonly funcs: readonly WireFunc[];
}

/** A request past LIMITS.microOpsPerRequestMax: a protocol rule broken, as an undecodable request is. */
function tooManyMicroOps(count: number): Outcome {
  return { status: Status.BADREQUEST, attr: '', message: `${count} micro-operations (checks, funcs and MAP_ADD entries) exceed the limit of ${LIMITS.microOpsPerRequestMax}` };
}

/**
 * The request's checks and funcs against the schema, within the micro-operation limit: checks
 * plus funcs, a MAP_ADD counting once per entry of its map (funcMicroOps).
 */
function resolveRequest(spec: SpaceSpec, req: AtomicInput): { checks: Check[]; funcs: ResolvedFunc[] } | Outcome {
  // The lists' lengths first: nothing to resolve when they alone are too many.
  if (req.checks.length + req.funcs.length > LIMITS.microOpsPerRequestMax) return tooManyMicroOps(req.checks.length + req.funcs.length);
  const checks = resolveChecks(spec, req.checks);
  if (!Array.isArray(checks)) return checks;
  const funcs = resolveFuncs(spec, req.funcs);
  if (!Array.isArray(funcs)) return funcs;
  let count = checks.length;
  for (const f of funcs) count += funcMicroOps(f.op, f.attr.type, f.value, f.mapKey !== undefined);
  if (count > LIMITS.microOpsPerRequestMax) return tooManyMicroOps(count);
  return { checks, funcs };
}

/** Validates a request without the object: what can be said before reading anything. */
export function validateAtomic(spec: SpaceSpec, req: AtomicInput): Outcome | undefined {
  const resolved = resolveRequest(spec, req);
  return 'status' in resolved ? resolved : undefined;
}

/**
 * Applies a request to the current object (undefined when absent). Returns the outcome and, on
 * success, the new object. Either every function applies or the object is left as it was.
 */
export function applyAtomic(
  spec: SpaceSpec,
  key: Buffer,
  current: StoredObject | undefined,
  req: AtomicInput,
): { outcome: Outcome; next?: StoredObject; erase?: boolean } {
  const resolved = resolveRequest(spec, req);
  if ('status' in resolved) return { outcome: resolved };
  const { checks, funcs } = resolved;
  if (current && req.flags & AtomicFlag.FAIL_IF_FOUND) return { outcome: { status: Status.CMPFAIL, attr: '', message: 'object exists' } };
  if (!current && req.flags & AtomicFlag.FAIL_IF_NOT_FOUND) return { outcome: { status: Status.NOTFOUND, attr: '', message: 'no object with that key' } };
  const failed = firstFailingCheck(checks, key, current?.values);
  if (failed) return { outcome: { status: Status.CMPFAIL, attr: failed.attr.name, message: `"${failed.attr.name}" does not match` } };
  if (req.flags & AtomicFlag.ERASE) {
    if (funcs.length > 0) return { outcome: { status: Status.BADREQUEST, attr: '', message: 'an erase takes no functions' } };
    return current ? { outcome: SUCCESS, erase: true } : { outcome: { status: Status.NOTFOUND, attr: '', message: 'no object with that key' } };
  }
  const values = current ? [...current.values] : spec.attributes.map((a) => defaultValueBytes(a.type));
  const funcFailed = applyFuncs(funcs, values);
  if (funcFailed) return { outcome: funcFailed };
  for (const f of funcs)
    if (values[f.index].length > LIMITS.valueBytesMax)
      return { outcome: { status: Status.OVERFLOW, attr: f.attr.name, message: `"${f.attr.name}" would grow past ${LIMITS.valueBytesMax} bytes` } };
  const total = key.length + values.reduce((n, v) => n + v.length, 0);
  if (total > LIMITS.objectBytesMax)
    return { outcome: { status: Status.OVERFLOW, attr: '', message: `the object would hold ${total} bytes, over the limit of ${LIMITS.objectBytesMax}` } };
  return { outcome: SUCCESS, next: { version: (current?.version ?? 0) + 1, values } };
}
