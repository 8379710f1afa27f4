// The checks of hyperdex-replication-stress-test, on observations alone: no client, no I/O, so
// that tests can feed them made-up observations, consistent and not.
//
// The tool owns a set of objects, each written by one loop at a time: a burst of puts, each
// awaited before the next, each giving both B and C (so the object's state is the last write that
// took effect, nothing merged), then reads once every put of the burst has returned. With no
// write to the object in flight, every read must agree on one state:
// - a get returns it;
// - a search on B for its B value finds the object exactly once, with its C; the same on C;
// - a search for any value the object held before (or that a burst offered) finds it no more.
// B and C values are unique to an object (they carry its key), so a search for one of them may
// return that object alone.

/** An object's values of the attributes the tool moves. */
export interface ObjectValues {
  readonly b: string;
  readonly c: string;
}

/** An object a search returned: its key (as text) and its values. */
export interface FoundObject extends ObjectValues {
  readonly key: string;
}

export type MovedAttribute = 'B' | 'C';

/** One put of a burst and how it returned. */
export interface BurstWrite {
  readonly values: ObjectValues;
  /** true: the put was acknowledged; false: it failed, so it may or may not have taken effect. */
  readonly acknowledged: boolean;
}

/**
 * The states an object may hold once every put of a burst has returned, `before` being those it
 * may have held before the burst (one, unless earlier reads could not tell). A put is awaited before
 * the next is sent, so the last acknowledged put is in effect, unless a later put that failed
 * took effect after all; with no acknowledged put, the state before the burst stays possible.
 * (A failed put that is applied long after a later acknowledged one is not considered: the
 * client does not resend a put once it has reported it failed.)
 */
export function possibleStates(before: readonly ObjectValues[], burst: readonly BurstWrite[]): ObjectValues[] {
  let lastAcked = -1;
  burst.forEach((w, i) => {
    if (w.acknowledged) lastAcked = i;
  });
  const head = lastAcked >= 0 ? [burst[lastAcked].values] : before;
  return uniqueValues([...head, ...burst.slice(lastAcked + 1).map((w) => w.values)]);
}

/** Every value of B and of C the object may have held before the burst or was offered in it: what the tool searches for. */
export function valuesToSearch(before: readonly ObjectValues[], burst: readonly BurstWrite[]): { attr: MovedAttribute; value: string }[] {
  const all = [...before, ...burst.map((w) => w.values)];
  const out: { attr: MovedAttribute; value: string }[] = [];
  for (const attr of ['B', 'C'] as const) for (const value of new Set(all.map((v) => valueOf(v, attr)))) out.push({ attr, value });
  return out;
}

function uniqueValues(values: readonly ObjectValues[]): ObjectValues[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const id = JSON.stringify([v.b, v.c]);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function valueOf(v: ObjectValues, attr: MovedAttribute): string {
  return attr === 'B' ? v.b : v.c;
}

const show = (v: ObjectValues) => `B=${JSON.stringify(v.b)} C=${JSON.stringify(v.c)}`;
const showAll = (vs: readonly ObjectValues[]) => vs.map(show).join(' or ');

/** The reads made of one object after its writes returned. undefined: that read failed (not checked). */
export interface SettledReads {
  /** The get: the values, null when it found no object. */
  readonly get: ObjectValues | null | undefined;
  readonly searches: readonly { readonly attr: MovedAttribute; readonly value: string; readonly found: readonly FoundObject[] | undefined }[];
}

/**
 * Checks the reads of one object against the states it may hold. Returns the state the reads
 * settle on (for the next burst; undefined when they cannot tell) and the inconsistencies found,
 * each one line naming the key, the read and what was expected.
 */
export function checkSettled(key: string, possible: readonly ObjectValues[], reads: SettledReads): { state: ObjectValues | undefined; problems: string[] } {
  if (possible.length === 0) throw new Error('checkSettled: no possible state');
  const problems: string[] = [];
  let state: ObjectValues | undefined = possible.length === 1 ? possible[0] : undefined;
  if (reads.get === null) problems.push(`key ${key}: get found no object; it holds ${showAll(possible)} (acknowledged)`);
  else if (reads.get !== undefined) {
    const got = reads.get;
    const match = possible.find((p) => p.b === got.b && p.c === got.c);
    if (match) state = match;
    else problems.push(`key ${key}: get returned ${show(got)}, but the last acknowledged put wrote ${showAll(possible)}`);
  }
  for (const s of reads.searches) {
    if (s.found === undefined) continue;
    const what = `search ${s.attr}=${JSON.stringify(s.value)}`;
    for (const o of s.found) if (valueOf(o, s.attr) !== s.value) problems.push(`${what} returned key ${o.key}, whose ${s.attr} is ${JSON.stringify(valueOf(o, s.attr))}`);
    const mine = s.found.filter((o) => o.key === key);
    if (mine.length > 1) problems.push(`${what} returned key ${key} ${mine.length} times`);
    // Known state: found exactly when it holds the value. Unknown: found if every possible state
    // holds the value, not found if none does, either otherwise.
    const candidates = state === undefined ? possible : [state];
    const mustFind = candidates.every((p) => valueOf(p, s.attr) === s.value);
    const mayFind = candidates.some((p) => valueOf(p, s.attr) === s.value);
    if (mine.length === 0 && mustFind) problems.push(`key ${key}: ${what} did not find it, though it holds ${showAll(candidates)} (acknowledged)`);
    else if (mine.length > 0 && !mayFind) problems.push(`key ${key}: ${what} still found it (${show(mine[0])}), though the put that moved it to ${showAll(candidates)} was acknowledged`);
    else if (mine.length > 0 && !candidates.some((p) => p.b === mine[0].b && p.c === mine[0].c))
      problems.push(`key ${key}: ${what} returned ${show(mine[0])}, but it holds ${showAll(candidates)}`);
  }
  return { state, problems };
}

/**
 * Checks a search of the whole space at the end: each object the tool owns is there exactly once
 * with the values it was left with. Objects of keys the tool does not own are not its business.
 */
export function checkFullScan(expected: ReadonlyMap<string, ObjectValues>, found: readonly FoundObject[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const o of found) {
    const want = expected.get(o.key);
    if (want === undefined) continue;
    const n = (seen.get(o.key) ?? 0) + 1;
    seen.set(o.key, n);
    if (n === 2) problems.push(`search of the whole space returned key ${o.key} more than once`);
    if (o.b !== want.b || o.c !== want.c) problems.push(`search of the whole space returned key ${o.key} with ${show(o)}, but it holds ${show(want)}`);
  }
  for (const [key, want] of expected) if (!seen.has(key)) problems.push(`search of the whole space did not return key ${key} (it holds ${show(want)})`);
  return problems;
}
