// Searches and counts against a brute-force model of every key. HyperDex's searches are not
// linearizable: a search visits regions (and replicas of them) one after another while writes go
// on. What a user may rely on, and what this checks, conservatively:
//   - nothing returned that never matched: every returned object is a state its key possibly had
//     at some moment of the search, and that state satisfies the predicate;
//   - nothing missed that matched throughout: a key whose every possible state during the search
//     is present and matching is returned; a count lies between the number of such keys and the
//     number of keys that possibly matched.
//
// The rule. For a key, the states "possibly current during [a, b]" (a = the search's call, b its
// return) are:
//   - absent (the initial state), unless some write of the key returned SUCCESS before a
//     (ret < a);
//   - every state s that a write w leaves on some complete linearization of the key's history
//     (possibleEffects with keyModel: w takes effect there, i.e. applyAtomic returns SUCCESS, and
//     leaves s), provided w.call <= b and not endsBy < a, where endsBy is, over the linearizations
//     where w leaves s, the largest "earliest return among the SUCCESS writes linearized after w".
//     This covers "w is not definitely overwritten before a" (no SUCCESS w2 with w.ret < w2.call
//     and w2.ret < a: such a w2 comes after w on every linearization), and also rules out a state
//     left by w when the writes that follow w on that order all returned before a.
//
// Why it never flags a correct system. The point leader orders a key's writes; in a correct
// system that order, with each write's effect at a moment within [call, ret] (any moment after
// call, or never, when the client never learned the outcome), is a linearization L of the key's
// history, one of the paths possibleEffects explores. A replica a search reads at a moment t in
// [a, b] holds the state after some prefix of L (replicas apply a key's writes in order); let w be
// the last write of that prefix, so the replica holds what w leaves on L. The replica applied w
// after the leader took it, so w.call <= t <= b. Every replica applies a write before its client
// hears SUCCESS, so no SUCCESS write after w on L had returned at t: t <= the earliest return among
// them <= endsBy, and a <= t gives not endsBy < a. With no write yet applied, the key is absent and
// no SUCCESS write had returned at t >= a. So every state the search can see is in the set;
// "matched throughout" asks that all of the set match, "possibly matched" that one does. Ties
// (equal ticks) are resolved in the permissive direction, as in linearizability.ts. Keys whose
// history is not linearizable or ran out of search steps are "undecided": not checked, counted
// out of the lower bound and into the upper one.
//
// Not covered: a search's duplicates (an object moving between regions may be seen twice) are each
// checked on their own, not flagged as such; sorted_search with a limit must not be checked for
// misses (it returns only a prefix). Pure.

import { WireCheck } from '../common/messages';
import { Check, firstFailingCheck, resolveChecks } from '../common/predicate';
import { Status } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { CheckOptions, possibleEffects } from './linearizability';
import { KeyOperation, keyId, keyModel, KeyState, showState, showValue, stateKey, writeOutcome } from './key-model';

/** One object a search returned: its key and its values in schema order (as StoredObject.values). */
export interface SearchResultObject {
  readonly key: Buffer;
  readonly values: readonly Buffer[];
}

interface SearchCall {
  readonly space: SpaceSpec;
  /** The predicate, as sent (src/common/predicate.ts resolves it). */
  readonly checks: readonly WireCheck[];
  /** Ticks: the search's call and the moment its last result (SEARCHDONE, or the count) arrived. */
  readonly call: number;
  readonly ret: number;
}

export type SearchOperation =
  | (SearchCall & { readonly kind: 'search'; readonly objects: readonly SearchResultObject[] })
  | (SearchCall & { readonly kind: 'count'; readonly count: number });

export interface SearchVerdict {
  readonly result: 'ok' | 'illegal';
  /** One readable line per violation. */
  readonly violations: readonly string[];
  /** Keys of the space whose possible states are unknown (history illegal or too costly): not checked. */
  readonly undecidedKeys: number;
  /** The bounds a count had to lie in: keys that matched throughout, keys that possibly matched. */
  readonly bounds: { readonly low: number; readonly high: number };
}

/** A write that may have left a state, with what the rule needs of it. */
export interface Producer {
  readonly op: KeyOperation;
  /** The distinct states it leaves on complete linearizations (undefined: it erased the object), each with its endsBy. */
  readonly states: readonly { readonly state: KeyState; readonly endsBy: number }[];
}

export interface KeyTimeline {
  readonly space: SpaceSpec;
  readonly key: Buffer;
  /** 'ok' when the possible states are known; otherwise the key is not checked. */
  readonly decided: 'ok' | 'illegal' | 'unknown';
  /** Why undecided: possibleEffects' report. */
  readonly detail?: string;
  /** The earliest return of a SUCCESS write of the key; +infinity if none. */
  readonly firstSuccessRet: number;
  readonly producers: readonly Producer[];
}

/** Every key of the history, ready for any number of searches. */
export interface SearchIndex {
  readonly timelines: ReadonlyMap<string, KeyTimeline>;
}

/** Lines of possible states listed per violation at most. */
const STATES_SHOWN_MAX = 16;

/** A write that returned SUCCESS: whenever it is linearized, it installs or erases the object. */
const isSuccessWrite = (o: KeyOperation): boolean => o.input.kind === 'write' && o.output === Status.SUCCESS;

/**
 * Explores each key's history once (possibleEffects: every linearization, memoised) and keeps, per
 * write, the states it can leave. stepsMax bounds each key's exploration.
 */
export function buildSearchIndex(history: readonly KeyOperation[], options: CheckOptions = {}): SearchIndex {
  const timelines = new Map<string, KeyTimeline>();
  for (const ops of keyModel.partition!(history)) timelines.set(keyId(ops[0].input.space, ops[0].input.key), timelineOf(ops, options));
  return { timelines };
}

function timelineOf(ops: readonly KeyOperation[], options: CheckOptions): KeyTimeline {
  const { space, key } = ops[0].input;
  // No spread into Math.min: histories may be long.
  const firstSuccessRet = ops.filter(isSuccessWrite).reduce((m, o) => Math.min(m, o.ret!), Infinity);
  const v = possibleEffects(keyModel, ops, { ...options, ends: isSuccessWrite });
  if (v.result !== 'ok') return { space, key, decided: v.result, detail: v.detail, firstSuccessRet, producers: [] };
  const produced = new Map<KeyOperation, Map<string, { state: KeyState; endsBy: number }>>();
  for (const e of v.effects) {
    if (e.op.input.kind !== 'write' || !writeOutcome(e.before, e.op.input).tookEffect) continue;
    let states = produced.get(e.op);
    if (!states) produced.set(e.op, (states = new Map()));
    const k = stateKey(e.after);
    const known = states.get(k);
    states.set(k, { state: e.after, endsBy: Math.max(known?.endsBy ?? -Infinity, e.endsBy) });
  }
  const producers = [...produced].map(([op, states]): Producer => ({ op, states: [...states.values()] }));
  return { space, key, decided: 'ok', firstSuccessRet, producers };
}

/** The states the key possibly had during [a, b], by the rule at the top. */
export function possibleStates(t: KeyTimeline, a: number, b: number): KeyState[] {
  const out = new Map<string, KeyState>();
  if (!(t.firstSuccessRet < a)) out.set(stateKey(undefined), undefined);
  for (const p of t.producers) {
    if (p.op.call > b) continue;
    for (const s of p.states) if (!(s.endsBy < a)) out.set(stateKey(s.state), s.state);
  }
  return [...out.values()];
}

function resolvePredicate(search: SearchOperation): Check[] {
  const checks = resolveChecks(search.space, search.checks);
  if (!Array.isArray(checks)) throw new Error(`the search's predicate does not resolve (${checks.message}): check only searches that succeeded`);
  return checks;
}

const matches = (checks: readonly Check[], key: Buffer, s: KeyState): boolean => s !== undefined && firstFailingCheck(checks, key, s.values) === undefined;

/** Checks one search or count against the index. */
export function checkSearch(index: SearchIndex, search: SearchOperation): SearchVerdict {
  if (!(search.call <= search.ret)) throw new Error(`search returned at ${search.ret}, before its call at ${search.call}`);
  const checks = resolvePredicate(search);
  const violations: string[] = [];
  const returned = new Set<string>();
  if (search.kind === 'search') {
    for (const o of search.objects) {
      returned.add(keyId(search.space, o.key));
      const problem = returnedProblem(index, search, checks, o);
      if (problem) violations.push(problem);
    }
  }
  let low = 0;
  let high = 0;
  let undecidedKeys = 0;
  for (const [id, t] of index.timelines) {
    if (t.space.name !== search.space.name) continue;
    if (t.decided !== 'ok') {
      undecidedKeys++;
      high++;
      continue;
    }
    const states = possibleStates(t, search.call, search.ret);
    const throughout = states.every((s) => matches(checks, t.key, s));
    if (throughout) low++;
    if (states.some((s) => matches(checks, t.key, s))) high++;
    if (search.kind === 'search' && throughout && !returned.has(id))
      violations.push(`${where(search, t.key)}: missed; every state it possibly had matched: ${showStates(t.space, states)}`);
  }
  if (search.kind === 'count' && (search.count < low || search.count > high))
    violations.push(`count [${search.call}, ${search.ret}] in ${search.space.name} returned ${search.count}, outside [${low}, ${high}] (keys that matched throughout, that possibly matched)`);
  return { result: violations.length === 0 ? 'ok' : 'illegal', violations, undecidedKeys, bounds: { low, high } };
}

/** Why a returned object could not have been seen, or undefined when it could. */
function returnedProblem(index: SearchIndex, search: SearchOperation, checks: readonly Check[], o: SearchResultObject): string | undefined {
  const t = index.timelines.get(keyId(search.space, o.key));
  if (t && t.decided !== 'ok') return undefined;
  const states = t ? possibleStates(t, search.call, search.ret) : [undefined];
  const seen: KeyState = { version: 0, values: o.values };
  const same = states.find((s) => s !== undefined && stateKey(s) === stateKey(seen));
  const got = showState(search.space, seen);
  if (!same) return `${where(search, o.key)}: returned ${got}, a state it never possibly had then; possible: ${showStates(search.space, states)}${t ? writesOf(t) : ' (no operation on the key)'}`;
  const failed = firstFailingCheck(checks, o.key, o.values);
  if (failed) return `${where(search, o.key)}: returned ${got}, which does not satisfy the predicate on "${failed.attr.name}"`;
  return undefined;
}

function where(search: SearchOperation, key: Buffer): string {
  return `${search.kind} [${search.call}, ${search.ret}] in ${search.space.name}, key ${showValue(search.space, search.space.key.name, key)}`;
}

function showStates(space: SpaceSpec, states: readonly KeyState[]): string {
  const shown = states.slice(0, STATES_SHOWN_MAX).map((s) => showState(space, s));
  if (states.length > shown.length) shown.push(`... ${states.length - shown.length} more`);
  return shown.join(' | ');
}

/** The key's writes that could take effect, with their times, for a violation's report. */
function writesOf(t: KeyTimeline): string {
  const lines = t.producers
    .slice()
    .sort((x, y) => x.op.call - y.op.call)
    .slice(0, STATES_SHOWN_MAX)
    .map((p) => `\n  [${p.op.call}, ${p.op.ret ?? '...'}] ${keyModel.describe!(p.op.input, p.op.output)}`);
  return lines.join('');
}

/** Builds the index and checks each search: a convenience for one-off use. */
export function checkSearches(history: readonly KeyOperation[], searches: readonly SearchOperation[], options: CheckOptions = {}): SearchVerdict[] {
  const index = buildSearchIndex(history, options);
  return searches.map((s) => checkSearch(index, s));
}
