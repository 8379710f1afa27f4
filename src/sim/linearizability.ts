// Is a history of concurrent operations linearizable against a sequential model? Wing & Gong's
// search with Lowe's memoisation, as the Porcupine checker does it: the history becomes a list of
// call and return entries sorted by time; the search linearizes, one at a time, an operation whose
// call comes before the first return still in the list (every such operation is minimal in the
// real-time order), steps the model, and backtracks when it meets a return entry (that operation
// had to be linearized before anything called after it). A cache of (set of linearized operations,
// model state) already explored cuts the search from factorial to roughly exponential in the number
// of concurrent operations. Pure: no clock, no I/O; the simulator calls it on recorded histories.
//
// Time: integers (simulated ticks) or any finite numbers. Operation a precedes b when a.ret < b.call,
// strictly: an operation that returns at the tick another is called may take effect after it,
// because a simulator handles several events within one tick in an order the history does not
// record. At equal times call entries therefore sort before return entries. Being permissive here
// never makes a correct system look wrong.
//
// An operation whose client never learned the outcome (timed out, crashed) has ret undefined: it
// may take effect at any moment after its call (stepped with output undefined) or never. Its return
// entry sits at its deadline (+infinity unless the caller knows a last moment it could still take
// effect); when the search meets that entry with the operation not yet linearized, it may resolve
// it as "never took effect": done, state unchanged. Such an operation is then absent from the
// witness and from the effects. (Linearizing it last would also cover "never" with less code, but
// it would keep the operation a candidate past any deadline, and report effects that never
// happened.) An operation with a ret but no output took effect by ret with an unknown result; it
// cannot mean "maybe never".

/** One operation as the client saw it. */
export interface Operation<I, O> {
  /** Which client, for reports only: real-time order alone decides precedence. */
  readonly client: number;
  readonly input: I;
  /** Tick the client called. */
  readonly call: number;
  /** Tick the client learned the outcome; undefined when it never did (the output is then undefined too). */
  readonly ret: number | undefined;
  /** What the client saw; undefined when unknown. */
  readonly output: O | undefined;
  /**
   * Only when ret is undefined: the last tick at which the operation could still take effect, when
   * the caller knows one (e.g. every message of the request delivered or lost and its receiver done
   * with it). Default +infinity. Each pending operation without one doubles the search to the end
   * of its partition; with one, only up to its deadline.
   */
  readonly deadline?: number;
}

export interface StepResult<S> {
  /** Could the operation, applied to this state, have produced the output? */
  readonly ok: boolean;
  /** The state after it (meaningful only when ok). */
  readonly next: S;
}

/** A sequential specification. States are treated as immutable values. */
export interface Model<S, I, O> {
  init(): S;
  /** With output undefined: the state as if the operation took effect, ok unless it cannot take effect at all. */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** Equal states give equal strings, different states different strings: the memoisation key. */
  key(state: S): string;
  /** Independent sub-histories (e.g. one per key), each checked on its own; default: one. */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** One operation in a failure report; default: JSON. */
  describe?(input: I, output: O | undefined): string;
}

/**
 * Search steps (loop turns, at most one model step each) allowed per partition. A few hundred
 * operations with 4 to 8 concurrent clients usually take a few thousand; pending operations
 * (ret undefined) multiply the space by up to 2 each, which is what this bound is for.
 */
export const SEARCH_STEPS_MAX_DEFAULT = 1_000_000;

/** Lines of operations a failure report lists at most. */
const REPORT_OPERATIONS_MAX = 2000;

export interface CheckOptions {
  /** Per partition; default SEARCH_STEPS_MAX_DEFAULT. */
  readonly stepsMax?: number;
}

export type PartitionVerdict<I, O> =
  | {
      readonly result: 'ok';
      /** One witness: the partition's operations in an order that is a linearization (pending ones it found never took effect left out). */
      readonly linearization: readonly Operation<I, O>[];
      readonly steps: number;
    }
  | { readonly result: 'illegal' | 'unknown'; readonly detail: string; readonly steps: number };

export type Verdict<I, O> =
  | {
      readonly result: 'ok';
      /** The model's partitions, in its order, each as one witness linearization. */
      readonly linearizations: readonly (readonly Operation<I, O>[])[];
    }
  | {
      /** 'illegal' when any partition is; 'unknown' when none is but one ran out of steps. */
      readonly result: 'illegal' | 'unknown';
      /** Index of the (first such) partition in the model's partition order. */
      readonly partition: number;
      readonly detail: string;
    };

/** One way an operation may have taken effect in some linearization of the whole partition. */
export interface Effect<S, I, O> {
  readonly op: Operation<I, O>;
  readonly before: S;
  readonly after: S;
  /**
   * How late the state after it may last: over the linearizations where the operation leaves
   * `after` from `before`, the largest "earliest return among the operations still to come that
   * EffectsOptions.ends names". Each of those comes later and ends the state, and took effect by its
   * return, so the state is gone by then. +infinity when no such operation remains (or no `ends`).
   */
  readonly endsBy: number;
}

export interface EffectsOptions<I, O> extends CheckOptions {
  /**
   * Operations that certainly change the state whenever they are linearized (for HyperDex keys: a
   * write that returned SUCCESS). Only used for Effect.endsBy; they must have returned.
   */
  readonly ends?: (op: Operation<I, O>) => boolean;
}

export type EffectsVerdict<S, I, O> =
  | {
      readonly result: 'ok';
      /** Every (operation, state before, state after) on some complete linearization; no duplicates. */
      readonly effects: readonly Effect<S, I, O>[];
      readonly steps: number;
    }
  | { readonly result: 'illegal' | 'unknown'; readonly detail: string; readonly steps: number };

/** Checks every partition; illegal wins over unknown, which wins over ok. */
export function checkOperations<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], options: CheckOptions = {}): Verdict<I, O> {
  const partitions = model.partition ? model.partition(ops) : [ops.slice()];
  const linearizations: Operation<I, O>[][] = [];
  let unknown: { partition: number; detail: string } | undefined;
  for (let i = 0; i < partitions.length; i++) {
    const v = checkPartition(model, partitions[i], options);
    if (v.result === 'ok') linearizations.push(v.linearization.slice());
    else if (v.result === 'illegal') return { result: 'illegal', partition: i, detail: `partition ${i}: ${v.detail}` };
    else unknown ??= { partition: i, detail: `partition ${i}: ${v.detail}` };
  }
  if (unknown) return { result: 'unknown', ...unknown };
  return { result: 'ok', linearizations };
}

/** Checks one history as a whole (no partitioning). */
export function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], options: CheckOptions = {}): PartitionVerdict<I, O> {
  const r = explore(model, ops, stepsMaxOf(options), undefined);
  if (r.kind === 'budget') return { result: 'unknown', detail: budgetDetail(model, ops, r.steps), steps: r.steps };
  if (r.kind === 'none') return { result: 'illegal', detail: illegalDetail(model, ops, r), steps: r.steps };
  return { result: 'ok', linearization: r.witness.map((i) => ops[i]), steps: r.steps };
}

/**
 * Explores every linearization of one history (memoised like the check, but without stopping at
 * the first) and returns each way each operation can take effect on a path that completes. Costs
 * more than checkPartition: all live (linearized set, state) nodes are visited, not one path.
 */
export function possibleEffects<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], options: EffectsOptions<I, O> = {}): EffectsVerdict<S, I, O> {
  const ends = ops.map((o) => options.ends?.(o) ?? false);
  ends.forEach((yes, i) => {
    if (yes && ops[i].ret === undefined) throw new Error(`operation ${i}: an operation that ends the state must have returned`);
  });
  const r = explore(model, ops, stepsMaxOf(options), ends);
  if (r.kind === 'budget') return { result: 'unknown', detail: budgetDetail(model, ops, r.steps), steps: r.steps };
  if (r.kind === 'none') return { result: 'illegal', detail: illegalDetail(model, ops, r), steps: r.steps };
  return { result: 'ok', effects: r.effects.map((e) => ({ op: ops[e.op], before: e.before, after: e.after, endsBy: e.endsBy })), steps: r.steps };
}

function stepsMaxOf(options: CheckOptions): number {
  const n = options.stepsMax ?? SEARCH_STEPS_MAX_DEFAULT;
  if (!Number.isInteger(n) || n < 1) throw new Error(`stepsMax must be a positive integer, got ${n}`);
  return n;
}

// ---- the entry list ------------------------------------------------------------------------

/** Index of the head sentinel; entries are 1..2n, -1 ends the list. */
const HEAD = 0;
const NONE = -1;

/** A doubly linked list of call and return entries in arrays, so that lift/unlift are O(1). */
interface Entries {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Operation index of each entry. */
  readonly op: Int32Array;
  readonly isCall: Uint8Array;
  /** The return entry of a pending operation: it may be resolved as "never took effect". */
  readonly optional: Uint8Array;
  /** A call entry's return entry and a return entry's call entry. */
  readonly match: Int32Array;
}

function assertHistory<I, O>(ops: readonly Operation<I, O>[]): void {
  ops.forEach((o, i) => {
    if (!Number.isFinite(o.call)) throw new Error(`operation ${i}: call time ${o.call} is not a finite number`);
    if (o.ret === undefined) {
      if (o.output !== undefined) throw new Error(`operation ${i}: an operation that never returned has no output`);
      if (o.deadline !== undefined && !(o.deadline >= o.call)) throw new Error(`operation ${i}: deadline ${o.deadline} is before its call ${o.call}`);
    } else if (o.deadline !== undefined) throw new Error(`operation ${i}: only an operation that never returned has a deadline`);
    else if (!Number.isFinite(o.ret) || o.ret < o.call) throw new Error(`operation ${i}: return time ${o.ret} is before its call ${o.call}`);
  });
}

function buildEntries<I, O>(ops: readonly Operation<I, O>[]): Entries {
  assertHistory(ops);
  const events: { time: number; isCall: boolean; op: number }[] = [];
  ops.forEach((o, i) => {
    events.push({ time: o.call, isCall: true, op: i });
    events.push({ time: o.ret ?? o.deadline ?? Infinity, isCall: false, op: i });
  });
  // Calls before returns at equal times: a ret equal to a call is not precedence (see the top).
  events.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const size = events.length + 1;
  const e: Entries = {
    next: new Int32Array(size),
    prev: new Int32Array(size),
    op: new Int32Array(size),
    isCall: new Uint8Array(size),
    optional: new Uint8Array(size),
    match: new Int32Array(size).fill(NONE),
  };
  const callOf = new Int32Array(ops.length);
  for (let i = 0; i < size; i++) {
    e.prev[i] = i - 1;
    e.next[i] = i + 1 < size ? i + 1 : NONE;
    if (i === HEAD) continue;
    const ev = events[i - 1];
    e.op[i] = ev.op;
    e.isCall[i] = ev.isCall ? 1 : 0;
    if (ev.isCall) callOf[ev.op] = i;
    else {
      e.match[callOf[ev.op]] = i;
      e.match[i] = callOf[ev.op];
      e.optional[i] = ops[ev.op].ret === undefined ? 1 : 0;
    }
  }
  return e;
}

function unlink(e: Entries, i: number): void {
  e.next[e.prev[i]] = e.next[i];
  if (e.next[i] !== NONE) e.prev[e.next[i]] = e.prev[i];
}

function relink(e: Entries, i: number): void {
  e.next[e.prev[i]] = i;
  if (e.next[i] !== NONE) e.prev[e.next[i]] = i;
}

/** Removes a call entry and its return entry. */
function lift(e: Entries, call: number): void {
  unlink(e, call);
  unlink(e, e.match[call]);
}

/** Undoes lift; lifts are undone in reverse order, so the saved neighbours are current. */
function unlift(e: Entries, call: number): void {
  relink(e, e.match[call]);
  relink(e, call);
}

// ---- the search ----------------------------------------------------------------------------

/** A fixed-length string of the bitset (two 16-bit chars per word), a prefix of the cache key. */
function bitsKey(words: Uint32Array): string {
  let s = '';
  for (let i = 0; i < words.length; i++) s += String.fromCharCode(words[i] & 0xffff, words[i] >>> 16);
  return s;
}

interface Frame<S> {
  /** The call entry of the operation resolved to reach the node above this frame. */
  readonly call: number;
  /** Resolved as "never took effect" rather than linearized. */
  readonly skip: boolean;
  /** The parent node's state, its key, and whether a complete path was found from it so far. */
  readonly state: S;
  readonly stateKey: string;
  readonly parentAlive: boolean;
  /** Cache key of the node this step led to. */
  readonly childKey: string;
}

interface RawEffect<S> {
  readonly op: number;
  readonly before: S;
  readonly after: S;
  endsBy: number;
}

/** A path of the search: each operation linearized, or found never to take effect. */
interface Resolved {
  readonly op: number;
  readonly skip: boolean;
}

type Explored<S> =
  | { readonly kind: 'found'; readonly witness: number[]; readonly effects: RawEffect<S>[]; readonly steps: number }
  | { readonly kind: 'none'; readonly longest: Resolved[]; readonly longestState: string; readonly steps: number }
  | { readonly kind: 'budget'; readonly steps: number };

/**
 * The earliest return entry still listed whose operation ends the state, skipping `except`'s (an
 * operation about to be lifted): its time, or +infinity. Return entries are listed by time, so the
 * first one met is the earliest; the walk is bounded by the list's length.
 */
function firstEndingReturn<I, O>(e: Entries, ops: readonly Operation<I, O>[], ends: readonly boolean[], except: number): number {
  for (let i = e.next[HEAD]; i !== NONE; i = e.next[i]) {
    const o = e.op[i];
    if (!e.isCall[i] && ends[o] && o !== except) return ops[o].ret!;
  }
  return Infinity;
}

/**
 * The search. With `ends` undefined it stops at the first complete linearization (Wing & Gong); a
 * node met again in the cache is then dead, since a live one would have ended the search. With
 * `ends` (per operation: does it end the state, for Effect.endsBy) it visits every reachable node
 * and the cache records whether a node reaches completion, which is settled when the node is left:
 * the graph is acyclic (each step resolves an operation), so a node is never met again while it is
 * being explored.
 *
 * A node's candidates are the call entries before the first return entry still listed; when that
 * return entry is a pending operation's, resolving it as "never took effect" is one more candidate.
 * The cache key does not tell "linearized" from "never took effect": what follows depends only on
 * the operations left and the state.
 */
function explore<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], stepsMax: number, ends: readonly boolean[] | undefined): Explored<S> {
  const e = buildEntries(ops);
  const words = new Uint32Array(Math.ceil(ops.length / 32));
  const cache = new Map<string, boolean>();
  const effects = new Map<string, RawEffect<S>>();
  const stack: Frame<S>[] = [];
  let state = model.init();
  let stateKey = model.key(state);
  let alive = false;
  let longest: Resolved[] = [];
  let longestState = stateKey;
  let entry = e.next[HEAD];
  // Called with the list as it is after `op` is lifted, or before (then its entries are skipped).
  const record = (op: number, before: S, beforeKey: string, after: S, afterKey: string): void => {
    const k = `${op}\u0000${beforeKey}\u0000${afterKey}`;
    const endsBy = firstEndingReturn(e, ops, ends!, op);
    const known = effects.get(k);
    if (!known) effects.set(k, { op, before, after, endsBy });
    else known.endsBy = Math.max(known.endsBy, endsBy);
  };
  const resolved = (): Resolved[] => stack.map((f) => ({ op: e.op[f.call], skip: f.skip }));
  for (let steps = 1; steps <= stepsMax; steps++) {
    if (entry === NONE || (!e.isCall[entry] && !e.optional[entry])) {
      // Every candidate was tried from this node: it is finished.
      const complete = e.next[HEAD] === NONE;
      if (complete && !ends) return { kind: 'found', witness: resolved().filter((x) => !x.skip).map((x) => x.op), effects: [], steps };
      const nodeAlive: boolean = complete || alive;
      const f = stack.pop();
      if (!f) return nodeAlive ? { kind: 'found', witness: [], effects: [...effects.values()], steps } : { kind: 'none', longest, longestState, steps };
      cache.set(f.childKey, nodeAlive);
      const o = e.op[f.call];
      if (nodeAlive && !f.skip) record(o, f.state, f.stateKey, state, stateKey);
      words[o >>> 5] &= ~(1 << (o & 31));
      unlift(e, f.call);
      state = f.state;
      stateKey = f.stateKey;
      alive = f.parentAlive || nodeAlive;
      // After "never took effect" (tried at the first return entry) nothing is left to try here.
      entry = f.skip ? NONE : e.next[f.call];
      continue;
    }
    const skip = !e.isCall[entry];
    const o = e.op[entry];
    const call = skip ? e.match[entry] : entry;
    const r = skip ? { ok: true, next: state } : model.step(state, ops[o].input, ops[o].output);
    if (r.ok) {
      words[o >>> 5] |= 1 << (o & 31);
      const nextKey = skip ? stateKey : model.key(r.next);
      const childKey = bitsKey(words) + nextKey;
      const seen = cache.get(childKey);
      if (seen === undefined) {
        stack.push({ call, skip, state, stateKey, parentAlive: alive, childKey });
        lift(e, call);
        state = r.next;
        stateKey = nextKey;
        alive = false;
        entry = e.next[HEAD];
        if (stack.length > longest.length) {
          longest = resolved();
          longestState = stateKey;
        }
        continue;
      }
      words[o >>> 5] &= ~(1 << (o & 31));
      if (seen) {
        if (!skip) record(o, state, stateKey, r.next, nextKey);
        alive = true;
      }
    }
    entry = skip ? NONE : e.next[entry];
  }
  return { kind: 'budget', steps: stepsMax };
}

// ---- reports -------------------------------------------------------------------------------

function describeOp<S, I, O>(model: Model<S, I, O>, o: Operation<I, O>): string {
  if (model.describe) return model.describe(o.input, o.output);
  const out = o.output === undefined ? '?' : JSON.stringify(o.output);
  return `${JSON.stringify(o.input)} -> ${out}`;
}

/** One line per operation: index, client, [call, ret] ('...' when it never returned), the operation. */
function operationLine<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], i: number): string {
  const o = ops[i];
  const ret = o.ret ?? (o.deadline === undefined ? '...' : `... by ${o.deadline}`);
  return `#${i} client ${o.client} [${o.call}, ${ret}] ${describeOp(model, o)}`;
}

/** The history sorted by call time, for reading. */
export function describeHistory<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): string {
  const order = ops.map((_, i) => i).sort((a, b) => ops[a].call - ops[b].call || a - b);
  const shown = order.slice(0, REPORT_OPERATIONS_MAX).map((i) => `  ${operationLine(model, ops, i)}`);
  if (order.length > shown.length) shown.push(`  ... and ${order.length - shown.length} more`);
  return shown.join('\n');
}

function illegalDetail<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], r: { longest: Resolved[]; longestState: string }): string {
  const prefix = r.longest.slice(0, REPORT_OPERATIONS_MAX).map((x) => `  ${operationLine(model, ops, x.op)}${x.skip ? ' (never took effect)' : ''}`);
  return [
    `not linearizable: ${ops.length} operations (times in ticks, '...' = never returned):`,
    describeHistory(model, ops),
    `longest linearizable prefix (${r.longest.length} of ${ops.length}), in order:`,
    ...prefix,
    `state after that prefix: ${r.longestState}`,
  ].join('\n');
}

function budgetDetail<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], steps: number): string {
  const pending = ops.filter((o) => o.ret === undefined).length;
  return [
    `undecided after ${steps} search steps: ${ops.length} operations, ${pending} never returned (raise stepsMax or shorten the history):`,
    describeHistory(model, ops),
  ].join('\n');
}
