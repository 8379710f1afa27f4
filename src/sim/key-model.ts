// The sequential model of HyperDex keys for the linearizability checker. A key holds nothing or
// one object; a get reads it; every write (put, cond_put, put_if_not_exist, del, each atomic
// operation) is one atomic request, and what it does is what the daemon's point leader computes:
// checkKey, then applyAtomic. The model calls those same functions, so the checker and the daemon
// share one definition of the semantics and a disagreement is a replication bug, not a model bug.
// Pure.

import { WireAttr } from '../common/messages';
import { AtomicFlag, Status, statusName } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { decodeValue } from '../common/values';
import { AtomicInput, applyAtomic, checkKey, StoredObject } from '../daemon/apply';
import { Model, Operation } from './linearizability';

/** The key's object, or undefined when absent. Versions are kept at 0: clients never see them. */
export type KeyState = StoredObject | undefined;

export interface KeyGet {
  readonly kind: 'get';
  readonly space: SpaceSpec;
  readonly key: Buffer;
}

export interface KeyWrite {
  readonly kind: 'write';
  readonly space: SpaceSpec;
  readonly key: Buffer;
  readonly request: AtomicInput;
  /** What the client called it ('put', 'cond_put', 'atomic_add', ...), for reports only. */
  readonly name?: string;
}

export type KeyInput = KeyGet | KeyWrite;

/** What a get returned: the object's values in schema order (StoredObject.values), or not found. */
export type GetOutput = { readonly found: false } | { readonly found: true; readonly values: readonly Buffer[] };

/** A get's GetOutput, or a write's status as the client received it (Status.SUCCESS, CMPFAIL, ...). */
export type KeyOutput = GetOutput | number;

export type KeyOperation = Operation<KeyInput, KeyOutput>;

/**
 * Statuses the point leader decides from the request and the object (checkKey and applyAtomic
 * return nothing else). Any other status a client sees (TIMEOUT, RECONFIGURE, SERVERERROR,
 * DISCONNECT, UNKNOWNOUTCOME, ...) says nothing about whether the write took effect: record such
 * a write with ret and output undefined, or leave it out when the simulator knows it never
 * reached the leader.
 */
export const DECIDED_STATUSES: ReadonlySet<number> = new Set([
  Status.SUCCESS,
  Status.NOTFOUND,
  Status.CMPFAIL,
  Status.OVERFLOW,
  Status.BADREQUEST,
  Status.UNKNOWNATTR,
  Status.WRONGTYPE,
  Status.DUPEATTR,
]);

/** The request REQ_DEL becomes at the daemon (its eraseRequest): erase, NOTFOUND when absent. */
export function delRequest(): AtomicInput {
  return { flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: [], funcs: [] };
}

/** A get's or search item's attributes (as on the wire, by name) in schema order; undefined if one is missing. */
export function valuesFromAttrs(space: SpaceSpec, attrs: readonly WireAttr[]): Buffer[] | undefined {
  const out: Buffer[] = [];
  for (const a of space.attributes) {
    const found = attrs.find((x) => x.name === a.name);
    if (!found) return undefined;
    out.push(found.value);
  }
  return out;
}

/**
 * What a write does to a state, as the point leader computes it: the status and the state after.
 * `took effect` is true when it installed a new object or erased one (SUCCESS); the search checker
 * uses it to tell the states a write can produce.
 */
export function writeOutcome(state: KeyState, w: KeyWrite): { status: number; next: KeyState; tookEffect: boolean } {
  const keyError = checkKey(w.space, w.key);
  if (keyError) return { status: keyError.status, next: state, tookEffect: false };
  const r = applyAtomic(w.space, w.key, state, w.request);
  if (r.erase) return { status: r.outcome.status, next: undefined, tookEffect: true };
  // Version 0 everywhere: states that clients cannot tell apart are one state for memoisation.
  if (r.next) return { status: r.outcome.status, next: { version: 0, values: r.next.values }, tookEffect: true };
  return { status: r.outcome.status, next: state, tookEffect: false };
}

/** A state as a string: '-' when absent, '+' and each value's hex otherwise. */
export function stateKey(s: KeyState): string {
  return s === undefined ? '-' : `+${s.values.map((v) => v.toString('hex')).join(',')}`;
}

function sameValues(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((v, i) => v.equals(b[i]));
}

function stepGet(state: KeyState, output: KeyOutput | undefined): { ok: boolean; next: KeyState } {
  if (output === undefined) return { ok: true, next: state };
  if (typeof output === 'number') throw new Error(`a get's output is { found }, not status ${statusName(output)}`);
  const ok = output.found ? state !== undefined && sameValues(state.values, output.values) : state === undefined;
  return { ok, next: state };
}

function stepWrite(state: KeyState, w: KeyWrite, output: KeyOutput | undefined): { ok: boolean; next: KeyState } {
  if (output !== undefined && typeof output !== 'number') throw new Error(`a write's output is a status, not ${JSON.stringify(output)}`);
  const r = writeOutcome(state, w);
  // Unknown output: it took effect as the leader decides (never taking effect is the checker's business).
  return { ok: output === undefined || output === r.status, next: r.next };
}

/** Identifies a key across spaces. */
export function keyId(space: SpaceSpec, key: Buffer): string {
  return `${space.name}\u0000${key.toString('hex')}`;
}

/**
 * Operations grouped per (space, key), in order of first appearance. A get whose output is unknown
 * is left out: it changes nothing and constrains nothing, and each pending one would double the
 * search.
 */
function partitionByKey(ops: readonly KeyOperation[]): KeyOperation[][] {
  const groups = new Map<string, KeyOperation[]>();
  for (const o of ops) {
    if (o.input.kind === 'get' && o.output === undefined) continue;
    const id = keyId(o.input.space, o.input.key);
    const g = groups.get(id);
    if (g) g.push(o);
    else groups.set(id, [o]);
  }
  return [...groups.values()];
}

// ---- reports -------------------------------------------------------------------------------

/** A value for a person: decoded by its type when it decodes, hex otherwise. */
export function showValue(space: SpaceSpec, name: string, bytes: Buffer): string {
  const attr = name === space.key.name ? space.key : space.attributes.find((a) => a.name === name);
  if (!attr) return `0x${bytes.toString('hex')}`;
  try {
    return show(decodeValue(attr.type, bytes, 'auto'));
  } catch {
    return `0x${bytes.toString('hex')}`;
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v instanceof Set) return `{${[...v].map(show).join(', ')}}`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${show(k)}: ${show(x)}`).join(', ')}}`;
  return String(v);
}

/** An object's values by name, e.g. `{first: "jane", age: 3}`; 'absent' for none. */
export function showState(space: SpaceSpec, s: KeyState): string {
  if (s === undefined) return 'absent';
  return `{${space.attributes.map((a, i) => `${a.name}: ${showValue(space, a.name, s.values[i])}`).join(', ')}}`;
}

function flagNames(flags: number): string[] {
  return Object.entries(AtomicFlag)
    .filter(([, bit]) => flags & bit)
    .map(([name]) => name.toLowerCase());
}

function describeWrite(w: KeyWrite): string {
  const parts = [
    ...flagNames(w.request.flags),
    ...w.request.checks.map((c) => `if ${c.name} op${c.op} ${showValue(w.space, c.name, c.value)}`),
    ...w.request.funcs.map((f) => `f${f.op} ${f.name}${f.mapKey ? `[0x${f.mapKey.value.toString('hex')}]` : ''} ${showValue(w.space, f.name, f.value)}`),
  ];
  return `${w.name ?? 'write'}(${parts.join('; ')})`;
}

function describeOutput(space: SpaceSpec, output: KeyOutput | undefined): string {
  if (output === undefined) return '?';
  if (typeof output === 'number') return statusName(output);
  return output.found ? showState(space, { version: 0, values: output.values }) : 'not found';
}

function describe(input: KeyInput, output: KeyOutput | undefined): string {
  const where = `${input.space.name}/${showValue(input.space, input.space.key.name, input.key)}`;
  const what = input.kind === 'get' ? 'get()' : describeWrite(input);
  return `${where} ${what} -> ${describeOutput(input.space, output)}`;
}

/** The model: one key's object, stepped by the daemon's own applyAtomic, partitioned per (space, key). */
export const keyModel: Model<KeyState, KeyInput, KeyOutput> = {
  init: () => undefined,
  step: (state, input, output) => (input.kind === 'get' ? stepGet(state, output) : stepWrite(state, input, output)),
  key: stateKey,
  partition: partitionByKey,
  describe,
};
